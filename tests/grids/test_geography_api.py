"""/api/v1/grids/…: locate, list, profile detail and set."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from governance import actions as gov_actions
from tests.grids.conftest import A1_1, A1_2, rect, set_profile

# --- locate ---------------------------------------------------------------------


def test_locate_returns_the_grid_and_its_ancestors_city_first(mapped_city, personas, api_as):
    response = api_as(personas.street_officer_a).get("/api/v1/grids/locate/?lat=39.705&lng=106.805")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["grid"] == {
        "id": mapped_city.grid_a1.pk,
        "code": mapped_city.grid_a1.code,
        "name": mapped_city.grid_a1.name,
        "level": "grid",
    }
    assert [a["level"] for a in body["ancestors"]] == ["city", "district", "street", "community"]
    assert [a["id"] for a in body["ancestors"]] == [
        mapped_city.city.pk,
        mapped_city.district.pk,
        mapped_city.street_a.pk,
        mapped_city.community_a.pk,
    ]


def test_locate_answers_any_authenticated_user_even_outside_their_scope(
    mapped_city, personas, api_as
):
    response = api_as(personas.outsider).get("/api/v1/grids/locate/?lat=39.705&lng=106.855")
    assert response.status_code == 200
    assert response.json()["grid"]["id"] == mapped_city.grid_b1.pk


def test_locate_needs_authentication(mapped_city, api):
    assert api.get("/api/v1/grids/locate/?lat=39.705&lng=106.805").status_code == 401


def test_locate_outside_every_grid_is_404_point_outside_grids(mapped_city, personas, api_as):
    response = api_as(personas.leader).get("/api/v1/grids/locate/?lat=39.0&lng=106.0")
    assert response.status_code == 404
    assert response.json()["code"] == "point_outside_grids"


def test_locate_rejects_missing_non_numeric_and_out_of_range_input(mapped_city, personas, api_as):
    client = api_as(personas.leader)
    for query in [
        "",
        "lat=39.7",
        "lng=106.8",
        "lat=abc&lng=106.8",
        "lat=39.7&lng=",
        "lat=91&lng=106.8",
        "lat=39.7&lng=-181",
        "lat=nan&lng=106.8",
        "lat=39.7&lng=inf",
    ]:
        response = client.get(f"/api/v1/grids/locate/?{query}")
        assert response.status_code == 400, query
        body = response.json()
        assert body["code"] == "validation_error", query
        assert set(body["extra"]["fields"]) <= {"lat", "lng"}, query


# --- list -----------------------------------------------------------------------


def _ids(response):
    assert response.status_code == 200, response.content
    return [row["grid"]["id"] for row in response.json()["results"]]


def test_the_list_shows_profiles_in_the_callers_scope_in_tree_order(mapped_city, personas, api_as):
    c = mapped_city
    assert _ids(api_as(personas.leader).get("/api/v1/grids/")) == [
        c.grid_a1.pk,
        c.grid_a2.pk,
        c.grid_b1.pk,
    ]
    assert _ids(api_as(personas.street_officer_a).get("/api/v1/grids/")) == [
        c.grid_a1.pk,
        c.grid_a2.pk,
    ]
    assert _ids(api_as(personas.grid_worker_b).get("/api/v1/grids/")) == [c.grid_b1.pk]
    assert _ids(api_as(personas.outsider).get("/api/v1/grids/")) == []


def test_the_list_filters_by_area_subtree_kind_and_subtype(mapped_city, personas, api_as):
    c = mapped_city
    set_profile(c.grid_a2, A1_2, kind="dedicated", subtype="park")
    client = api_as(personas.leader)
    assert _ids(client.get(f"/api/v1/grids/?area={c.street_b.pk}")) == [c.grid_b1.pk]
    assert _ids(client.get(f"/api/v1/grids/?area={c.community_a.pk}")) == [
        c.grid_a1.pk,
        c.grid_a2.pk,
    ]
    assert _ids(client.get("/api/v1/grids/?kind=dedicated")) == [c.grid_a2.pk]
    assert _ids(client.get("/api/v1/grids/?subtype=park")) == [c.grid_a2.pk]
    assert _ids(client.get("/api/v1/grids/?kind=general")) == [c.grid_a1.pk, c.grid_b1.pk]
    assert client.get("/api/v1/grids/?kind=castle").status_code == 400
    # Narrowing never widens: street officer A asking for street B sees nothing.
    assert _ids(api_as(personas.street_officer_a).get(f"/api/v1/grids/?area={c.street_b.pk}")) == []


def test_the_list_rows_carry_boundary_area_and_bbox(mapped_city, personas, api_as):
    row = api_as(personas.leader).get("/api/v1/grids/").json()["results"][0]
    assert row["boundary"] == A1_1
    assert row["kind"] == "general"
    assert row["bbox"] == [106.80, 39.70, 106.81, 39.71]
    assert 900_000 < row["area_m2"] < 1_000_000


def test_cursor_pagination_walks_every_profile_once(mapped_city, personas, api_as):
    client = api_as(personas.leader)
    url, seen = "/api/v1/grids/?page_size=2", []
    while url:
        body = client.get(url).json()
        seen += [row["id"] for row in body["results"]]
        url = body["next"]
    assert len(seen) == len(set(seen)) == 3


def _count(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(ctx.captured_queries), "\n".join(q["sql"] for q in ctx.captured_queries)


def test_list_query_count_stays_constant_as_profiles_grow(mapped_city, personas, api_as):
    client = api_as(personas.street_officer_a)
    urls = ["/api/v1/grids/?page_size=200", f"/api/v1/grids/?area={mapped_city.street_a.pk}"]
    before = {url: _count(client, url)[0] for url in urls}
    for n in range(8):
        grid = gov_actions.area_create(
            parent=mapped_city.community_a, name=f"加网格{n}", actor=None
        )
        set_profile(grid, rect(106.80 + n * 0.01, 39.72, 106.81 + n * 0.01, 39.73))
    for url in urls:
        after, sql = _count(client, url)
        assert after == before[url], f"{url}: {before[url]} → {after} queries\n{sql}"
    rows = client.get("/api/v1/grids/?page_size=200").json()["results"]
    assert len(rows) == 10


# --- profile detail and set -----------------------------------------------------

PUT_BODY = {"kind": "general", "households": 380, "population": 950, "boundary": A1_1}


def test_profile_detail_is_404_outside_scope_and_without_a_profile(mapped_city, personas, api_as):
    c = mapped_city
    ok = api_as(personas.street_officer_a).get(f"/api/v1/grids/{c.grid_a1.pk}/profile/")
    assert ok.status_code == 200
    assert ok.json()["grid"]["code"] == c.grid_a1.code
    hidden = api_as(personas.street_officer_b).get(f"/api/v1/grids/{c.grid_a1.pk}/profile/")
    assert hidden.status_code == 404
    assert hidden.json()["code"] == "grid_not_found"
    not_a_grid = api_as(personas.leader).get(f"/api/v1/grids/{c.community_a.pk}/profile/")
    assert not_a_grid.status_code == 404
    new = gov_actions.area_create(parent=c.community_a, name="新网格", actor=None)
    empty = api_as(personas.leader).get(f"/api/v1/grids/{new.pk}/profile/")
    assert empty.status_code == 404
    assert empty.json()["code"] == "grid_profile_not_found"


def test_put_creates_then_updates_the_profile_through_the_action(city, personas, api_as):
    client = api_as(personas.roster_admin)
    url = f"/api/v1/grids/{city.grid_a1.pk}/profile/"
    created = client.put(url, PUT_BODY, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["households"] == 380
    assert created.json()["warnings"] == []
    updated = client.put(url, PUT_BODY | {"households": 250}, format="json")
    assert updated.status_code == 200
    body = updated.json()
    assert body["households"] == 250
    assert [w["code"] for w in body["warnings"]] == ["households_outside_guidance"]
    assert set(body["warnings"][0]) >= {"code", "message"}


def test_put_returns_overlap_warnings_alongside_the_saved_profile(mapped_city, personas, api_as):
    response = api_as(personas.roster_admin).put(
        f"/api/v1/grids/{mapped_city.grid_a2.pk}/profile/",
        PUT_BODY | {"boundary": rect(106.805, 39.70, 106.815, 39.71)},
        format="json",
    )
    assert response.status_code == 200
    (warning,) = response.json()["warnings"]
    assert warning["code"] == "overlaps_sibling"
    assert mapped_city.grid_a1.name in warning["message"]


def test_put_is_403_when_readable_but_not_manageable_and_404_outside(city, personas, api_as):
    url = f"/api/v1/grids/{city.grid_a1.pk}/profile/"
    forbidden = api_as(personas.street_officer_a).put(url, PUT_BODY, format="json")
    assert forbidden.status_code == 403
    assert forbidden.json()["code"] == "cannot_manage_area"
    hidden = api_as(personas.street_officer_b).put(url, PUT_BODY, format="json")
    assert hidden.status_code == 404


def test_put_reports_boundary_errors_in_the_one_error_shape(city, personas, api_as):
    bow_tie = [[106.80, 39.70], [106.81, 39.71], [106.81, 39.70], [106.80, 39.71], [106.80, 39.70]]
    response = api_as(personas.roster_admin).put(
        f"/api/v1/grids/{city.grid_a1.pk}/profile/",
        PUT_BODY | {"boundary": {"type": "Polygon", "coordinates": [bow_tie]}},
        format="json",
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "boundary_invalid"
    assert "Self-intersection" in body["message"]
    assert "boundary" in body["extra"]["fields"]
    missing = api_as(personas.roster_admin).put(
        f"/api/v1/grids/{city.grid_a1.pk}/profile/", {"kind": "general"}, format="json"
    )
    assert missing.status_code == 400
    assert set(missing.json()["extra"]["fields"]) == {"households", "population"}
