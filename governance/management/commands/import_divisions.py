"""Import division codes: the NBS official list, or our own tree CSV.

**Official format** (统计用区划代码 as NBS publishes it; docs/decisions/0025):
one area per line, comma- or tab-separated, an optional header line (any
first cell other than ``code``)::

    150300000000,乌海市
    150302000000,海勃湾区
    150302001000,新华街道
    150302001001,111,新华社区居委会
    150302101201,220,千里山村委会

Village-level rows carry the 3-digit 城乡分类代码 between code and name;
other rows have none (an empty middle column is fine). The level and the
parent follow from the code's trailing zeros. Province rows (150000000000)
and the county-level 市辖区 placeholders (150301000000) are skipped: the tree
is rooted at cities and the placeholders are aggregation codes.

**Tree format**: a header naming the columns ``code,name,level,parent_code``
(for units the official list lacks, or a parent other than the code's)::

    code,name,level,parent_code
    150300000000,乌海市,city,
    150302001001001,新华社区第一网格,grid,150302001001

A community whose name says 居委会 or 村委会 must be numbered in that
committee's range (001–199, 200–399). All lines are checked first; any bad
line is reported with its line number and nothing is written. Valid files
are applied in one transaction, parents before children, through
governance.actions. Re-running the same file changes nothing and says so; a
changed name is a rename (kept in history).
"""

from __future__ import annotations

import csv
import io
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from governance import actions
from governance.codes import (
    URBAN_RURAL_CLASSES,
    CommitteeKind,
    code_errors,
    committee_kind,
    committee_kind_from_name,
    is_province_code,
    level_of,
    parent_code_of,
)
from governance.models import LEVELS, Area, AreaLevel

REQUIRED_COLUMNS = ["code", "name", "level", "parent_code"]
#: The county-level rows NBS lists under every prefecture (xx01 市辖区).
PLACEHOLDER_NAME = "市辖区"


@dataclass
class Row:
    line: int
    code: str
    name: str
    level: str
    parent_code: str

    @property
    def committee(self) -> str | None:
        """The committee kind the name claims, checked against the number.

        Units numbered 400–599 (类似居委会/村委会) keep whatever name they have.
        """
        if self.level != AreaLevel.COMMUNITY or committee_kind(self.code) == CommitteeKind.SIMILAR:
            return None
        return committee_kind_from_name(self.name)


class Command(BaseCommand):
    help = (
        "Import areas from the NBS official list (code[,urban-rural class],name) or a tree CSV "
        "(code,name,level,parent_code); all-or-nothing and idempotent."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("csv_path", help="the file; '-' reads stdin")
        parser.add_argument(
            "--encoding",
            default="utf-8-sig",
            help="text encoding (default UTF-8, a BOM is accepted; NBS pages are gb18030)",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="check and report, write nothing"
        )

    def handle(
        self, *args: Any, csv_path: str, encoding: str, dry_run: bool, **options: Any
    ) -> None:
        rows, errors, skipped = self._read(self._text(csv_path, encoding))
        errors += self._check(rows)
        if errors:
            for line, message in sorted(errors, key=lambda e: e[0]):
                self.stderr.write(f"line {line}: {message}")
            raise CommandError(f"{len(errors)} error(s); nothing was imported.")
        if skipped:
            self.stdout.write(
                f"Skipped {skipped} province or 市辖区 placeholder row(s): not part of the tree."
            )
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
                    parent=parent,
                    name=row.name,
                    code=row.code,
                    committee=row.committee,
                    actor=None,
                )
            for row in renamed:
                actions.area_rename(area=Area.objects.get(code=row.code), name=row.name, actor=None)
        self.stdout.write(
            self.style.SUCCESS(
                f"Created {len(created)}, renamed {len(renamed)}, unchanged {unchanged}."
            )
        )

    def _text(self, csv_path: str, encoding: str) -> str:
        if csv_path == "-":
            return sys.stdin.read().lstrip("\ufeff")
        path = Path(csv_path)
        if not path.is_file():
            raise CommandError(f"No such file: {csv_path}")
        try:
            return path.read_text(encoding=encoding).lstrip("\ufeff")
        except LookupError as exc:
            raise CommandError(f"Unknown encoding: {encoding}") from exc
        except UnicodeDecodeError as exc:
            raise CommandError(f"{csv_path} is not {encoding} text: {exc}") from exc

    def _read(self, text: str) -> tuple[list[Row], list[tuple[int, str]], int]:
        first = next((line for line in text.splitlines() if line.strip()), "")
        delimiter = "\t" if "\t" in first else ","
        lines = list(enumerate(csv.reader(io.StringIO(text), delimiter=delimiter), start=1))
        lines = [
            (n, [c.strip() for c in cells]) for n, cells in lines if any(c.strip() for c in cells)
        ]
        if lines and lines[0][1][0].lower() == "code":
            rows, errors = self._read_tree(lines)
            return rows, errors, 0
        if lines and not lines[0][1][0].isdigit():
            lines = lines[1:]  # a header such as 统计用区划代码,城乡分类代码,名称
        return self._read_official(lines)

    def _read_tree(
        self, lines: list[tuple[int, list[str]]]
    ) -> tuple[list[Row], list[tuple[int, str]]]:
        header = [c.lower() for c in lines[0][1]]
        missing = [c for c in REQUIRED_COLUMNS if c not in header]
        if missing:
            raise CommandError(
                f"line 1: missing column(s) {', '.join(missing)}; expected {','.join(REQUIRED_COLUMNS)}"
            )
        rows: list[Row] = []
        errors: list[tuple[int, str]] = []
        for number, cells in lines[1:]:
            if len(cells) > len(header):
                errors.append((number, "too many fields"))
                continue
            raw = dict(zip(header, cells + [""] * (len(header) - len(cells)), strict=True))
            rows.append(
                Row(
                    line=number,
                    code=raw["code"],
                    name=raw["name"],
                    level=raw["level"].lower(),
                    parent_code=raw["parent_code"],
                )
            )
        return rows, errors

    def _read_official(
        self, lines: list[tuple[int, list[str]]]
    ) -> tuple[list[Row], list[tuple[int, str]], int]:
        rows: list[Row] = []
        errors: list[tuple[int, str]] = []
        skipped = 0
        for number, cells in lines:
            if len(cells) not in (2, 3):
                errors.append(
                    (number, f"expected code[,urban-rural class],name; got {len(cells)} fields")
                )
                continue
            code, name = cells[0], cells[-1]
            urban_rural = cells[1] if len(cells) == 3 else ""
            level = level_of(code)
            if is_province_code(code) or (level == AreaLevel.DISTRICT and name == PLACEHOLDER_NAME):
                skipped += 1
                continue
            if level is None:
                errors.append(
                    (number, f"{code} is not a 12-digit division code (or a 15-digit grid code)")
                )
                continue
            error = _urban_rural_error(level, urban_rural)
            if error:
                errors.append((number, error))
                continue
            rows.append(
                Row(
                    line=number,
                    code=code,
                    name=name,
                    level=level,
                    parent_code=parent_code_of(code, level) or "",
                )
            )
        return rows, errors, skipped

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
                for message in code_errors(
                    row.level, row.code, parent_level, parent_code, committee=row.committee
                )
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


def _urban_rural_error(level: str, urban_rural: str) -> str | None:
    """Village-level rows carry a 城乡分类代码; no other row does."""
    if level != AreaLevel.COMMUNITY:
        return (
            f"only village-level rows carry an urban-rural class, not a {level}"
            if urban_rural
            else None
        )
    if not urban_rural:
        return "a village-level row needs its 3-digit urban-rural class (城乡分类代码)"
    if urban_rural not in URBAN_RURAL_CLASSES:
        return f"urban-rural class '{urban_rural}' is not one of {', '.join(URBAN_RURAL_CLASSES)}"
    return None
