"""A Salesforce export, imported, run through the whole report, read back from the ETM load files."""

from __future__ import annotations

import pandas as pd
import pytest

from terrkit.crm.etm import read_etm_assignments


@pytest.mark.slow
def test_etm_files_of_a_report_give_back_its_account_assignments(imported_company_dir, generated_report):
    assignments = pd.read_csv(generated_report / "account_assignments.csv", dtype=str).set_index("account_id")
    read_back = read_etm_assignments(generated_report / "crm")
    accounts = pd.read_csv(imported_company_dir / "accounts.csv", dtype=str)
    assert set(read_back.index) == set(accounts["account_id"]) == set(assignments.index)
    expected = assignments["new_rep_id"].reindex(read_back.index)
    assert (read_back.fillna("") == expected.fillna("")).all()
    # the ids are Salesforce's own: Account Ids (001...) and User Ids (005...)
    assert read_back.index.str.startswith("001").all() and read_back.dropna().str.startswith("005").all()
