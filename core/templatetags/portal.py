import datetime as dt
from typing import Any

from django import template
from django.utils import timezone
from django.utils.translation import gettext as _

from core.workcalendar import calendar_warnings

register = template.Library()


@register.simple_tag
def working_calendar_warnings() -> list[str]:
    """Warnings an administrator must act on (calendar years not loaded)."""
    return calendar_warnings()


def span_text(seconds: float) -> str:
    """A short duration for people: "2 d 3 h", "3 h 20 min", "5 min"."""
    minutes = max(int(seconds // 60), 0)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts: list[str] = []
    if days:
        parts.append(_("%(n)d d") % {"n": days})
    if hours:
        parts.append(_("%(n)d h") % {"n": hours})
    if mins and not days:
        parts.append(_("%(n)d min") % {"n": mins})
    return " ".join(parts) or _("under a minute")


def deadline_state(
    due_at: dt.datetime, started_at: dt.datetime | None = None, now: dt.datetime | None = None
) -> tuple[str, str]:
    """(tone, text) of a deadline: tone is ``danger`` once overdue, ``warning``
    in the last quarter of the span (or last two hours without a start),
    ``success`` before that."""
    now = now or timezone.now()
    left = (due_at - now).total_seconds()
    if left < 0:
        return "danger", _("overdue by %(span)s") % {"span": span_text(-left)}
    total = (due_at - started_at).total_seconds() if started_at else 0
    near = left <= total * 0.25 if total > 0 else left <= 2 * 3600
    return ("warning" if near else "success"), _("due in %(span)s") % {"span": span_text(left)}


@register.inclusion_tag("includes/deadline.html")
def deadline(due_at: dt.datetime | None, started_at: dt.datetime | None = None) -> dict[str, Any]:
    if due_at is None:
        return {"due_at": None}
    tone, text = deadline_state(due_at, started_at)
    return {"due_at": due_at, "tone": tone, "text": text}


_CHECK_WIDGETS = ("CheckboxInput",)
_CHOICE_LIST_WIDGETS = ("RadioSelect", "CheckboxSelectMultiple")


@register.filter
def widget_kind(bound_field: Any) -> str:
    """``check``, ``choices``, ``select``, ``hidden`` or ``input`` (for field.html)."""
    name = type(bound_field.field.widget).__name__
    if bound_field.is_hidden:
        return "hidden"
    if name in _CHECK_WIDGETS:
        return "check"
    if name in _CHOICE_LIST_WIDGETS:
        return "choices"
    if name in ("Select", "SelectMultiple"):
        return "select"
    return "input"


@register.simple_tag
def bs_widget(bound_field: Any, **extra: Any) -> str:
    """The field's widget with Bootstrap classes and error/ARIA attributes."""
    kind = widget_kind(bound_field)
    css = {"check": "form-check-input", "select": "form-select"}.get(kind, "form-control")
    attrs: dict[str, Any] = {"class": css}
    if bound_field.errors:
        attrs["class"] += " is-invalid"
        attrs["aria-invalid"] = "true"
        attrs["aria-describedby"] = f"{bound_field.auto_id}_errors"
    elif bound_field.help_text:
        attrs["aria-describedby"] = f"{bound_field.auto_id}_help"
    attrs.update(extra)
    return bound_field.as_widget(attrs=attrs)
