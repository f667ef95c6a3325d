"""Helpers shared by the HTML views (the workbenches).

Pages call the same actions as the API. An action's ``ApplicationError``
becomes a form error (``ValidationFailed`` field messages land on their
fields) instead of an error page, and htmx requests get fragments back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from django import forms
from django.db.models import Model, Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from core.errors import ApplicationError, ValidationFailed

T = TypeVar("T")
M = TypeVar("M", bound=Model)


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def redirect(request: HttpRequest, url: str) -> HttpResponse:
    """A redirect that htmx follows as a full page load."""
    if is_htmx(request):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return HttpResponseRedirect(url)


def run_action(form: forms.Form, call: Callable[[], T]) -> T | None:
    """Run ``call``; on an application error put its message on ``form``.

    Field messages of a ``ValidationFailed`` go to the matching fields when the
    form has them, everything else to the form's non-field errors.
    """
    try:
        return call()
    except ApplicationError as exc:
        attach_error(form, exc)
        return None


def attach_error(form: forms.Form, exc: ApplicationError) -> None:
    fields = exc.extra.get("fields") if isinstance(exc, ValidationFailed) else None
    placed = False
    if isinstance(fields, dict):
        for name, messages in fields.items():
            texts = messages if isinstance(messages, list) else [messages]
            target = name if name in form.fields else None
            for text in texts:
                form.add_error(target, str(text))
            placed = True
    if not placed:
        form.add_error(None, exc.message)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleImageField(forms.FileField):
    """Up to ``max_files`` files from one ``<input multiple>``; the actions
    sniff and check each image (photos.py), so this only counts them."""

    widget = MultipleFileInput

    def __init__(self, *args: Any, max_files: int = 9, **kwargs: Any) -> None:
        self.max_files = max_files
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)
        self.widget.attrs.setdefault("accept", "image/jpeg,image/png,image/webp")

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        files: Sequence[Any] = data if isinstance(data, list | tuple) else ([data] if data else [])
        if len(files) > self.max_files:
            raise forms.ValidationError(
                _("At most %(n)d photos.") % {"n": self.max_files}, code="max_files"
            )
        return [super(MultipleImageField, self).clean(f, initial) for f in files]


# --- keyset pagination for pages -------------------------------------------


@dataclass
class Page:
    rows: list[Any]
    next_cursor: str | None


def keyset_page(qs: QuerySet[M], cursor: str | None, *, size: int = 25) -> Page:
    """Newest first by (created_at, id): stable while rows are added and as
    cheap on page 100 as on page 1 (the list index covers it)."""
    qs = qs.order_by("-created_at", "-id")
    after = _parse_cursor(cursor)
    if after is not None:
        at, pk = after
        qs = qs.filter(Q(created_at__lt=at) | Q(created_at=at, id__lt=pk))
    rows = list(qs[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    last = rows[-1] if rows else None
    next_cursor = f"{last.created_at.isoformat()}~{last.pk}" if more and last else None  # type: ignore[attr-defined]
    return Page(rows=rows, next_cursor=next_cursor)


def _parse_cursor(cursor: str | None) -> tuple[dt.datetime, int] | None:
    if not cursor or "~" not in cursor:
        return None
    at_text, _sep, pk_text = cursor.rpartition("~")
    try:
        at = parse_datetime(at_text.replace(" ", "+"))
        pk = int(pk_text)
    except (ValueError, OverflowError):
        return None
    if at is None or not 0 < pk < 2**63:
        return None
    return at, pk
