"""Demo data for grids.rosters (called by seed_demo).

Rosters for every grid of the demo city — most compliant with
一格一长一警一专多兼, a few deliberately not (no police, two heads, too few
people, no full-time worker) so the compliance report has something to show —
and a few hundred visits over the last three months. Deterministic for a
given day (random.Random with a fixed seed); bulk inserts keep it fast.
The audit rows ("added", actor = system) are written in bulk too, so the
history endpoint has a first line for every demo entry.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from core.identity import id_check_char
from core.models import AuditEntry
from governance.models import Area
from grids.rosters.models import RosterEntry, RosterRole, Visit, VisitKind, Worker

SEED = 786
N_VISITS = 480
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红梅鹏飞斌宇浩凯鑫晨旭东海波辉建国建华志强春梅丹玲慧琳颖婷欣怡子涵梓萱宏伟"
EXTRA_ROLES = [
    RosterRole.BUILDING_HEAD,
    RosterRole.UNIT_HEAD,
    RosterRole.PART_TIME_WORKER,
    RosterRole.VOLUNTEER,
    RosterRole.LIAISON,
    RosterRole.COORDINATOR,
    RosterRole.PATROLLER,
    RosterRole.STREET_HEAD,
    RosterRole.ROAD_HEAD,
]


class _People:
    """Deterministic, valid and unique names, phones and ID numbers."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.n = 0
        self.ids: set[str] = set()

    def make(self, region: str) -> Worker:
        self.n += 1
        rng = self.rng
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2)))
        gender = rng.choice(["male", "female"])
        while True:
            birth = dt.date(1960, 1, 1) + dt.timedelta(days=rng.randint(0, 365 * 40))
            seq = rng.randint(0, 499) * 2 + (1 if gender == "male" else 0)  # odd = male
            first17 = f"{region}{birth:%Y%m%d}{seq:03d}"
            id_number = first17 + id_check_char(first17)
            if id_number not in self.ids:
                self.ids.add(id_number)
                break
        phone = f"1{rng.choice('3578')}{rng.randint(0, 9)}{self.n:08d}"
        return Worker(name=name, gender=gender, phone=phone, id_number=id_number)


def _plan(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.03:
        return "no_police"
    if r < 0.05:
        return "two_heads"
    if r < 0.07:
        return "too_few"
    if r < 0.08:
        return "no_full_time"
    return "ok"


@transaction.atomic
def seed(city: Any) -> dict[str, int]:
    rng = random.Random(SEED)  # noqa: S311 - demo data, not secrets
    people = _People(rng)
    grids: list[Area] = city.grids

    # One police officer per community covers all its grids (社区民警).
    police_by_community: dict[str, Worker] = {}
    for community in city.communities:
        police_by_community[community.path] = people.make(community.code[:6])
    # (grid, worker, role, full_time) before the workers have ids.
    planned: list[tuple[Area, Worker, str, bool]] = []
    full_time_of_first_grid: Worker | None = None
    for grid in grids:
        region = grid.code[:6]
        plan = _plan(rng) if grid is not grids[0] else "ok"
        head = people.make(region)
        planned.append((grid, head, RosterRole.GRID_HEAD, False))
        if plan == "two_heads":
            planned.append((grid, people.make(region), RosterRole.GRID_HEAD, False))
        if plan != "no_police":
            police = police_by_community[grid.path[: -Area.steplen]]
            planned.append((grid, police, RosterRole.GRID_POLICE, False))
        if plan != "no_full_time":
            ft = people.make(region)
            planned.append((grid, ft, RosterRole.FULL_TIME_WORKER, True))
            if grid is grids[0]:
                full_time_of_first_grid = ft
        extras = 0 if plan == "too_few" else rng.randint(2, 5)
        planned.extend(
            (grid, people.make(region), extra_role, False)
            for extra_role in rng.sample(EXTRA_ROLES, extras)
        )

    workers = list(police_by_community.values())
    seen = {id(w) for w in workers}
    for _grid, worker, _role, _ft in planned:
        if id(worker) not in seen:
            seen.add(id(worker))
            workers.append(worker)
    Worker.objects.bulk_create(workers, batch_size=500)
    if full_time_of_first_grid is not None:
        user = get_user_model().objects.filter(username="grid_worker").first()
        if user is not None:
            Worker.objects.filter(pk=full_time_of_first_grid.pk).update(user=user)

    entries = [
        RosterEntry(
            grid=grid,
            worker=worker,
            role=role,
            full_time=full_time,
            start=dt.date(2021, 1, 1) + dt.timedelta(days=rng.randint(0, 1200)),
            note="demo",
        )
        for grid, worker, role, full_time in planned
    ]
    RosterEntry.objects.bulk_create(entries, batch_size=500)

    worker_ct = ContentType.objects.get_for_model(Worker)
    entry_ct = ContentType.objects.get_for_model(RosterEntry)
    audits = [
        AuditEntry(
            content_type=worker_ct,
            object_id=w.pk,
            verb="created",
            after={"code": w.code, "name": w.name},
            note="demo",
        )
        for w in workers
    ] + [
        AuditEntry(
            content_type=entry_ct,
            object_id=e.pk,
            verb="added",
            after={"grid": e.grid.pk, "worker": e.worker.pk, "role": e.role},
            note="demo",
        )
        for e in entries
    ]
    AuditEntry.objects.bulk_create(audits, batch_size=1000)

    # Visits over the last ~90 days by each grid's full-time worker (or head).
    visitor: dict[int, Worker] = {}
    for grid, worker, role, _ft in planned:
        if role == RosterRole.FULL_TIME_WORKER or grid.pk not in visitor:
            visitor[grid.pk] = worker
    now = timezone.now()
    visits = []
    for i in range(N_VISITS):
        # A third of the visits in the demo grid worker's grid, so their screens have data.
        grid = grids[0] if i % 3 == 0 else rng.choice(grids)
        kind = rng.choices(
            [VisitKind.HOUSEHOLD_VISIT, VisitKind.PATROL, VisitKind.OTHER], [70, 25, 5]
        )[0]
        household = (
            f"{rng.randint(1, 12)}-{rng.randint(1, 4)}-{rng.randint(1, 6)}0{rng.randint(1, 4)}"
            if kind == VisitKind.HOUSEHOLD_VISIT
            else ""
        )
        visited_at = now - dt.timedelta(
            days=rng.randint(0, 89), hours=rng.randint(0, 8), minutes=rng.randint(0, 59)
        )
        visits.append(
            Visit(
                grid=grid,
                worker=visitor[grid.pk],
                visited_at=min(visited_at, now),
                kind=kind,
                household=household,
                address=grid.name,
                notes="demo",
            )
        )
    Visit.objects.bulk_create(visits, batch_size=500)
    return {"grid workers": len(workers), "roster entries": len(entries), "visits": len(visits)}
