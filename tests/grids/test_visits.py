"""Visits (走访 / 巡查): logging rights, photos, filters, stats, scoping, query counts."""

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from PIL import Image

from core.errors import AccessDenied, ValidationFailed
from grids.rosters import actions
from grids.rosters.models import Visit


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def field_worker(city, personas, roster_kit):
    """grid_worker_a's Worker, full-time on grid A1-1."""
    worker = roster_kit.worker("王网格", user=personas.grid_worker_a)
    roster_kit.add(city.grid_a1, worker, role="full_time_worker")
    return worker


def _png(name="p.png"):
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def _at(days_ago=1, hour=10):
    return timezone.localtime().replace(
        hour=hour, minute=0, second=0, microsecond=0
    ) - dt.timedelta(days=days_ago)


def test_a_grid_worker_logs_a_visit_in_their_own_grid(city, personas, field_worker):
    visit = actions.visit_log(
        grid=city.grid_a1,
        visited_at=_at(),
        kind="household_visit",
        household="3-2-501",
        photos=[_png()],
        actor=personas.grid_worker_a,
    )
    assert visit.worker == field_worker and visit.created_by == personas.grid_worker_a
    assert visit.photos.count() == 1


def test_a_grid_worker_cannot_log_in_another_grid(city, personas, field_worker):
    with pytest.raises(AccessDenied):
        actions.visit_log(
            grid=city.grid_a2, visited_at=_at(), kind="patrol", actor=personas.grid_worker_a
        )


def test_a_manager_logs_for_a_worker_on_the_roster_only(city, personas, field_worker, roster_kit):
    visit = actions.visit_log(
        grid=city.grid_a1,
        worker=field_worker,
        visited_at=_at(),
        kind="patrol",
        actor=personas.roster_admin,
    )
    assert visit.created_by == personas.roster_admin
    stranger = roster_kit.worker()
    with pytest.raises(ValidationFailed) as exc:
        actions.visit_log(
            grid=city.grid_a1, worker=stranger, visited_at=_at(), kind="patrol", actor=None
        )
    assert exc.value.code == "worker_not_on_roster"


def test_it_rejects_photos_that_are_not_images_or_too_large(
    city, personas, field_worker, monkeypatch
):
    fake = SimpleUploadedFile(
        "x.jpg", b"\xff\xd8\xff\xe0 not really a jpeg", content_type="image/jpeg"
    )
    with pytest.raises(ValidationFailed) as exc:
        actions.visit_log(
            grid=city.grid_a1,
            visited_at=_at(),
            kind="patrol",
            photos=[fake],
            actor=personas.grid_worker_a,
        )
    assert exc.value.code == "photo_invalid"
    gif = io.BytesIO()
    Image.new("RGB", (2, 2)).save(gif, format="GIF")
    with pytest.raises(ValidationFailed):
        actions.visit_log(
            grid=city.grid_a1,
            visited_at=_at(),
            kind="patrol",
            photos=[SimpleUploadedFile("x.png", gif.getvalue())],
            actor=personas.grid_worker_a,
        )
    monkeypatch.setattr(actions, "MAX_PHOTO_BYTES", 10)
    with pytest.raises(ValidationFailed) as exc:
        actions.visit_log(
            grid=city.grid_a1,
            visited_at=_at(),
            kind="patrol",
            photos=[_png()],
            actor=personas.grid_worker_a,
        )
    assert exc.value.code == "photo_too_large"
    assert not Visit.objects.exists()


def test_it_rejects_a_visit_in_the_future(city, personas, field_worker):
    with pytest.raises(ValidationFailed):
        actions.visit_log(
            grid=city.grid_a1,
            visited_at=timezone.now() + dt.timedelta(days=1),
            kind="patrol",
            actor=personas.grid_worker_a,
        )


def test_api_post_with_photo_and_list_filters(city, personas, api_as, field_worker):
    client = api_as(personas.grid_worker_a)
    response = client.post(
        "/api/v1/visits/",
        {
            "grid": city.grid_a1.pk,
            "visited_at": _at(days_ago=2).isoformat(),
            "kind": "household_visit",
            "household": "1-1-101",
            "photos": [_png()],
        },
        format="multipart",
    )
    assert response.status_code == 201, response.content
    assert len(response.json()["photos"]) == 1
    client.post(
        "/api/v1/visits/",
        {"grid": city.grid_a1.pk, "visited_at": _at(days_ago=10).isoformat(), "kind": "patrol"},
        format="json",
    )
    assert client.get("/api/v1/visits/").json()["results"][0]["household"] == "1-1-101"
    assert len(client.get("/api/v1/visits/?kind=patrol").json()["results"]) == 1
    day = (_at(days_ago=2)).date().isoformat()
    assert len(client.get(f"/api/v1/visits/?date_from={day}&date_to={day}").json()["results"]) == 1
    assert len(client.get(f"/api/v1/visits/?area={city.street_a.pk}").json()["results"]) == 2
    assert len(client.get(f"/api/v1/visits/?worker={field_worker.pk}").json()["results"]) == 2
    assert client.get(f"/api/v1/visits/?grid={city.grid_a2.pk}").json()["results"] == []


def test_visits_are_scoped(city, personas, api_as, field_worker):
    visit = actions.visit_log(
        grid=city.grid_a1, visited_at=_at(), kind="patrol", actor=personas.grid_worker_a
    )
    assert api_as(personas.street_officer_b).get("/api/v1/visits/").json()["results"] == []
    response = api_as(personas.street_officer_b).get(f"/api/v1/visits/{visit.pk}/")
    assert response.status_code == 404
    response = api_as(personas.grid_worker_b).post(
        "/api/v1/visits/",
        {"grid": city.grid_a1.pk, "visited_at": _at().isoformat(), "kind": "patrol"},
        format="json",
    )
    assert response.status_code == 404
    assert api_as(personas.street_officer_a).get(f"/api/v1/visits/{visit.pk}/").status_code == 200


def test_stats_count_visits_and_distinct_households(
    city, personas, api_as, field_worker, roster_kit
):
    other = roster_kit.worker()
    roster_kit.add(city.grid_a2, other, role="volunteer")
    march = timezone.make_aware(dt.datetime(2024, 3, 5, 9))
    for household in ("1-1-101", "1-1-101", "1-1-102", ""):
        actions.visit_log(
            grid=city.grid_a1,
            worker=field_worker,
            visited_at=march,
            kind="household_visit",
            household=household,
            actor=None,
        )
    actions.visit_log(
        grid=city.grid_a2, worker=other, visited_at=march, kind="patrol", household="9", actor=None
    )
    # Outside the month (local time): 2024-04-01 00:30 in Shanghai.
    actions.visit_log(
        grid=city.grid_a1,
        worker=field_worker,
        visited_at=timezone.make_aware(dt.datetime(2024, 4, 1, 0, 30)),
        kind="household_visit",
        household="1-1-103",
        actor=None,
    )
    body = (
        api_as(personas.street_officer_a)
        .get(f"/api/v1/visits/stats/?area={city.community_a.pk}&month=2024-03")
        .json()
    )
    rows = {r["grid"]["code"]: (r["visits"], r["households"]) for r in body["grids"]}
    assert rows == {city.grid_a1.code: (4, 2), city.grid_a2.code: (1, 1)}
    assert body["totals"] == {"grids": 2, "visits": 5, "households": 3}
    client = api_as(personas.street_officer_b)
    assert (
        client.get(f"/api/v1/visits/stats/?area={city.community_a.pk}&month=2024-03").status_code
        == 404
    )
    assert (
        client.get(f"/api/v1/visits/stats/?area={city.community_b.pk}&month=2024-13").status_code
        == 400
    )


def test_visit_list_and_stats_query_counts_stay_constant(city, personas, api_as, field_worker):
    client = api_as(personas.street_officer_a)
    month = _at().strftime("%Y-%m")
    urls = ["/api/v1/visits/", f"/api/v1/visits/stats/?area={city.street_a.pk}&month={month}"]

    def count(url):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    actions.visit_log(
        grid=city.grid_a1,
        visited_at=_at(hour=8),
        kind="patrol",
        photos=[_png()],
        actor=personas.grid_worker_a,
    )
    before = {url: count(url) for url in urls}
    for n in range(5):
        actions.visit_log(
            grid=city.grid_a1,
            visited_at=_at(hour=9 + n),
            kind="household_visit",
            household=f"2-1-{n}",
            photos=[_png()],
            actor=personas.grid_worker_a,
        )
    assert {url: count(url) for url in urls} == before
