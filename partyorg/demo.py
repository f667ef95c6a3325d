"""Demo data for partyorg (called by seed_demo).

For the Wuhai demo city: a 党工委 per street with a 大工委 under it (5–8
resident units, a quarterly chair rotation), a 党委 or 党总支 per community,
branches on most grids, only a Party group on some, nothing on a few, and a
few members per organisation (about 5,000 in all, a third in service).

Deterministic (a seeded ``random.Random``) and fast: materialized paths are
computed here and every table is written with ``bulk_create``, so the seed
writes no audit rows (it is the system loading fixtures, not a change).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from core.identity import id_check_char
from partyorg.models import (
    JointCommitteeMember,
    JointMeetingRotation,
    JointMeetingRotationSlot,
    OrgKind,
    PartyMember,
    PartyOrg,
    RotationPeriod,
)

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国志文斌海燕鹏辉宇浩凯健俊峰晨旭东雪梅琳晶欣然佳慧"
EMPLOYERS = [
    "乌海供电公司",
    "乌海市第一中学",
    "海勃湾区人民医院",
    "乌海市民政局",
    "乌海银行",
    "神华乌海能源公司",
    "乌海市公安局",
    "中国移动乌海分公司",
    "乌海市自来水公司",
    "乌海职业技术学院",
    "海勃湾区城市管理综合执法局",
    "乌海市税务局",
]
RESIDENT_UNITS = [
    "乌海供电公司",
    "乌海市第一中学",
    "海勃湾区人民医院",
    "乌海银行",
    "神华乌海能源公司",
    "中国移动乌海分公司",
    "乌海市自来水公司",
    "乌海职业技术学院",
    "乌海市税务局",
    "乌海市消防救援支队",
    "乌海市妇幼保健院",
    "内蒙古黄河工程局",
]
POSITIONS = ["党委书记", "党委副书记", "总经理", "校长", "院长", "支部书记", "工会主席"]
ROTATION_START = dt.date(2024, 1, 1)


@dataclass
class _Node:
    org: PartyOrg
    children: list[_Node] = field(default_factory=list)

    def add(self, org: PartyOrg) -> _Node:
        node = _Node(org)
        self.children.append(node)
        return node


def _assign_paths(node: _Node, path: str, depth: int, out: list[PartyOrg]) -> None:
    node.org.path = path
    node.org.depth = depth
    node.org.numchild = len(node.children)
    out.append(node.org)
    for i, child in enumerate(node.children, start=1):
        _assign_paths(child, PartyOrg._get_path(path, depth + 1, i), depth + 1, out)


class _People:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.ids: set[str] = set(
            PartyMember.objects.exclude(id_number="").values_list("id_number", flat=True)
        )

    def name(self) -> str:
        r = self.rng
        return r.choice(SURNAMES) + "".join(r.choice(GIVEN) for _ in range(r.choice((1, 2))))

    def phone(self) -> str:
        r = self.rng
        return "1" + r.choice("3578") + "".join(str(r.randrange(10)) for _ in range(9))

    def id_number(self, region: str, born: dt.date) -> str:
        while True:
            stem = f"{region}{born:%Y%m%d}{self.rng.randrange(1000):03d}"
            value = stem + id_check_char(stem)
            if value not in self.ids:
                self.ids.add(value)
                return value

    def member(
        self, org: PartyOrg, region: str, home_id: int, communities: list[Any]
    ) -> PartyMember:
        r = self.rng
        born = dt.date(1950, 1, 1) + dt.timedelta(days=r.randrange(50 * 365))
        in_service = born.year >= 1965 and r.random() < 0.45
        joined = min(born + dt.timedelta(days=365 * r.randint(19, 40)), dt.date(2024, 12, 31))
        lives_elsewhere = in_service and r.random() < 0.2
        return PartyMember(
            organisation=org,
            name=self.name(),
            gender=r.choice(("male", "female")),
            phone=self.phone(),
            id_number=self.id_number(region, born),
            joined_on=joined,
            in_service=in_service,
            employer=r.choice(EMPLOYERS) if in_service else "",
            residence_community_id=r.choice(communities).pk if lives_elsewhere else home_id,
        )


@transaction.atomic
def seed(city: Any) -> dict[str, int]:
    rng = random.Random(20210701)  # noqa: S311  # demo data, not secrets; 建党百年
    people = _People(rng)
    last_root = PartyOrg.objects.get_last_root_node()
    next_root = PartyOrg._str2int(last_root.path) + 1 if last_root else 1

    communities_by_street: dict[str, list[Any]] = {}
    for community in city.communities:
        communities_by_street.setdefault(community.path[: -community.steplen], []).append(community)
    grids_by_community: dict[str, list[Any]] = {}
    for grid in city.grids:
        grids_by_community.setdefault(grid.path[: -grid.steplen], []).append(grid)

    roots: list[_Node] = []
    #: (org, how many members, region code, home community id)
    staffing: list[tuple[PartyOrg, int, str, int]] = []
    branches: list[PartyOrg] = []
    joint_committees: list[tuple[PartyOrg, Any]] = []
    for street in city.streets:
        established = dt.date(rng.randint(1995, 2010), 7, 1)
        root = _Node(
            PartyOrg(
                kind=OrgKind.WORKING_COMMITTEE,
                name=f"{street.name}党工委",
                area_id=street.pk,
                established_on=established,
            )
        )
        roots.append(root)
        joint = root.add(
            PartyOrg(
                kind=OrgKind.STREET_JOINT_COMMITTEE,
                name=f"{street.name}大工委",
                area_id=street.pk,
                established_on=dt.date(2019, rng.randint(1, 12), 1),
            )
        ).org
        joint_committees.append((joint, street))
        for community in communities_by_street.get(street.path, []):
            kind = OrgKind.COMMITTEE if rng.random() < 0.4 else OrgKind.GENERAL_BRANCH
            suffix = "党委" if kind == OrgKind.COMMITTEE else "党总支"
            community_node = root.add(
                PartyOrg(
                    kind=kind,
                    name=f"{community.name}{suffix}",
                    area_id=community.pk,
                    established_on=established + dt.timedelta(days=365 * rng.randint(1, 8)),
                )
            )
            region = community.code[:6]
            staffing.append((community_node.org, rng.randint(2, 4), region, community.pk))
            grids = grids_by_community.get(community.path, [])
            statuses = [
                "branch" if r < 0.85 else "group" if r < 0.95 else "none"
                for r in (rng.random() for _ in grids)
            ]
            if grids and "branch" not in statuses:
                statuses[0] = "branch"
            branch_nodes: list[_Node] = []
            for grid, status in zip(grids, statuses, strict=True):
                if status != "branch":
                    continue
                node = community_node.add(
                    PartyOrg(
                        kind=OrgKind.BRANCH,
                        name=f"{grid.name}党支部",
                        area_id=grid.pk,
                        established_on=dt.date(rng.randint(2016, 2022), rng.randint(1, 12), 1),
                    )
                )
                branch_nodes.append(node)
                branches.append(node.org)
                staffing.append((node.org, rng.randint(4, 9), region, community.pk))
            for grid, status in zip(grids, statuses, strict=True):
                if status != "group":
                    continue
                # 联合党支部: a branch of a neighbouring grid keeps a group here.
                group = rng.choice(branch_nodes).add(
                    PartyOrg(
                        kind=OrgKind.GROUP,
                        name=f"{grid.name}党小组",
                        area_id=grid.pk,
                        established_on=dt.date(rng.randint(2018, 2023), rng.randint(1, 12), 1),
                    )
                )
                staffing.append((group.org, rng.randint(2, 4), region, community.pk))

    orgs: list[PartyOrg] = []
    for i, root in enumerate(roots):
        _assign_paths(root, PartyOrg._get_path(None, 1, next_root + i), 1, orgs)
    PartyOrg.objects.bulk_create(orgs, batch_size=500)

    members = [
        people.member(org, region, home, city.communities)
        for org, n, region, home in staffing
        for _ in range(n)
    ]
    PartyMember.objects.bulk_create(members, batch_size=1000)
    first_member: dict[int, PartyMember] = {}
    for m in members:
        first_member.setdefault(m.organisation_id, m)
    with_secretary = []
    for org in orgs:
        if org.pk in first_member and rng.random() < 0.9:
            org.secretary = first_member[org.pk]
            with_secretary.append(org)
    PartyOrg.objects.bulk_update(with_secretary, ["secretary"], batch_size=500)

    joint_members: list[JointCommitteeMember] = []
    rotations: list[tuple[JointMeetingRotation, list[str]]] = []
    for joint, _street in joint_committees:
        units = rng.sample(RESIDENT_UNITS, rng.randint(5, 8))
        joint_members.extend(
            JointCommitteeMember(
                committee=joint,
                unit_name=unit,
                person_name=people.name(),
                position=rng.choice(POSITIONS),
                phone=people.phone(),
                term_start=dt.date(2023, 1, 1),
                term_end=dt.date(2027, 12, 31) if rng.random() < 0.8 else None,
            )
            for unit in units
        )
        rotations.append(
            (
                JointMeetingRotation(
                    committee=joint, period=RotationPeriod.QUARTER, starts_on=ROTATION_START
                ),
                rng.sample(units, len(units)),
            )
        )
    JointCommitteeMember.objects.bulk_create(joint_members)
    JointMeetingRotation.objects.bulk_create([r for r, _units in rotations])
    JointMeetingRotationSlot.objects.bulk_create(
        [
            JointMeetingRotationSlot(rotation=r, position=i, unit_name=unit)
            for r, units in rotations
            for i, unit in enumerate(units)
        ]
    )
    return {
        "Party organisations": len(orgs),
        "Party members": len(members),
        "joint committee members": len(joint_members),
    }
