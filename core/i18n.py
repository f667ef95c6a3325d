"""Messages stored for people who read them later, in their own language.

A notification is written once, by whoever caused it (a person in their
language, the sweep in the default one), and read by people who may have
chosen another. So its title is stored twice: as text in the default
language (for email subjects, the admin, search) and as a *recipe*, the
untranslated message and its parameters, rendered in the reader's active
language when the inbox or the API shows it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext


def recipe(msgid: str, params: dict[str, Any], *, translate: Iterable[str] = ()) -> dict[str, Any]:
    """A message to render later: ``msgid`` (marked with gettext_noop) and its
    parameters; the names in ``translate`` are themselves msgids (labels)."""
    return {"msgid": msgid, "params": params, "translate": sorted(translate)}


def render(spec: dict[str, Any]) -> str:
    """The recipe in the active language; raises on a malformed recipe."""
    translate = set(spec.get("translate") or ())
    params = {
        name: gettext(value) if name in translate and isinstance(value, str) else value
        for name, value in (spec.get("params") or {}).items()
    }
    return gettext(spec["msgid"]) % params


def render_or(spec: Any, fallback: str) -> str:
    """``render(spec)``, or ``fallback`` when there is no usable recipe."""
    if not isinstance(spec, dict) or "msgid" not in spec:
        return fallback
    try:
        return render(spec)
    except (KeyError, TypeError, ValueError):
        return fallback
