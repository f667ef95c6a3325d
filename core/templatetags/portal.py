from django import template

from core.workcalendar import calendar_warnings

register = template.Library()


@register.simple_tag
def working_calendar_warnings() -> list[str]:
    """Warnings an administrator must act on (calendar years not loaded)."""
    return calendar_warnings()
