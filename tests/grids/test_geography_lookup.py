"""grid_at: inside, outside, shared edges, and seeing boundary changes."""

from __future__ import annotations

from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from grids.geography import lookup
from grids.geography.lookup import grid_at, grids_at_bbox
from grids.geography.models import GridGeometryVersion, GridProfile
from tests.grids.conftest import A1_1, rect, set_profile


def test_a_point_inside_a_grid_finds_it(mapped_city):
    assert grid_at(39.705, 106.805) == mapped_city.grid_a1
    assert grid_at(39.705, 106.815) == mapped_city.grid_a2
    assert grid_at(39.705, 106.855) == mapped_city.grid_b1


def test_a_point_outside_every_grid_finds_none(mapped_city):
    assert grid_at(39.705, 106.835) is None  # between A1-2 and B1-1
    assert grid_at(0.0, 0.0) is None


def test_no_boundaries_at_all_finds_none(city):
    assert grid_at(39.705, 106.805) is None


def test_a_point_on_a_shared_edge_goes_to_the_lowest_code(mapped_city):
    assert mapped_city.grid_a1.code < mapped_city.grid_a2.code
    for _ in range(3):
        assert grid_at(39.705, 106.81) == mapped_city.grid_a1
    # The shared corner and the outer edge are inside too.
    assert grid_at(39.71, 106.81) == mapped_city.grid_a1
    assert grid_at(39.705, 106.82) == mapped_city.grid_a2


def test_edge_determinism_does_not_depend_on_the_order_boundaries_were_set(city):
    set_profile(city.grid_a2, rect(106.81, 39.70, 106.82, 39.71))
    set_profile(city.grid_a1, A1_1)
    assert grid_at(39.705, 106.81) == city.grid_a1


def test_a_second_lookup_sees_a_changed_boundary(mapped_city):
    assert grid_at(39.705, 106.835) is None
    set_profile(mapped_city.grid_b1, rect(106.83, 39.70, 106.84, 39.71))
    assert grid_at(39.705, 106.835) == mapped_city.grid_b1
    assert grid_at(39.705, 106.855) is None


def test_another_process_change_is_seen_through_the_version_row(mapped_city, settings):
    """Simulate another worker: rows and version change, this process is not told."""
    assert grid_at(39.705, 106.835) is None  # index built
    GridProfile.objects.filter(grid=mapped_city.grid_b1).update(
        boundary=rect(106.83, 39.70, 106.84, 39.71)
    )
    assert grid_at(39.705, 106.835) is None  # same version: the cached index is used
    GridGeometryVersion.objects.filter(pk=1).update(version=F("version") + 1)
    assert grid_at(39.705, 106.835) == mapped_city.grid_b1


def test_the_version_check_is_cached_for_the_ttl(mapped_city, settings):
    settings.GRID_LOOKUP_VERSION_TTL = 60
    grid_at(39.705, 106.805)
    with CaptureQueriesContext(connection) as ctx:
        assert grid_at(39.705, 106.805) == mapped_city.grid_a1
    assert len(ctx.captured_queries) == 1  # the grid itself; no version read
    settings.GRID_LOOKUP_VERSION_TTL = 0
    with CaptureQueriesContext(connection) as ctx:
        grid_at(39.705, 106.805)
    assert len(ctx.captured_queries) == 2  # version + grid


def test_inactive_grids_are_not_found(mapped_city):
    from governance.models import Area

    Area.objects.filter(pk=mapped_city.grid_a1.pk).update(is_active=False)
    lookup.invalidate()
    assert grid_at(39.705, 106.805) is None
    # On the shared edge the next grid takes over.
    assert grid_at(39.705, 106.81) == mapped_city.grid_a2


def test_grids_at_bbox_lists_every_grid_met_by_code(mapped_city):
    found = grids_at_bbox(39.701, 106.805, 39.709, 106.855)
    assert found == [mapped_city.grid_a1, mapped_city.grid_a2, mapped_city.grid_b1]
    assert grids_at_bbox(39.701, 106.83, 39.709, 106.84) == []
