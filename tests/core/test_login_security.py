"""Issue 18, finding 7 and the "Logins" deliverable: each test replays an
attack that worked before (no lockout, a client-chosen X-Forwarded-For as the
rate-limit key, unthrottled wrong API keys, endless sessions, no second
factor) and checks it is stopped."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from core.clientip import client_ip
from core.security import LOCKED_OUT_MESSAGE
from core.twofactor import INVALID_CODE, check_otp_required_for
from tests.factories import UserFactory

PASSWORD = "pw-for-tests-only"  # tests.factories.UserFactory


def browser(address: str = "203.0.113.5", **headers: Any) -> Client:
    return Client(REMOTE_ADDR=address, HTTP_ACCEPT_LANGUAGE="en", **headers)


def log_in(client: Client, username: str, password: str, *, url: str = "/accounts/login/", **extra):
    return client.post(url, {"username": username, "password": password}, **extra)


def is_logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


@pytest.fixture
def lockout(settings: Any) -> Any:
    settings.AXES_FAILURE_LIMIT = 5
    return settings


# --- lockout ---------------------------------------------------------------------


def test_five_wrong_passwords_lock_the_account_even_for_the_right_one(db, lockout):
    user = UserFactory(username="target")
    client = browser()
    for _ in range(4):
        assert log_in(client, "target", "guess").status_code == 200
    assert log_in(client, "target", "guess").status_code == 429
    refused = log_in(client, "target", PASSWORD)
    assert refused.status_code == 429
    assert str(LOCKED_OUT_MESSAGE) in refused.content.decode()
    assert not is_logged_in(client)
    # The lock is on the account: another address cannot use it either.
    elsewhere = browser("198.51.100.7")
    assert log_in(elsewhere, user.username, PASSWORD).status_code == 429
    assert not is_logged_in(elsewhere)


def test_the_admin_login_is_locked_the_same_way(db, lockout):
    UserFactory(username="root", is_staff=True, is_superuser=True)
    client = browser()
    for _ in range(5):
        log_in(client, "root", "guess", url="/admin/login/")
    refused = log_in(client, "root", PASSWORD, url="/admin/login/")
    assert refused.status_code == 429
    assert str(LOCKED_OUT_MESSAGE) in refused.content.decode()
    assert client.get("/admin/").status_code == 302


def test_a_success_before_the_limit_starts_the_count_again(db, lockout):
    UserFactory(username="forgetful")
    client = browser()
    for _ in range(4):
        log_in(client, "forgetful", "guess")
    assert log_in(client, "forgetful", PASSWORD).status_code == 302
    client.post("/accounts/logout/")
    for _ in range(4):
        assert log_in(client, "forgetful", "guess").status_code == 200


def test_a_spoofed_forwarded_for_does_not_dodge_the_address_lock(db, lockout, settings):
    """Password spraying: one guess per account, a new X-Forwarded-For each time."""
    settings.TRUSTED_PROXY_COUNT = 0
    UserFactory(username="bystander")
    for n in range(5):
        sprayer = browser(HTTP_X_FORWARDED_FOR=f"10.9.{n}.{n}")
        log_in(sprayer, f"someone{n}", "guess")
    sprayer = browser(HTTP_X_FORWARDED_FOR="10.9.99.99")
    assert log_in(sprayer, "bystander", PASSWORD).status_code == 429
    assert not is_logged_in(sprayer)


def test_behind_one_trusted_proxy_the_last_hop_is_the_address(db, lockout, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    UserFactory(username="colleague")
    proxy = "10.0.0.2"  # every request arrives from our proxy
    for n in range(5):
        # The attacker varies what it writes; our proxy appends the real peer.
        attacker = browser(proxy, HTTP_X_FORWARDED_FOR=f"1.2.3.{n}, 198.51.100.20")
        log_in(attacker, f"someone{n}", "guess")
    attacker = browser(proxy, HTTP_X_FORWARDED_FOR="1.2.3.99, 198.51.100.20")
    assert log_in(attacker, "colleague", PASSWORD).status_code == 429
    # Someone else behind the same proxy is not locked out.
    colleague = browser(proxy, HTTP_X_FORWARDED_FOR="198.51.100.21")
    assert log_in(colleague, "colleague", PASSWORD).status_code == 302


@pytest.mark.parametrize(
    ("trusted", "forwarded", "expected"),
    [
        (0, "1.1.1.1", "10.0.0.2"),
        (1, "1.1.1.1", "1.1.1.1"),
        (1, "6.6.6.6, 1.1.1.1", "1.1.1.1"),
        (2, "6.6.6.6, 1.1.1.1, 10.0.0.3", "1.1.1.1"),
        (2, "1.1.1.1", "1.1.1.1"),
        (1, "", "10.0.0.2"),
        (1, "not-an-address", "10.0.0.2"),
        (1, "2001:db8::1", "2001:db8::1"),
    ],
)
def test_the_client_address_counts_only_trusted_hops(settings, rf, trusted, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = trusted
    request = rf.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


# --- API rate limits ---------------------------------------------------------------


def test_a_spoofed_forwarded_for_does_not_dodge_the_anonymous_api_limit(db, settings):
    settings.API_RATE_ANON = "2/minute"
    settings.TRUSTED_PROXY_COUNT = 0
    statuses = [
        APIClient(REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR=f"10.1.1.{n}")
        .get("/open311/v2/services.json")
        .status_code
        for n in range(3)
    ]
    assert statuses == [200, 200, 429]


def test_behind_one_trusted_proxy_the_api_limit_counts_the_last_hop(db, settings):
    settings.API_RATE_ANON = "2/minute"
    settings.TRUSTED_PROXY_COUNT = 1

    def call(forwarded: str) -> int:
        api = APIClient(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded)
        return api.get("/open311/v2/services.json").status_code

    assert [call(f"6.6.6.{n}, 198.51.100.30") for n in range(3)] == [200, 200, 429]
    assert call("198.51.100.31") == 200


@pytest.fixture
def api_key(city: Any) -> str:
    from integrations import actions

    client = actions.client_create(name="12345热线", areas=[city.street_a], actor=None)
    _key, raw = actions.key_issue(client=client, actor=None, can_write=False, name="read")
    return raw


def test_repeated_wrong_api_keys_get_429_even_for_the_right_key(settings, api_key):
    settings.API_RATE_BAD_KEY = "3/minute"
    prefix = api_key.split(".")[0]
    guesser = APIClient(REMOTE_ADDR="203.0.113.20", HTTP_ACCEPT_LANGUAGE="en")
    statuses = []
    for n in range(3):
        guesser.credentials(HTTP_AUTHORIZATION=f"Api-Key {prefix}.guess{n:020d}")
        statuses.append(guesser.get("/api/v1/me/").status_code)
    assert statuses == [401, 401, 401]
    guesser.credentials(HTTP_AUTHORIZATION=f"Api-Key {api_key}")
    limited = guesser.get("/api/v1/me/")
    assert limited.status_code == 429
    assert limited.json()["code"] == "throttled"
    assert int(limited["Retry-After"]) > 0
    # Another address with the right key is served.
    other = APIClient(REMOTE_ADDR="198.51.100.40")
    other.credentials(HTTP_AUTHORIZATION=f"Api-Key {api_key}")
    assert other.get("/api/v1/me/").status_code == 200


def test_repeated_wrong_open311_api_keys_get_429(settings, api_key):
    settings.API_RATE_BAD_KEY = "2/minute"
    guesser = APIClient(REMOTE_ADDR="203.0.113.21")
    url = "/open311/v2/services.json?api_key=gg_000000000000.wrongwrongwrongwrongwrong"
    assert [guesser.get(url).status_code for _ in range(3)] == [403, 403, 429]


# --- sessions ----------------------------------------------------------------------


def test_an_idle_session_ends_after_the_timeout(db, settings):
    settings.SESSION_IDLE_TIMEOUT = 600
    user = UserFactory(username="idle")
    client = browser()
    start = dt.datetime(2026, 5, 11, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as clock:
        client.force_login(user)
        assert client.get("/").status_code == 200
        clock.shift(590)  # used within the timeout: the session lives on
        assert client.get("/").status_code == 200
        clock.shift(590)
        assert client.get("/").status_code == 200
        clock.shift(601)  # left alone longer than the timeout
        response = client.get("/")
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
        assert not is_logged_in(client)
        login_page = client.get(response["Location"]).content.decode()
        assert "You were logged out after 10 minutes without activity." in login_page


def test_an_idle_session_no_longer_reaches_the_api(db, settings):
    settings.SESSION_IDLE_TIMEOUT = 60
    user = UserFactory(username="idle_api")
    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    with time_machine.travel(dt.datetime(2026, 5, 11, 9, 0, tzinfo=dt.UTC), tick=False) as clock:
        api.force_login(user)
        assert api.get("/api/v1/me/").status_code == 200
        clock.shift(61)
        assert api.get("/api/v1/me/").status_code in (401, 403)


def test_a_session_lasts_at_most_twelve_hours(db, settings):
    client = browser()
    client.force_login(UserFactory(username="long_day"))
    assert client.session.get_expiry_age() <= 12 * 3600


# --- two-factor login ------------------------------------------------------------------


@pytest.fixture
def leader(settings: Any, personas: Any) -> Any:
    """The city's leader, with admin access; leaders must give a code."""
    settings.OTP_REQUIRED_FOR = ["leader"]
    user = personas.leader
    user.is_staff = True
    user.is_superuser = True
    user.save()
    return user


def code_of(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def test_a_leader_without_a_verified_device_cannot_reach_the_admin(leader):
    TOTPDevice.objects.create(user=leader, name="phone", confirmed=True)
    client = browser()
    assert log_in(client, leader.username, PASSWORD, url="/admin/login/").status_code == 302
    assert is_logged_in(client)  # the password was right …
    admin = client.get("/admin/")
    assert admin.status_code == 302  # … but the admin still asks for the code
    assert admin["Location"].startswith("/accounts/2fa/")
    assert client.get("/admin/governance/area/").status_code == 302
    assert client.get("/overview/").status_code == 302
    api = client.get("/api/v1/me/")
    assert api.status_code == 403
    assert api.json()["code"] == "otp_required"


def test_a_wrong_code_is_refused(leader):
    TOTPDevice.objects.create(user=leader, name="phone", confirmed=True)
    client = browser()
    client.force_login(leader)
    page = client.post("/accounts/2fa/", {"token": "000000", "next": "/admin/"})
    assert page.status_code == 200
    assert str(INVALID_CODE) in page.content.decode()
    assert client.get("/admin/").status_code == 302


def test_with_a_valid_code_the_leader_reaches_the_admin(leader):
    device = TOTPDevice.objects.create(user=leader, name="phone", confirmed=True)
    client = browser()
    client.force_login(leader)
    verified = client.post("/accounts/2fa/", {"token": code_of(device), "next": "/admin/"})
    assert verified.status_code == 302
    assert verified["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
    assert client.get("/overview/").status_code == 200


def test_a_leader_without_a_device_is_sent_to_enrol_first(leader):
    client = browser()
    client.force_login(leader)
    first = client.get("/admin/", follow=True)
    assert first.redirect_chain[-1][0].startswith("/accounts/2fa/enrol/")
    assert not TOTPDevice.objects.filter(user=leader, confirmed=True).exists()
    assert client.get("/admin/").status_code == 302


def test_someone_not_required_reaches_the_admin_with_the_password_alone(db, settings):
    settings.OTP_REQUIRED_FOR = ["leader"]
    root = UserFactory(username="root2", is_staff=True, is_superuser=True)
    client = browser()
    client.force_login(root)
    assert client.get("/admin/").status_code == 200


def test_anyone_may_opt_in_and_is_then_asked_for_a_code(city, personas):
    user = personas.street_officer_a
    client = browser()
    client.force_login(user)
    page = client.get("/accounts/2fa/enrol/")
    assert page.status_code == 200
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    html = page.content.decode()
    assert "otpauth://totp/" in html
    secret = html.split('data-testid="otp-secret">')[1].split("<")[0]
    assert len(secret) == 32
    done = client.post("/accounts/2fa/enrol/", {"token": code_of(device), "next": "/"})
    assert done.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/").status_code == 200  # this session gave the code
    later = browser()
    later.force_login(user)
    assert later.get("/").status_code == 302  # the next one must give it too


def test_an_unknown_word_in_otp_required_for_fails_the_checks(db, settings):
    settings.OTP_REQUIRED_FOR = ["leader", "boss"]
    errors = check_otp_required_for()
    assert [e.id for e in errors] == ["core.E027"]
    assert "boss" in errors[0].msg
    settings.OTP_REQUIRED_FOR = ["superuser", "leader"]
    assert check_otp_required_for() == []
