"""Response headers and session rules that guard personal data
(issue 18, findings 7 and 11; docs/decisions/0027-logins-and-headers.md).

- ``NoStoreMiddleware``: ``Cache-Control: no-store`` on every API answer and
  on every page or download served to a logged-in person, so no shared cache
  or browser history keeps a resident's phone number.
- ``SessionIdleTimeoutMiddleware``: a session unused for
  ``SESSION_IDLE_TIMEOUT`` seconds is logged out.
- ``ContentSecurityPolicyMiddleware``: django-csp's header, with inline
  styles allowed only on the third-party pages under /api/.
- ``lockout_response``: what django-axes answers once a login is locked.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from csp.constants import UNSAFE_INLINE
from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

#: Paths that answer data to programs: every answer is machine-readable
#: (never an HTML page, see core.views) and ``no-store``.
API_PREFIXES = ("/api/", "/open311/")
#: The API description and its viewer carry no personal data and may be cached.
PUBLIC_API_PATHS = ("/api/schema/", "/api/docs/")
#: Third-party HTML (DRF's browsable API, Swagger UI) written with inline
#: style attributes and a <style> block: the only pages allowed inline styles.
INLINE_STYLE_PREFIXES = ("/api/",)

#: Session key holding the time (epoch seconds) the session was last used.
LAST_SEEN_KEY = "_last_seen"
#: The last-seen time is rewritten at most this often, so a busy session is
#: saved once a minute instead of on every request.
LAST_SEEN_RESOLUTION = 60

LOCKED_OUT_TITLE = _("Login locked")
LOCKED_OUT_MESSAGE = _(
    "Too many failed logins for this account or from this address. Logins are "
    "refused, even with the correct password, until the lock is lifted."
)


def _is_api(path: str) -> bool:
    return path.startswith(API_PREFIXES) and not path.startswith(PUBLIC_API_PATHS)


class NoStoreMiddleware:
    """``Cache-Control: no-store`` where personal data may travel: API
    answers (errors too), and anything served to a logged-in person (pages,
    exports, photos). Anonymous pages and static files keep their caching."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        personal = _is_api(request.path) or (user is not None and user.is_authenticated)
        if personal:
            # Added to what the view said ("private, max-age=…" on a photo):
            # no-store wins over any other directive.
            patch_cache_control(response, no_store=True)
        return response


def _idle_timeout() -> int:
    return int(getattr(settings, "SESSION_IDLE_TIMEOUT", 0) or 0)


@receiver(user_logged_in, dispatch_uid="core.security.stamp_last_seen")
def _stamp_last_seen(sender: Any, request: HttpRequest | None, **kwargs: Any) -> None:
    # Stamped at login, so the first requests of a session write nothing.
    if request is not None and hasattr(request, "session"):
        request.session[LAST_SEEN_KEY] = int(time.time())


class SessionIdleTimeoutMiddleware:
    """Logs out a session unused for ``SESSION_IDLE_TIMEOUT`` seconds (0 = off).

    Must come after the authentication and message middleware. The request
    goes on as anonymous: a page redirects to the login with a notice, the
    API answers 401/403 like for anyone not logged in."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        timeout = _idle_timeout()
        user = getattr(request, "user", None)
        if timeout > 0 and user is not None and user.is_authenticated:
            now = int(time.time())
            last_seen = request.session.get(LAST_SEEN_KEY)
            if isinstance(last_seen, int) and now - last_seen > timeout:
                logout(request)
                minutes = max(1, timeout // 60)
                messages.info(
                    request,
                    ngettext(
                        "You were logged out after %(minutes)d minute without activity.",
                        "You were logged out after %(minutes)d minutes without activity.",
                        minutes,
                    )
                    % {"minutes": minutes},
                )
            elif not isinstance(last_seen, int) or now - last_seen >= LAST_SEEN_RESOLUTION:
                request.session[LAST_SEEN_KEY] = now
        return self.get_response(request)


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware (policy: ``CONTENT_SECURITY_POLICY``).

    Scripts are 'self' on every page: no inline script, no handler
    attribute, no eval. Styles are 'self' too, except on the third-party
    HTML under /api/ (DRF's browsable API, Swagger UI), whose templates use
    style attributes; an inline style cannot run code, so this exception is
    limited to styles and to those pages."""

    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        html = str(response.get("Content-Type", "")).startswith("text/html")
        if html and request.path.startswith(INLINE_STYLE_PREFIXES):
            update = dict(parts.update or {})
            update["style-src"] = [*update.get("style-src", []), UNSAFE_INLINE]
            parts.update = update
        return parts


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: Any = None
) -> HttpResponse:
    """django-axes' answer to a locked login (``AXES_LOCKOUT_CALLABLE``): the
    login page's look, a plain explanation, 429."""
    return render(
        request,
        "registration/locked_out.html",
        {
            "title": LOCKED_OUT_TITLE,
            "message": LOCKED_OUT_MESSAGE,
            "cooloff_minutes": settings.LOGIN_COOLOFF_MINUTES,
        },
        status=429,
    )
