"""Rate limits per key, per person and per anonymous address: a 429 in the
one error shape, with Retry-After."""

import pytest


@pytest.fixture
def tight(settings):
    settings.API_RATE_PER_KEY = "3/minute"
    settings.API_RATE_PER_USER = "2/minute"
    settings.API_RATE_ANON = "2/minute"


def test_a_key_over_its_rate_gets_429_in_the_error_shape(tight, hotline, dept_system):
    api = hotline.api()
    assert [api.get("/api/v1/me/").status_code for _ in range(3)] == [200, 200, 200]
    limited = api.get("/api/v1/me/")
    assert limited.status_code == 429
    body = limited.json()
    assert body["code"] == "throttled"
    assert set(body) == {"code", "message", "extra"}
    assert 0 < body["extra"]["retry_after_seconds"] <= 60
    assert int(limited["Retry-After"]) == body["extra"]["retry_after_seconds"]
    # another system's key has its own budget
    assert dept_system.api().get("/api/v1/me/").status_code == 200
    # and so does the same client's other key
    assert hotline.api(write=False).get("/api/v1/me/").status_code == 200


def test_a_person_over_the_rate_gets_429(tight, personas, api_as):
    api = api_as(personas.street_officer_a)
    assert [api.get("/api/v1/me/").status_code for _ in range(2)] == [200, 200]
    assert api.get("/api/v1/me/").status_code == 429


def test_anonymous_open311_reads_are_limited_by_address(tight, city, garbage):
    from rest_framework.test import APIClient

    one = APIClient(REMOTE_ADDR="10.0.0.1")
    two = APIClient(REMOTE_ADDR="10.0.0.2")
    assert [one.get("/open311/v2/services.json").status_code for _ in range(2)] == [200, 200]
    limited = one.get("/open311/v2/services.xml")
    assert limited.status_code == 429
    assert b"<errors><error><code>429</code>" in limited.content
    assert limited["Retry-After"]
    assert two.get("/open311/v2/services.json").status_code == 200


def test_rates_are_read_from_the_environment_and_checked():
    from tests.core.test_settings import start

    bad = start(DEBUG="true", API_RATE_PER_KEY="lots")
    assert bad.returncode != 0
    assert '"API_RATE_PER_KEY"' in bad.stderr
    assert start(DEBUG="true", API_RATE_PER_KEY="10/second", API_RATE_ANON="").returncode == 0
