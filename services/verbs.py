"""The verb registry: every workflow verb once, with what people read and
what runs it. The case page's steps (``views.STEPS``), the API's
``POST /tickets/{id}/<verb>/`` endpoints and the timeline's labels are all
derived from here, so a new verb is one row in ``workflow.TRANSITIONS``
(where it may go) and one row here (how it is offered).

A verb with a ``title`` is a step a person takes from the case page and the
API; a verb without one is recorded on the timeline only (``report``) or
taken through a review (``approve_return``…, see ``REVIEWS``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms as django_forms
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from rest_framework.serializers import BaseSerializer

from core.errors import NotFound
from core.types import User
from services import actions, workflow
from services import forms as f
from services import serializers as s
from services.models import Dispatch, ExtensionRequest, OnAccountRequest, ReturnRequest, Ticket


@dataclass(frozen=True)
class Verb:
    """One workflow verb as people meet it."""

    verb: str
    #: the timeline's words for it once done
    done: Promise
    #: the button; None when the verb is not a step of its own
    title: Promise | None = None
    action: Callable[..., Any] | None = None
    form: type[django_forms.Form] | None = None
    serializer: type[BaseSerializer[Any]] | None = None
    tone: str = "primary"
    help: Promise | str = ""
    #: the API's path segment (``POST /tickets/{id}/<api_path>/``)
    api_path: str = ""

    @property
    def on_dispatch(self) -> bool:
        """Taken on the caller's department's own dispatch."""
        return workflow.TRANSITIONS[self.verb].subject == workflow.Subject.OWN

    @property
    def has_form(self) -> bool:
        # Templates call callables, so they must not see the form class itself.
        return self.form is not None

    @property
    def path(self) -> str:
        return self.api_path or self.verb

    def run(
        self, actor: User, ticket: Ticket, dispatch: Dispatch | None, data: dict[str, Any]
    ) -> Any:
        """Call the verb's action on the ticket, or on the caller's dispatch."""
        assert self.action is not None, f"{self.verb} is not a step"
        if self.on_dispatch:
            if dispatch is None:
                raise NotFound(
                    str(_("Your department has no live dispatch on this case.")),
                    code="dispatch_not_found",
                )
            return self.action(dispatch=dispatch, actor=actor, **data)
        return self.action(ticket=ticket, actor=actor, **data)


@dataclass(frozen=True)
class Review:
    """A request a department makes and the street decides."""

    kind: str
    model: type[ReturnRequest] | type[ExtensionRequest] | type[OnAccountRequest]
    action: Callable[..., Any]
    approve: str
    reject: str


_VERBS = [
    Verb("report", _("Reported")),
    Verb(
        "self_handle",
        _("Taken on locally"),
        _("Handle locally"),
        actions.ticket_self_handle,
        f.NoteForm,
        s.NoteSerializer,
        "secondary",
        _("The grid or community fixes it itself (自行处置)."),
    ),
    Verb(
        "self_close",
        _("Fixed locally and closed"),
        _("Close as fixed"),
        actions.ticket_self_close,
        f.ResultForm,
        s.ResultSerializer,
        "success",
    ),
    Verb(
        "whistle",
        _("Whistled to departments"),
        _("Whistle to departments"),
        actions.ticket_whistle,
        f.WhistleForm,
        s.WhistleSerializer,
        "danger",
        _("吹哨: one lead department, any number to assist or be informed."),
    ),
    Verb("claim", _("Claimed"), _("Claim"), actions.ticket_claim),
    Verb(
        "progress",
        _("Progress note"),
        _("Add progress"),
        actions.ticket_progress,
        f.ProgressForm,
        s.ProgressSerializer,
        "secondary",
    ),
    Verb(
        "reply",
        _("Replied"),
        _("Reply with the result"),
        actions.ticket_reply,
        f.ResultForm,
        s.ResultSerializer,
        "success",
    ),
    Verb(
        "request_return",
        _("Return requested"),
        _("Return the case"),
        actions.ticket_request_return,
        f.ReturnForm,
        s.ReturnSerializer,
        "outline-danger",
        _("退单: the street reviews the return."),
        api_path="return",
    ),
    Verb("approve_return", _("Return approved")),
    Verb("reject_return", _("Return rejected")),
    Verb(
        "request_extension",
        _("Extension requested"),
        _("Ask for more time"),
        actions.ticket_request_extension,
        f.ExtensionForm,
        s.ExtensionSerializer,
        "outline-secondary",
        _("Only before the deadline; the street decides."),
        api_path="extension",
    ),
    Verb("approve_extension", _("Extension approved")),
    Verb("reject_extension", _("Extension denied")),
    Verb(
        "request_on_account",
        _("On-account requested"),
        _("Put on account"),
        actions.ticket_request_on_account,
        f.OnAccountForm,
        s.OnAccountSerializer,
        "outline-secondary",
        _("挂账: cannot be solved now; needs the street's approval."),
        api_path="on_account",
    ),
    Verb("approve_on_account", _("On account approved")),
    Verb("reject_on_account", _("On-account refused")),
    Verb(
        "close",
        _("Verified and closed"),
        _("Verify and close"),
        actions.ticket_close,
        f.NoteForm,
        s.NoteSerializer,
        "success",
    ),
    Verb(
        "rework",
        _("Sent back for rework"),
        _("Send back for rework"),
        actions.ticket_rework,
        f.RequiredNoteForm,
        s.RequiredNoteSerializer,
        "outline-danger",
    ),
    Verb(
        "callback",
        _("Resident called back"),
        _("Record the callback"),
        actions.ticket_callback,
        f.CallbackForm,
        s.CallbackSerializer,
        "primary",
        _("回访: call the resident and record what they say."),
    ),
    Verb(
        "reopen",
        _("Reopened"),
        _("Reopen (重办)"),
        actions.ticket_reopen,
        f.ReopenForm,
        s.ReopenSerializer,
        "outline-danger",
        _("The resident is unsatisfied: the case goes back to whoever handled it."),
    ),
    Verb(
        "resume",
        _("Resumed"),
        _("Resume"),
        actions.ticket_resume,
        f.NoteForm,
        s.NoteSerializer,
    ),
    Verb(
        "supervise",
        _("Supervision opened"),
        _("Open supervision"),
        actions.ticket_supervise,
        f.SuperviseForm,
        s.SuperviseSerializer,
        "outline-danger",
        _("督办: the case goes on the supervision list."),
    ),
]

#: Every workflow verb, in the order the case page offers them.
VERBS: dict[str, Verb] = {v.verb: v for v in _VERBS}
#: The verbs a person takes as a step of its own (page buttons, API endpoints).
STEPS: dict[str, Verb] = {v.verb: v for v in _VERBS if v.title is not None}

REVIEWS: dict[str, Review] = {
    r.kind: r
    for r in [
        Review(
            "return", ReturnRequest, actions.ticket_review_return, "approve_return", "reject_return"
        ),
        Review(
            "extension",
            ExtensionRequest,
            actions.ticket_review_extension,
            "approve_extension",
            "reject_extension",
        ),
        Review(
            "on_account",
            OnAccountRequest,
            actions.ticket_review_on_account,
            "approve_on_account",
            "reject_on_account",
        ),
    ]
}
