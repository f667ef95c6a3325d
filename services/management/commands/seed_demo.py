"""Load the demo city once: tree, departments, demo accounts (and, as the apps
grow, rosters, Party organisations and tickets). Idempotent: a second run
says the demo is already there and changes nothing."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from governance import demo as governance_demo
from grids.geography import demo as geography_demo
from grids.rosters import demo as rosters_demo
from partyorg import demo as partyorg_demo
from services import demo as services_demo


class Command(BaseCommand):
    help = "Load the Wuhai demo city and one account per role (once)."

    def handle(self, *args: Any, **options: Any) -> None:
        if governance_demo.demo_exists():
            self.stdout.write("Demo city already loaded; nothing to do.")
            self._print_accounts()
            return
        started = time.monotonic()
        city = governance_demo.seed_tree()
        governance_demo.seed_accounts(city)
        extra: dict[str, int] = {}
        # Order matters: boundaries, then rosters and visits, Party organisations, tickets.
        extra |= geography_demo.seed(city)
        extra |= rosters_demo.seed(city)
        extra |= partyorg_demo.seed(city)
        extra |= services_demo.seed(city)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo city {city.city.name}: {len(city.districts)} districts, {len(city.streets)} streets, "
                f"{len(city.communities)} communities, {len(city.grids)} grids, "
                f"{len(city.departments)} departments in {time.monotonic() - started:.1f} s."
            )
        )
        if extra:
            self.stdout.write("Also: " + ", ".join(f"{v} {k}" for k, v in extra.items()))
        self._print_accounts()

    def _print_accounts(self) -> None:
        names = ", ".join(role for role, _name in governance_demo.DEMO_USERS)
        self.stdout.write(f"Demo accounts: {names}")
        self.stdout.write(f"Demo password: {settings.DEMO_PASSWORD}")
