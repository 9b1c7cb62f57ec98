"""The import's rules on hand-computed cases: values, ZIP choice, rep homes, owner matching, alignment."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from terrkit.crm.mapping import RevenueBandRule, WonRule
from terrkit.crm.ownership import current_alignment, match_owners, territory_id
from terrkit.crm.places import choose_zips, rep_homes, zip_points
from terrkit.crm.values import (
    member,
    normalize_zips,
    parse_dates,
    parse_numbers,
    quarters,
    revenue_bands,
    translate_bands,
    won_status,
)
from terrkit.geo import haversine_km


def _s(*values) -> pd.Series:
    return pd.Series(list(values), dtype="string")


def test_decimal_comma_with_dot_grouping():
    values, bad = parse_numbers(
        _s("1.234,56", "-7,5", "0,99", "1 234,5", "€ 12", None, "1.234.567"), ",", "."
    )
    np.testing.assert_allclose(values.fillna(-1), [1234.56, -7.5, 0.99, 1234.5, 12.0, -1, 1234567.0])
    assert not bad.any()


def test_grouping_must_be_in_threes_so_a_wrong_decimal_is_caught():
    values, bad = parse_numbers(_s("1,5", "12,34.5", "1.2.3", "abc", "1,234.5", "1e6"), ".", ",")
    assert bad.tolist() == [True, True, True, True, False, False]
    assert values.iloc[4:].tolist() == [1234.5, 1e6]


def test_dates_in_a_format_and_iso_by_default():
    dates, bad = parse_dates(_s("31/12/2024", "01/04/2023", "2024-12-31", "31/02/2024", None), "%d/%m/%Y")
    assert bad.tolist() == [False, False, True, True, False]
    assert quarters(dates).iloc[:2].tolist() == ["2024Q4", "2023Q2"]
    dates, bad = parse_dates(_s("2024-03-31", "2024-04-01 09:30", "2024-07-01T23:00:00Z", "12/31/2024"))
    assert quarters(dates).iloc[:3].tolist() == ["2024Q1", "2024Q2", "2024Q3"]
    assert bad.tolist() == [False, False, False, True]


def test_years_outside_1900_2100_are_rejected():
    _, bad = parse_dates(_s("31/12/24"), "%d/%m/%Y")
    assert bad.tolist() == [True]


def test_zip_plus4_and_lost_leading_zeros():
    raw = _s("12345-6789", "2134", "02134", "123456789", "21345678", "2134.0", "K1A 0B6", "12", None)
    zips, plus4, padded = normalize_zips(raw)
    assert zips.tolist()[:6] == ["12345", "02134", "02134", "12345", "02134", "02134"]
    assert zips.iloc[6:].isna().all()
    assert plus4.tolist() == [True, False, False, True, True, False, False, False, False]
    assert padded.tolist() == [False, True, False, False, True, True, False, False, False]


def test_revenue_bands_by_thresholds_with_equal_going_up():
    revenue = pd.Series([999_999.0, 1e6, 9.99e6, 1e7, 5e7, 2.5e8, np.nan])
    assert revenue_bands(revenue, RevenueBandRule()).tolist()[:6] == [
        "<1M",
        "1-10M",
        "1-10M",
        "10-50M",
        "50-250M",
        "250M+",
    ]
    assert revenue_bands(revenue, RevenueBandRule()).isna().iloc[6]
    in_thousands = RevenueBandRule(scale=1000)
    assert revenue_bands(pd.Series([999.0, 1000.0]), in_thousands).tolist() == ["<1M", "1-10M"]


def test_band_texts_are_terrkit_bands_or_translated():
    bands, bad = translate_bands(
        _s("<1M", "Small", "SMALL", "huge", None), RevenueBandRule(values={"small": "1-10M"})
    )
    assert bands.tolist()[:3] == ["<1M", "1-10M", "1-10M"]
    assert bad.tolist() == [False, False, False, True, False]


def test_won_flag_decides_else_the_stage():
    flags, stages = _s("true", "FALSE", "1", None), _s("Closed Won", "Closed Lost", "Negotiation", None)
    won, reason = won_status(flags, stages, WonRule(flag_values=("true", "1")))
    assert won.tolist() == [True, False, True, False]
    assert reason.tolist()[1] == "Closed Lost"
    won, _ = won_status(
        None, _s("closedwon", "Closed Won", "closedlost"), WonRule(stages=("closedwon", "closed won"))
    )
    assert won.tolist() == [True, True, False]


def test_member_is_a_plain_membership_test():
    assert member(_s("a", "b", None), pd.Index(["b", "c"])).tolist() == [False, True, False]


def test_zip_choice_billing_then_most_frequent_then_revenue_then_smallest():
    rows = [
        ("a", "02139", True, 0.0),  # billing ZIP wins over three order lines elsewhere
        *[("a", "10001", False, 10.0)] * 3,
        ("b", "10001", False, 10.0),  # 10001 twice beats 10002 once, despite 10002's revenue
        ("b", "10001", False, 20.0),
        ("b", "10002", False, 100.0),
        ("c", "10001", False, 50.0),  # once each: the one with more revenue
        ("c", "10002", False, 80.0),
        ("d", "10003", False, 40.0),  # once each, same revenue: the smallest ZIP
        ("d", "10002", False, 40.0),
        ("e", "60601", False, 1.0),
        ("e", "60601", False, 2.0),
    ]
    chosen = choose_zips(pd.DataFrame(rows, columns=["account_id", "zip", "billing", "amount"]))
    assert chosen["zip"].to_dict() == {"a": "02139", "b": "10001", "c": "10002", "d": "10002", "e": "60601"}
    assert chosen["rule"].to_dict() == {
        "a": "billing",
        "b": "frequent",
        "c": "revenue",
        "d": "smallest",
        "e": "only",
    }


def test_rep_home_is_the_revenue_weighted_medoid_not_the_biggest_zip():
    accounts = pd.DataFrame(
        {
            "owner_rep_id": ["R1", "R1", "R1", "R2", "R2", "R2"],
            # R1: Chicago has the single largest revenue, but New York and Hoboken (3 km apart) weigh more;
            # Hoboken, a little west, is the nearer of the two to Chicago
            "zip": ["60601", "10001", "07030", "60601", "60601", "10001"],
            "revenue": [50.0, 30.0, 30.0, 0.0, 0.0, -5.0],
        }
    )
    homes = rep_homes(accounts)
    points = zip_points()
    own = accounts.iloc[:3]
    cost = {
        z: float(
            (
                haversine_km(
                    points.at[z, "lon"],
                    points.at[z, "lat"],
                    points.loc[own["zip"], "lon"],
                    points.loc[own["zip"], "lat"],
                )
                * own["revenue"].to_numpy()
            ).sum()
        )
        for z in own["zip"]
    }
    assert min(cost, key=cost.get) == "07030" and cost["07030"] < cost["10001"] < cost["60601"]
    assert homes.loc["R1"].tolist() == ["07030", "medoid"]
    # R2 has no revenue (credits count as none): its most frequent account ZIP
    assert homes.loc["R2"].tolist() == ["60601", "frequent"]


def test_owners_are_matched_by_id_then_other_id_then_email_then_unique_name():
    reps = pd.DataFrame(
        {
            "rep_id": ["u1", "u2", "u3"],
            "owner_id": ["111", "777", None],
            "email": ["Ann@x.com", "bob@x.com", "bob2@x.com"],
            "name": ["Ann Lee", "Bob", "Bob"],
        }
    )
    owners = _s("u1", "ANN@X.COM", "777", "ann lee", "Bob", "zz", None)
    rep_id, matched_by = match_owners(owners, reps)
    assert rep_id.tolist()[:4] == ["u1", "u1", "u2", "u1"]
    assert rep_id.iloc[4:].isna().all(), "a name two reps share and an unknown value match nobody"
    assert matched_by.tolist()[:4] == ["rep_id", "email", "owner_id", "name"]


def test_alignment_goes_to_the_most_revenue_then_more_accounts_then_smaller_id():
    accounts = pd.DataFrame(
        {
            "unit_id": ["U1", "U1", "U1", "U2", "U2", "U3", "U3", "U4", "U4"],
            "owner_rep_id": ["A", "B", "B", "C", "A", "B", "A", None, None],
            "revenue": [100.0, 60.0, 40.0, 50.0, 50.0, 10.0, 5.0, 999.0, 1.0],
        }
    )
    alignment, counts = current_alignment(accounts)
    assert alignment.to_dict("list") == {
        "unit_id": ["U1", "U2", "U3"],
        "territory_id": ["T-B", "T-A", "T-B"],
        "rep_id": ["B", "A", "B"],
    }
    assert counts == {"units": 4, "aligned": 3, "ties": 2, "unowned_units": 1}


@pytest.mark.parametrize("rep", ["R001", "0058d0000000001AAA", "ann@example.com"])
def test_territory_ids_are_derived_from_rep_ids(rep):
    assert territory_id(pd.Series([rep])).tolist() == [f"T-{rep}"]
