"""Grid workers follow the one rule for ID and phone numbers (core.identity),
with the same messages as Party members."""

from __future__ import annotations

import datetime as dt

import pytest

from core import identity
from core.errors import ValidationFailed
from grids.rosters import actions
from grids.rosters.models import RosterEntry, Worker
from tests.grids.conftest import make_id_number, make_phone

BAD_CHECK_DIGIT = "110105194912310021"  # GB 11643's example ends in X


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("id_number", BAD_CHECK_DIGIT, identity.ID_NUMBER_CHECK_DIGIT),
        ("phone", "12812345678", identity.PHONE_INVALID),
    ],
)
def test_the_roster_actions_refuse_a_bad_number_with_the_rule_message(city, field, value, message):
    data = {"name": "张三", "phone": make_phone(1), "id_number": make_id_number(1)}
    data[field] = value
    counts = (Worker.objects.count(), RosterEntry.objects.count())
    with pytest.raises(ValidationFailed) as exc:
        actions.worker_create(**data, actor=None)
    assert exc.value.extra["fields"] == {field: [str(message)]}
    with pytest.raises(ValidationFailed) as exc:
        actions.roster_add_person(
            grid=city.grid_a1,
            worker=None,
            new_worker=data,
            role="volunteer",
            full_time=False,
            start=dt.date(2026, 1, 5),
            actor=None,
        )
    assert exc.value.extra["fields"] == {field: [str(message)]}
    assert (Worker.objects.count(), RosterEntry.objects.count()) == counts


def test_workers_store_numbers_normalised(city):
    worker = actions.worker_create(
        name="李四", phone="+86 139 0000 0001", id_number="11010519491231002x", actor=None
    )
    stored = Worker.objects.get(pk=worker.pk)
    assert (stored.phone, stored.id_number) == ("13900000001", "11010519491231002X")
    actions.worker_update(worker=stored, phone="010 12345678", actor=None)
    assert Worker.objects.get(pk=worker.pk).phone == "010-12345678"
