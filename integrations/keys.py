"""API key format, hashing and lookup.

A key is ``gg_<prefix>.<secret>``: 12 hex characters of public prefix (the
lookup index) and 43 URL-safe characters (256 bits) of secret. Only
SHA-256(secret) is stored. A slow password hash (PBKDF2) protects
low-entropy human passwords against guessing; a 256-bit random secret cannot
be guessed, so a fast hash loses nothing and keeps every API call free of
tens of milliseconds of hashing (docs/decisions/0013).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets

from django.utils import timezone

from integrations.models import ApiKey

KEY_RE = re.compile(r"^gg_([0-9a-f]{12})\.([A-Za-z0-9_\-]{20,100})$")
#: ``last_used_at`` is written at most this often per key (one UPDATE, not one per call).
TOUCH_EVERY = dt.timedelta(minutes=1)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_key() -> tuple[str, str, str]:
    """(full key, prefix, secret hash)."""
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    return f"gg_{prefix}.{secret}", prefix, hash_secret(secret)


def masked(raw: str) -> str:
    """What a log line may show of a key: its public prefix only."""
    match = KEY_RE.match(raw or "")
    return f"gg_{match.group(1)}…" if match else "(malformed key)"


def find_key(raw: str) -> ApiKey | None:
    """The usable key for ``raw``, or None (malformed, unknown, wrong secret,
    revoked, expired, or its client or account switched off)."""
    match = KEY_RE.match((raw or "").strip())
    if not match:
        return None
    prefix, secret = match.groups()
    key = (
        ApiKey.objects.select_related("client", "client__user")
        .filter(prefix=prefix, client__is_active=True, client__user__is_active=True)
        .first()
    )
    if key is None or not hmac.compare_digest(key.secret_hash, hash_secret(secret)):
        return None
    if not key.usable():
        return None
    return key


def touch(key: ApiKey) -> None:
    """Record use, at most once per ``TOUCH_EVERY`` (a conditional UPDATE)."""
    now = timezone.now()
    if key.last_used_at is not None and now - key.last_used_at < TOUCH_EVERY:
        return
    ApiKey.objects.filter(pk=key.pk).exclude(last_used_at__gt=now - TOUCH_EVERY).update(
        last_used_at=now
    )
    key.last_used_at = now
