"""Issue test "Remote coverage": no account's travel per call exceeds the coverage rule.

Hand-computed cases of the rule (field day trip, overnight trip with a cap, remote at a fixed time),
its bound on every account, and on the bundled sample: the rule lowers the travel share and the
headcount, and the review/realignment scoring counts the same hours as the sizing notebook.
"""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from terrkit import workload
from terrkit.exceptions import ConfigError
from terrkit.workload import (
    account_workload,
    describe_travel_rule,
    max_travel_minutes_per_call,
    size_salesforce,
    travel_minutes,
    workload_by_coverage,
)

KM_PER_DEGREE = 2 * math.pi * 6371.0088 / 360  # great-circle km per degree of latitude
NO_RULE = {"overnight_km": math.inf, "remote_km": math.inf}  # the plain day-trip model everywhere


def _accounts_at(km: list[float]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One rep at (0, 0) and accounts due north at the given straight-line km."""
    reps = pd.DataFrame({"rep_id": ["R1"], "home_lat": [0.0], "home_lon": [0.0], "capacity_hours": [1500.0]})
    accounts = pd.DataFrame(
        {
            "account_id": [f"a{i}" for i in range(len(km))],
            "unit_id": [f"u{i}" for i in range(len(km))],
            "lat": np.asarray(km) / KM_PER_DEGREE,
            "lon": 0.0,
            "owner_rep_id": "R1",
        }
    )
    return accounts, reps


def test_rule_by_hand():
    # circuity 1 and 60 km/h: one road km is one minute; four calls share a day trip (2 d / 4 = d / 2)
    accounts, reps = _accounts_at([100.0, 239.0, 260.0, 400.0, 481.0, 2000.0])
    t = travel_minutes(accounts, reps, circuity=1.0)
    assert t["coverage_mode"].tolist() == ["field", "field", "overnight", "overnight", "remote", "remote"]
    assert t["travel_minutes"].to_numpy() == pytest.approx([50.0, 119.5, 120.0, 120.0, 30.0, 30.0])
    assert t["travel_km"].to_numpy() == pytest.approx([100.0, 239.0, 260.0, 400.0, 481.0, 2000.0])
    # a looser cap binds later: 260 km -> min(130, 200); 400 km -> 200
    loose = travel_minutes(accounts, reps, circuity=1.0, overnight_cap_minutes=200.0)
    assert loose["travel_minutes"].to_numpy() == pytest.approx([50.0, 119.5, 130.0, 200.0, 30.0, 30.0])
    # no remote coverage and no overnight tier: the plain day-trip model
    plain = travel_minutes(accounts, reps, circuity=1.0, **NO_RULE)
    assert plain["coverage_mode"].eq("field").all()
    assert plain["travel_minutes"].to_numpy() == pytest.approx([50.0, 119.5, 130.0, 200.0, 240.5, 1000.0])
    # remote at a fixed time per call, here 0: the call alone
    free = travel_minutes(accounts, reps, circuity=1.0, remote_minutes_per_call=0.0)
    assert free["travel_minutes"].iloc[-1] == 0.0


def test_rule_on_a_cost_matrix_uses_one_way_minutes():
    accounts, reps = _accounts_at([0.0, 0.0, 0.0])
    cm = pd.DataFrame({"rep_id": "R1", "account_id": ["a0", "a1", "a2"], "minutes": [60.0, 300.0, 600.0]})
    t = travel_minutes(accounts, reps, cost_matrix=cm)
    # thresholds at 60 km/h: overnight beyond 240 minutes one way, remote beyond 480
    assert t["coverage_mode"].tolist() == ["field", "overnight", "remote"]
    assert t["travel_minutes"].tolist() == [30.0, 120.0, 30.0]


def test_rule_errors():
    accounts, reps = _accounts_at([10.0])
    with pytest.raises(ConfigError, match="overnight_km .* must not exceed remote_km"):
        travel_minutes(accounts, reps, overnight_km=500.0, remote_km=400.0)
    for name in ("overnight_cap_minutes", "remote_minutes_per_call", "remote_km"):
        with pytest.raises(ConfigError, match=name):
            travel_minutes(accounts, reps, **{name: -1.0})
    with pytest.raises(ConfigError, match="remote_minutes_per_call"):
        travel_minutes(accounts, reps, remote_minutes_per_call=float("nan"))
    with pytest.raises(ConfigError, match="calls_per_trip must be >= 1"):
        travel_minutes(accounts, reps, calls_per_trip=0.5)


@pytest.mark.parametrize(
    "rule",
    [
        {},
        {"calls_per_trip": 1.0},
        {"overnight_cap_minutes": 400.0, "remote_minutes_per_call": 10.0},
        {"overnight_km": 100.0, "remote_km": 100.0, "remote_minutes_per_call": 90.0},
        {"round_trip": False, "speed_kmh": 80.0},
    ],
)
def test_no_account_exceeds_the_rule(rule):
    rng = np.random.default_rng(7)
    accounts, reps = _accounts_at(list(rng.uniform(0, 3000, 500)))
    t = travel_minutes(accounts, reps, **rule)
    bound = max_travel_minutes_per_call(**rule)
    assert t["travel_minutes"].max() <= bound + 1e-9
    assert t["travel_minutes"].min() >= 0


def test_account_workload_and_hours_by_mode():
    accounts, reps = _accounts_at([100.0, 300.0, 1000.0])
    wl = account_workload(accounts, pd.Series(["A", "B", "C"]), reps, circuity=1.0)
    # A: 6 calls x (60 + 50); B: 2 x (45 + 120); C: 0.5 x (30 + 30) minutes
    assert wl["workload"].to_numpy() == pytest.approx([11.0, 5.5, 0.5])
    table = workload_by_coverage(wl)
    assert table.loc["remote", "accounts"] == 1 and table.loc["overnight", "travel_hours"] == pytest.approx(
        4.0
    )
    assert table.loc["total", "workload_hours"] == pytest.approx(wl["workload"].sum())
    assert table.loc["total", "call_hours"] + table.loc["total", "travel_hours"] == pytest.approx(17.0)
    assert table.loc["field", "travel_share"] == pytest.approx(5 / 11)


def test_rule_in_words_follows_the_parameters():
    text = describe_travel_rule(overnight_km=200, overnight_cap_minutes=90, remote_km=700)
    assert "200 road km" in text and "700 road km" in text and "90 minutes per call" in text
    assert "more than **100 minutes of travel per call**" in text  # 2 x 200 km at 60 km/h / 4 calls
    assert "no upper bound" in describe_travel_rule(**NO_RULE)
    assert "remote" not in describe_travel_rule(remote_km=math.inf)


# --------------------------------------------------------------------------------- bundled sample


@pytest.fixture(scope="module")
def sample():
    from terrkit.io import load_dataset

    return load_dataset(None)


@pytest.fixture(scope="module")
def scored_both(sample):
    from terrkit.workload import score_accounts

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ruled, _ = score_accounts(sample.accounts, sample.sales, sample.reps)
        plain, _ = score_accounts(sample.accounts, sample.sales, sample.reps, travel_params=NO_RULE)
    return ruled, plain


def test_sample_travel_within_the_rule_and_sizing_drops(sample, scored_both):
    ruled, plain = scored_both
    assert ruled["travel_minutes"].max() <= max_travel_minutes_per_call() + 1e-9
    assert plain["travel_minutes"].max() > 2000  # the cross-country exceptions the rule removes
    pd.testing.assert_series_equal(ruled["call_hours"], plain["call_hours"])  # time with customers unchanged
    capacity = float(sample.reps["capacity_hours"].median())
    before = size_salesforce(plain["workload"], capacity).headcount
    after = size_salesforce(ruled["workload"], capacity).headcount
    assert after < before
    share = {k: 1 - s["call_hours"].sum() / s["workload"].sum() for k, s in (("r", ruled), ("p", plain))}
    assert share["r"] < share["p"]
    assert set(ruled["coverage_mode"].astype(str)) == {"field", "overnight", "remote"}


def test_review_scoring_counts_the_sizing_hours(sample, scored_both):
    from terrkit import review
    from terrkit.review.pipeline import score_accounts_for_review

    period = review.resolve_period(sample.periods, "")
    scores = score_accounts_for_review(sample.accounts, sample.sales, sample.reps, period)
    np.testing.assert_allclose(scores["workload"].to_numpy(), scored_both[0]["workload"].to_numpy())
    plain = score_accounts_for_review(
        sample.accounts, sample.sales, sample.reps, period, travel_params=NO_RULE
    )
    np.testing.assert_allclose(plain["workload"].to_numpy(), scored_both[1]["workload"].to_numpy())


def _declared_defaults(notebook: Path) -> dict[str, str]:
    """``name: type = default`` lines of a notebook's parameters cell (default as written)."""
    nb = json.loads(notebook.read_text())
    cell = next(c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", []))
    values: dict[str, str] = {}
    for line in "".join(cell["source"]).splitlines():
        name, _, rest = line.partition(":")
        if "=" in rest:
            values[name.strip()] = rest.split("=", 1)[1].split("#", 1)[0].strip()
    return values


def test_notebook_defaults_are_the_package_defaults():
    # every notebook that declares a travel or cost parameter defaults it to the package's value, so that
    # sizing (30), design (40), review (50) and realignment (60) count the same hours
    expected = {
        "calls_per_trip": workload.CALLS_PER_TRIP,
        "overnight_km": workload.OVERNIGHT_KM,
        "overnight_cap_minutes": workload.OVERNIGHT_CAP_MINUTES,
        "remote_km": workload.REMOTE_KM,
        "remote_minutes_per_call": workload.REMOTE_MINUTES_PER_CALL,
        "cost_per_rep": workload.COST_PER_REP,
    }
    folder = Path(__file__).resolve().parents[1] / "notebooks"
    sizing = _declared_defaults(folder / "30_workload_sizing.ipynb")
    assert set(expected) <= set(sizing)
    for notebook in sorted(folder.glob("[0-9][0-9]_*.ipynb")):
        declared = _declared_defaults(notebook)
        for name in set(expected) & set(declared):
            assert float(declared[name]) == expected[name], (notebook.name, name)
