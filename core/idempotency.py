"""Idempotency keys: a retried create or step returns the first answer
instead of acting twice (issue 18, finding 12; docs/decisions/0028).

- API: any unsafe request under /api/ with an ``Idempotency-Key`` header
  (``IdempotencyMiddleware``; the views need nothing).
- Pages: a form carrying the hidden ``idempotency_key`` field
  (``{% idempotency_input %}`` from the ``idempotency`` tag library) posted to
  a view decorated with ``@idempotent_form``.

How a key serialises duplicates: the request runs in one transaction that
first inserts ``IdempotencyKey(user, key)``. A concurrent duplicate's insert
waits on the unique index until the first transaction ends, then finds the
stored answer and replays it; a duplicate after the fact finds it at once. An
answer that did not act (4xx, form errors, an exception) deletes the row, so
a corrected retry may act. The same key on a different request is a 422
``idempotency_key_reused``. Keys are kept ``MAX_AGE`` (a beat task sweeps).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import re
from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.core.exceptions import SuspiciousOperation
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import APIException
from rest_framework.request import Request

from core.errors import ApplicationError, ValidationFailed, from_suspicious
from core.models import IdempotencyKey

logger = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
#: Set on an answer that is a replay of the first one.
REPLAYED_HEADER = "Idempotent-Replayed"
FORM_FIELD = "idempotency_key"
MAX_AGE = dt.timedelta(hours=24)
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
API_PREFIX = "/api/"
#: Visible ASCII, no spaces: a UUID, a ULID or any client's token fits.
KEY_PATTERN = re.compile(r"[\x21-\x7e]{1,255}")

KEY_INVALID = "idempotency_key_invalid"
KEY_REUSED = "idempotency_key_reused"
ALREADY_SENT_MESSAGE = _("This form was already sent; it was not done a second time.")


class IdempotencyKeyInvalid(ValidationFailed):
    code = KEY_INVALID
    default_message: Any = _(
        "The Idempotency-Key header must be 1 to 255 visible ASCII characters."
    )


class IdempotencyKeyReused(ApplicationError):
    """The key was first used on another request (method, path or body)."""

    status = 422
    code = KEY_REUSED
    default_message: Any = _(
        "This Idempotency-Key was already used for a different request; use a new key."
    )


# --- the one mechanism ------------------------------------------------------------


def fingerprint(request: HttpRequest, *, skip: Iterable[str] = ()) -> str:
    """SHA-256 of what makes two requests "the same": method, path and query,
    and the body — form fields and uploads by content (a multipart boundary
    differs on every retry), JSON canonically, anything else byte for byte.

    Raises Django's ``RequestDataTooBig``/``TooManyFieldsSent`` like reading
    the body anywhere else would.
    """
    digest = hashlib.sha256()

    def feed(*parts: str | bytes) -> None:
        for part in parts:
            digest.update(part.encode() if isinstance(part, str) else part)
            digest.update(b"\x00")

    feed(request.method or "", request.get_full_path())
    content_type = request.content_type or ""
    ignored = set(skip)
    if request.method == "POST" and content_type in (
        "multipart/form-data",
        "application/x-www-form-urlencoded",
    ):
        for name in sorted(request.POST):
            if name not in ignored:
                feed(name, *request.POST.getlist(name))
        for name in sorted(request.FILES):
            for upload in request.FILES.getlist(name):
                feed(name, upload.name or "", str(upload.size))
                for chunk in upload.chunks():
                    digest.update(chunk)
                upload.seek(0)  # the view reads it again
    else:
        feed(content_type, _canonical_body(request.body, content_type))
    return digest.hexdigest()


def _canonical_body(body: bytes, content_type: str) -> bytes:
    if content_type != "application/json" or not body:
        return body
    from core.parsers import loads

    try:
        data = loads(body)
    except (ApplicationError, APIException):
        return body  # the view answers the parse error (and the key is dropped)
    return json.dumps(data, sort_keys=True, separators=(",", ":")).encode()


def run_once(
    request: HttpRequest,
    *,
    user: Any,
    key: str,
    digest: str,
    call: Callable[[], HttpResponseBase],
    acted: Callable[[HttpResponseBase], bool],
    replay: Callable[[IdempotencyKey], HttpResponseBase],
    refuse: Callable[[IdempotencyKey], HttpResponseBase],
) -> HttpResponseBase:
    """Run ``call`` at most once per (user, key); later calls get ``replay``.

    The whole request is one transaction (ATOMIC_REQUESTS stays off for
    everything else; this is the one place that widens it, docs/decisions/0028):
    the key row and what the action wrote commit together or not at all.
    """
    with transaction.atomic():
        record, created = _claim(request, user=user, key=key, digest=digest)
        if not created:
            return replay(record) if record.fingerprint == digest else refuse(record)
        response = call()
        if acted(response) and not response.streaming:
            _store(record, response)
        else:
            record.delete()  # nothing was done: a retry may act
        return response


def _claim(
    request: HttpRequest, *, user: Any, key: str, digest: str
) -> tuple[IdempotencyKey, bool]:
    """(our new row, True), or (the stored answer of an earlier request, False)."""
    for _attempt in range(2):
        try:
            # A savepoint: a duplicate's failed insert leaves our transaction usable.
            with transaction.atomic():
                record = IdempotencyKey.objects.create(
                    user=user,
                    key=key,
                    method=request.method or "",
                    path=request.get_full_path()[:2000],
                    fingerprint=digest,
                    status_code=0,  # filled in when the answer is stored
                )
            return record, True
        except IntegrityError:
            # The insert waited for the first request's transaction: its row is complete.
            earlier = IdempotencyKey.objects.filter(user=user, key=key).first()
            if earlier is None:
                continue  # swept meanwhile: insert again
            if earlier.created_at > timezone.now() - MAX_AGE:
                return earlier, False
            earlier.delete()  # expired but not yet swept: the key is free again
    raise IntegrityError(f"idempotency key {key!r} could not be claimed")


def _store(record: IdempotencyKey, response: HttpResponseBase) -> None:
    assert isinstance(response, HttpResponse)
    record.status_code = response.status_code
    record.content_type = response.get("Content-Type", "")[:100]
    record.body = response.content.decode(response.charset or "utf-8", errors="replace")
    record.location = (response.get("Location") or response.get("HX-Redirect") or "")[:2000]
    record.save(update_fields=["status_code", "content_type", "body", "location"])


def expire_keys(*, now: dt.datetime | None = None) -> int:
    """Delete keys older than ``MAX_AGE``; returns how many."""
    cutoff = (now or timezone.now()) - MAX_AGE
    deleted, _by_model = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted


# --- the API: a middleware, so no view needs to know -------------------------------


def _api_user(request: HttpRequest, view_func: Any) -> Any:
    """Who the view will see as ``request.user``, by the view's own authenticators.

    Session authentication is Django's ``request.user`` (the view still checks
    CSRF, and a refusal drops the key). A credential the view would refuse
    gives None: the view answers its 401 itself.
    """
    view_class = view_func.cls
    initkwargs = getattr(view_func, "initkwargs", None) or {}
    classes = initkwargs.get("authentication_classes", view_class.authentication_classes)
    drf_request = Request(request)
    for cls in classes:
        if issubclass(cls, SessionAuthentication):
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated:
                return user
            continue
        try:
            result = cls().authenticate(drf_request)
        except APIException:
            return None
        if result is not None:
            return result[0]
    return None


def _api_replay(record: IdempotencyKey) -> HttpResponse:
    response = HttpResponse(
        record.body, status=record.status_code, content_type=record.content_type or None
    )
    if record.location:
        response["Location"] = record.location
    response[REPLAYED_HEADER] = "true"
    return response


def _rendered(response: HttpResponseBase) -> HttpResponseBase:
    render = getattr(response, "render", None)
    if callable(render):
        render()  # DRF answers render lazily; the body is stored now
    return response


class IdempotencyMiddleware:
    """``Idempotency-Key`` on every unsafe API request (after authentication
    and CSRF in MIDDLEWARE, so their ``process_view`` run first)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Any,
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> HttpResponseBase | None:
        key = request.headers.get(HEADER)
        if (
            key is None
            or request.method not in UNSAFE_METHODS
            or not request.path.startswith(API_PREFIX)
            or getattr(view_func, "cls", None) is None  # not a DRF view
        ):
            return None
        from core.views import api_error_response

        if not KEY_PATTERN.fullmatch(key):
            return api_error_response(request, IdempotencyKeyInvalid())
        user = _api_user(request, view_func)
        if user is None:
            return None
        try:
            digest = fingerprint(request)
        except SuspiciousOperation as exc:
            logging.getLogger(f"django.security.{exc.__class__.__name__}").error(str(exc))
            return api_error_response(request, from_suspicious(exc))
        return run_once(
            request,
            user=user,
            key=key,
            digest=digest,
            call=lambda: _rendered(view_func(request, *view_args, **view_kwargs)),
            acted=lambda response: 200 <= response.status_code < 300,
            replay=_api_replay,
            refuse=lambda record: api_error_response(request, IdempotencyKeyReused()),
        )


# --- pages: the form's hidden key -------------------------------------------------


def _redirect_target(response: HttpResponseBase) -> str:
    return str(response.get("Location") or response.get("HX-Redirect") or "")


def idempotent_form(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """A POST whose ``idempotency_key`` was seen before redirects to where the
    first one went, without running the view (a double click, a reload).

    Only an answer that redirects counts as done; a form shown again with
    its errors drops the key, so the corrected form can be sent.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        key = request.POST.get(FORM_FIELD, "") if request.method == "POST" else ""
        user = getattr(request, "user", None)
        if not key or not KEY_PATTERN.fullmatch(key) or user is None or not user.is_authenticated:
            return view(request, *args, **kwargs)
        from core.web import redirect

        def replay(record: IdempotencyKey) -> HttpResponseBase:
            messages.info(request, ALREADY_SENT_MESSAGE)
            return redirect(request, record.location or request.path)

        return run_once(
            request,
            user=user,
            key=key,
            digest=fingerprint(request, skip=("csrfmiddlewaretoken", FORM_FIELD)),
            call=lambda: view(request, *args, **kwargs),
            acted=lambda response: response.status_code < 400 and bool(_redirect_target(response)),
            replay=replay,
            # Same key, other content (the back button, then an edit): the first
            # answer still stands; one rendered form acts once.
            refuse=replay,
        )

    return wrapper
