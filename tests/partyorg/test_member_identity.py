"""Party members follow the one rule for ID and phone numbers (core.identity),
with the same messages as the grid rosters."""

from __future__ import annotations

import pytest

from core import identity
from core.errors import ValidationFailed
from partyorg import actions
from partyorg.models import PartyMember
from tests.partyorg.conftest import valid_id

BAD_CHECK_DIGIT = valid_id("15030219900202234")[:17] + "0"  # the right one is not 0
NOT_A_DATE = valid_id("15030219900230234")  # 30 February, right check digit


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("id_number", BAD_CHECK_DIGIT, identity.ID_NUMBER_CHECK_DIGIT),
        ("id_number", NOT_A_DATE, identity.ID_NUMBER_NOT_A_DATE),
        # Both passed the old "^\+?[\d\- ]{7,20}$" Party rule.
        ("phone", "12812345678", identity.PHONE_INVALID),
        ("phone", "1234-5678", identity.PHONE_INVALID),
    ],
)
def test_the_member_actions_refuse_a_bad_number_with_the_rule_message(
    city, party, field, value, message
):
    assert identity.id_check_char(BAD_CHECK_DIGIT[:17]) != "0"
    members = PartyMember.objects.count()
    with pytest.raises(ValidationFailed) as exc:
        actions.party_member_add(
            organisation=party.branch_a1, name="王党员", actor=None, **{field: value}
        )
    assert exc.value.extra["fields"] == {field: [str(message)]}
    assert exc.value.message == str(message)
    assert PartyMember.objects.count() == members
    with pytest.raises(ValidationFailed) as exc:
        actions.party_member_update(member=party.member_a, actor=None, **{field: value})
    assert exc.value.extra["fields"] == {field: [str(message)]}
    stored = PartyMember.objects.get(pk=party.member_a.pk)
    assert (stored.phone, stored.id_number) == (party.member_a.phone, party.member_a.id_number)


def test_members_and_joint_members_store_numbers_normalised(city, party):
    id_number = valid_id("15030219900202005")
    assert id_number.endswith("X")
    member = actions.party_member_add(
        organisation=party.branch_a1,
        name="王党员",
        phone="+86 137 1111 2222",
        id_number=f" {id_number.lower()} ",
        actor=None,
    )
    stored = PartyMember.objects.get(pk=member.pk)
    assert (stored.phone, stored.id_number) == ("13711112222", id_number)
    # Both stay optional for Party members.
    blank = actions.party_member_add(organisation=party.branch_a1, name="李党员", actor=None)
    assert (blank.phone, blank.id_number) == ("", "")
    joint = actions.joint_member_add(
        committee=party.joint_a,
        unit_name="乌海市第一中学",
        person_name="赵委员",
        phone="0473 1234567",
        term_start=party.joint_a.established_on,
        actor=None,
    )
    assert joint.phone == "0473-1234567"
    with pytest.raises(ValidationFailed) as exc:
        actions.joint_member_update(member=joint, phone="12345", actor=None)
    assert exc.value.extra["fields"] == {"phone": [str(identity.PHONE_INVALID)]}
