"""Each role logs in and does its main task in a real Chromium, and one case
walks the whole loop across three people. Pages are in Simplified Chinese
(the default) unless a test switches; selectors use ids and data attributes.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from services import actions
from services.models import Clock, Dispatch, Ticket
from tests.browser.conftest import DESKTOP, PHONE, assert_usable, jpeg, shot
from tests.factories import UserFactory, grant

pytestmark = pytest.mark.browser
# Waits use locators and expect(), not page.wait_for_function(): its polling
# evals the predicate in the page, which the Content-Security-Policy refuses
# (no 'unsafe-eval', docs/decisions/0027).
expect.set_options(timeout=15_000)  # as long as the pages' own default


def _whistled(world, **kw):
    p = world.personas
    ticket = actions.ticket_report(
        actor=p.grid_worker_a,
        category=world.garbage,
        description=kw.get("description", "小区门口垃圾堆放三天无人清运"),
        grid=world.grid_a1,
        address="新华街道团结路12号",
        reporter_name="王女士",
        reporter_phone="13812345678",
    )
    actions.ticket_whistle(
        ticket=ticket,
        actor=p.street_officer_a,
        whistle_type="resident_demand",
        lead=world.dept_urban,
    )
    return Ticket.objects.get(pk=ticket.pk)


def _open_step(page, verb):
    page.click(f"[data-step={verb}]")
    page.wait_for_selector("#step-dialog.show [data-testid=step-form]")
    return page.locator("#step-dialog [data-testid=step-form]")


def test_grid_worker_logs_a_case_on_a_phone_with_location_and_photo(open_as, world):
    page = open_as(
        world.personas.grid_worker_a,
        PHONE,
        geolocation={"latitude": 39.66, "longitude": 106.81},
        permissions=["geolocation"],
        is_mobile=True,
        has_touch=True,
    )
    page.goto("/tickets/new/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    # The category picker filters as one types.
    page.fill("#category-search", "暴露垃圾")
    assert page.eval_on_selector("#id_category", "s => s.options[s.selectedIndex].text").endswith(
        "暴露垃圾"
    )
    visible = page.eval_on_selector_all(
        "#id_category option", "os => os.filter(o => !o.hidden).length"
    )
    assert 1 < visible < 10
    page.check("input[name=urgency][value=urgent]")
    page.fill("#id_description", "路口井盖缺失，行人有危险")
    page.click("#use-location")
    page.wait_for_selector("[data-testid=located-grid]")
    assert page.input_value("#id_grid") == str(world.grid_a1.pk)
    assert page.input_value("#id_lat") == "39.660000"
    page.fill("#id_address", "团结路与建设街交叉口")
    page.set_input_files("#id_photos", [jpeg()])
    assert_usable(page, PHONE["width"])
    shot(page, "01-grid-worker-log-a-case-375px")
    page.click("form[data-testid=report-form] [type=submit]")
    page.wait_for_url(re.compile(r"/tickets/\d+/$"))
    ticket = Ticket.objects.get(description="路口井盖缺失，行人有危险")
    assert ticket.grid_id == world.grid_a1.pk and ticket.urgency == "urgent"
    assert page.inner_text("[data-testid=ticket-number]") == ticket.number
    # The photo is served to the reporter, through the scoped view.
    expect(page.locator("img.case-photo").first).to_have_js_property("complete", True)
    img = page.locator("img.case-photo").first.element_handle()
    assert page.evaluate("img => img.naturalWidth", img) == 64
    assert page.locator("[data-testid=timeline] [data-verb=report]").count() == 1
    assert_usable(page, PHONE["width"])
    shot(page, "02-case-page-375px")
    # My cases lists it.
    page.goto("/tickets/?tab=mine")
    assert ticket.number in page.inner_text("[data-testid=case-row]")
    shot(page, "03-my-cases-375px")


def test_a_missing_grid_and_text_is_explained_on_the_form(open_as, world):
    page = open_as(world.personas.grid_worker_a, PHONE)
    page.goto("/tickets/new/")
    page.click("form[data-testid=report-form] [type=submit]")
    page.wait_for_selector("[data-testid=form-error]")
    assert page.locator("#id_description.is-invalid").count() == 1
    # With the text given, the action's own rule speaks: a grid or a location.
    page.fill("#category-search", "暴露垃圾")
    page.fill("#id_description", "没有位置的案件")
    page.click("form[data-testid=report-form] [type=submit]")
    page.wait_for_selector("#id_grid.is-invalid")
    assert page.locator("#id_description.is-invalid").count() == 0
    assert Ticket.objects.count() == 0
    # Location refused (no permission here): the page says what to do, in Chinese.
    page.click("#use-location")
    expect(page.locator("#locate-result")).not_to_be_empty()
    assert "网格" in page.inner_text("#locate-result")


def test_department_officer_works_the_queue_and_a_lost_race_is_friendly(open_as, world):
    p = world.personas
    first = _whistled(world, description="第一件")
    second = _whistled(world, description="第二件")
    third = _whistled(world, description="第三件")
    rival = UserFactory(username="rival", first_name="李四")
    grant(rival, "department_officer", department=world.dept_urban)
    page = open_as(p.department_officer, PHONE)
    page.goto("/queue/")
    assert page.inner_text("[data-testid=count-awaiting]") == "3"
    badge = page.locator(
        f"#dispatch-{Dispatch.objects.get(ticket=first, role='lead').pk} .deadline"
    )
    assert badge.get_attribute("data-tone") == "success"
    assert re.search(r"剩余", badge.inner_text())
    assert_usable(page, PHONE["width"])
    shot(page, "04-department-queue-375px")
    # Someone else claims the first case while the page is open.
    lost = Dispatch.objects.get(ticket=first, role="lead")
    actions.ticket_claim(dispatch=lost, actor=rival)
    page.click(f"#dispatch-{lost.pk} [data-testid=claim]")
    message = page.locator(f"#dispatch-{lost.pk} [data-testid=claim-message]")
    message.wait_for()
    assert "李四" in message.inner_text()
    assert page.locator("h1").count() == 1  # still the queue, not an error page
    won = Dispatch.objects.get(ticket=second, role="lead")
    page.click(f"#dispatch-{won.pk} [data-testid=claim]")
    page.locator(f"#dispatch-{won.pk} [data-testid=claim-message]").wait_for()
    assert Dispatch.objects.get(pk=won.pk).claimed_by_id == p.department_officer.pk
    shot(page, "05-queue-after-claims-375px")
    # Progress and an extension request on the claimed case.
    page.goto(f"/tickets/{second.pk}/")
    form = _open_step(page, "progress")
    form.locator("textarea[name=note]").fill("已安排清运车辆")
    form.locator("[data-testid=step-submit]").click()
    page.wait_for_selector("[data-testid=timeline] [data-verb=progress]")
    form = _open_step(page, "request_extension")
    later = timezone.localtime(Dispatch.objects.get(pk=won.pk).handle_due_at + dt.timedelta(days=3))
    form.locator("input[name=requested_due_at]").fill(later.strftime("%Y-%m-%dT%H:%M"))
    form.locator("textarea[name=reason]").fill("需协调物业共同处理")
    shot(page, "06-extension-dialog-375px")
    form.locator("[data-testid=step-submit]").click()
    page.wait_for_selector("[data-testid=timeline] [data-verb=request_extension]")
    # Return the third case with reason and legal basis.
    page.goto(f"/tickets/{third.pk}/")
    form = _open_step(page, "request_return")
    form.locator("[data-testid=step-submit]").click()  # empty: errors stay in the dialog
    form.locator(".invalid-feedback").first.wait_for()
    form = page.locator("#step-dialog [data-testid=step-form]")
    form.locator("textarea[name=reason]").fill("不属于本部门职责")
    form.locator("textarea[name=legal_basis]").fill("《城市市容和环境卫生管理条例》第十条")
    form.locator("[data-testid=step-submit]").click()
    page.wait_for_selector("[data-testid=timeline] [data-verb=request_return]")
    assert Dispatch.objects.get(ticket=third, role="lead").state == "return_requested"
    assert page.js_errors == []


def test_roster_admin_browses_the_tree_fixes_a_roster_and_imports(open_as, world, tmp_path):
    page = open_as(world.personas.roster_admin, DESKTOP)
    page.goto("/areas/")
    page.click(f"a[href='/areas/{world.city.pk}/']")
    page.click(f"a[href='/areas/{world.district.pk}/']")
    page.click(f"a[href='/areas/{world.street_a.pk}/']")
    page.click(f"a[href='/areas/{world.community_a.pk}/']")
    page.click(f"a[href='/areas/{world.grid_a1.pk}/']")
    page.click(f"a[href='/grids/{world.grid_a1.pk}/roster/']")
    assert page.locator("[data-testid=compliance-reasons] li").count() >= 3
    shot(page, "07-roster-empty-grid")
    # A new person as grid head.
    page.fill("#id_name", "张网格")
    page.fill("#id_phone", "13900001111")
    page.fill("#id_id_number", "110101199003074514")
    page.select_option("#id_role", "grid_head")
    page.check("#id_full_time")
    page.click("form[data-testid=roster-add-form] [type=submit]")
    page.wait_for_selector("[data-testid=roster-rows] tr")
    row = page.inner_text("[data-testid=roster-rows]")
    assert "张网格" in row and "139****1111" in row and "13900001111" not in page.content()
    # The same person found by search, added as a volunteer too.
    page.fill("#worker-search", "张网")
    page.wait_for_selector("#id_worker option >> nth=1", state="attached")
    page.select_option("#id_role", "volunteer")
    page.uncheck("#id_full_time")
    page.click("form[data-testid=roster-add-form] [type=submit]")
    expect(page.locator("[data-testid=roster-rows] tr")).to_have_count(2)
    # End the volunteer entry.
    page.locator("[data-testid=roster-rows] tr").nth(1).locator("summary").click()
    page.locator("[data-testid=roster-rows] tr").nth(1).locator("button[type=submit]").click()
    expect(page.locator("[data-testid=roster-rows] tr")).to_have_count(1)
    assert page.locator("[data-testid=history] li").count() >= 3
    shot(page, "08-roster-grid-page")
    # Import: a file with an error is previewed with its row and column.
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "grid_code,worker_code,name,phone,id_number,role,full_time,start,end\n"
        f"{world.grid_a2.code},,李楼长,13900002222,110101199003074514X,building_head,no,2026-01-05,\n",
        encoding="utf-8",
    )
    page.goto("/rosters/import/")
    page.set_input_files("#id_file", str(bad))
    page.click("form[data-testid=upload-form] [type=submit]")
    page.wait_for_selector("[data-testid=import-errors] tr")
    assert page.locator("[data-testid=apply]").count() == 0
    first_error = page.locator("[data-testid=import-errors] tr").first.locator("td")
    assert first_error.nth(0).inner_text() == "2"  # the spreadsheet's row, header is row 1
    assert first_error.nth(1).inner_text() == "id_number"
    shot(page, "09-roster-import-errors")
    good = tmp_path / "good.csv"
    good.write_text(
        "grid_code,worker_code,name,phone,id_number,role,full_time,start,end\n"
        f"{world.grid_a2.code},,李楼长,13900002222,11010119900307803X,building_head,no,2026-01-05,\n",
        encoding="utf-8",
    )
    page.set_input_files("#id_file", str(good))
    page.click("form[data-testid=upload-form] [type=submit]")
    page.wait_for_selector("[data-testid=apply]")
    shot(page, "10-roster-import-preview")
    page.click("[data-testid=apply]")
    page.wait_for_selector(".alert-success")
    from grids.rosters.models import RosterEntry

    assert RosterEntry.objects.filter(grid=world.grid_a2, worker__name="李楼长").exists()
    with page.expect_download() as download:
        page.goto(f"/areas/{world.grid_a2.pk}/")
        page.click("text=导出花名册")
    assert download.value.suggested_filename.endswith(".xlsx")


def test_leader_sees_the_supervision_list_and_todays_intake(open_as, world):
    overdue = _whistled(world, description="超时未签收的案件")
    Clock.objects.filter(ticket=overdue, state="running").update(
        started_at=timezone.now() - dt.timedelta(hours=30),
        remind_at=timezone.now() - dt.timedelta(hours=9),
        due_at=timezone.now() - dt.timedelta(hours=3),
    )
    page = open_as(world.personas.leader, DESKTOP)
    page.goto("/overview/")
    assert page.inner_text("[data-testid=today-total]") == "1"
    assert overdue.number in page.inner_text("[data-testid=supervision-rows]")
    assert "新华街道" in page.inner_text("[data-testid=by-street]")
    assert world.dept_urban.name in page.inner_text("[data-testid=by-department]")
    shot(page, "11-leader-overview")
    page.click(f"text={overdue.number}")
    form = _open_step(page, "supervise")
    form.locator("textarea[name=note]").fill("请于今日内签收并反馈")
    form.locator("[data-testid=step-submit]").click()
    page.wait_for_selector("[data-testid=timeline] [data-verb=supervise]")
    assert Ticket.objects.get(pk=overdue.pk).supervised
    assert_usable(page, DESKTOP["width"])


def test_inbox_count_in_the_header_and_reading_a_notification(open_as, world):
    ticket = _whistled(world)
    page = open_as(world.personas.department_officer, PHONE)
    page.goto("/")
    assert page.inner_text("[data-testid=unread-count]") == "1"
    shot(page, "12-home-with-unread-375px")
    page.click("[data-testid=inbox-link]")
    page.click("[data-testid=notification] button")
    page.wait_for_url(f"**/tickets/{ticket.pk}/")
    assert page.locator("[data-testid=unread-count]").count() == 0


def test_the_whole_loop_across_three_people(open_as, world):
    p = world.personas
    worker = open_as(p.grid_worker_a, PHONE)
    street = open_as(p.street_officer_a, DESKTOP)
    officer = open_as(p.department_officer, PHONE)

    # 1. The grid worker reports.
    worker.goto("/tickets/new/")
    worker.fill("#category-search", "暴露垃圾")
    worker.fill("#id_description", "垃圾桶满溢，异味严重")
    worker.select_option("#id_grid", str(world.grid_a1.pk))
    worker.click("form[data-testid=report-form] [type=submit]")
    worker.wait_for_url(re.compile(r"/tickets/\d+/$"))
    ticket = Ticket.objects.get(description="垃圾桶满溢，异味严重")

    # 2. The street whistles; the routing rule's department is pre-selected.
    street.goto(f"/tickets/{ticket.pk}/")
    assert world.dept_urban.name in street.inner_text("[data-testid=routing]")
    form = _open_step(street, "whistle")
    assert form.locator("select[name=lead]").input_value() == str(world.dept_urban.pk)
    shot(street, "13-whistle-dialog")
    form.locator("[data-testid=step-submit]").click()
    street.wait_for_selector("[data-testid=timeline] [data-verb=whistle]")

    # 3. The department claims and replies with a photo.
    officer.goto("/queue/")
    officer.click("[data-testid=claim]")
    officer.locator("[data-testid=claim-message]").wait_for()
    officer.goto(f"/tickets/{ticket.pk}/")
    form = _open_step(officer, "reply")
    form.locator("textarea[name=result]").fill("已清运并消毒")
    form.locator("input[name=photos]").set_input_files([jpeg((30, 160, 30))])
    form.locator("[data-testid=step-submit]").click()
    officer.wait_for_selector("[data-testid=timeline] [data-verb=reply]")
    shot(officer, "14-case-replied-375px")

    # 4. The street verifies and closes, then records the callback.
    street.reload()
    form = _open_step(street, "close")
    form.locator("[data-testid=step-submit]").click()
    street.wait_for_selector("[data-testid=timeline] [data-verb=close]")
    form = _open_step(street, "callback")
    form.locator("select[name=resolution]").select_option("resolved")
    form.locator("select[name=satisfaction]").select_option("satisfied")
    form.locator("[data-testid=step-submit]").click()
    street.wait_for_selector("[data-testid=timeline] [data-verb=callback]")
    shot(street, "15-case-done")

    ticket.refresh_from_db()
    assert ticket.state == "done"
    verbs = list(ticket.events.order_by("at", "id").values_list("verb", flat=True))
    for verb in ("report", "whistle", "claim", "reply", "close", "callback"):
        assert verb in verbs
    assert worker.js_errors == street.js_errors == officer.js_errors == []


def test_keyboard_only_step_and_the_english_switch(open_as, world):
    ticket = _whistled(world)
    page = open_as(world.personas.department_officer, DESKTOP)
    page.goto(f"/tickets/{ticket.pk}/")
    # Claim is a plain form button: reachable and pressed with the keyboard.
    page.focus("[data-step=claim]")
    page.keyboard.press("Enter")
    page.wait_for_selector("[data-step=progress]")
    page.focus("[data-step=progress]")
    page.keyboard.press("Enter")
    page.wait_for_selector("#step-dialog.show textarea[name=note]")
    # Focus moves into the dialog by itself once it is shown.
    expect(page.locator("#step-dialog textarea[name=note]")).to_be_focused()
    page.keyboard.type("键盘录入的进展")
    page.keyboard.press("Tab")  # photos
    page.keyboard.press("Tab")  # cancel
    page.keyboard.press("Tab")  # submit
    page.keyboard.press("Enter")
    page.wait_for_selector("[data-testid=timeline] [data-verb=progress]")
    # Language: Simplified Chinese by default, English on request.
    assert "办理队列" in page.inner_text("nav")
    page.select_option("#language-select", "en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert "Queue" in page.inner_text("nav")
    shot(page, "16-case-page-english")


def test_every_main_page_fits_a_phone_with_labels_and_the_inbox_in_the_header(open_as, world):
    """Each person's main pages at 375 px: no sideways scrolling, a label on
    every field, no script error, and the unread count in the header."""
    from core.notify import notify

    ticket = _whistled(world, description="手机上查看的案件")
    p = world.personas
    pages = {
        p.grid_worker_a: ["/", "/tickets/new/", "/tickets/?tab=mine", "/inbox/"],
        p.street_officer_a: ["/tickets/?tab=area", f"/tickets/{ticket.pk}/", "/overview/"],
        p.department_officer: ["/queue/", "/queue/?tab=overdue", f"/tickets/{ticket.pk}/"],
        p.roster_admin: [
            f"/areas/{world.community_a.pk}/",
            f"/grids/{world.grid_a1.pk}/roster/",
            f"/areas/{world.street_a.pk}/compliance/",
            "/rosters/import/",
        ],
        p.leader: ["/overview/"],
    }
    for user in pages:
        notify(users=[user], verb="test", title="请查看新的通知", url="/")
    for user, urls in pages.items():
        page = open_as(user, PHONE, is_mobile=True, has_touch=True)
        for url in urls:
            response = page.goto(url)
            assert response.status == 200, (user.username, url)
            assert page.locator("[data-testid=inbox-link]").is_visible(), url
            assert int(page.inner_text("[data-testid=unread-count]")) >= 1, url
            assert_usable(page, PHONE["width"])
            name = re.sub(r"[^a-z0-9]+", "-", url.lower()).strip("-") or "home"
            shot(page, f"20-{user.username}-{name}-375px")
