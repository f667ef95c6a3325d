"""grid_profile_set: validation, warnings, derived area and bbox, rights, audit."""

from __future__ import annotations

import math

import pytest

from core import audit
from core.errors import AccessDenied, ValidationFailed
from grids.geography import geometry
from grids.geography.actions import (
    HOUSEHOLDS_OUTSIDE_GUIDANCE,
    OVERLAPS_SIBLING,
    POPULATION_ABOVE_GUIDANCE,
)
from grids.geography.geometry import area_m2, clean_boundary
from grids.geography.models import GridGeometryVersion, GridProfile
from tests.grids.conftest import A1_1, A1_2, rect, set_profile

# --- validation -----------------------------------------------------------------


def _fails(grid, boundary):
    with pytest.raises(ValidationFailed) as exc:
        set_profile(grid, boundary)
    assert "boundary" in exc.value.extra["fields"]
    assert not GridProfile.objects.filter(grid=grid).exists()
    return exc.value


def test_it_rejects_an_open_ring(city):
    ring = [*A1_1["coordinates"][0][:-1], [106.8, 39.7001]]
    err = _fails(city.grid_a1, {"type": "Polygon", "coordinates": [ring]})
    assert err.code == geometry.RING_OPEN
    assert "not closed" in err.message


def test_it_rejects_a_self_intersecting_bow_tie(city):
    bow_tie = [[106.80, 39.70], [106.81, 39.71], [106.81, 39.70], [106.80, 39.71], [106.80, 39.70]]
    err = _fails(city.grid_a1, {"type": "Polygon", "coordinates": [bow_tie]})
    assert err.code == geometry.INVALID
    assert "Self-intersection" in err.message


def test_it_rejects_a_ring_with_too_few_points(city):
    err = _fails(
        city.grid_a1,
        {"type": "Polygon", "coordinates": [[[106.80, 39.70], [106.81, 39.70], [106.80, 39.70]]]},
    )
    assert err.code == geometry.TOO_FEW_POINTS


@pytest.mark.parametrize(
    "value",
    [
        {"type": "Point", "coordinates": [106.8, 39.7]},
        {"type": "MultiPolygon", "coordinates": [A1_1["coordinates"]]},
        {"type": "Polygon", "coordinates": []},
        {"type": "Polygon", "coordinates": [[["106.8", 39.7]] * 5]},
        {"type": "Polygon", "coordinates": [[[106.8, 39.7, 1, 2]] * 5]},
        "POLYGON((106.8 39.7, 106.81 39.7, 106.81 39.71, 106.8 39.7))",
        [[106.8, 39.7]],
    ],
)
def test_it_rejects_anything_but_a_geojson_polygon(city, value):
    assert _fails(city.grid_a1, value).code == geometry.NOT_POLYGON


def test_it_rejects_coordinates_outside_china(city):
    # A Wuhai square with latitude and longitude swapped is the classic mistake.
    swapped = rect(39.70, 106.80, 39.71, 106.81)
    err = _fails(city.grid_a1, swapped)
    assert err.code == geometry.OUTSIDE_CHINA
    assert _fails(city.grid_a1, rect(139.7, 35.6, 139.8, 35.7)).code == geometry.OUTSIDE_CHINA


def test_it_accepts_a_polygon_with_a_hole_and_drops_altitudes(city):
    outer = [[106.80, 39.70, 1100], [106.81, 39.70, 1100], [106.81, 39.71, 1100], [106.80, 39.71, 1100], [106.80, 39.70, 1100]]  # fmt: skip
    hole = rect(106.803, 39.703, 106.806, 39.706)["coordinates"][0]
    saved = set_profile(city.grid_a1, {"type": "Polygon", "coordinates": [outer, hole]})
    boundary = saved.profile.boundary
    assert all(len(p) == 2 for ring in boundary["coordinates"] for p in ring)
    full = area_m2(clean_boundary(A1_1).polygon)
    assert saved.profile.area_m2 < full


def test_dedicated_grids_need_a_subtype_and_general_ones_have_none(city):
    with pytest.raises(ValidationFailed) as exc:
        set_profile(city.grid_a1, A1_1, kind="dedicated", subtype="")
    assert exc.value.code == "subtype_required"
    with pytest.raises(ValidationFailed) as exc:
        set_profile(city.grid_a1, A1_1, kind="general", subtype="school")
    assert exc.value.code == "subtype_not_allowed"
    with pytest.raises(ValidationFailed):
        set_profile(city.grid_a1, A1_1, kind="campus")
    with pytest.raises(ValidationFailed):
        set_profile(city.grid_a1, A1_1, households=-1)
    saved = set_profile(city.grid_a1, A1_1, kind="dedicated", subtype="school", households=0)
    assert saved.profile.get_subtype_display() == "School"
    assert saved.warnings == []  # no sizing guidance for dedicated grids


def test_only_grids_get_a_profile(city):
    with pytest.raises(ValidationFailed) as exc:
        set_profile(city.community_a, A1_1)
    assert exc.value.code == "not_a_grid"


# --- warnings -------------------------------------------------------------------


def test_it_warns_about_an_overlap_with_a_sibling_naming_it_and_the_area(city):
    set_profile(city.grid_a1, A1_1)
    # Half of A1-1's width: 0.005° of longitude × 0.01° of latitude at 39.7°N ≈ 428 m × 1,110 m.
    saved = set_profile(city.grid_a2, rect(106.805, 39.70, 106.815, 39.71))
    overlaps = [w for w in saved.warnings if w["code"] == OVERLAPS_SIBLING]
    assert len(overlaps) == 1
    assert city.grid_a1.name in overlaps[0]["message"]
    expected = area_m2(clean_boundary(rect(106.805, 39.70, 106.81, 39.71)).polygon)
    assert overlaps[0]["extra"]["overlap_m2"] == pytest.approx(expected, rel=1e-3)
    assert f"{expected:,.0f}" in overlaps[0]["message"]
    assert GridProfile.objects.filter(grid=city.grid_a2).exists()  # saved anyway


def test_sharing_an_edge_or_overlapping_another_community_is_no_warning(city):
    set_profile(city.grid_a1, A1_1)
    assert set_profile(city.grid_a2, A1_2).warnings == []
    # B1-1 is in another community: not a sibling, however it lies.
    assert set_profile(city.grid_b1, A1_1).warnings == []


def test_it_warns_when_a_general_grid_is_outside_the_sizing_guidance(city):
    assert set_profile(city.grid_a1, A1_1, households=300, population=2500).warnings == []
    small = set_profile(city.grid_a1, A1_1, households=299, population=700).warnings
    assert [w["code"] for w in small] == [HOUSEHOLDS_OUTSIDE_GUIDANCE]
    big = set_profile(city.grid_a1, A1_1, households=501, population=2501).warnings
    assert [w["code"] for w in big] == [HOUSEHOLDS_OUTSIDE_GUIDANCE, POPULATION_ABOVE_GUIDANCE]
    assert "2500" in big[1]["message"]


# --- derived values -------------------------------------------------------------


def _m_per_degree(lat: float) -> tuple[float, float]:
    """Standard series for WGS84 metres per degree of latitude and longitude."""
    p = math.radians(lat)
    m_lat = 111132.92 - 559.82 * math.cos(2 * p) + 1.175 * math.cos(4 * p)
    m_lng = 111412.84 * math.cos(p) - 93.5 * math.cos(3 * p)
    return m_lat, m_lng


def test_a_one_kilometre_square_near_39_7_north_is_a_million_square_metres(city):
    m_lat, m_lng = _m_per_degree(39.7)
    square = rect(106.8, 39.7, 106.8 + 1000 / m_lng, 39.7 + 1000 / m_lat)
    saved = set_profile(city.grid_a1, square)
    assert saved.profile.area_m2 == pytest.approx(1_000_000, rel=0.01)
    profile = saved.profile
    assert (profile.min_lng, profile.min_lat) == (106.8, 39.7)
    assert profile.max_lat == pytest.approx(39.7 + 1000 / m_lat)


def _exact_ellipsoid_box_area(lng1, lat1, lng2, lat2):
    """Area of a lat/lng box on the WGS84 ellipsoid (closed form, authalic q)."""
    a, f = 6378137.0, 1 / 298.257223563
    e2 = f * (2 - f)
    e = math.sqrt(e2)
    b2 = (a * (1 - f)) ** 2

    def q(lat):
        s = math.sin(math.radians(lat))
        return s / (1 - e2 * s * s) + math.log((1 + e * s) / (1 - e * s)) / (2 * e)

    return b2 / 2 * math.radians(lng2 - lng1) * (q(lat2) - q(lat1))


@pytest.mark.parametrize("size", [0.005, 0.1, 0.5])
def test_area_matches_the_exact_ellipsoid_area(size):
    """Accuracy claim of geometry.py: far below 0.01 % at grid sizes (and 0.5° too)."""
    polygon = clean_boundary(rect(106.8, 39.6, 106.8 + size, 39.6 + size)).polygon
    exact = _exact_ellipsoid_box_area(106.8, 39.6, 106.8 + size, 39.6 + size)
    assert area_m2(polygon) == pytest.approx(exact, rel=1e-4)


# --- rights, audit, version -----------------------------------------------------


def test_only_managers_of_the_grid_may_set_its_profile(city, personas):
    with pytest.raises(AccessDenied) as exc:
        set_profile(city.grid_a1, A1_1, actor=personas.street_officer_a)
    assert exc.value.code == "cannot_manage_area"
    saved = set_profile(city.grid_a1, A1_1, actor=personas.roster_admin)
    assert saved.created


def test_it_audits_create_and_update_with_before_and_after(city, personas):
    set_profile(city.grid_a1, A1_1, actor=personas.roster_admin, households=400)
    saved = set_profile(city.grid_a1, A1_2, actor=personas.roster_admin, households=420)
    assert not saved.created
    entries = list(audit.history(saved.profile).order_by("id"))
    assert [e.verb for e in entries] == ["created", "updated"]
    assert entries[1].actor == personas.roster_admin
    assert entries[1].before["households"] == 400
    assert entries[1].after["households"] == 420
    assert entries[1].before["boundary"] == A1_1
    assert entries[1].after["boundary"] == A1_2
    # Nothing changed: no new row.
    set_profile(city.grid_a1, A1_2, actor=personas.roster_admin, households=420)
    assert audit.history(saved.profile).count() == 2


def test_the_geometry_version_moves_only_when_a_boundary_changes(city):
    def version():
        row = GridGeometryVersion.objects.filter(pk=1).first()
        return row.version if row else 0

    set_profile(city.grid_a1, None)
    assert version() == 0
    set_profile(city.grid_a1, A1_1)
    assert version() == 1
    set_profile(city.grid_a1, A1_1, households=450)
    assert version() == 1
    set_profile(city.grid_a1, None)
    assert version() == 2
    assert GridProfile.objects.get(grid=city.grid_a1).area_m2 is None
