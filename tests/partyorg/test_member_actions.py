import logging

import pytest
from django.db import IntegrityError, transaction

from core.audit import history
from core.errors import AccessDenied, ValidationFailed
from partyorg import actions
from partyorg.models import PartyMember
from tests.partyorg.conftest import valid_id


def test_add_masks_phone_and_id_in_the_audit_row_and_the_log(city, party, caplog):
    caplog.set_level(logging.INFO, logger="partyorg")
    id_number = valid_id("15030219900202234")
    member = actions.party_member_add(
        organisation=party.branch_a1,
        name="王党员",
        phone="13711112222",
        id_number=id_number,
        actor=None,
    )
    assert PartyMember.objects.get(pk=member.pk).phone == "13711112222"  # stored in full
    entry = history(member).get()
    assert entry.after["phone"] == "137****2222"
    assert entry.after["id_number"] == id_number[:6] + "********" + id_number[-4:]
    assert "13711112222" not in str(entry.after)
    assert id_number not in str(entry.after)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "137****2222" in logged
    assert "13711112222" not in logged
    assert id_number not in logged


def test_it_rejects_a_bad_id_number_and_a_second_member_with_the_same_one(city, party):
    with pytest.raises(ValidationFailed) as exc:
        actions.party_member_add(
            organisation=party.branch_a1, name="错号", id_number="150302198001011230", actor=None
        )
    assert "id_number" in exc.value.extra["fields"]
    with pytest.raises(ValidationFailed) as exc:
        actions.party_member_add(
            organisation=party.branch_a1,
            name="重号",
            id_number=party.member_a.id_number,
            actor=None,
        )
    assert exc.value.code == "party_member_exists"


def test_the_database_backs_one_member_per_id_number(city, party):
    with pytest.raises(IntegrityError), transaction.atomic():
        PartyMember.objects.create(
            organisation=party.branch_a1, name="绕过", id_number=party.member_a.id_number
        )


def test_only_in_service_members_have_an_employer(city, party):
    with pytest.raises(ValidationFailed) as exc:
        actions.party_member_add(
            organisation=party.branch_a1, name="退休", employer="某公司", actor=None
        )
    assert "employer" in exc.value.extra["fields"]
    member = actions.party_member_update(member=party.member_a, in_service=False, actor=None)
    assert member.employer == ""


def test_residence_must_be_a_community_and_members_join_regular_organisations(city, party):
    with pytest.raises(ValidationFailed) as exc:
        actions.party_member_add(
            organisation=party.branch_a1, name="x", residence_community=city.grid_a1, actor=None
        )
    assert "residence_community" in exc.value.extra["fields"]
    with pytest.raises(ValidationFailed) as exc:
        actions.party_member_add(organisation=party.joint_a, name="x", actor=None)
    assert exc.value.code == "party_org_joint"


def test_update_audits_masked_before_and_after(city, party):
    actions.party_member_update(member=party.member_a, phone="13600001111", actor=None)
    entry = history(party.member_a).first()
    assert entry.verb == "updated"
    assert entry.before["phone"] == "138****5678"
    assert entry.after["phone"] == "136****1111"


def test_transfer_moves_the_membership_and_audits_before_and_after(city, personas, party):
    actions.party_org_update(org=party.branch_a1, secretary=party.member_a, actor=None)
    member = actions.party_member_transfer(
        member=party.member_a,
        organisation=party.committee_b,
        note="搬家",
        actor=personas.roster_admin,
    )
    assert member.organisation_id == party.committee_b.pk
    entry = history(member).first()
    assert entry.verb == "transferred"
    assert entry.before["organisation"] == party.branch_a1.pk
    assert entry.after["organisation"] == party.committee_b.pk
    assert entry.actor == personas.roster_admin
    assert entry.note == "搬家"
    party.branch_a1.refresh_from_db()
    assert party.branch_a1.secretary_id is None  # relieved at the old organisation
    assert history(party.branch_a1).first().verb == "secretary_transferred"


def test_transfer_needs_rights_on_both_sides(city, personas, party):
    with pytest.raises(AccessDenied):
        actions.party_member_transfer(
            member=party.member_a,
            organisation=party.committee_b,
            actor=personas.street_officer_a,
        )
    with pytest.raises(ValidationFailed) as exc:
        actions.party_member_transfer(
            member=party.member_a, organisation=party.branch_a1, actor=None
        )
    assert exc.value.code == "transfer_same_organisation"
    assert PartyMember.objects.get(pk=party.member_a.pk).organisation_id == party.branch_a1.pk
