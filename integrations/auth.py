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


class ApiKeyAuthentication(BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[Any, ApiKey] | None:
        raw = raw_key(request)
        if raw is None:
            return None
        key = keys.find_key(raw)
        if key is None:
            # Only the public prefix reaches the log, never the secret.
            logger.warning("API key refused: %s", keys.masked(raw))
            raise exceptions.AuthenticationFailed(_("Invalid, expired or revoked API key."))
        keys.touch(key)
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
