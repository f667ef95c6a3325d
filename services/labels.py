"""Words people read for the workflow's verbs (timeline entries, buttons)."""

from django.utils.translation import gettext_lazy as _

EVENT_LABELS = {
    "report": _("Reported"),
    "self_handle": _("Taken on locally"),
    "self_close": _("Fixed locally and closed"),
    "whistle": _("Whistled to departments"),
    "dispatched": _("Dispatched"),
    "claim": _("Claimed"),
    "request_return": _("Return requested"),
    "approve_return": _("Return approved"),
    "reject_return": _("Return rejected"),
    "progress": _("Progress note"),
    "reply": _("Replied"),
    "close": _("Verified and closed"),
    "rework": _("Sent back for rework"),
    "callback": _("Resident called back"),
    "reopen": _("Reopened"),
    "request_extension": _("Extension requested"),
    "approve_extension": _("Extension approved"),
    "reject_extension": _("Extension denied"),
    "request_on_account": _("On-account requested"),
    "approve_on_account": _("On account approved"),
    "reject_on_account": _("On-account refused"),
    "resume": _("Resumed"),
    "supervise": _("Supervision opened"),
    "remind": _("Deadline reminder"),
    "escalate": _("Escalated"),
    "deadline_recomputed": _("Deadline recomputed"),
}

TONES = {
    "reported": "secondary",
    "self_handling": "info",
    "dispatched": "warning",
    "returned": "warning",
    "in_progress": "primary",
    "replied": "info",
    "on_account": "dark",
    "closed": "success",
    "done": "success",
}
