import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from services import actions
from services.models import Dispatch


def ids(response):
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def test_scoping_other_street_and_other_department_get_404(whistled, personas, api):
    for outsider in (
        personas.street_officer_b,
        personas.other_department_officer,
        personas.grid_worker_b,
        personas.outsider,
    ):
        api.force_login(outsider)
        response = api.get(f"/api/v1/tickets/{whistled.pk}/")
        assert response.status_code == 404, outsider.username
        assert response.json()["code"] == "ticket_not_found"
        assert whistled.pk not in ids(api.get("/api/v1/tickets/"))
        assert api.post(f"/api/v1/tickets/{whistled.pk}/claim/").status_code == 404


def test_who_sees_what(whistled, report, personas, api):
    undispatched = report()
    api.force_login(personas.department_officer)
    assert ids(api.get("/api/v1/tickets/")) == [whistled.pk]  # only what was dispatched to them
    api.force_login(personas.street_officer_a)
    assert set(ids(api.get("/api/v1/tickets/"))) == {whistled.pk, undispatched.pk}
    api.force_login(personas.leader)
    assert set(ids(api.get("/api/v1/tickets/"))) == {whistled.pk, undispatched.pk}


def test_department_queue(whistled, personas, api):
    api.force_login(personas.department_officer)
    queue = api.get("/api/v1/dispatches/?state=awaiting_claim").json()["results"]
    assert [d["ticket"]["id"] for d in queue] == [whistled.pk]
    assert queue[0]["ticket"]["reporter_phone"] == "138****5678"
    response = api.post(f"/api/v1/dispatches/{queue[0]['id']}/claim/")
    assert response.status_code == 200
    assert response.json()["state"] == "claimed"
    again = api.post(f"/api/v1/dispatches/{queue[0]['id']}/claim/")
    assert again.status_code == 409
    assert again.json()["code"] == "already_claimed"
    assert api.get("/api/v1/dispatches/?state=awaiting_claim").json()["results"] == []
    api.force_login(personas.other_department_officer)
    assert api.get(f"/api/v1/dispatches/{queue[0]['id']}/").status_code == 404


def test_filters(whistled, report, personas, api, city, categories):
    other = report(category=categories["C0105"], urgency="urgent", address="海北路路灯")
    api.force_login(personas.street_officer_a)
    assert ids(api.get("/api/v1/tickets/?state=dispatched")) == [whistled.pk]
    assert ids(api.get("/api/v1/tickets/?urgency=urgent")) == [other.pk]
    assert ids(api.get(f"/api/v1/tickets/?category={categories['E01'].pk}")) == [whistled.pk]
    assert ids(api.get(f"/api/v1/tickets/?department={city.dept_urban.pk}")) == [whistled.pk]
    assert ids(api.get("/api/v1/tickets/?q=路灯")) == [other.pk]
    assert ids(api.get(f"/api/v1/tickets/?q={whistled.number[:12]}")) == [other.pk, whistled.pk]
    assert ids(api.get(f"/api/v1/tickets/?area={city.grid_a2.pk}")) == []
    assert api.get("/api/v1/tickets/?state=nonsense").status_code == 400
    assert ids(api.get("/api/v1/tickets/?overdue=false")) == [other.pk, whistled.pk]


def test_overdue_filter(whistled, personas, api):
    import datetime as dt

    import time_machine

    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(days=3)):
        # Logged in after the jump: a session ends after 12 h (docs/decisions/0027).
        api.force_login(personas.street_officer_a)
        assert ids(api.get("/api/v1/tickets/?overdue=true")) == [whistled.pk]


def test_routing_suggestions_name_the_rule(whistled, routing, personas, api):
    api.force_login(personas.street_officer_a)
    body = api.get(f"/api/v1/tickets/{whistled.pk}/routing/").json()
    assert [(r["department"]["id"], r["role"], r["rule"]["id"]) for r in body] == [
        (routing[0].department_id, "lead", routing[0].pk),
        (routing[1].department_id, "assist", routing[1].pk),
    ]


def test_detail_shows_timeline_dispatches_and_allowed_actions(whistled, personas, api):
    api.force_login(personas.department_officer)
    body = api.get(f"/api/v1/tickets/{whistled.pk}/").json()
    assert [e["verb"] for e in body["timeline"]] == ["report", "whistle"]
    assert body["dispatches"][0]["claim_due_at"]
    assert "claim" in body["allowed_actions"]
    assert "close" not in body["allowed_actions"]


def test_bad_input_is_400_and_writes_nothing(personas, api, city, garbage):
    api.force_login(personas.grid_worker_a)
    response = api.post(
        "/api/v1/tickets/",
        {"category": garbage.pk, "description": "", "grid": city.grid_a1.pk},
        format="json",
    )
    assert response.status_code == 400
    assert "description" in response.json()["extra"]["fields"]
    response = api.post(
        "/api/v1/tickets/",
        {"category": garbage.pk, "description": "x", "lat": 95, "lng": 106},
        format="json",
    )
    assert response.status_code == 400
    from services.models import Ticket

    assert Ticket.objects.count() == 0


def test_report_with_photos_over_multipart(personas, api, city, garbage):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.services.conftest import jpeg_bytes

    api.force_login(personas.grid_worker_a)
    response = api.post(
        "/api/v1/tickets/",
        {
            "category": garbage.pk,
            "description": "井盖缺失",
            "grid": city.grid_a1.pk,
            "photos": [SimpleUploadedFile("a.jpg", jpeg_bytes(), "image/jpeg")],
        },
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["timeline"][0]["attachments"][0]["content_type"] == "image/jpeg"


def _queries(api, url):
    with CaptureQueriesContext(connection) as ctx:
        response = api.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), "\n".join(q["sql"] for q in ctx.captured_queries)


def test_list_query_counts_do_not_grow_with_rows(report, personas, api, city):
    for _ in range(2):
        ticket = report()
        actions.ticket_whistle(
            ticket=ticket,
            actor=personas.street_officer_a,
            whistle_type="key_task",
            lead=city.dept_urban,
            assists=[city.dept_market],
        )
    urls = {
        personas.street_officer_a: "/api/v1/tickets/?page_size=100",
        personas.department_officer: "/api/v1/dispatches/?page_size=100",
    }
    before = {}
    for user, url in urls.items():
        api.force_login(user)
        before[url] = _queries(api, url)[0]
    for _ in range(8):
        ticket = report()
        actions.ticket_whistle(
            ticket=ticket,
            actor=personas.street_officer_a,
            whistle_type="key_task",
            lead=city.dept_urban,
            assists=[city.dept_market],
        )
    for user, url in urls.items():
        api.force_login(user)
        count, sql = _queries(api, url)
        assert count == before[url], f"{url}: {before[url]} → {count}\n{sql}"
    assert Dispatch.objects.count() == 20


@pytest.mark.skipif(connection.vendor != "postgresql", reason="EXPLAIN plans are PostgreSQL's")
def test_the_scoped_list_uses_the_path_state_created_index(report, personas, city, garbage):
    """With most cases elsewhere, a street's list is an index range scan."""
    import datetime as dt

    from django.utils import timezone

    from governance.selectors import forget_scope
    from services.models import Ticket
    from services.selectors import ticket_list

    for _ in range(20):
        report()
    now = timezone.now()
    Ticket.objects.bulk_create(
        Ticket(
            number=f"150302209901{i:07d}",
            source="hotline_12345",
            category=garbage,
            description="elsewhere",
            grid=city.grid_b1,
            path=city.grid_b1.path,
            state="reported",
            created_at=now - dt.timedelta(minutes=i),
        )
        for i in range(5000)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE services_ticket")
    forget_scope(personas.street_officer_a)
    qs = (
        ticket_list(user=personas.street_officer_a)
        .filter(state="reported")
        .order_by("-created_at")[:50]
    )
    plan = qs.explain()
    assert "ticket_scope_idx" in plan, plan
    assert len(qs) == 20


def test_admin_pages(whistled, client, routing):
    from django.contrib.auth import get_user_model

    admin_user = get_user_model().objects.create_superuser(
        "root", "root@example.com", "pw-root-123"
    )
    client.force_login(admin_user)
    for url in (
        "/admin/services/category/",
        "/admin/services/routingrule/",
        "/admin/services/ticket/",
        f"/admin/services/ticket/{whistled.pk}/change/",
        "/admin/services/ticketevent/",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
    page = client.get(f"/admin/services/ticket/{whistled.pk}/change/").content.decode()
    assert "13812345678" not in page
    assert "138****5678" in page
    assert client.post(f"/admin/services/ticket/{whistled.pk}/delete/").status_code == 403
