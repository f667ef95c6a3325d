"""Who hears about what happens to a ticket. Called inside the actions."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.utils.translation import gettext_noop

from core.i18n import recipe
from core.logging import mask_text
from core.notify import notify
from core.types import User
from governance.models import Area, Department, Role
from services.models import Ticket


def _url(ticket: Ticket) -> str:
    return f"/tickets/{ticket.pk}/"


def street_staff(ticket: Ticket) -> QuerySet[User]:
    """Active street officers of the ticket's street (the dispatchers)."""
    street_path = ticket.path[: 3 * Area.steplen]
    return (
        get_user_model()
        .objects.filter(
            is_active=True,
            posts__active=True,
            posts__role=Role.STREET_OFFICER,
            posts__area__path=street_path,
        )
        .distinct()
    )


def department_staff(department: Department) -> QuerySet[User]:
    return (
        get_user_model()
        .objects.filter(
            is_active=True,
            posts__active=True,
            posts__role__in=[Role.DEPARTMENT_OFFICER, Role.DEPARTMENT_HEAD],
            posts__department=department,
        )
        .distinct()
    )


def tell_departments(ticket: Ticket, departments: list[Department], *, actor: User) -> None:
    for department in departments:
        notify(
            users=department_staff(department).exclude(pk=actor.pk),
            verb="dispatched",
            title=recipe(gettext_noop("New case %(number)s to claim"), {"number": ticket.number}),
            body=mask_text(ticket.description[:200]),
            url=_url(ticket),
            data={"ticket": ticket.pk, "department": department.pk},
            email=True,
        )


def tell_street(ticket: Ticket, verb: str, title: dict[str, Any], *, actor: User) -> None:
    """``title`` is a ``core.i18n.recipe``: each officer reads it in their language."""
    notify(
        users=street_staff(ticket).exclude(pk=actor.pk),
        verb=verb,
        title=title,
        body=mask_text(ticket.description[:200]),
        url=_url(ticket),
        data={"ticket": ticket.pk},
        email=True,
    )
