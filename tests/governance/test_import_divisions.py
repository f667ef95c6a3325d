from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from core.models import AuditEntry
from governance.models import Area

GOOD = """code,name,level,parent_code
150300,乌海市,city,
150302,海勃湾区,district,150300
150302001000,新华街道,street,150302
150302001001,新华社区,community,150302001000
150302001001001,新华社区第一网格,grid,150302001001
"""


@pytest.fixture(autouse=True)
def _english():
    """Messages are asserted in English; the UI default is Chinese."""
    with translation.override("en"):
        yield


def run(tmp_path, text, *args):
    path = tmp_path / "divisions.csv"
    path.write_text(text, encoding="utf-8")
    out, err = StringIO(), StringIO()
    call_command("import_divisions", str(path), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_it_imports_parents_before_children_whatever_the_order(db, tmp_path):
    lines = GOOD.strip().splitlines()
    shuffled = "\n".join([lines[0], *reversed(lines[1:])]) + "\n"
    out, _ = run(tmp_path, shuffled)
    assert "Created 5" in out
    grid = Area.objects.get(code="150302001001001")
    ancestors = Area.objects.filter(path__in=[grid.path[:i] for i in (4, 8, 12, 16)]).order_by(
        "depth"
    )
    assert [a.code for a in ancestors] == ["150300", "150302", "150302001000", "150302001001"]
    assert grid.depth == 5 and grid.level == "grid"


def test_a_second_run_changes_nothing_and_says_so(db, tmp_path):
    run(tmp_path, GOOD)
    audit_rows = AuditEntry.objects.count()
    out, _ = run(tmp_path, GOOD)
    assert "Nothing to change: all 5 areas are already up to date." in out
    assert AuditEntry.objects.count() == audit_rows
    assert Area.objects.count() == 5


def test_a_changed_name_is_a_rename(db, tmp_path):
    run(tmp_path, GOOD)
    out, _ = run(tmp_path, GOOD.replace("新华街道", "新华新街道"))
    assert "renamed 1" in out
    assert Area.objects.get(code="150302001000").name == "新华新街道"


def test_every_bad_line_is_reported_and_nothing_is_written(db, tmp_path):
    bad = GOOD + (
        "150302002000,,street,150302\n"  # line 7: empty name
        "15030200300,短街道,street,150302\n"  # line 8: 11 digits
        "150302004001,错街道,street,150302\n"  # line 9: street must end 000
        "150302005000,孤儿街道,street,150399\n"  # line 10: unknown parent
        "150302001001001,重复,grid,150302001001\n"  # line 11: repeats line 6
        "150302006000,星球,planet,150302\n"  # line 12: bad level
    )
    with pytest.raises(CommandError) as exc:
        run(tmp_path, bad)
    assert "6 error(s); nothing was imported" in str(exc.value)
    assert Area.objects.count() == 0
    assert AuditEntry.objects.count() == 0


def test_errors_name_their_line_numbers(db, tmp_path, capsys):
    bad = GOOD + "150302002000,,street,150302\n15030200300,短街道,street,150302\n"
    path = tmp_path / "bad.csv"
    path.write_text(bad, encoding="utf-8")
    err = StringIO()
    with pytest.raises(CommandError, match="2 error"):
        call_command("import_divisions", str(path), stderr=err)
    lines = err.getvalue().splitlines()
    assert lines[0].startswith("line 7: name is empty")
    assert lines[1].startswith("line 8:") and "12 digits" in lines[1]


def test_it_rejects_a_file_without_the_columns(db, tmp_path):
    with pytest.raises(CommandError, match="missing column"):
        run(tmp_path, "code,name\n150300,乌海市\n")


def test_dry_run_writes_nothing(db, tmp_path):
    out, _ = run(tmp_path, GOOD, "--dry-run")
    assert "would create 5" in out
    assert Area.objects.count() == 0


def test_it_attaches_to_areas_already_in_the_database(city, tmp_path):
    out, _ = run(
        tmp_path, "code,name,level,parent_code\n150302001001003,新网格,grid,150302001001\n"
    )
    assert "Created 1" in out
    assert Area.objects.get(code="150302001001003").path.startswith(city.community_a.path)
