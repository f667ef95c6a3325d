"""A small Party tree on the shared ``city`` fixture.

street A: 党工委 A ── 党委 A1 (community A1) ── 党支部 on grid A1-1 ── 党小组 on grid A1-2
street B: 党工委 B ── 党委 B1 (community B1); grid B1-1 has no organisation
street A: 大工委 A under 党工委 A
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest

from partyorg import actions
from partyorg.models import PartyMember, PartyOrg


def valid_id(stem17: str) -> str:
    return stem17 + actions.id_check_digit(stem17)


@dataclass
class Party:
    wc_a: PartyOrg
    committee_a: PartyOrg
    branch_a1: PartyOrg
    group_a2: PartyOrg
    joint_a: PartyOrg
    wc_b: PartyOrg
    committee_b: PartyOrg
    member_a: PartyMember
    member_b: PartyMember


@pytest.fixture
def party(city: Any) -> Party:
    def org(kind: str, name: str, area: Any, parent: PartyOrg | None = None) -> PartyOrg:
        return actions.party_org_create(
            kind=kind,
            name=name,
            area=area,
            parent=parent,
            actor=None,
            established_on=dt.date(2020, 7, 1),
        )

    wc_a = org("working_committee", "新华街道党工委", city.street_a)
    committee_a = org("committee", "新华社区党委", city.community_a, wc_a)
    branch_a1 = org("branch", "第一网格党支部", city.grid_a1, committee_a)
    group_a2 = org("group", "第二网格党小组", city.grid_a2, branch_a1)
    joint_a = org("street_joint_committee", "新华街道大工委", city.street_a, wc_a)
    wc_b = org("working_committee", "海北街道党工委", city.street_b)
    committee_b = org("committee", "海北社区党委", city.community_b, wc_b)
    member_a = actions.party_member_add(
        organisation=branch_a1,
        name="张党员",
        phone="13812345678",
        id_number=valid_id("15030219800101123"),
        in_service=True,
        employer="乌海供电公司",
        residence_community=city.community_a,
        actor=None,
    )
    member_b = actions.party_member_add(
        organisation=committee_b, name="李党员", phone="13987654321", actor=None
    )
    return Party(
        wc_a, committee_a, branch_a1, group_a2, joint_a, wc_b, committee_b, member_a, member_b
    )
