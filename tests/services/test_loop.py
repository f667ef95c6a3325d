"""The whole closed loop, through the API, as the real roles."""

from services.models import Callback, Dispatch, ReturnRequest, Ticket, TicketEvent


def post(client, url, data=None):
    response = client.post(url, data or {}, format="json")
    assert response.status_code in (200, 201), response.json()
    return response.json()


def test_a_ticket_walks_the_whole_loop(city, personas, garbage, api):
    # grid worker reports
    api.force_login(personas.grid_worker_a)
    created = post(
        api,
        "/api/v1/tickets/",
        {
            "category": garbage.pk,
            "description": "垃圾堆放",
            "grid": city.grid_a1.pk,
            "reporter_phone": "13812345678",
        },
    )
    tid = created["id"]
    assert created["state"] == "reported"
    assert created["number"].startswith("150302")
    assert created["reporter_phone"] == "138****5678"

    # street whistles to the wrong department (market supervision)
    api.force_login(personas.street_officer_a)
    body = post(
        api,
        f"/api/v1/tickets/{tid}/whistle/",
        {"whistle_type": "resident_demand", "lead": city.dept_market.pk},
    )
    assert body["state"] == "dispatched"

    # the market officer returns it with a legal basis
    market = personas.other_department_officer
    from tests.factories import grant

    grant(market, "department_officer", department=city.dept_market)
    api.force_login(market)
    post(
        api,
        f"/api/v1/tickets/{tid}/return/",
        {"reason": "不属于市场监管职责", "legal_basis": "《城市市容和环境卫生管理条例》第二十八条"},
    )
    request_id = ReturnRequest.objects.get(dispatch__ticket_id=tid).pk

    # the street approves the return, then re-dispatches to urban management
    api.force_login(personas.street_officer_a)
    assert (
        post(
            api, f"/api/v1/tickets/{tid}/review_return/", {"request": request_id, "approve": True}
        )["state"]
        == "returned"
    )
    post(
        api,
        f"/api/v1/tickets/{tid}/whistle/",
        {"whistle_type": "resident_demand", "lead": city.dept_urban.pk},
    )

    # urban management claims and replies
    api.force_login(personas.department_officer)
    assert post(api, f"/api/v1/tickets/{tid}/claim/")["state"] == "in_progress"
    assert post(api, f"/api/v1/tickets/{tid}/reply/", {"result": "已清运"})["state"] == "replied"

    # the street is not satisfied: rework
    api.force_login(personas.street_officer_a)
    assert (
        post(api, f"/api/v1/tickets/{tid}/rework/", {"note": "仍有残留"})["state"] == "in_progress"
    )

    api.force_login(personas.department_officer)
    assert (
        post(api, f"/api/v1/tickets/{tid}/reply/", {"result": "已彻底清理并消毒"})["state"]
        == "replied"
    )

    # verify and close, then call the resident back
    api.force_login(personas.street_officer_a)
    assert post(api, f"/api/v1/tickets/{tid}/close/", {"note": "现场核查合格"})["state"] == "closed"
    done = post(
        api,
        f"/api/v1/tickets/{tid}/callback/",
        {"resolution": "resolved", "satisfaction": "satisfied"},
    )
    assert done["state"] == "done"

    verbs = list(
        TicketEvent.objects.filter(ticket_id=tid)
        .order_by("at", "id")
        .values_list("verb", flat=True)
    )
    assert verbs == [
        "report",
        "whistle",
        "request_return",
        "approve_return",
        "whistle",
        "claim",
        "reply",
        "rework",
        "reply",
        "close",
        "callback",
    ]
    ticket = Ticket.objects.get(pk=tid)
    assert ticket.rework_count == 1
    assert Callback.objects.get(ticket=ticket).satisfaction == "satisfied"
    states = dict(Dispatch.objects.filter(ticket=ticket).values_list("department_id", "state"))
    assert states == {city.dept_market.pk: "returned", city.dept_urban.pk: "done"}
    assert [e["verb"] for e in done["timeline"]] == verbs


def test_an_illegal_transition_is_409_and_changes_nothing(whistled, personas, api):
    api.force_login(personas.street_officer_a)
    before = (TicketEvent.objects.count(), Ticket.objects.get(pk=whistled.pk).version)
    response = api.post(f"/api/v1/tickets/{whistled.pk}/close/", {}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"
    assert (TicketEvent.objects.count(), Ticket.objects.get(pk=whistled.pk).version) == before


def test_a_step_outside_ones_post_is_refused(whistled, personas, api):
    api.force_login(personas.grid_worker_a)  # sees the ticket, may not close it
    response = api.post(
        f"/api/v1/tickets/{whistled.pk}/whistle/",
        {"whistle_type": "key_task", "lead": whistled.dispatches.first().department_id},
        format="json",
    )
    assert response.status_code == 403
    assert response.json()["code"] == "not_your_step"
