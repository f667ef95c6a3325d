"""``{% idempotency_input %}``: the hidden key that makes a form act once
(core/idempotency.py): a fresh key each time the form is rendered."""

import uuid

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from core.idempotency import FORM_FIELD

register = template.Library()


@register.simple_tag
def idempotency_input() -> SafeString:
    return format_html('<input type="hidden" name="{}" value="{}">', FORM_FIELD, uuid.uuid4())
