"""Delivery channels behind one interface: ``send(delivery)`` raises on failure.

- email: Django's mail backend (console/file in development, SMTP in production);
- sms: ``SMS_BACKEND`` = console (masked log line), file (JSON lines under
  VAR_DIR) or http (POST JSON to ``SMS_HTTP_URL``, the provider's gateway);
- webhook: an HMAC-SHA256-signed JSON POST with an idempotency key.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import urllib.request
from pathlib import Path

from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone

from core.logging import mask_phone
from core.models import Delivery

logger = logging.getLogger(__name__)


class DeliveryError(Exception):
    """The channel did not accept the message; the delivery will be retried."""


def sign(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _post_json(url: str, body: bytes, headers: dict[str, str]) -> None:
    if not url.startswith(("http://", "https://")):
        raise DeliveryError(f"not an http(s) URL: {url[:60]}")
    request = urllib.request.Request(  # noqa: S310 - scheme checked above
        url, data=body, method="POST", headers={"Content-Type": "application/json", **headers}
    )
    try:
        with urllib.request.urlopen(request, timeout=settings.WEBHOOK_TIMEOUT) as response:  # noqa: S310
            if not 200 <= response.status < 300:
                raise DeliveryError(f"HTTP {response.status}")
    except OSError as exc:  # URLError, HTTPError, timeouts
        raise DeliveryError(str(exc)[:300]) from exc


def _send_sms(delivery: Delivery) -> None:
    text = str(delivery.payload.get("text", ""))
    backend = settings.SMS_BACKEND
    if backend == "console":
        logger.info("SMS to %s: %s", mask_phone(delivery.recipient), text)
    elif backend == "file":
        path = Path(settings.VAR_DIR) / "sms.jsonl"
        line = {
            "to": delivery.recipient,
            "text": text,
            "key": delivery.idempotency_key,
            "at": timezone.now().isoformat(),
        }
        with path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(line, ensure_ascii=False) + "\n")
    else:  # http
        body = json.dumps({"phone": delivery.recipient, "text": text}, ensure_ascii=False).encode()
        _post_json(settings.SMS_HTTP_URL, body, {"Idempotency-Key": delivery.idempotency_key})


def _send_webhook(delivery: Delivery) -> None:
    body = json.dumps(delivery.payload.get("body", {}), ensure_ascii=False, sort_keys=True).encode()
    secret = str(delivery.payload.get("secret") or settings.WEBHOOK_SIGNING_SECRET)
    _post_json(
        delivery.recipient,
        body,
        {
            "X-Gridgov-Signature": sign(body, secret),
            "X-Gridgov-Event": str(delivery.payload.get("event", "")),
            "Idempotency-Key": delivery.idempotency_key,
        },
    )


def send(delivery: Delivery) -> None:
    if delivery.channel == Delivery.Channel.EMAIL:
        try:
            send_mail(
                delivery.subject or "通知",
                str(delivery.payload.get("text", "")),
                settings.DEFAULT_FROM_EMAIL,
                [delivery.recipient],
            )
        except OSError as exc:
            raise DeliveryError(str(exc)[:300]) from exc
    elif delivery.channel == Delivery.Channel.SMS:
        _send_sms(delivery)
    elif delivery.channel == Delivery.Channel.WEBHOOK:
        _send_webhook(delivery)
    else:
        raise DeliveryError(f"unknown channel {delivery.channel}")
