"""API keys: created for a system, stored hashed, scoped like a person,
read-only keys refused writes, wrong keys a 401 in the error shape."""

import datetime as dt
import logging

import time_machine
from django.utils import timezone

from governance.models import Post
from integrations import actions, keys
from integrations.models import ApiKey
from services.models import Dispatch, Ticket


def test_a_client_is_a_service_account_holding_exactly_its_scope(hotline, dept_system, city):
    user = hotline.client.user
    assert user.is_active and not user.has_usable_password()
    posts = Post.objects.filter(user=user, active=True)
    assert [(p.role, p.area_id) for p in posts] == [("intake", city.street_a.pk)]
    assert [
        (p.role, p.department_id) for p in Post.objects.filter(user=dept_system.client.user)
    ] == [("department_officer", city.dept_urban.pk)]
    actions.client_set_scope(
        client=hotline.client, areas=[city.street_b], departments=[], actor=None
    )
    live = Post.objects.filter(user=user, active=True)
    assert [p.area_id for p in live] == [city.street_b.pk]


def test_only_a_hash_of_the_secret_is_stored(hotline):
    prefix, secret = keys.KEY_RE.match(hotline.key).groups()
    row = ApiKey.objects.get(prefix=prefix)
    assert secret not in row.secret_hash
    assert row.secret_hash == keys.hash_secret(secret)
    assert keys.find_key(hotline.key) == row
    assert keys.find_key(hotline.key[:-1] + ("A" if hotline.key[-1] != "A" else "B")) is None


def test_a_key_reads_through_the_api_in_the_clients_scope(
    whistled, hotline, dept_system, other_dept_system, report, city, personas
):
    b_ticket = report(actor=personas.grid_worker_b, grid=city.grid_b1)
    # the 12345 client covers street A only
    api = hotline.api(write=False)
    listed = api.get("/api/v1/tickets/").json()["results"]
    assert [t["id"] for t in listed] == [whistled.pk]
    missing = api.get(f"/api/v1/tickets/{b_ticket.pk}/")
    assert missing.status_code == 404
    assert missing.json()["code"] == "ticket_not_found"
    # the department's system sees what was dispatched to it, via X-Api-Key too
    api = dept_system.api()
    api.credentials(HTTP_X_API_KEY=dept_system.key)
    queue = api.get("/api/v1/dispatches/?state=awaiting_claim").json()["results"]
    assert [d["ticket"]["id"] for d in queue] == [whistled.pk]
    # another district's department system: 404, not 403
    other = other_dept_system.api().get(f"/api/v1/tickets/{whistled.pk}/")
    assert other.status_code == 404


def test_a_department_system_claims_and_replies(whistled, dept_system):
    api = dept_system.api()
    claimed = api.post(f"/api/v1/tickets/{whistled.pk}/claim/")
    assert claimed.status_code == 200, claimed.json()
    assert claimed.json()["state"] == "in_progress"
    replied = api.post(f"/api/v1/tickets/{whistled.pk}/reply/", {"result": "已清运"}, format="json")
    assert replied.status_code == 200
    assert Ticket.objects.get(pk=whistled.pk).state == "replied"
    dispatch = Dispatch.objects.get(ticket=whistled)
    assert dispatch.claimed_by == dept_system.client.user


def test_a_read_only_key_is_refused_every_write_and_nothing_is_written(whistled, dept_system):
    response = dept_system.api(write=False).post(f"/api/v1/tickets/{whistled.pk}/claim/")
    assert response.status_code == 403
    assert response.json() == {
        "code": "read_only_key",
        "message": "This API key may only read.",
        "extra": {},
    }
    assert Dispatch.objects.get(ticket=whistled).state == "awaiting_claim"


def test_wrong_revoked_and_expired_keys_are_401_in_the_error_shape(hotline, api, caplog):
    def call(key):
        api.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
        return api.get("/api/v1/me/")

    assert call(hotline.key).status_code == 200
    with caplog.at_level(logging.WARNING, logger="integrations.auth"):
        wrong = call(hotline.key[:-2] + "zz")
    assert wrong.status_code == 401
    body = wrong.json()
    assert body["code"] == "authentication_failed"
    assert set(body) == {"code", "message", "extra"}
    assert wrong["WWW-Authenticate"]
    secret = hotline.key.split(".", 1)[1]
    assert secret[:-2] not in caplog.text  # only the public prefix is logged
    assert hotline.key.split(".")[0] in caplog.text
    assert call("not-a-key").status_code == 401

    key = ApiKey.objects.get(prefix=keys.KEY_RE.match(hotline.key).group(1))
    actions.key_revoke(key=key, actor=None)
    assert call(hotline.key).status_code == 401

    _row, expiring = actions.key_issue(
        client=hotline.client, actor=None, expires_at=timezone.now() + dt.timedelta(days=1)
    )
    assert call(expiring).status_code == 200
    with time_machine.travel(timezone.now() + dt.timedelta(days=2)):
        assert call(expiring).status_code == 401


def test_a_switched_off_client_cannot_authenticate(hotline):
    actions.client_update(client=hotline.client, actor=None, is_active=False)
    assert hotline.api().get("/api/v1/me/").status_code == 401


def test_last_used_is_written_at_most_once_a_minute(hotline, django_assert_num_queries):
    key = ApiKey.objects.get(prefix=keys.KEY_RE.match(hotline.key).group(1))
    assert key.last_used_at is None
    api = hotline.api()
    api.get("/api/v1/me/")
    key.refresh_from_db()
    first = key.last_used_at
    assert first is not None
    api.get("/api/v1/me/")
    key.refresh_from_db()
    assert key.last_used_at == first
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=2)):
        api.get("/api/v1/me/")
    key.refresh_from_db()
    assert key.last_used_at > first


def test_the_admin_shows_a_new_key_once_and_stores_its_hash(hotline, client, django_user_model):
    admin = django_user_model.objects.create_superuser("root", "root@example.gov.cn", "pw")
    client.force_login(admin)
    response = client.post(
        "/admin/integrations/apikey/add/",
        {"client": hotline.client.pk, "name": "dashboard", "can_write": "", "expires_at": ""},
    )
    assert response.status_code == 200
    html = response.content.decode()
    match = keys.KEY_RE.search(
        html.split('id="api-key">', 1)[1].split("<", 1)[0] if 'id="api-key">' in html else ""
    )
    assert match, html[:2000]
    raw = match.group(0)
    row = ApiKey.objects.get(name="dashboard")
    assert not row.can_write
    assert row.secret_hash == keys.hash_secret(raw.split(".", 1)[1])
    # never again: the change page shows the prefix only
    page = client.get(f"/admin/integrations/apikey/{row.pk}/change/").content.decode()
    assert raw.split(".", 1)[1] not in page
    assert row.prefix in page


def test_the_admin_creates_a_client_with_its_scope(client, django_user_model, city):
    admin = django_user_model.objects.create_superuser("root", "root@example.gov.cn", "pw")
    client.force_login(admin)
    response = client.post(
        "/admin/integrations/apiclient/add/",
        {
            "name": "居民App",
            "contact": "app@example.gov.cn",
            "default_grid": "",
            "is_active": "on",
            "areas": [city.street_a.pk],
            "departments": [city.dept_market.pk],
            "keys-TOTAL_FORMS": "0",
            "keys-INITIAL_FORMS": "0",
            "keys-MIN_NUM_FORMS": "0",
            "keys-MAX_NUM_FORMS": "1000",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    from integrations.models import ApiClient

    made = ApiClient.objects.get(name="居民App")
    roles = sorted(Post.objects.filter(user=made.user, active=True).values_list("role", flat=True))
    assert roles == ["department_officer", "intake"]
    for url in (
        "/admin/integrations/apiclient/",
        f"/admin/integrations/apiclient/{made.pk}/change/",
        "/admin/integrations/apikey/",
        "/admin/integrations/webhooksubscription/",
        "/admin/integrations/webhooksubscription/add/",
        "/admin/integrations/webhookdelivery/",
        "/admin/integrations/hotlinecategorymapping/",
        "/admin/integrations/hotlinecategorymapping/add/",
        "/admin/integrations/hotlineareamapping/",
        "/admin/integrations/hotlineareamapping/add/",
        "/admin/integrations/serviceattribute/",
        "/admin/integrations/serviceattribute/add/",
        "/admin/integrations/intakerecord/",
    ):
        assert client.get(url).status_code == 200, url
