"""Who sees which areas and departments (404 outside, never 403)."""

from guardian.shortcuts import assign_perm

from tests.factories import UserFactory


def ids(response):
    return {row["id"] for row in response.json()["results"]}


def test_street_officer_sees_own_subtree_and_ancestors_not_the_other_street(city, personas, api_as):
    client = api_as(personas.street_officer_a)
    seen = ids(client.get("/api/v1/areas/?page_size=100"))
    assert {city.street_a.pk, city.community_a.pk, city.grid_a1.pk, city.grid_a2.pk} <= seen
    assert {city.city.pk, city.district.pk} <= seen  # breadcrumbs
    assert not seen & {
        city.street_b.pk,
        city.community_b.pk,
        city.grid_b1.pk,
        city.other_district.pk,
    }


def test_street_officer_gets_404_on_the_other_streets_areas(city, personas, api_as):
    client = api_as(personas.street_officer_a)
    for area in (city.street_b, city.community_b, city.grid_b1):
        response = client.get(f"/api/v1/areas/{area.pk}/")
        assert response.status_code == 404
        assert response.json()["code"] == "area_not_found"
    assert client.get(f"/api/v1/areas/{city.street_b.pk}/children/").status_code == 404
    missing = client.get("/api/v1/areas/999999/")
    assert missing.status_code == 404
    assert missing.json() == client.get(f"/api/v1/areas/{city.grid_b1.pk}/").json()


def test_grid_worker_sees_only_their_grid_below_the_community(city, personas, api_as):
    seen = ids(api_as(personas.grid_worker_a).get("/api/v1/areas/?page_size=100"))
    assert city.grid_a1.pk in seen
    assert city.grid_a2.pk not in seen
    assert city.community_a.pk in seen  # ancestor


def test_outsider_sees_nothing(city, personas, api_as):
    client = api_as(personas.outsider)
    assert ids(client.get("/api/v1/areas/")) == set()
    assert ids(client.get("/api/v1/departments/")) == set()
    assert client.get(f"/api/v1/areas/{city.city.pk}/").status_code == 404


def test_department_officer_sees_own_department_and_its_district(city, personas, api_as):
    client = api_as(personas.department_officer)
    departments = ids(client.get("/api/v1/departments/"))
    assert city.dept_urban.pk in departments
    assert city.dept_other_district.pk not in departments
    assert client.get(f"/api/v1/departments/{city.dept_other_district.pk}/").status_code == 404
    assert city.grid_b1.pk in ids(client.get("/api/v1/areas/?page_size=100"))
    assert city.other_district.pk not in ids(client.get("/api/v1/areas/?page_size=100"))


def test_street_officer_sees_the_departments_they_can_whistle_to(city, personas, api_as):
    departments = ids(api_as(personas.street_officer_a).get("/api/v1/departments/"))
    assert {city.dept_urban.pk, city.dept_market.pk} <= departments
    assert city.dept_other_district.pk not in departments


def test_a_guardian_object_grant_opens_one_subtree(city, api_as):
    inspector = UserFactory(username="inspector")
    client = api_as(inspector)
    assert client.get(f"/api/v1/areas/{city.street_b.pk}/").status_code == 404
    assign_perm("governance.view_area", inspector, city.street_b)
    inspector.refresh_from_db()
    client = api_as(inspector)
    assert client.get(f"/api/v1/areas/{city.grid_b1.pk}/").status_code == 200
    assert client.get(f"/api/v1/areas/{city.grid_a1.pk}/").status_code == 404


def test_ending_a_post_closes_the_scope(city, personas, api_as):
    from governance import actions
    from governance.models import Post

    post = Post.objects.get(user=personas.street_officer_a)
    actions.post_end(post=post, actor=None)
    client = api_as(personas.street_officer_a)
    assert client.get(f"/api/v1/areas/{city.street_a.pk}/").status_code == 404
