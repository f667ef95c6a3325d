"""The caller's address: the one answer for throttles, logs and login lockout.

``X-Forwarded-For`` is written by whoever sends the request, so it counts
only as far as our own proxies wrote it. Each proxy appends the address it
received the request from; with ``TRUSTED_PROXY_COUNT = n`` proxies in front
of the portal, the n-th entry from the right was written by the outermost
one of ours and is the real client. Everything left of it is the client's
say and is ignored. With 0 (the default) the header is ignored altogether
and ``REMOTE_ADDR`` is the answer (docs/decisions/0027).
"""

from __future__ import annotations

import ipaddress
from typing import Any

from django.conf import settings


def _valid(address: str) -> bool:
    try:
        ipaddress.ip_address(address)
    except ValueError:
        return False
    return True


def client_ip(request: Any) -> str:
    """The client address of ``request`` (a Django or DRF request).

    A malformed hop written by a proxy falls back to ``REMOTE_ADDR``: one
    shared bucket for garbage is safer than a fresh bucket per garbage value.
    """
    meta = request.META
    remote = str(meta.get("REMOTE_ADDR") or "")
    trusted = int(getattr(settings, "TRUSTED_PROXY_COUNT", 0) or 0)
    if trusted <= 0:
        return remote
    hops = [hop.strip() for hop in str(meta.get("HTTP_X_FORWARDED_FOR", "")).split(",")]
    hops = [hop for hop in hops if hop]
    if not hops:
        return remote
    candidate = hops[-min(trusted, len(hops))]
    return candidate if _valid(candidate) else remote
