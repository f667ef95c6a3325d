"""Import division codes from a CSV in the 统计用区划代码 layout.

    code,name,level,parent_code
    150300,乌海市,city,
    150302,海勃湾区,district,150300
    150302001000,新华街道,street,150302

All lines are checked first; any bad line is reported with its line number
and nothing is written. Valid files are applied in one transaction, parents
before children, through governance.actions. Re-running the same file
changes nothing and says so; a changed name is a rename (kept in history).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from governance import actions
from governance.codes import code_errors
from governance.models import LEVELS, Area

REQUIRED_COLUMNS = ["code", "name", "level", "parent_code"]


@dataclass
class Row:
    line: int
    code: str
    name: str
    level: str
    parent_code: str


class Command(BaseCommand):
    help = "Import areas from a CSV (code,name,level,parent_code); all-or-nothing and idempotent."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "csv_path", help="CSV file in UTF-8 (a BOM is accepted); '-' reads stdin"
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="check and report, write nothing"
        )

    def handle(self, *args: Any, csv_path: str, dry_run: bool, **options: Any) -> None:
        rows, errors = self._read(csv_path)
        errors += self._check(rows)
        if errors:
            for line, message in errors:
                self.stderr.write(f"line {line}: {message}")
            raise CommandError(f"{len(errors)} error(s); nothing was imported.")
        created, renamed, unchanged = self._plan(rows)
        if dry_run:
            self.stdout.write(
                f"Dry run: would create {len(created)}, rename {len(renamed)}, leave {unchanged} unchanged."
            )
            return
        if not created and not renamed:
            self.stdout.write(f"Nothing to change: all {unchanged} areas are already up to date.")
            return
        with transaction.atomic():
            by_code = {
                a.code: a
                for a in Area.objects.filter(
                    code__in=[r.parent_code for r in created if r.parent_code]
                )
            }
            for row in sorted(created, key=lambda r: LEVELS.index(r.level)):
                parent = by_code.get(row.parent_code) if row.parent_code else None
                by_code[row.code] = actions.area_create(
                    parent=parent, name=row.name, code=row.code, actor=None
                )
            for row in renamed:
                actions.area_rename(area=Area.objects.get(code=row.code), name=row.name, actor=None)
        self.stdout.write(
            self.style.SUCCESS(
                f"Created {len(created)}, renamed {len(renamed)}, unchanged {unchanged}."
            )
        )

    def _read(self, csv_path: str) -> tuple[list[Row], list[tuple[int, str]]]:
        if csv_path == "-":
            import sys

            text = sys.stdin.read()
        else:
            path = Path(csv_path)
            if not path.is_file():
                raise CommandError(f"No such file: {csv_path}")
            try:
                text = path.read_text(encoding="utf-8-sig")
            except UnicodeDecodeError as exc:
                raise CommandError(f"{csv_path} is not UTF-8 text: {exc}") from exc
        reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
        missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise CommandError(
                f"line 1: missing column(s) {', '.join(missing)}; expected {','.join(REQUIRED_COLUMNS)}"
            )
        rows: list[Row] = []
        errors: list[tuple[int, str]] = []
        for index, raw in enumerate(reader, start=2):
            if not any((v or "").strip() for v in raw.values() if isinstance(v, str)):
                continue  # blank line
            if None in raw:
                errors.append((index, "too many fields"))
                continue
            rows.append(
                Row(
                    line=index,
                    code=(raw["code"] or "").strip(),
                    name=(raw["name"] or "").strip(),
                    level=(raw["level"] or "").strip().lower(),
                    parent_code=(raw["parent_code"] or "").strip(),
                )
            )
        return rows, errors

    def _check(self, rows: list[Row]) -> list[tuple[int, str]]:
        errors: list[tuple[int, str]] = []
        in_file: dict[str, Row] = {}
        for row in rows:
            if row.code in in_file:
                errors.append((row.line, f"code {row.code} repeats line {in_file[row.code].line}"))
                continue
            in_file[row.code] = row
        existing = {
            a.code: a
            for a in Area.objects.filter(
                code__in=[r.code for r in rows] + [r.parent_code for r in rows]
            )
        }
        for row in rows:
            if not row.name:
                errors.append((row.line, "name is empty"))
            elif len(row.name) > 100:
                errors.append((row.line, "name is longer than 100 characters"))
            if row.level not in LEVELS:
                errors.append((row.line, f"level '{row.level}' is not one of {', '.join(LEVELS)}"))
                continue
            parent_level = parent_code = None
            if row.parent_code:
                parent = in_file.get(row.parent_code)
                if parent is not None:
                    parent_level, parent_code = parent.level, parent.code
                elif row.parent_code in existing:
                    parent_level, parent_code = existing[row.parent_code].level, row.parent_code
                else:
                    errors.append(
                        (
                            row.line,
                            f"parent {row.parent_code} is neither in the file nor in the database",
                        )
                    )
                    continue
            errors.extend(
                (row.line, message)
                for message in code_errors(row.level, row.code, parent_level, parent_code)
            )
            current = existing.get(row.code)
            if current is not None:
                if current.level != row.level:
                    errors.append(
                        (
                            row.line,
                            f"code {row.code} exists as a {current.level}, not a {row.level}",
                        )
                    )
                elif row.parent_code and not current.path.startswith(
                    existing[row.parent_code].path if row.parent_code in existing else "\0"
                ):
                    errors.append(
                        (
                            row.line,
                            f"code {row.code} exists under another parent; move it in the admin",
                        )
                    )
        return errors

    def _plan(self, rows: list[Row]) -> tuple[list[Row], list[Row], int]:
        existing = dict(
            Area.objects.filter(code__in=[r.code for r in rows]).values_list("code", "name")
        )
        created = [r for r in rows if r.code not in existing]
        renamed = [r for r in rows if r.code in existing and existing[r.code] != r.name]
        return created, renamed, len(rows) - len(created) - len(renamed)
