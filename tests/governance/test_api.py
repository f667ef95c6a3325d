from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token

from governance import actions


def test_areas_filter_by_level_parent_and_code(city, personas, api_as):
    client = api_as(personas.leader)
    grids = client.get("/api/v1/areas/?level=grid").json()["results"]
    assert {g["code"] for g in grids} == {city.grid_a1.code, city.grid_a2.code, city.grid_b1.code}
    children = client.get(f"/api/v1/areas/?parent={city.community_a.pk}").json()["results"]
    assert [c["code"] for c in children] == [city.grid_a1.code, city.grid_a2.code]
    assert all(c["parent"] == city.community_a.pk for c in children)
    by_code = client.get("/api/v1/areas/?code=150302002").json()["results"]
    assert {a["id"] for a in by_code} == {city.street_b.pk, city.community_b.pk, city.grid_b1.pk}
    assert client.get("/api/v1/areas/?level=planet").status_code == 400


def test_children_endpoint(city, personas, api_as):
    response = api_as(personas.leader).get(f"/api/v1/areas/{city.district.pk}/children/")
    assert response.status_code == 200
    assert [a["name"] for a in response.json()["results"]] == ["新华街道", "海北街道"]


def test_cursor_pagination_walks_every_row_once(city, personas, api_as):
    client = api_as(personas.leader)
    url = "/api/v1/areas/?page_size=3"
    seen = []
    while url:
        body = client.get(url).json()
        seen += [row["id"] for row in body["results"]]
        url = body["next"]
    assert len(seen) == len(set(seen)) == 10  # city, 2 districts, 2 streets, 2 communities, 3 grids


def test_me_lists_roles_and_posts(city, personas, api_as):
    body = api_as(personas.department_officer).get("/api/v1/me/").json()
    assert body["roles"] == ["department_officer"]
    assert body["posts"][0]["department"]["name"] == "区城市管理局"


def test_token_authentication(city, personas, api):
    token = Token.objects.create(user=personas.street_officer_a)
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api.get("/api/v1/me/").json()["username"] == "street_a"


def _count(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(ctx.captured_queries), ctx


def test_list_query_counts_stay_constant_as_rows_grow(city, personas, api_as):
    client = api_as(personas.street_officer_a)
    urls = ["/api/v1/areas/?page_size=200", "/api/v1/departments/?page_size=200", "/api/v1/me/"]
    before = {url: _count(client, url)[0] for url in urls}
    for n in range(12):
        actions.area_create(parent=city.community_a, name=f"加网格{n}", actor=None)
        actions.department_create(name=f"加部门{n}", area=city.district, actor=None)
    after = {}
    for url in urls:
        after[url], ctx = _count(client, url)
        sql = "\n".join(q["sql"] for q in ctx.captured_queries)
        assert after[url] == before[url], f"{url}: {before[url]} → {after[url]} queries\n{sql}"
    assert after["/api/v1/areas/?page_size=200"] <= 8


def test_schema_and_docs_are_served_locally(db, client):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/areas/" in schema.content
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert b"/static/drf_spectacular_sidecar/" in docs.content
    assert b"cdn" not in docs.content.lower()
