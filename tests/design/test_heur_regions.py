"""Large designs in regions: the split's sizes and bands, when it applies, and whole designs through it."""

from __future__ import annotations

import numpy as np
import pytest

from terrkit.design.heuristic import regions, search
from terrkit.design.heuristic.regions import region_problem, region_sizes, regions_apply, regions_fit
from terrkit.design.heuristic.search import solve_heuristic
from terrkit.design.problem.contiguity import count_fragments

from .test_heuristic import check_balance, check_partition, grid_adjacency, make_data


@pytest.mark.parametrize("k", [75, 400, 430, 999, 1000, 1026])
def test_region_sizes_split_every_territory_as_evenly_as_possible(k):
    sizes = region_sizes(k)
    assert sizes.sum() == k
    assert sizes.max() - sizes.min() <= 1
    assert len(sizes) == max(2, round(k / regions.REGION_TERRITORIES))


def test_region_sizes_with_few_territories_still_split_in_two():
    assert region_sizes(30, per_region=50).tolist() == [15, 15]
    assert region_sizes(7, per_region=3).tolist() == [4, 3]


def _line_data(k=10, tol=0.05, n=100, **kw):
    """``n`` units of value 10 on a line, ``k`` territories (target ``10 n / k``)."""
    xy = np.c_[np.arange(float(n)), np.zeros(n)]
    adj = grid_adjacency(1, n)
    return make_data(xy, adj, np.full(n, 10.0), k, tol, **kw)


def test_region_bands_are_centred_on_the_regions_share_and_narrow():
    data = _line_data()  # total 1,000, 10 territories of 95..105
    split = region_problem(data, np.array([6, 4]))
    half = regions.REGION_BAND_SHARE * 5.0  # a share of the territories' half-band (5), per territory
    assert split.k == 2
    np.testing.assert_allclose(split.lower[:, 0], [600 - 6 * half, 400 - 4 * half])
    np.testing.assert_allclose(split.upper[:, 0], [600 + 6 * half, 400 + 4 * half])
    assert split.lower[:, 0].sum() <= 1000 <= split.upper[:, 0].sum()
    assert split.n == data.n and split.adjacency is data.adjacency


def test_regions_fit_only_when_every_region_can_hold_its_territories():
    data = _line_data()  # territories 95..105
    sizes = np.array([6, 4])
    assert regions_fit(data, np.repeat([0, 1], [60, 40]), sizes)  # 600 and 400
    assert regions_fit(data, np.repeat([0, 1], [58, 42]), sizes)  # 580 and 420 = 4 x 105, at the edge
    assert regions_fit(data, np.repeat([0, 1], [62, 38]), sizes)  # 620 and 380 = 4 x 95, at the edge
    assert not regions_fit(data, np.repeat([0, 1], [57, 43]), sizes)  # 430 > 4 x 105
    assert not regions_fit(data, np.repeat([0, 1], [64, 36]), sizes)  # 640 > 6 x 105


def test_regions_apply_from_the_threshold_and_only_where_territories_may_be_fixed(monkeypatch):
    monkeypatch.setattr(regions, "REGIONS_FROM_K", 10)
    assert regions_apply(_line_data(k=10))
    assert not regions_apply(_line_data(k=9))
    locked = np.full(100, -1)
    locked[0] = 0
    assert not regions_apply(_line_data(locked=locked))
    assert not regions_apply(_line_data(contiguous=False))
    data = _line_data()
    data.upper[3, 0] += 1.0  # bands that differ between territories
    assert not regions_apply(data)


def _grid_instance():
    rng = np.random.default_rng(3)
    rows, cols = 30, 40
    yy, xx = np.divmod(np.arange(rows * cols), cols)
    weight = rng.uniform(0.5, 1.5, rows * cols)
    return make_data(np.c_[xx, yy] * 10.0, grid_adjacency(rows, cols), weight, 40, 0.05)


@pytest.fixture
def small_regions(monkeypatch):
    """Regions of 10 territories from 20 territories on, so that a 40-territory grid is designed in four."""
    monkeypatch.setattr(regions, "REGIONS_FROM_K", 20)
    monkeypatch.setattr(regions, "REGION_TERRITORIES", 10)


def test_a_large_design_in_regions_is_balanced_contiguous_and_repeatable(small_regions):
    data = _grid_instance()
    out = solve_heuristic(data, time_limit=120, seed=0, work=20e6)
    assert "designed in 4 regions of 10-10 territories" in out.method
    check_partition(out, data.n, data.k)
    check_balance(out.labels, data.weight, data.lower[:, 0], data.upper[:, 0], data.k)
    assert out.balanced and out.contiguous and count_fragments(data.adjacency, out.labels) == 0
    assert out.stopped_by != "time_limit"
    # each center lies in its own territory
    assert (out.labels[out.centers] == np.arange(data.k)).all()
    again = solve_heuristic(data, time_limit=120, seed=0, work=20e6)
    assert np.array_equal(again.labels, out.labels) and again.work_used == out.work_used


def test_an_unusable_split_falls_back_to_one_search(small_regions, monkeypatch):
    monkeypatch.setattr(search, "regions_fit", lambda *args: False)
    data = _grid_instance()
    out = solve_heuristic(data, time_limit=120, seed=0, work=20e6)
    assert "regions" not in out.method
    check_partition(out, data.n, data.k)
    assert out.balanced and out.contiguous


def test_regions_can_be_switched_off(small_regions):
    data = _grid_instance()
    out = solve_heuristic(data, time_limit=120, seed=0, work=10e6, skip=["regions"])
    assert "regions" not in out.method
    check_partition(out, data.n, data.k)
