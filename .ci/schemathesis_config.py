"""Print a schemathesis.toml that points every path parameter at real rows.

Run by ``.ci/schemathesis`` after ``seed_demo``, in the scratch database:

    .venv/bin/python .ci/schemathesis_config.py CLIENT_NAME > schemathesis.toml

Without it the fuzzer guesses ids, gets 404 for nearly every ``{id}`` and
never reaches the code behind them. With it, each ticket verb gets a ticket in
a state that verb starts from, the client also works the queue of that
ticket's lead department (so claim, return, progress and reply can succeed),
and grids, rosters, workers, Party rows, visits and a webhook subscription
are the demo city's own. The fuzzer still varies the bodies and query strings.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from grids.rosters.models import RosterEntry, Visit, Worker  # noqa: E402
from integrations import actions as integrations  # noqa: E402
from integrations.models import ApiClient  # noqa: E402
from partyorg.models import (  # noqa: E402
    JOINT_KINDS,
    JointCommitteeMember,
    PartyMember,
    PartyOrg,
)
from services.models import (  # noqa: E402
    Category,
    Dispatch,
    DispatchRole,
    DispatchState,
    Ticket,
    TicketState,
)

S = TicketState


def ticket_verbs() -> dict[str, tuple[str, ...]]:
    """API verb paths by a ticket state they start from, read off the
    transition table and the verb registry (the first starting state in the
    order of TicketState), plus the routing read for reported cases."""
    from services import verbs, workflow

    order = list(S.values)
    out: dict[str, list[str]] = {S.REPORTED: ["routing"]}
    paths = [(v.verb, v.path) for v in verbs.STEPS.values()]
    paths += [(r.approve, f"review_{r.kind}") for r in verbs.REVIEWS.values()]
    for verb, path in paths:
        start = min(workflow.TRANSITIONS[verb].ticket_from, key=order.index)
        out.setdefault(start, []).append(path)
    return {state: tuple(paths) for state, paths in out.items()}


def first_id(queryset: object) -> int | None:
    row = queryset.order_by("pk").values_list("pk", flat=True).first()  # type: ignore[attr-defined]
    return int(row) if row is not None else None


def main(client_name: str) -> None:
    client = ApiClient.objects.get(name=client_name)
    areas = [post.area for post in client.user.posts.filter(active=True, area__isnull=False)]
    ops: list[tuple[str, dict[str, int]]] = []

    awaiting = (
        Dispatch.objects.filter(
            state=DispatchState.AWAITING_CLAIM,
            role=DispatchRole.LEAD,
            ticket__state=S.DISPATCHED,
        )
        .select_related("department")
        .order_by("pk")
        .first()
    )
    if awaiting is not None:
        integrations.client_set_scope(
            client=client, areas=areas, departments=[awaiting.department], actor=None
        )
        ops.append((r"^/api/v1/dispatches/\{id\}/", {"id": awaiting.pk}))

    TICKET_VERBS = ticket_verbs()
    by_state = {state: first_id(Ticket.objects.filter(state=state)) for state in TICKET_VERBS}
    if awaiting is not None:
        by_state[S.DISPATCHED] = awaiting.ticket_id
    for state, verbs in TICKET_VERBS.items():
        ticket_id = by_state.get(state)
        if ticket_id is None:
            continue
        ops.append((rf"^/api/v1/tickets/\{{id\}}/({'|'.join(verbs)})/$", {"id": ticket_id}))
    if by_state.get(S.REPORTED):
        ops.append((r"^/api/v1/tickets/\{id\}/$", {"id": by_state[S.REPORTED]}))

    entry = RosterEntry.objects.filter(end__isnull=True).order_by("pk").first()
    if entry is not None:
        ops.append((r"^/api/v1/grids/\{area_id\}/", {"area_id": entry.grid_id}))
        ops.append((r"^/api/v1/grids/\{grid_id\}/", {"grid_id": entry.grid_id}))
        ops.append((r"^/api/v1/grids/roster-entries/\{entry_id\}/", {"entry_id": entry.pk}))
        ops.append((r"^/api/v1/areas/\{id\}/", {"id": entry.grid_id}))
    simple = {
        r"^/api/v1/grids/workers/\{id\}/": first_id(Worker.objects.filter(active=True)),
        r"^/api/v1/categories/\{id\}/": first_id(Category.objects.filter(children__isnull=True)),
        r"^/api/v1/departments/\{id\}/": awaiting.department_id if awaiting else None,
        r"^/api/v1/party/orgs/\{id\}/": first_id(PartyOrg.objects.exclude(kind__in=JOINT_KINDS)),
        r"^/api/v1/party/joint-committees/\{id\}/": first_id(
            PartyOrg.objects.filter(kind__in=JOINT_KINDS)
        ),
        r"^/api/v1/party/members/\{id\}/": first_id(PartyMember.objects.filter(is_active=True)),
        r"^/api/v1/visits/\{id\}/": first_id(Visit.objects.all()),
    }
    joint_member = JointCommitteeMember.objects.order_by("pk").first()
    if joint_member is not None:
        ops.append(
            (
                r"^/api/v1/party/joint-committees/\{id\}/members/\{member_id\}/",
                {"id": joint_member.committee_id, "member_id": joint_member.pk},
            )
        )
    ops.extend((regex, {"id": pk}) for regex, pk in simple.items() if pk is not None)

    hook = integrations.webhook_subscribe(
        client=client,
        url="http://127.0.0.1:9/schemathesis",
        events=["ticket.created", "ticket.closed"],
        actor=None,
    )
    ops.append((r"^/api/v1/webhooks/\{id\}/", {"id": hook.pk}))

    for regex, params in ops:
        print("[[operations]]")
        print(f"include-path-regex = '{regex}'")
        values = ", ".join(f"{name} = {value}" for name, value in params.items())
        print(f"parameters = {{ {values} }}")
        print()


if __name__ == "__main__":
    main(sys.argv[1])
