"""Shared fixtures: the bundled sample, a small generated company, and a kernel on this Python."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

# Kernels started by nbval and papermill resolve `python` on PATH: make it this interpreter.
os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"


@pytest.fixture(scope="session")
def sample_dir() -> Path:
    return SAMPLE


@pytest.fixture(scope="session")
def small_company_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A freshly generated company, smaller and with another seed than the bundled sample."""
    from terrkit.datasets import generate_company, write_company

    folder = tmp_path_factory.mktemp("company") / "small"
    write_company(generate_company(2_000, seed=11, n_reps=12), folder, seed=11)
    return folder


@pytest.fixture
def company_copy(small_company_dir: Path, tmp_path: Path) -> Path:
    """A writable copy of the small company, for corrupting."""
    target = tmp_path / "copy"
    shutil.copytree(small_company_dir, target)
    return target


#: Report parameters that keep the end-to-end run short; the notebooks' defaults are for real use.
#: The company quota notebook 60 spreads over the proposed territories in the session's report run.
COMPANY_QUOTA = 12_000_000.0

FAST_REPORT_CONFIG = """\
notebooks:
  40_territory_design:
    time_limit: 10.0
  60_realignment:
    tolerances: '0.05, 0.35'
    time_limit: 20.0
    company_quota: 12000000.0
  80_scenarios:
    time_limit: 8.0
    events: 'rep-leaves,capacity,reassign'
"""


@pytest.fixture(scope="session")
def imported_company_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small company as a Salesforce export would give it, through ``terrkit import``.

    Such a folder has the gaps real CRM data has: counties without any account have no territory,
    and the reps carry neither capacity nor quota.
    """
    from terrkit.crm.exports_sample import write_sample_exports
    from terrkit.crm.importing import import_crm
    from terrkit.datasets import generate_company

    folder = tmp_path_factory.mktemp("salesforce")
    exports = write_sample_exports(
        generate_company(2_000, seed=11, n_reps=12), "salesforce", folder / "export"
    )
    return import_crm(list(exports.values()), folder / "data", preset="salesforce").path


@pytest.fixture(scope="session")
def generated_report(imported_company_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One ``terrkit report --data DIR`` run of every notebook on the imported Salesforce company."""
    from terrkit.report import run_report

    folder = tmp_path_factory.mktemp("report")
    config = folder / "fast.yaml"
    config.write_text(FAST_REPORT_CONFIG)
    return run_report(config=config, data=imported_company_dir, out=folder / "run")


@pytest.fixture(scope="session")
def report_company_quota() -> float:
    """The company quota given to notebook 60 in ``generated_report``."""
    return COMPANY_QUOTA
