import datetime as dt
from io import BytesIO

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError, transaction

from core.errors import AccessDenied, Conflict, InvalidTransition, NotFound, ValidationFailed
from services import actions
from services.models import Attachment, Clock, Dispatch, Ticket, TicketEvent
from tests.services.conftest import jpeg_bytes


def test_report_numbers_tickets_by_district_and_day(report):
    with time_machine.travel(
        dt.datetime(2026, 3, 2, 23, 30, tzinfo=dt.UTC)
    ):  # 07:30 on 3 March in Shanghai
        first, second = report(), report()
    assert first.number == "1503022026030300001"
    assert second.number == "1503022026030300002"
    assert first.path == first.grid.path
    assert TicketEvent.objects.get(ticket=first).verb == "report"


def test_report_outside_ones_grid_is_refused_and_writes_nothing(report, city):
    with pytest.raises(AccessDenied):
        report(grid=city.grid_b1)
    assert Ticket.objects.count() == 0


def test_report_needs_a_grid_or_a_location(report):
    with pytest.raises(ValidationFailed) as exc:
        report(grid=None)
    assert "grid" in exc.value.extra["fields"]


def test_the_events_table_is_append_only(whistled):
    event = TicketEvent.objects.filter(ticket=whistled).first()
    with pytest.raises(DatabaseError), transaction.atomic():
        TicketEvent.objects.filter(pk=event.pk).update(note="x")


def test_photos_are_sniffed_and_lose_their_exif(report):
    photo = SimpleUploadedFile(
        "scene.jpg", jpeg_bytes(gps=(39.6812, 106.8234)), content_type="image/jpeg"
    )
    ticket = report(photos=[photo])
    attachment = Attachment.objects.get(ticket=ticket)
    assert float(attachment.exif_lat) == pytest.approx(39.6812, abs=1e-3)
    assert float(attachment.exif_lng) == pytest.approx(106.8234, abs=1e-3)
    from PIL import Image

    with attachment.file.open("rb") as f:
        stored = Image.open(BytesIO(f.read()))
        assert not stored.getexif(), "EXIF must not reach the served file"
    assert attachment.content_type == "image/jpeg"


def test_a_non_image_is_refused_whatever_its_name(report):
    fake = SimpleUploadedFile("scene.jpg", b"#!/bin/sh\necho pwned\n", content_type="image/jpeg")
    with pytest.raises(ValidationFailed) as exc:
        report(photos=[fake])
    assert exc.value.code == "photo_not_an_image"
    assert Ticket.objects.count() == 0


def test_more_than_nine_photos_are_refused(report):
    photos = [
        SimpleUploadedFile(f"{i}.jpg", jpeg_bytes(), content_type="image/jpeg") for i in range(10)
    ]
    with pytest.raises(ValidationFailed) as exc:
        report(photos=photos)
    assert exc.value.code == "too_many_photos"


def test_whistle_needs_distinct_departments_of_the_area(report, city, personas):
    ticket = report()
    with pytest.raises(ValidationFailed) as exc:
        actions.ticket_whistle(
            ticket=ticket,
            actor=personas.street_officer_a,
            whistle_type="key_task",
            lead=city.dept_urban,
            assists=[city.dept_urban],
        )
    assert exc.value.code == "duplicate_department"
    with pytest.raises(NotFound) as exc:  # another district's department is not even named
        actions.ticket_whistle(
            ticket=ticket,
            actor=personas.street_officer_a,
            whistle_type="key_task",
            lead=city.dept_other_district,
        )
    assert exc.value.code == "department_not_found"
    assert Dispatch.objects.count() == 0


def test_whistle_with_assist_and_inform(report, city, personas):
    ticket = report()
    dispatches = actions.ticket_whistle(
        ticket=ticket,
        actor=personas.street_officer_a,
        whistle_type="enforcement",
        lead=city.dept_urban,
        informs=[city.dept_market],
    )
    assert [(d.role, d.state) for d in dispatches] == [
        ("lead", "awaiting_claim"),
        ("inform", "informed"),
    ]
    assert dispatches[0].claim_due_at is not None
    assert dispatches[1].claim_due_at is None


def test_claim_sets_the_handling_deadline_from_the_category(whistled, personas):
    dispatch = Dispatch.objects.get(ticket=whistled)
    with time_machine.travel(
        dt.datetime(2025, 9, 30, 2, 0, tzinfo=dt.UTC)
    ):  # 10:00 Shanghai, before National Day
        claimed = actions.ticket_claim(dispatch=dispatch, actor=personas.department_officer)
    # 暴露垃圾: 1 working day → the next working day is 2025-10-09 (after the 8-day break)
    assert claimed.handle_due_at == dt.datetime(2025, 10, 9, 9, 30, tzinfo=dt.UTC)


def test_a_second_claim_is_already_claimed(whistled, personas, city):
    from tests.factories import UserFactory, grant

    dispatch = Dispatch.objects.get(ticket=whistled)
    actions.ticket_claim(dispatch=dispatch, actor=personas.department_officer)
    colleague = UserFactory()
    grant(colleague, "department_officer", department=city.dept_urban)
    with pytest.raises(Conflict) as exc:
        actions.ticket_claim(dispatch=dispatch, actor=colleague)
    assert exc.value.code == "already_claimed"
    assert exc.value.extra["claimed_by"]


def test_another_department_cannot_claim(whistled, personas):
    dispatch = Dispatch.objects.get(ticket=whistled)
    with pytest.raises(AccessDenied):
        actions.ticket_claim(dispatch=dispatch, actor=personas.other_department_officer)


def test_a_rejected_return_must_be_claimed_again(whistled, personas):
    dispatch = Dispatch.objects.get(ticket=whistled)
    actions.ticket_claim(dispatch=dispatch, actor=personas.department_officer)
    request = actions.ticket_request_return(
        dispatch=dispatch,
        actor=personas.department_officer,
        reason="非本部门职责",
        legal_basis="三定方案",
    )
    actions.ticket_review_return(
        request=request, actor=personas.street_officer_a, approve=False, note="属于城管职责"
    )
    dispatch.refresh_from_db()
    assert (dispatch.state, dispatch.claimed_by_id) == ("awaiting_claim", None)
    assert Ticket.objects.get(pk=whistled.pk).state == "dispatched"
    with pytest.raises(Conflict):
        actions.ticket_review_return(request=request, actor=personas.street_officer_a, approve=True)


def test_a_return_needs_reason_and_legal_basis(whistled, personas):
    dispatch = Dispatch.objects.get(ticket=whistled)
    with pytest.raises(ValidationFailed) as exc:
        actions.ticket_request_return(
            dispatch=dispatch, actor=personas.department_officer, reason="x", legal_basis=" "
        )
    assert "legal_basis" in exc.value.extra["fields"]


def _claimed(whistled, personas, when):
    dispatch = Dispatch.objects.get(ticket=whistled)
    with time_machine.travel(when):
        return actions.ticket_claim(dispatch=dispatch, actor=personas.department_officer)


def test_extension_only_before_the_deadline_and_moves_it_when_approved(whistled, personas):
    start = dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)  # Monday 10:00 Shanghai
    dispatch = _claimed(whistled, personas, start)
    new_due = dispatch.handle_due_at + dt.timedelta(days=5)
    with time_machine.travel(start + dt.timedelta(hours=2)):
        request = actions.ticket_request_extension(
            dispatch=dispatch,
            actor=personas.department_officer,
            requested_due_at=new_due,
            reason="需协调物业",
        )
        actions.ticket_review_extension(
            request=request, actor=personas.street_officer_a, approve=True
        )
    dispatch.refresh_from_db()
    assert dispatch.handle_due_at == new_due
    with time_machine.travel(new_due + dt.timedelta(minutes=1)), pytest.raises(Conflict) as exc:
        actions.ticket_request_extension(
            dispatch=dispatch,
            actor=personas.department_officer,
            requested_due_at=new_due + dt.timedelta(days=3),
            reason="再延",
        )
    assert exc.value.code == "deadline_passed"


def test_unsatisfied_callback_reopens_to_the_department(whistled, personas):
    dispatch = _claimed(whistled, personas, dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC))
    actions.ticket_reply(dispatch=dispatch, actor=personas.department_officer, result="已处理")
    actions.ticket_close(ticket=whistled, actor=personas.street_officer_a)
    with pytest.raises(ValidationFailed):  # a resident reached says what was solved
        actions.ticket_reopen(
            ticket=whistled, actor=personas.street_officer_a, resolution="", note="不满意"
        )
    callback = actions.ticket_reopen(
        ticket=whistled,
        actor=personas.street_officer_a,
        resolution="unresolved",
        note="井盖仍然松动",
    )
    whistled.refresh_from_db()
    dispatch.refresh_from_db()
    assert (whistled.state, dispatch.state) == ("in_progress", "claimed")
    assert (callback.satisfaction, callback.reopened) == ("unsatisfied", True)
    assert TicketEvent.objects.filter(ticket=whistled).last().verb == "reopen"
    # a fresh handling deadline, shown on the dispatch, from the running clock
    handle = Clock.objects.get(dispatch=dispatch, kind="handle", state="running")
    assert dispatch.handle_due_at == handle.due_at
    assert not Clock.objects.filter(ticket=whistled, kind="callback", state="running").exists()


def test_reopen_without_a_department_goes_back_to_the_grid(report, personas):
    ticket = report()
    actions.ticket_self_handle(ticket=ticket, actor=personas.grid_worker_a)
    actions.ticket_self_close(ticket=ticket, actor=personas.grid_worker_a, result="已清理")
    actions.ticket_reopen(
        ticket=ticket, actor=personas.street_officer_a, resolution="partly", note="还有垃圾"
    )
    ticket.refresh_from_db()
    assert (ticket.state, ticket.closed_at) == ("self_handling", None)


def test_unreached_requester_callback_has_no_rating(whistled, personas):
    dispatch = _claimed(whistled, personas, dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC))
    actions.ticket_reply(dispatch=dispatch, actor=personas.department_officer, result="已处理")
    actions.ticket_close(ticket=whistled, actor=personas.street_officer_a)
    callback = actions.ticket_callback(
        ticket=whistled, actor=personas.street_officer_a, contacted=False, resolution="resolved"
    )
    assert (callback.resolution, callback.satisfaction) == ("", "")


def test_on_account_with_approval_and_resume(whistled, personas):
    dispatch = _claimed(whistled, personas, dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC))
    request = actions.ticket_request_on_account(
        dispatch=dispatch, actor=personas.department_officer, reason="需纳入明年改造计划"
    )
    assert Ticket.objects.get(pk=whistled.pk).state == "in_progress"
    actions.ticket_review_on_account(request=request, actor=personas.street_officer_a, approve=True)
    assert Ticket.objects.get(pk=whistled.pk).state == "on_account"
    actions.ticket_resume(ticket=whistled, actor=personas.street_officer_a, note="资金已到位")
    assert Ticket.objects.get(pk=whistled.pk).state == "in_progress"


def test_only_a_leader_opens_supervision(whistled, personas):
    with pytest.raises(AccessDenied):
        actions.ticket_supervise(ticket=whistled, actor=personas.street_officer_a)
    actions.ticket_supervise(ticket=whistled, actor=personas.leader, kind="key", note="市领导关注")
    assert Ticket.objects.get(pk=whistled.pk).supervised is True
    with pytest.raises(Conflict):
        actions.ticket_supervise(ticket=whistled, actor=personas.leader, kind="key")


def test_self_handle_and_close_locally(report, personas):
    ticket = report()
    actions.ticket_self_handle(ticket=ticket, actor=personas.grid_worker_a)
    with pytest.raises(ValidationFailed):
        actions.ticket_self_close(ticket=ticket, actor=personas.grid_worker_a, result="  ")
    actions.ticket_self_close(
        ticket=ticket, actor=personas.grid_worker_a, result="网格员已协调清运"
    )
    ticket.refresh_from_db()
    assert ticket.state == "closed" and ticket.closed_at
    with pytest.raises(InvalidTransition):
        actions.ticket_self_handle(ticket=ticket, actor=personas.grid_worker_a)


def test_a_moved_grid_takes_its_tickets_along(report, city):
    from governance import actions as gov

    ticket = report()
    moved = gov.area_move(area=city.grid_a1, new_parent=city.community_b, actor=None)
    ticket.refresh_from_db()
    assert ticket.path == moved.path


def test_a_category_switched_off_for_the_city_is_refused(report, city, garbage):
    from services.models import CategoryCitySetting

    CategoryCitySetting.objects.create(category=garbage, city=city.city, enabled=False)
    with pytest.raises(ValidationFailed) as exc:
        report()
    assert "category" in exc.value.extra["fields"]


def test_a_decompression_bomb_is_a_400_not_a_500(report):
    import struct
    import zlib

    def chunk(kind, data):
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", 20000, 10000, 8, 2, 0, 0, 0)
    png = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 100))
        + chunk(b"IEND", b"")
    )
    with pytest.raises(ValidationFailed) as exc:
        report(photos=[SimpleUploadedFile("bomb.png", png, content_type="image/png")])
    assert exc.value.code == "photo_too_large"


def test_a_forged_exif_position_is_dropped(report):
    photo = SimpleUploadedFile("far.jpg", jpeg_bytes(gps=(89.9, 179.9)), content_type="image/jpeg")
    ticket = report(photos=[photo])
    assert Attachment.objects.get(ticket=ticket).exif_lat is not None
    from services.photos import _dms_to_decimal

    assert _dms_to_decimal((5000, 0, 0), "N") is None
    assert _dms_to_decimal((10, 0, float("nan")), "E") is None


def test_closing_decides_pending_requests(whistled, personas, city):
    from services.models import ReturnRequest

    lead = Dispatch.objects.get(ticket=whistled)
    assist = actions.ticket_whistle  # noqa: F841 - readability
    actions.ticket_claim(dispatch=lead, actor=personas.department_officer)
    Ticket.objects.filter(pk=whistled.pk).update(state="in_progress")
    from tests.factories import UserFactory, grant

    market = UserFactory()
    grant(market, "department_officer", department=city.dept_market)
    extra = Dispatch.objects.create(
        ticket=whistled, department=city.dept_market, role="assist", whistle_type="key_task"
    )
    request = actions.ticket_request_return(
        dispatch=extra, actor=market, reason="非本部门", legal_basis="三定"
    )
    actions.ticket_reply(dispatch=lead, actor=personas.department_officer, result="已处理")
    actions.ticket_close(ticket=whistled, actor=personas.street_officer_a)
    request.refresh_from_db()
    assert request.state == "rejected"
    assert ReturnRequest.objects.filter(state="pending").count() == 0


def test_rework_gives_the_department_a_fresh_deadline(whistled, personas):
    dispatch = _claimed(whistled, personas, dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC))
    actions.ticket_reply(dispatch=dispatch, actor=personas.department_officer, result="已处理")
    later = dt.datetime(2026, 3, 20, 2, 0, tzinfo=dt.UTC)
    with time_machine.travel(later):
        actions.ticket_rework(ticket=whistled, actor=personas.street_officer_a, note="不合格")
    dispatch.refresh_from_db()
    assert dispatch.handle_due_at > later
