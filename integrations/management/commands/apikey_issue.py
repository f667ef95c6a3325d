"""Issue an API key from the command line (the admin does the same).

    manage.py apikey_issue "12345热线" --area 150302000000 --write
    manage.py apikey_issue "城管系统" --department "区城市管理局" --expires-days 365

Creates the client when it does not exist yet (with the given scope) and
prints only the key on stdout, once. It is not stored anywhere.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from core.errors import ApplicationError
from governance.models import Area, Department
from governance.selectors import area_by_code
from integrations import actions
from integrations.models import ApiClient


class Command(BaseCommand):
    help = "Issue an API key for a client (created if missing); prints the key once."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("client", help="client name")
        parser.add_argument("--area", action="append", default=[], help="area code (repeatable)")
        parser.add_argument(
            "--department", action="append", default=[], help="department name (repeatable)"
        )
        parser.add_argument("--write", action="store_true", help="the key may write")
        parser.add_argument("--expires-days", type=int, default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        areas: list[Area] = []
        for code in options["area"]:
            area = area_by_code(code)
            if area is None:
                raise CommandError(f"no area with code {code}")
            areas.append(area)
        departments: list[Department] = []
        for name in options["department"]:
            department = Department.objects.filter(name=name, is_active=True).first()
            if department is None:
                raise CommandError(f"no active department named {name}")
            departments.append(department)
        try:
            client = ApiClient.objects.filter(name=options["client"]).first()
            if client is None:
                client = actions.client_create(
                    name=options["client"], areas=areas, departments=departments, actor=None
                )
            elif areas or departments:
                actions.client_set_scope(
                    client=client, areas=areas, departments=departments, actor=None
                )
            expires = (
                timezone.now() + dt.timedelta(days=options["expires_days"])
                if options["expires_days"]
                else None
            )
            _key, raw = actions.key_issue(
                client=client, actor=None, can_write=options["write"], expires_at=expires
            )
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(raw)
