"""Which deadline applies: claim and handling limits by urgency and category.

Defaults follow the 12345 rules (DB11/T 2021 draft; 准格尔旗 24-hour claim
rate): handle 突发 2 h, 紧急 24 h, 一般 7 working days, 疑难 15 working days;
a category's own clock policy overrides the urgency default for 一般/疑难.
"""

from __future__ import annotations

from services.models import Category, ClockUnit, Urgency

CLAIM_LIMIT: dict[str, tuple[int, str]] = {
    Urgency.EMERGENCY: (1, ClockUnit.NATURAL_HOURS),
    Urgency.URGENT: (2, ClockUnit.NATURAL_HOURS),
    Urgency.NORMAL: (24, ClockUnit.NATURAL_HOURS),
    Urgency.COMPLEX: (24, ClockUnit.NATURAL_HOURS),
}
HANDLE_LIMIT: dict[str, tuple[int, str]] = {
    Urgency.EMERGENCY: (2, ClockUnit.NATURAL_HOURS),
    Urgency.URGENT: (24, ClockUnit.NATURAL_HOURS),
    Urgency.NORMAL: (7, ClockUnit.WORKING_DAYS),
    Urgency.COMPLEX: (15, ClockUnit.WORKING_DAYS),
}


def category_policy(category: Category) -> tuple[int, str] | None:
    for c in (category, category.parent):
        if c is not None and c.clock_amount and c.clock_unit:
            return c.clock_amount, c.clock_unit
    return None


#: A whistle for emergency response (应急处置): departments report within
#: 30 minutes (平谷 金海湖镇 practice), counted in natural minutes.
WHISTLE_REPORT_LIMIT = (30, ClockUnit.NATURAL_MINUTES)
#: The resident is called back within one working day of closure.
CALLBACK_LIMIT = (1, ClockUnit.WORKING_DAYS)


def claim_policy(
    urgency: str, whistle_type: str, category: Category | None = None
) -> tuple[int, str, str]:
    """(amount, unit, clock kind) for the claim of a new dispatch: an
    emergency whistle's 30 minutes, else the category's own claim limit (its
    own or its parent's), else the urgency default."""
    if whistle_type == "emergency":
        return (*WHISTLE_REPORT_LIMIT, "whistle_report")
    for c in (category, category.parent if category else None):
        if c is not None and c.claim_amount and c.claim_unit:
            return (c.claim_amount, c.claim_unit, "claim")
    return (*CLAIM_LIMIT[urgency], "claim")


def handle_policy(urgency: str, category: Category) -> tuple[int, str]:
    amount, unit = HANDLE_LIMIT[urgency]
    if urgency in (Urgency.NORMAL, Urgency.COMPLEX):
        amount, unit = category_policy(category) or (amount, unit)
    return amount, unit
