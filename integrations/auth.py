"""DRF glue for API keys: authentication, the read-only rule, rate limits.

``Authorization: Api-Key <key>`` (or ``X-Api-Key: <key>``) authenticates as
the client's service account, so every selector and action scopes a system
exactly like a person. A wrong key is a 401, never an anonymous request.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from core.clientip import client_ip
from core.errors import AccessDenied
from integrations import keys
from integrations.models import ApiKey

logger = logging.getLogger(__name__)
KEYWORD = "Api-Key"


def raw_key(request: Any) -> str | None:
    header = request.headers.get("Authorization", "")
    if header.startswith(KEYWORD + " "):
        return header[len(KEYWORD) + 1 :].strip()
    return request.headers.get("X-Api-Key") or None


def check_key(request: Request, raw: str) -> ApiKey | None:
    """The usable key for ``raw``, or None; counts wrong keys per address.

    An address past ``API_RATE_BAD_KEY`` wrong keys gets 429 for every key,
    right ones included, until the window has passed: guessing (or a
    misconfigured system hammering with a revoked key) is slowed down before
    any lookup runs.
    """
    guard = BadKeyThrottle()
    guard.refuse_if_exhausted(request)
    key = keys.find_key(raw)
    if key is None:
        # Only the public prefix reaches the log, never the secret.
        logger.warning("API key refused: %s from %s", keys.masked(raw), client_ip(request))
        guard.record_failure(request)
        return None
    keys.touch(key)
    return key


class ApiKeyAuthentication(BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[Any, ApiKey] | None:
        raw = raw_key(request)
        if raw is None:
            return None
        key = check_key(request, raw)
        if key is None:
            raise exceptions.AuthenticationFailed(_("Invalid, expired or revoked API key."))
        return (key.client.user, key)

    def authenticate_header(self, request: Request) -> str:
        return f'{KEYWORD} realm="api"'


class KeyAccess(BasePermission):
    """A read-only key may read, nothing else (403 ``read_only_key``)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        key = request.auth
        if isinstance(key, ApiKey) and not key.can_write and request.method not in SAFE_METHODS:
            raise AccessDenied(str(_("This API key may only read.")), code="read_only_key")
        return True


class _SettingRateThrottle(SimpleRateThrottle):
    """Rate from a Django setting read at call time (tests can change it)."""

    setting = ""

    def get_rate(self) -> str | None:
        return getattr(settings, self.setting) or None

    def get_ident(self, request: Request) -> str:
        # Not DRF's reading: without NUM_PROXIES it keys on the whole,
        # client-written X-Forwarded-For (issue 18, finding 7).
        return client_ip(request)


class ApiKeyRateThrottle(_SettingRateThrottle):
    """Per key: one busy system cannot starve the others."""

    scope = "api_key"
    setting = "API_RATE_PER_KEY"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if not isinstance(request.auth, ApiKey):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.auth.prefix}


class UserRateThrottle(_SettingRateThrottle):
    """Per person (session or token)."""

    scope = "user"
    setting = "API_RATE_PER_USER"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if isinstance(request.auth, ApiKey) or not request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


class AnonRateThrottle(_SettingRateThrottle):
    """Anonymous callers (Open311 reads, failed logins) by client address."""

    scope = "anon"
    setting = "API_RATE_ANON"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if request.user is not None and request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class BadKeyThrottle(_SettingRateThrottle):
    """Wrong API keys per client address (``API_RATE_BAD_KEY``). Counts only
    failures, so it is checked and recorded by hand in ``check_key`` rather
    than listed among the view's throttles."""

    scope = "bad_api_key"
    setting = "API_RATE_BAD_KEY"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}

    def _load(self, request: Request) -> tuple[int, int] | None:
        """(limit, window in seconds) after loading this address's recent failures."""
        limit, window = self.parse_rate(self.rate)
        if limit is None or window is None:
            return None
        self.key = self.get_cache_key(request, None)
        self.history = self.cache.get(self.key, [])
        self.now = self.timer()
        while self.history and self.history[-1] <= self.now - window:
            self.history.pop()
        return limit, window

    def refuse_if_exhausted(self, request: Request) -> None:
        loaded = self._load(request)
        if loaded is not None and len(self.history) >= loaded[0]:
            raise exceptions.Throttled(wait=self.wait())

    def record_failure(self, request: Request) -> None:
        loaded = self._load(request)
        if loaded is not None:
            self.history.insert(0, self.now)
            self.cache.set(self.key, self.history, loaded[1])
