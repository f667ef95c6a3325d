"""How a deadline reads on the workbenches: "due in 3 h 20 min", coloured as it nears."""

import datetime as dt

import pytest
from django.utils import translation

from core.templatetags.portal import deadline_state, span_text

NOW = dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (3 * 3600 + 20 * 60, "3 h 20 min"),
        (2 * 86400 + 3 * 3600 + 59 * 60, "2 d 3 h"),  # minutes are dropped once days show
        (5 * 60 + 59, "5 min"),
        (30, "under a minute"),
        (86400, "1 d"),
    ],
)
def test_spans_read_in_days_hours_and_minutes(seconds, text):
    assert span_text(seconds) == text


def test_a_deadline_is_green_then_amber_in_its_last_quarter_then_red_once_passed():
    start = NOW - dt.timedelta(hours=6)
    due = NOW + dt.timedelta(hours=3, minutes=20)  # 3 h 20 min left of 9 h 20 min
    assert deadline_state(due, start, now=NOW) == ("success", "due in 3 h 20 min")
    assert deadline_state(due, start, now=due - dt.timedelta(hours=2)) == (
        "warning",
        "due in 2 h",
    )
    assert deadline_state(due, start, now=due + dt.timedelta(minutes=90)) == (
        "danger",
        "overdue by 1 h 30 min",
    )


def test_without_a_start_the_last_two_hours_are_amber():
    due = NOW + dt.timedelta(hours=2, minutes=1)
    assert deadline_state(due, None, now=NOW)[0] == "success"
    assert deadline_state(due, None, now=NOW + dt.timedelta(minutes=2))[0] == "warning"


def test_labels_are_translated():
    with translation.override("zh-hans"):
        tone, text = deadline_state(
            NOW + dt.timedelta(hours=3, minutes=20), NOW - dt.timedelta(hours=6), now=NOW
        )
    assert tone == "success"
    assert "due" not in text and "3" in text and "20" in text
