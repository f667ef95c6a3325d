"""Demo city modelled on 乌海市 (Wuhai, Inner Mongolia, 150300000000).

Three districts (海勃湾区 150302000000, 海南区 150303000000, 乌达区
150304000000), 15 streets and towns, 69 communities, 786 grids (Wuhai's real
count), 21 departments and one demo account per role. Deterministic: the same
run gives the same rows. Street and community names follow the real city
where known; codes follow the 统计用区划代码 layout (governance.codes) but are
illustrative below the districts: 社区 in streets are 居委会 numbered from 001,
村 in towns are 村委会 numbered from 200, grids extend their community's code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from governance import actions
from governance.codes import CommitteeKind
from governance.models import Area, Department, Role

CITY = ("150300000000", "乌海市")
#: district code, name, [(street number, street name, communities)]
DISTRICTS: list[tuple[str, str, list[tuple[int, str, int]]]] = [
    (
        "150302000000",
        "海勃湾区",
        [
            (1, "新华街道", 6),
            (2, "新华西街道", 5),
            (3, "海北街道", 5),
            (4, "滨河街道", 5),
            (5, "凤凰岭街道", 4),
            (6, "卡布其街道", 4),
            (101, "千里山镇", 3),
        ],
    ),
    (
        "150303000000",
        "海南区",
        [(1, "西卓子山街道", 5), (101, "拉僧庙镇", 4), (102, "巴音陶亥镇", 4)],
    ),
    (
        "150304000000",
        "乌达区",
        [
            (1, "三道坎街道", 5),
            (2, "五虎山街道", 5),
            (3, "梁家沟街道", 5),
            (4, "苏海图街道", 5),
            (101, "乌兰淖尔镇", 4),
        ],
    ),
]
TOTAL_GRIDS = 786
COMMUNITY_NAMES = [
    "团结",
    "和平",
    "友谊",
    "光明",
    "幸福",
    "阳光",
    "振华",
    "富民",
    "新星",
    "康乐",
    "滨湖",
    "育才",
    "春晖",
    "长青",
    "海达",
    "胜利",
    "民族",
    "康居",
    "锦华",
    "桃园",
    "欣欣",
    "青山",
    "利民",
    "兴业",
    "安康",
    "福泽",
    "明珠",
    "金泰",
    "绿洲",
    "朝阳",
    "建设",
    "向阳",
    "祥和",
    "平安",
    "永安",
    "东风",
    "红旗",
    "西园",
    "北苑",
    "南湖",
    "煤城",
    "湖滨",
    "丰泽",
    "泰和",
    "乌达",
    "苏海",
    "赛汗",
    "巴音",
    "三道",
    "五虎",
    "梁家",
    "沙区",
    "新湖",
    "水城",
    "润园",
    "书香",
    "景苑",
    "星河",
    "天元",
    "瑞丰",
    "鑫海",
    "宏达",
    "乐业",
    "文昌",
    "雅苑",
    "惠民",
    "嘉园",
    "同心",
    "和谐",
]
DISTRICT_DEPARTMENTS = [
    "城市管理综合执法局",
    "市场监督管理局",
    "住房和城乡建设局",
    "水务局",
    "公安分局",
]
CITY_DEPARTMENTS = [
    "生态环境局",
    "交通运输局",
    "应急管理局",
    "卫生健康委员会",
    "民政局",
    "乌海供电公司",
]

#: username = role name; display names for the header.
DEMO_USERS: list[tuple[str, str]] = [
    (Role.GRID_WORKER, "王网格"),
    (Role.COMMUNITY_STAFF, "李社区"),
    (Role.STREET_OFFICER, "张街道"),
    (Role.DEPARTMENT_OFFICER, "赵执法"),
    (Role.DEPARTMENT_HEAD, "钱局长"),
    (Role.ROSTER_ADMIN, "孙管理"),
    (Role.LEADER, "周书记"),
    (Role.SYSADMIN, "吴运维"),
]


@dataclass
class DemoCity:
    city: Area
    districts: list[Area] = field(default_factory=list)
    streets: list[Area] = field(default_factory=list)
    communities: list[Area] = field(default_factory=list)
    grids: list[Area] = field(default_factory=list)
    departments: list[Department] = field(default_factory=list)


def demo_exists() -> bool:
    return Area.objects.filter(code=CITY[0]).exists()


def grid_counts(n_communities: int, total: int = TOTAL_GRIDS) -> list[int]:
    """Spread ``total`` grids over communities: 10–13 each, deterministic."""
    base, extra = divmod(total, n_communities)
    return [base + (1 if i < extra else 0) + (i % 3) - 1 for i in range(n_communities)]


@transaction.atomic
def seed_tree() -> DemoCity:
    demo = DemoCity(city=actions.area_create(parent=None, name=CITY[1], code=CITY[0], actor=None))
    n_communities = sum(n for _c, _n, streets in DISTRICTS for _s, _sn, n in streets)
    counts = grid_counts(n_communities)
    # Keep the total exact whatever the ±1 pattern did.
    counts[-1] += TOTAL_GRIDS - sum(counts)
    community_index = 0
    for district_code, district_name, streets in DISTRICTS:
        district = actions.area_create(
            parent=demo.city, name=district_name, code=district_code, actor=None
        )
        demo.districts.append(district)
        for street_no, street_name, n_comm in streets:
            street = actions.area_create(
                parent=district,
                name=street_name,
                code=f"{district_code[:6]}{street_no:03d}000",
                actor=None,
            )
            demo.streets.append(street)
            # Towns (镇, 100–199) hold villages: 村委会 are numbered from 200 up.
            kind = CommitteeKind.VILLAGERS if street_no >= 100 else CommitteeKind.RESIDENTS
            suffix = "村" if kind == CommitteeKind.VILLAGERS else "社区"
            for c in range(1, n_comm + 1):
                name = COMMUNITY_NAMES[community_index % len(COMMUNITY_NAMES)] + suffix
                number = c if kind == CommitteeKind.RESIDENTS else 199 + c  # 001… or 200…
                community = actions.area_create(
                    parent=street,
                    name=name,
                    code=f"{street.code[:9]}{number:03d}",
                    committee=kind,
                    actor=None,
                )
                demo.communities.append(community)
                for g in range(1, counts[community_index] + 1):
                    demo.grids.append(
                        actions.area_create(
                            parent=community,
                            name=f"{name}第{g}网格",
                            code=f"{community.code}{g:03d}",
                            actor=None,
                        )
                    )
                community_index += 1
    for district in demo.districts:
        first_street = next(s for s in demo.streets if s.path.startswith(district.path))
        for dept_name in DISTRICT_DEPARTMENTS:
            full = f"{district.name}{dept_name}"
            stationed = None
            if dept_name == "公安分局":
                full = f"{district.name}公安分局{first_street.name.removesuffix('街道')}派出所"
                stationed = first_street
            demo.departments.append(
                actions.department_create(
                    name=full,
                    short_name=dept_name[:6],
                    area=district,
                    stationed_at=stationed,
                    actor=None,
                )
            )
    for dept_name in CITY_DEPARTMENTS:
        name = dept_name if dept_name.startswith("乌海") else f"乌海市{dept_name}"
        demo.departments.append(
            actions.department_create(
                name=name, short_name=dept_name[:6], area=demo.city, actor=None
            )
        )
    return demo


@transaction.atomic
def seed_accounts(demo: DemoCity) -> list[str]:
    """One account per role; returns the usernames."""
    User = get_user_model()
    street = demo.streets[0]
    community = demo.communities[0]
    grid = demo.grids[0]
    department = demo.departments[0]  # 海勃湾区城市管理综合执法局
    places: dict[str, dict[str, Any]] = {
        Role.GRID_WORKER: {"area": grid},
        Role.COMMUNITY_STAFF: {"area": community},
        Role.STREET_OFFICER: {"area": street},
        Role.DEPARTMENT_OFFICER: {"department": department},
        Role.DEPARTMENT_HEAD: {"department": department},
        Role.ROSTER_ADMIN: {"area": demo.districts[0]},
        Role.LEADER: {"area": demo.city},
        Role.SYSADMIN: {"area": demo.city},
    }
    names = []
    for role, display in DEMO_USERS:
        user = User.objects.create_user(
            username=role,
            password=settings.DEMO_PASSWORD,
            first_name=display,
            is_staff=role in (Role.ROSTER_ADMIN, Role.SYSADMIN),
            is_superuser=role == Role.SYSADMIN,
        )
        actions.post_grant(user=user, role=role, actor=None, **places[role])
        names.append(user.username)
    return names
