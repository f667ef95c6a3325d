"""The Wuhai demo boundaries: nested, non-overlapping, found by grid_at."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from shapely.geometry import box

from core.models import AuditEntry
from governance.demo import seed_tree
from governance.models import Area
from grids.geography import demo
from grids.geography.actions import sizing_warnings
from grids.geography.geometry import polygon_from_geojson
from grids.geography.lookup import grid_at
from grids.geography.models import GridKind, GridProfile


@pytest.fixture
def wuhai(db):
    city = seed_tree()
    counts = demo.seed(city)
    return city, counts


def test_every_demo_grid_gets_a_profile_around_wuhai_with_guided_sizes(wuhai):
    city, counts = wuhai
    assert counts == {"grid profiles": 786}
    assert GridProfile.objects.filter(boundary__isnull=False).count() == 786
    assert AuditEntry.objects.filter(verb="created", note="seed_demo").count() == 786
    profiles = list(GridProfile.objects.select_related("grid"))
    for district in city.districts:
        lat0, lng0 = demo.CENTRES[district.code]
        mine = [p for p in profiles if p.grid.path.startswith(district.path)]
        assert abs(np.mean([(p.min_lat + p.max_lat) / 2 for p in mine]) - lat0) < 0.02
        assert abs(np.mean([(p.min_lng + p.max_lng) / 2 for p in mine]) - lng0) < 0.02
    assert {p.subtype for p in profiles if p.kind == GridKind.DEDICATED} == {"school", "park"}
    warned = [
        p
        for p in profiles
        if sizing_warnings(kind=p.kind, households=p.households, population=p.population)
    ]
    assert 3 <= len(warned) <= 20  # a few, deliberately
    assert all(40_000 < p.area_m2 < 100_000 for p in profiles)


def test_demo_boundaries_nest_and_do_not_overlap(wuhai):
    city, _counts = wuhai
    polygons = np.array(
        [polygon_from_geojson(b) for b in GridProfile.objects.values_list("boundary", flat=True)]
    )
    tree = shapely.STRtree(polygons)
    # "overlaps" is false for neighbours that only share an edge.
    assert tree.query(polygons, predicate="overlaps").shape[1] == 0
    pairs = tree.query(polygons, predicate="intersects")
    shared = [shapely.intersection(polygons[i], polygons[j]).area for i, j in pairs.T if i < j]
    assert len(shared) > 700  # neighbours do touch...
    assert max(shared) == 0.0  # ...but never share area

    boxes = demo.layout(city)
    parents = {a.path: a for a in [*city.streets, *city.communities]}
    for area in [*city.communities, *city.grids]:
        parent = parents[area.path[: -Area.steplen]]
        assert box(*boxes[parent.pk]).covers(box(*boxes[area.pk])), area
    streets = [box(*boxes[s.pk]) for s in city.streets]
    for i, a in enumerate(streets):
        assert not any(a.intersects(b) for b in streets[i + 1 :])


def test_grid_at_each_representative_point_finds_that_grid(wuhai):
    for grid_id, boundary in GridProfile.objects.values_list("grid_id", "boundary"):
        point = polygon_from_geojson(boundary).representative_point()
        found = grid_at(point.y, point.x)
        assert found is not None and found.pk == grid_id


def test_demo_seeding_is_deterministic(wuhai):
    city, _counts = wuhai
    fields = ("grid__code", "boundary", "kind", "subtype", "households", "population")
    first = list(GridProfile.objects.order_by("grid__code").values_list(*fields))
    GridProfile.objects.all().delete()
    demo.seed(city)
    assert list(GridProfile.objects.order_by("grid__code").values_list(*fields)) == first
