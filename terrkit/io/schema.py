"""The columns each input file must have, and what each column allows."""

from __future__ import annotations

from dataclasses import dataclass, field

REVENUE_BANDS: tuple[str, ...] = ("<1M", "1-10M", "10-50M", "50-250M", "250M+")


@dataclass(frozen=True)
class Column:
    """One column of an input table.

    Parameters
    ----------
    name : str
        Column name in the file header.
    kind : {"id", "text", "zip", "number", "period"}
        ``id``: non-empty text, unique when it is the table's key; ``text``: free text;
        ``zip``: a 5-digit US ZIP code kept as a string; ``number``: numeric;
        ``period``: a quarter written ``YYYYQn``.
    required : bool
        Whether the file must have the column.
    nullable : bool
        Whether a row may leave it empty.
    minimum, maximum : float, optional
        Inclusive numeric range.
    allowed : tuple of str
        The only values allowed (empty means any).
    """

    name: str
    kind: str
    required: bool = True
    nullable: bool = False
    minimum: float | None = None
    maximum: float | None = None
    allowed: tuple[str, ...] = ()


@dataclass(frozen=True)
class TableSpec:
    """An input file: its name, its key column and its columns."""

    file: str
    key: str | None
    columns: tuple[Column, ...] = field(default_factory=tuple)

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


ACCOUNTS = TableSpec(
    "accounts.csv",
    key="account_id",
    columns=(
        Column("account_id", "id"),
        Column("name", "text", required=False, nullable=True),
        Column("industry", "text", required=False, nullable=True),
        Column("employees", "number", required=False, nullable=True, minimum=0),
        Column("revenue_band", "text", required=False, nullable=True, allowed=REVENUE_BANDS),
        Column("zip", "zip"),
        Column("city", "text", required=False, nullable=True),
        Column("state", "text", required=False, nullable=True),
        Column("unit_id", "id", required=False, nullable=True),
        Column("lat", "number", required=False, nullable=True, minimum=-90, maximum=90),
        Column("lon", "number", required=False, nullable=True, minimum=-180, maximum=180),
        Column("owner_rep_id", "id", nullable=True),
    ),
)

SALES = TableSpec(
    "sales.csv",
    key=None,
    columns=(
        Column("account_id", "id"),
        Column("period", "period"),
        Column("amount", "number"),
    ),
)

REPS = TableSpec(
    "reps.csv",
    key="rep_id",
    columns=(
        Column("rep_id", "id"),
        Column("name", "text", required=False, nullable=True),
        Column("home_zip", "zip", required=False, nullable=True),
        Column("home_lat", "number", required=False, nullable=True, minimum=-90, maximum=90),
        Column("home_lon", "number", required=False, nullable=True, minimum=-180, maximum=180),
        Column("capacity_hours", "number", required=False, nullable=True, minimum=0),
        Column("quota", "number", required=False, nullable=True, minimum=0),
    ),
)

ALIGNMENT = TableSpec(
    "current_alignment.csv",
    key="unit_id",
    columns=(
        Column("unit_id", "id"),
        Column("territory_id", "id"),
        Column("rep_id", "id", nullable=True),
    ),
)

#: Selling hours per year of a rep whose ``capacity_hours`` is not given: 46 working weeks of about
#: 35 selling hours (a full-time field rep after holidays, training and internal meetings).
DEFAULT_CAPACITY_HOURS: float = 1_600.0

#: Account columns that may be missing; peer potential and segmentation fall back without them.
FIRMOGRAPHICS: tuple[str, ...] = ("industry", "employees", "revenue_band")

TABLES: dict[str, TableSpec] = {"accounts": ACCOUNTS, "sales": SALES, "reps": REPS, "alignment": ALIGNMENT}
