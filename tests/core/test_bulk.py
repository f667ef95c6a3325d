"""core.bulk.bulk_insert: bulk_create's result, by COPY on PostgreSQL."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.bulk import COPY_THRESHOLD, bulk_insert
from core.models import Delivery, Notification
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

WHEN = dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)


def _notes(user, n):
    return [
        Notification(
            user_id=user.pk,
            verb="overdue",
            title=f"案件 {i} 已超时",
            url=f"/tickets/{i}/",
            data={"ticket": i, "step": 1, "note": "含\t制表符\n与换行 \\ 反斜杠"},
            created_at=WHEN,
        )
        for i in range(n)
    ]


@pytest.mark.parametrize("n", [3, COPY_THRESHOLD + 50])
def test_it_saves_every_row_with_its_id_and_values_like_bulk_create(n):
    user = UserFactory()
    with CaptureQueriesContext(connection) as queries:
        saved = bulk_insert(_notes(user, n))
    assert len(saved) == n and all(obj.pk for obj in saved)
    assert all(not obj._state.adding for obj in saved)
    rows = {row.pk: row for row in Notification.objects.filter(pk__in=[o.pk for o in saved])}
    assert len(rows) == n
    for i, obj in enumerate(saved):
        row = rows[obj.pk]
        assert (row.user_id, row.title, row.url, row.created_at) == (
            user.pk,
            f"案件 {i} 已超时",
            f"/tickets/{i}/",
            WHEN,
        )
        assert row.data == {"ticket": i, "step": 1, "note": "含\t制表符\n与换行 \\ 反斜杠"}
        assert row.read_at is None
    copied = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("COPY")]
    fast = connection.vendor == "postgresql" and n >= COPY_THRESHOLD
    assert len(copied) == (1 if fast else 0)  # the COPY is counted like any statement


def test_ids_feed_foreign_keys_and_rows_without_ids_still_land():
    user = UserFactory()
    notes = bulk_insert(_notes(user, COPY_THRESHOLD))
    deliveries = bulk_insert(
        [
            Delivery(
                channel=Delivery.Channel.EMAIL,
                recipient="officer@example.test",
                subject=n.title,
                payload={"text": n.url},
                idempotency_key=f"k{n.pk}",
                notification_id=n.pk,
            )
            for n in notes
        ]
    )
    assert Delivery.objects.filter(notification__user=user).count() == COPY_THRESHOLD
    assert {d.notification_id for d in deliveries} == {n.pk for n in notes}
    before = Notification.objects.count()
    bulk_insert(_notes(user, COPY_THRESHOLD), need_ids=False)
    assert Notification.objects.count() == before + COPY_THRESHOLD
    # the sequence moved past every id handed out, so ordinary inserts go on
    later = Notification.objects.create(user=user, verb="x", title="x")
    assert later.pk > max(n.pk for n in notes)


def test_a_rolled_back_transaction_keeps_nothing():
    from django.db import transaction

    user = UserFactory()
    with pytest.raises(RuntimeError), transaction.atomic():
        bulk_insert(_notes(user, COPY_THRESHOLD + 1))
        raise RuntimeError("the step failed")
    assert not Notification.objects.filter(user=user).exists()
