from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from core.models import AuditEntry
from governance.codes import COMMITTEE_RANGE, CommitteeKind, committee_kind
from governance.models import Area

GOOD = """code,name,level,parent_code
150300000000,乌海市,city,
150302000000,海勃湾区,district,150300000000
150302001000,新华街道,street,150302000000
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
    assert [a.code for a in ancestors] == [
        "150300000000",
        "150302000000",
        "150302001000",
        "150302001001",
    ]
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
        "150302002000,,street,150302000000\n"  # line 7: empty name
        "15030200300,短街道,street,150302000000\n"  # line 8: 11 digits
        "150302004001,错街道,street,150302000000\n"  # line 9: street must end 000
        "150302005000,孤儿街道,street,150399000000\n"  # line 10: unknown parent
        "150302001001001,重复,grid,150302001001\n"  # line 11: repeats line 6
        "150302006000,星球,planet,150302000000\n"  # line 12: bad level
    )
    with pytest.raises(CommandError) as exc:
        run(tmp_path, bad)
    assert "6 error(s); nothing was imported" in str(exc.value)
    assert Area.objects.count() == 0
    assert AuditEntry.objects.count() == 0


def test_errors_name_their_line_numbers(db, tmp_path, capsys):
    bad = GOOD + ("150302002000,,street,150302000000\n15030200300,短街道,street,150302000000\n")
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
        run(tmp_path, "code,name\n150300000000,乌海市\n")


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


# The official list (统计用区划代码 as NBS publishes it): code, 城乡分类代码 on
# village-level rows, name. Codes below the districts are illustrative.
SAMPLE = Path(__file__).parent / "data" / "nbs_wuhai_sample.csv"


def run_official(tmp_path, text, *args, encoding="utf-8"):
    path = tmp_path / "nbs.csv"
    path.write_text(text, encoding=encoding)
    out, err = StringIO(), StringIO()
    call_command("import_divisions", str(path), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_it_imports_the_official_list_with_levels_and_parents_from_the_codes(db):
    out = StringIO()
    call_command("import_divisions", str(SAMPLE), stdout=out)
    assert "Skipped 2 province or 市辖区 placeholder row(s)" in out.getvalue()
    assert "Created 11" in out.getvalue()
    assert not Area.objects.filter(code__in=["150000000000", "150301000000"]).exists()
    levels = dict(Area.objects.values_list("code", "level"))
    assert levels["150300000000"] == "city"
    assert levels["150303000000"] == "district"
    assert levels["150302101000"] == "street"
    assert levels["150302101200"] == "community"
    village = Area.objects.get(code="150302101200")
    assert village.name == "千里山村委会"
    assert Area.objects.get_parent(village).code == "150302101000"
    assert committee_kind(village.code) == CommitteeKind.VILLAGERS
    assert Area.objects.get_parent(Area.objects.get(code="150302101000")).code == "150302000000"


def test_a_second_run_of_the_official_list_changes_nothing(db):
    call_command("import_divisions", str(SAMPLE), stdout=StringIO())
    out = StringIO()
    call_command("import_divisions", str(SAMPLE), stdout=out)
    assert "Nothing to change: all 11 areas are already up to date." in out.getvalue()


def test_it_reads_tab_separated_gb18030_pages_without_a_header(db, tmp_path):
    text = (
        "150300000000\t乌海市\n"
        "150302000000\t海勃湾区\n"
        "150302101000\t千里山镇\n"
        "150302101200\t220\t千里山村委会\n"
    )
    out, _ = run_official(tmp_path, text, "--encoding", "gb18030", encoding="gb18030")
    assert "Created 4" in out
    assert Area.objects.get(code="150302101200").name == "千里山村委会"


def test_grids_can_follow_their_community_in_an_official_list(city, tmp_path):
    out, _ = run_official(tmp_path, "150302001001004,新华社区第四网格\n")
    assert "Created 1" in out
    grid = Area.objects.get(code="150302001001004")
    assert grid.level == "grid" and grid.path.startswith(city.community_a.path)


def test_bad_official_rows_are_reported_and_nothing_is_written(db, tmp_path):
    text = SAMPLE.read_text(encoding="utf-8") + (
        "150302001003,,光明社区居委会\n"  # line 15: a village-level row needs its class
        "150302001004,130,光明社区居委会\n"  # line 16: no such class
        "150302002000,111,海北街道\n"  # line 17: only village-level rows carry a class
        "150302101005,220,东风村委会\n"  # line 18: a 村委会 numbered as a 居委会
        "15030210100,乌兰村\n"  # line 19: 11 digits
        "150302101202,220\n"  # line 20: one field short
    )
    err = StringIO()
    path = tmp_path / "nbs.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CommandError, match="6 error"):
        call_command("import_divisions", str(path), stdout=StringIO(), stderr=err)
    lines = err.getvalue().splitlines()
    assert lines[0].startswith("line 15:") and "urban-rural class" in lines[0]
    assert lines[1].startswith("line 16:") and "'130'" in lines[1]
    assert lines[2].startswith("line 17:") and "only village-level rows" in lines[2]
    villagers = COMMITTEE_RANGE % {
        "kind": CommitteeKind.VILLAGERS.label,
        "first": "200",
        "last": "399",
    }
    assert lines[3] == f"line 18: {villagers}"
    assert lines[4].startswith("line 19:") and "12-digit" in lines[4]
    assert lines[5].startswith("line 20:")
    assert Area.objects.count() == 0


def test_the_old_six_digit_codes_are_refused_with_the_new_length(db, tmp_path):
    with pytest.raises(CommandError, match="1 error"):
        run(tmp_path, "code,name,level,parent_code\n150300,乌海市,city,\n")
    assert Area.objects.count() == 0
