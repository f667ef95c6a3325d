import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from core.audit import history
from core.errors import Conflict, ValidationFailed
from partyorg import actions
from partyorg.models import JointCommitteeMember
from partyorg.selectors import chair_schedule, current_chair, joint_member_list

D = dt.date


@pytest.fixture
def joint(party):
    units = ["乌海供电公司", "市第一中学", "海勃湾区人民医院"]
    for i, unit in enumerate(units):
        actions.joint_member_add(
            committee=party.joint_a,
            unit_name=unit,
            person_name=f"委员{i}",
            position="党委书记",
            phone=f"1381234000{i}",
            term_start=D(2024, 1, 1),
            term_end=D(2026, 12, 31),
            actor=None,
        )
    actions.joint_rotation_set(
        committee=party.joint_a,
        units=units,
        period="quarter",
        starts_on=D(2024, 1, 1),
        actor=None,
    )
    return party.joint_a


def test_current_chair_changes_at_the_quarter_boundary(joint):
    assert current_chair(joint, on=D(2024, 3, 31)).unit_name == "乌海供电公司"
    term = current_chair(joint, on=D(2024, 4, 1))
    assert term.unit_name == "市第一中学"
    assert (term.starts_on, term.ends_on) == (D(2024, 4, 1), D(2024, 6, 30))
    assert current_chair(joint, on=D(2024, 7, 1)).unit_name == "海勃湾区人民医院"
    # The list wraps round: the fourth quarter is the first unit's again.
    assert current_chair(joint, on=D(2024, 10, 1)).unit_name == "乌海供电公司"
    assert current_chair(joint, on=D(2023, 12, 31)) is None


def test_a_new_rotation_takes_over_from_its_start_without_rewriting_the_past(joint):
    actions.joint_rotation_set(
        committee=joint,
        units=["海勃湾区人民医院", "市第一中学"],
        period="month",
        starts_on=D(2024, 5, 15),
        actor=None,
    )
    old = current_chair(joint, on=D(2024, 5, 14))
    assert old.unit_name == "市第一中学"
    assert old.ends_on == D(2024, 5, 14)  # cut short by the new rotation
    assert current_chair(joint, on=D(2024, 5, 15)).unit_name == "海勃湾区人民医院"
    assert current_chair(joint, on=D(2024, 6, 15)).unit_name == "市第一中学"
    assert current_chair(joint, on=D(2024, 6, 14)).unit_name == "海勃湾区人民医院"


def test_schedule_lists_the_current_and_next_terms(joint):
    terms = chair_schedule(joint, on=D(2024, 2, 10), count=4)
    assert [(t.unit_name, t.starts_on) for t in terms] == [
        ("乌海供电公司", D(2024, 1, 1)),
        ("市第一中学", D(2024, 4, 1)),
        ("海勃湾区人民医院", D(2024, 7, 1)),
        ("乌海供电公司", D(2024, 10, 1)),
    ]


def test_month_ends_are_clamped(party, joint):
    actions.joint_rotation_set(
        committee=joint,
        units=["市第一中学", "乌海供电公司"],
        period="month",
        starts_on=D(2025, 1, 31),
        actor=None,
    )
    feb = current_chair(joint, on=D(2025, 2, 28))
    assert (feb.unit_name, feb.starts_on) == ("乌海供电公司", D(2025, 2, 28))
    assert current_chair(joint, on=D(2025, 2, 27)).unit_name == "市第一中学"


def test_rotation_units_must_sit_on_the_committee(joint):
    with pytest.raises(ValidationFailed) as exc:
        actions.joint_rotation_set(
            committee=joint,
            units=["无关单位"],
            period="quarter",
            starts_on=D(2025, 1, 1),
            actor=None,
        )
    assert exc.value.code == "rotation_unit_not_member"
    with pytest.raises(Conflict):
        actions.joint_rotation_set(
            committee=joint,
            units=["市第一中学"],
            period="quarter",
            starts_on=D(2024, 1, 1),
            actor=None,
        )


def test_a_term_cannot_end_before_it_starts(party):
    with pytest.raises(ValidationFailed) as exc:
        actions.joint_member_add(
            committee=party.joint_a,
            unit_name="某单位",
            person_name="某人",
            term_start=D(2025, 1, 1),
            term_end=D(2024, 12, 31),
            actor=None,
        )
    assert exc.value.code == "term_end_before_start"
    with pytest.raises(IntegrityError), transaction.atomic():
        JointCommitteeMember.objects.create(
            committee=party.joint_a,
            unit_name="绕过",
            person_name="某人",
            term_start=D(2025, 1, 1),
            term_end=D(2024, 12, 31),
        )


def test_current_members_are_those_whose_term_covers_the_day(party, joint):
    actions.joint_member_add(
        committee=joint,
        unit_name="老单位",
        person_name="前委员",
        term_start=D(2020, 1, 1),
        term_end=D(2023, 12, 31),
        actor=None,
    )
    actions.joint_member_add(
        committee=joint,
        unit_name="新单位",
        person_name="开放任期",
        term_start=D(2025, 6, 1),
        actor=None,
    )
    names = lambda on: {m.person_name for m in joint_member_list(committee=joint, on=on)}  # noqa: E731
    assert "前委员" in names(D(2023, 12, 31))
    assert "前委员" not in names(D(2024, 1, 1))
    assert "开放任期" not in names(D(2025, 5, 31))
    assert "开放任期" in names(D(2030, 1, 1))
    assert len(joint_member_list(committee=joint, current_only=False)) == 5


def test_ending_a_term_is_audited_with_a_masked_phone(joint):
    member = JointCommitteeMember.objects.filter(committee=joint).first()
    actions.joint_member_update(member=member, term_end=D(2024, 6, 30), actor=None)
    entry = history(member).first()
    assert entry.after["term_end"] == "2024-06-30"
    assert entry.after["phone"].startswith("138****")
    with pytest.raises(ValidationFailed):
        actions.joint_member_update(member=member, term_end=D(2023, 1, 1), actor=None)


def test_only_joint_committees_take_part_time_members(party):
    with pytest.raises(ValidationFailed) as exc:
        actions.joint_member_add(
            committee=party.wc_a,
            unit_name="u",
            person_name="p",
            term_start=D(2024, 1, 1),
            actor=None,
        )
    assert exc.value.code == "not_a_joint_committee"
