"""Words people read for the workflow's verbs (timeline entries, buttons)."""

from django.utils.translation import gettext_lazy as _

from services.verbs import VERBS

#: Timeline words: every workflow verb's (from the verb registry) and the
#: system's own events.
EVENT_LABELS = {
    **{verb: v.done for verb, v in VERBS.items()},
    "dispatched": _("Dispatched"),
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
