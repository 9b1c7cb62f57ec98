"""Key relationships keep their rep: selection, locks, reasons, and the report's plan honours them."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from terrkit.exceptions import ConfigError
from terrkit.realign.key_accounts import key_account_locks

ALIGNMENT = pd.DataFrame(
    {
        "unit_id": ["u1", "u2", "u3", "u4"],
        "territory_id": ["T1", "T1", "T2", "T2"],
        "rep_id": ["R1", "R1", "R2", "R2"],
    }
)


def _accounts() -> tuple[pd.DataFrame, pd.Series]:
    accounts = pd.DataFrame(
        {
            "account_id": ["A1", "A2", "A3", "A4", "A5", "A6", "A7"],
            "name": ["Small", "Big", "Mid", "Remote", "Prospect", "Unowned", "Tiny"],
            "unit_id": ["u1", "u2", "u3", "u1", "u4", "u4", "u3"],
            "owner_rep_id": ["R1", "R1", "R2", "R2", "R2", None, "R2"],
        }
    )
    # R1's book 1,000: A1 10%, A2 90%; R2's book 600: A3 25%, A4 (in R1's territory) 70%, A7 5%
    revenue = pd.Series(
        {"A1": 100.0, "A2": 900.0, "A3": 150.0, "A4": 420.0, "A5": 0.0, "A6": 5000.0, "A7": 30.0}
    )
    return accounts, revenue


def test_key_accounts_are_locked_to_their_reps_territory_biggest_first():
    accounts, revenue = _accounts()
    keys = key_account_locks(accounts, revenue, ALIGNMENT, share=0.10)
    table = keys.table.set_index("account_id")
    assert list(keys.table["account_id"]) == [
        "A2",
        "A4",
        "A3",
        "A1",
    ]  # by revenue; A7 (5%) and A6 (unowned) out
    assert table.loc["A1", "share_of_book"] == pytest.approx(0.10)
    assert table.loc["A4", "share_of_book"] == pytest.approx(0.70)
    assert keys.locks == {"u2": "T1", "u3": "T2", "u1": "T1"}
    assert (
        table.loc["A4", "action"] == "kept as exception"
        and "outside the territory" in table.loc["A4", "reason"]
    )
    assert table.loc["A2", "reason"] == "90% of R1's book; its unit u2 stays in T1"


def test_a_rep_home_is_not_locked_to_another_territory():
    accounts, revenue = _accounts()
    keys = key_account_locks(accounts, revenue, ALIGNMENT, share=0.10, homes={"T2": "u2"})
    table = keys.table.set_index("account_id")
    assert table.loc["A2", "action"] == "not locked" and "home of territory T2" in table.loc["A2", "reason"]
    assert "u2" not in keys.locks


def test_share_zero_turns_the_locks_off_and_a_bad_share_is_refused():
    accounts, revenue = _accounts()
    assert key_account_locks(accounts, revenue, ALIGNMENT, share=0.0).locks == {}
    with pytest.raises(ConfigError, match="between 0 and 1"):
        key_account_locks(accounts, revenue, ALIGNMENT, share=1.5)


def test_the_report_keeps_every_locked_key_account_with_its_rep(generated_report: Path):
    keys = pd.read_csv(generated_report / "key_accounts.csv", dtype=str)
    moves = pd.read_csv(generated_report / "account_assignments.csv", dtype=str).set_index("account_id")
    locked = keys[keys["action"] == "locked"]
    assert len(locked), "the generated company has accounts worth 10% of a book"
    kept = moves.loc[locked["account_id"]]
    assert (kept["old_rep_id"] == kept["new_rep_id"]).all()
    assert (kept["new_rep_id"].to_numpy() == locked["rep_id"].to_numpy()).all()
