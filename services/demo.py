"""Demo tickets: a few thousand cases over the last two months, in every
state, with timelines that follow the workflow (report → whistle → claim →
reply → close → callback, with returns, reworks and on-account cases).

Written with bulk inserts for speed; the rows are what the actions would
have written. Deterministic.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from core.workcalendar import TZ
from governance.models import Department
from services import clocks, deadlines
from services.categories import seed_categories
from services.models import (
    Callback,
    Category,
    CityPolicy,
    Clock,
    Dispatch,
    RoutingRule,
    Ticket,
    TicketEvent,
    TicketSerial,
)

N_TICKETS = 3000
STATE_WEIGHTS = {
    "reported": 8,
    "self_handling": 4,
    "dispatched": 10,
    "returned": 2,
    "in_progress": 20,
    "replied": 8,
    "on_account": 2,
    "closed": 8,
    "done": 38,
}
DESCRIPTIONS = {
    "E0101": "小区门口垃圾堆放多日无人清运，异味较大",
    "E0103": "路面有大量泥土和落叶，影响通行",
    "E0108": "夜间烧烤店噪声扰民，影响休息",
    "E0201": "单元门和电线杆上张贴大量小广告",
    "E0302": "工地未覆盖防尘网，扬尘严重",
    "E0304": "楼顶违法搭建彩钢房",
    "E0402": "路口自来水管破裂，水流到路面",
    "E0404": "下水道堵塞，污水外溢",
    "E0502": "商户店外摆摊经营，占用人行道",
    "E0504": "机动车长期占用消防通道",
    "C0101": "上水井盖破损，存在安全隐患",
    "C0105": "路灯不亮已一周，夜间出行不便",
    "C0205": "人行道地砖松动塌陷",
    "C0302": "垃圾箱破损无法使用",
    "C0401": "行道树倾斜，有倒伏风险",
    "R01": "咨询老旧小区改造政策",
    "R03": "投诉物业公司不作为",
}
ROADS = [
    "团结路",
    "海拉路",
    "新华大街",
    "滨河路",
    "人民路",
    "黄河街",
    "林荫路",
    "千钢路",
    "光明路",
    "民族街",
]


def _routing(city: Any) -> None:
    """District rules: category group → department (first match wins)."""
    by_name = {d.name: d for d in Department.objects.all()}
    for district in city.districts:

        def dept(suffix: str, district: Any = district) -> Department | None:
            return next(
                (d for n, d in by_name.items() if n.startswith(district.name) and suffix in n), None
            )

        rules = [
            ("E01", "城市管理", "lead"),
            ("E02", "城市管理", "lead"),
            ("E05", "城市管理", "lead"),
            ("E05", "市场监督", "assist"),
            ("E03", "住房和城乡建设", "lead"),
            ("E04", "水务", "lead"),
            ("C01", "水务", "lead"),
            ("C02", "住房和城乡建设", "lead"),
            ("C03", "城市管理", "lead"),
            ("C04", "城市管理", "lead"),
            ("R03", "市场监督", "lead"),
        ]
        for order, (code, suffix, role) in enumerate(rules, start=1):
            department = dept(suffix)
            if department is not None:
                RoutingRule.objects.get_or_create(
                    area=district,
                    category=Category.objects.get(code=code),
                    department=department,
                    defaults={"order": order * 10, "role": role},
                )


def _route(
    rules: dict[tuple[int, int], Department], district_id: int, category: Category
) -> Department | None:
    return rules.get((district_id, category.pk)) or rules.get(
        (district_id, category.parent_id or 0)
    )


@transaction.atomic
def seed(city: Any) -> dict[str, int]:
    seed_categories(Category)
    _routing(city)
    # 乌海 lets its grids whistle directly (网格吹哨、干部报到, source 002).
    CityPolicy.objects.update_or_create(city=city.city, defaults={"grid_may_whistle": True})
    rng = random.Random(150300)  # noqa: S311 - demo data, not security
    User = get_user_model()
    users = {
        u.username: u
        for u in User.objects.filter(
            username__in=[
                "grid_worker",
                "street_officer",
                "department_officer",
                "leader",
                "community_staff",
            ]
        )
    }
    leaves = {c.code: c for c in Category.objects.filter(code__in=DESCRIPTIONS)}
    codes = list(DESCRIPTIONS)
    lead_rules: dict[tuple[int, int], Department] = {}
    for rule in (
        RoutingRule.objects.filter(role="lead").select_related("department").order_by("-order")
    ):
        lead_rules[(rule.area_id, rule.category_id or 0)] = rule.department
    district_of = {}
    for district in city.districts:
        for grid in city.grids:
            if grid.path.startswith(district.path):
                district_of[grid.pk] = district
    demo_street = city.streets[0]
    now = timezone.now()
    states = list(STATE_WEIGHTS)
    weights = list(STATE_WEIGHTS.values())
    serials: Counter[tuple[str, dt.date]] = Counter()
    tickets: list[Ticket] = []
    plans: list[tuple[Ticket, str, Department | None, dt.datetime]] = []
    for i in range(N_TICKETS):
        # The demo street gets a larger share so the demo accounts have work.
        grid = rng.choice(list(city.grids[:40]) if i % 4 == 0 else city.grids)
        category = leaves[rng.choice(codes)]
        state = rng.choices(states, weights)[0]
        age = dt.timedelta(minutes=rng.randint(30, 60 * 24 * 60))
        if state in ("reported", "dispatched"):
            age = dt.timedelta(minutes=rng.randint(10, 60 * 36))
        created = now - age
        day = created.astimezone(TZ).date()
        serials[(grid.code[:6], day)] += 1
        number = f"{grid.code[:6]}{day:%Y%m%d}{serials[(grid.code[:6], day)]:05d}"
        urgency = rng.choices(["emergency", "urgent", "normal", "complex"], [3, 12, 75, 10])[0]
        source = rng.choices(
            ["grid_patrol", "hotline_12345", "resident", "walk_in", "leader"], [45, 35, 10, 7, 3]
        )[0]
        ticket = Ticket(
            number=number,
            source=source,
            category=category,
            description=DESCRIPTIONS[category.code],
            address=f"{grid.name.split('第')[0]}{rng.choice(ROADS)}{rng.randint(1, 199)}号",
            grid=grid,
            path=grid.path,
            urgency=urgency,
            state=state,
            reporter_name=rng.choice(["王女士", "李先生", "张先生", "刘女士", "匿名"]),
            reporter_phone=f"1{rng.choice('3589')}{rng.randint(100000000, 999999999)}",
            reported_by=users.get("grid_worker") if grid.pk == city.grids[0].pk else None,
            created_at=created,
            updated_at=created,
        )
        tickets.append(ticket)
        department = _route(lead_rules, district_of[grid.pk].pk, category)
        plans.append((ticket, state, department, created))
    Ticket.objects.bulk_create(tickets, batch_size=500)
    for (district_code, day), last in serials.items():
        TicketSerial.objects.update_or_create(
            district_code=district_code, day=day, defaults={"last": last}
        )

    dispatches: list[Dispatch] = []
    events: list[TicketEvent] = []
    callbacks: list[Callback] = []
    closed_updates: list[Ticket] = []
    for ticket, state, department, created in plans:
        in_demo_street = ticket.path.startswith(demo_street.path)
        street_user = users.get("street_officer") if in_demo_street else None
        dept_user = (
            users.get("department_officer")
            if department is not None and department.name.startswith("海勃湾区城市管理")
            else None
        )
        t = created

        def step(minutes: int) -> dt.datetime:
            nonlocal t
            t = min(
                t + dt.timedelta(minutes=rng.randint(minutes // 2 + 1, minutes)),
                now - dt.timedelta(minutes=1),
            )
            return t

        events.append(
            TicketEvent(
                ticket=ticket,
                verb="report",
                to_state="reported",
                at=t,
                actor=ticket.reported_by,
                data={"source": ticket.source},
            )
        )
        if state == "reported":
            continue
        if (
            state in ("self_handling",)
            or (state in ("closed", "done") and rng.random() < 0.3)
            or department is None
        ):
            events.append(
                TicketEvent(
                    ticket=ticket,
                    verb="self_handle",
                    from_state="reported",
                    to_state="self_handling",
                    at=step(120),
                )
            )
            if state in ("closed", "done"):
                events.append(
                    TicketEvent(
                        ticket=ticket,
                        verb="self_close",
                        from_state="self_handling",
                        to_state="closed",
                        at=step(600),
                        note="网格员已协调处理",
                    )
                )
                ticket.result, ticket.closed_at = "网格员已协调处理", t
                if state == "done":
                    events.append(
                        TicketEvent(
                            ticket=ticket,
                            verb="callback",
                            from_state="closed",
                            to_state="done",
                            at=step(1440),
                            actor=street_user,
                            data={
                                "contacted": True,
                                "resolution": "resolved",
                                "satisfaction": "satisfied",
                            },
                        )
                    )
                    callbacks.append(
                        Callback(
                            ticket=ticket,
                            contacted=True,
                            resolution="resolved",
                            satisfaction="satisfied",
                            by=street_user or users["street_officer"],
                            at=t,
                        )
                    )
            else:
                ticket.state = "self_handling"
            ticket.updated_at = t
            closed_updates.append(ticket)
            continue
        at = step(240)
        dispatch = Dispatch(
            ticket=ticket,
            department=department,
            role="lead",
            whistle_type="resident_demand",
            state="awaiting_claim",
            dispatched_by=street_user,
            dispatched_at=at,
        )
        dispatches.append(dispatch)
        events.append(
            TicketEvent(
                ticket=ticket,
                verb="whistle",
                from_state="reported",
                to_state="dispatched",
                at=at,
                actor=street_user,
                data={
                    "whistle_type": "resident_demand",
                    "dispatches": [{"department": department.name, "role": "lead"}],
                },
            )
        )
        ticket._demo_dispatch = dispatch  # type: ignore[attr-defined]
        if state == "dispatched":
            continue
        if state == "returned":
            dispatch.state = "returned"
            events.append(
                TicketEvent(
                    ticket=ticket,
                    verb="request_return",
                    from_state="dispatched",
                    to_state="dispatched",
                    at=step(300),
                    note="非本部门职责",
                    data={"legal_basis": "部门三定方案"},
                )
            )
            events.append(
                TicketEvent(
                    ticket=ticket,
                    verb="approve_return",
                    from_state="dispatched",
                    to_state="returned",
                    at=step(300),
                    actor=street_user,
                )
            )
            dispatch.closed_at = t
            continue
        claimed = step(600)
        dispatch.state, dispatch.claimed_by, dispatch.claimed_at = "claimed", dept_user, claimed
        dispatch.claimed_by = dept_user or users["department_officer"]
        events.append(
            TicketEvent(
                ticket=ticket,
                verb="claim",
                from_state="dispatched",
                to_state="in_progress",
                at=claimed,
                actor=dept_user,
                data={"department": department.name},
            )
        )
        if state == "in_progress":
            if rng.random() < 0.4:
                events.append(
                    TicketEvent(
                        ticket=ticket,
                        verb="progress",
                        from_state="in_progress",
                        to_state="in_progress",
                        at=step(900),
                        actor=dept_user,
                        note="已安排人员现场处置",
                    )
                )
            continue
        if state == "on_account":
            events.append(
                TicketEvent(
                    ticket=ticket,
                    verb="request_on_account",
                    from_state="in_progress",
                    to_state="in_progress",
                    at=step(2000),
                    note="需纳入年度改造计划",
                )
            )
            events.append(
                TicketEvent(
                    ticket=ticket,
                    verb="approve_on_account",
                    from_state="in_progress",
                    to_state="on_account",
                    at=step(900),
                    actor=street_user,
                )
            )
            continue
        events.append(
            TicketEvent(
                ticket=ticket,
                verb="reply",
                from_state="in_progress",
                to_state="replied",
                at=step(2400),
                actor=dept_user,
                note="已处置完毕",
            )
        )
        dispatch.state, dispatch.replied_at = "replied", t
        if rng.random() < 0.1 and state != "replied":
            events.append(
                TicketEvent(
                    ticket=ticket,
                    verb="rework",
                    from_state="replied",
                    to_state="in_progress",
                    at=step(600),
                    actor=street_user,
                    note="现场仍有问题",
                )
            )
            events.append(
                TicketEvent(
                    ticket=ticket,
                    verb="reply",
                    from_state="in_progress",
                    to_state="replied",
                    at=step(1200),
                    actor=dept_user,
                    note="已返工处理",
                )
            )
            ticket.rework_count = 1
        ticket.result = "已处置完毕"
        if state == "replied":
            continue
        events.append(
            TicketEvent(
                ticket=ticket,
                verb="close",
                from_state="replied",
                to_state="closed",
                at=step(600),
                actor=street_user,
                note="核查合格",
            )
        )
        dispatch.state, dispatch.closed_at = "done", t
        ticket.closed_at = t
        if state == "done":
            satisfaction = rng.choices(
                ["satisfied", "mostly_satisfied", "unsatisfied"], [80, 14, 6]
            )[0]
            resolution = (
                "resolved"
                if satisfaction != "unsatisfied"
                else rng.choice(["partly", "unresolved"])
            )
            events.append(
                TicketEvent(
                    ticket=ticket,
                    verb="callback",
                    from_state="closed",
                    to_state="done",
                    at=step(1440),
                    actor=street_user,
                    data={
                        "contacted": True,
                        "resolution": resolution,
                        "satisfaction": satisfaction,
                    },
                )
            )
            callbacks.append(
                Callback(
                    ticket=ticket,
                    contacted=True,
                    resolution=resolution,
                    satisfaction=satisfaction,
                    by=street_user or users["street_officer"],
                    at=t,
                )
            )
    # Their deadlines come from the clocks module, as the actions' do.
    clock_rows = []
    for d in dispatches:
        amount, unit, kind = deadlines.claim_policy(
            d.ticket.urgency, d.whistle_type, d.ticket.category
        )
        claim_end = d.claimed_at or (d.closed_at if d.state == "returned" else None)
        clock_rows.append(
            clocks.new_clock(
                ticket=d.ticket,
                dispatch=d,
                kind=kind,
                amount=amount,
                unit=unit,
                start=d.dispatched_at,
                stopped_at=claim_end,
            )
        )
        if d.claimed_at is not None:
            amount, unit = deadlines.handle_policy(d.ticket.urgency, d.ticket.category)
            clock_rows.append(
                clocks.new_clock(
                    ticket=d.ticket,
                    dispatch=d,
                    kind="handle",
                    amount=amount,
                    unit=unit,
                    start=d.claimed_at,
                    stopped_at=d.replied_at if d.state != "claimed" else None,
                )
            )
    clocks.show_on_dispatches(clock_rows)
    Dispatch.objects.bulk_create(dispatches, batch_size=500)
    Clock.objects.bulk_create(clock_rows, batch_size=500)
    for event in events:
        if event.verb not in ("report", "self_handle", "self_close", "callback"):
            event.dispatch = getattr(event.ticket, "_demo_dispatch", None)
    TicketEvent.objects.bulk_create(sorted(events, key=lambda e: e.at), batch_size=1000)
    Callback.objects.bulk_create(callbacks, batch_size=500)
    last_at: dict[int, dt.datetime] = {}
    for event in events:
        last_at[event.ticket.pk] = max(event.at, last_at.get(event.ticket.pk, event.at))
    for ticket in tickets:
        ticket.updated_at = last_at.get(ticket.pk, ticket.created_at)
    Ticket.objects.bulk_update(
        tickets, ["state", "updated_at", "closed_at", "result", "rework_count"], batch_size=500
    )
    return {
        "tickets": len(tickets),
        "ticket events": len(events),
        "dispatches": len(dispatches),
        "running clocks": sum(1 for c in clock_rows if c.state == "running"),
    }
