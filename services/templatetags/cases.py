from django import template

from services.labels import TONES

register = template.Library()


@register.filter
def tone(state: str) -> str:
    """Bootstrap colour of a ticket state's badge."""
    return TONES.get(state, "secondary")


@register.filter
def clock_kind(kind: str) -> str:
    from services.models import ClockKind

    return str(ClockKind(kind).label) if kind in ClockKind.values else kind


@register.filter
def clock_state(state: str) -> str:
    from services.models import ClockState

    return str(ClockState(state).label) if state in ClockState.values else state


@register.filter
def minutes_span(minutes: int) -> str:
    from core.templatetags.portal import span_text

    return span_text(minutes * 60)
