"""Load a year's working calendar.

    manage.py load_calendar 2027 --file arrangement-2027.csv
    manage.py load_calendar 2026            # from the chinese-calendar package

The file lists only the exceptions to Monday–Friday work (``day,is_workday,name``):
holidays and make-up workdays. Bad lines are reported with their numbers and
nothing is written. Deadlines computed provisionally for that year are
recomputed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.actions import calendar_load_year
from core.calendar import parse_csv
from core.errors import ApplicationError


class Command(BaseCommand):
    help = "Load a year's working calendar from the package or a CSV of exceptions."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("year", type=int)
        parser.add_argument(
            "--file", help="CSV: day,is_workday,name (holidays and make-up days only)"
        )

    def handle(self, *args: Any, year: int, file: str | None, **options: Any) -> None:
        if not 2000 <= year <= 2100:
            raise CommandError("year must be between 2000 and 2100")
        days = None
        source = "package"
        if file:
            path = Path(file)
            if not path.is_file():
                raise CommandError(f"No such file: {file}")
            days, errors = parse_csv(path.read_text(encoding="utf-8-sig"), year)
            if errors:
                for line, message in errors:
                    self.stderr.write(f"line {line}: {message}")
                raise CommandError(f"{len(errors)} error(s); nothing was loaded.")
            source = "import"
        try:
            changed = calendar_load_year(year=year, actor=None, days=days, source=source)
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        if changed:
            self.stdout.write(self.style.SUCCESS(f"{year}: {changed} day(s) loaded or changed."))
        else:
            self.stdout.write(f"{year}: already up to date; nothing changed.")
