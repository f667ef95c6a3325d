"""Delivery channels behind one interface: ``send(delivery)`` raises on failure.

- email: Django's mail backend (console/file in development, SMTP in production);
- sms: ``SMS_GATEWAY_URL`` = the provider's gateway (a signed JSON POST, see
  ``sms_request``), console:// (masked log line) or file:// (JSON lines under
  VAR_DIR); empty = SMS off;
- webhook: an HMAC-SHA256-signed JSON POST with an idempotency key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import time
import urllib.parse
import urllib.request
import uuid
from pathlib import Path
from typing import Any

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


def sms_enabled() -> bool:
    """True when SMS is on (``SMS_GATEWAY_URL`` set): only then are SMS deliveries written."""
    return bool(settings.SMS_GATEWAY_URL)


def sms_canonical(*, path: str, access_key_id: str, timestamp: str, nonce: str, body: bytes) -> str:
    """The string an SMS gateway request signs — six lines joined by "\\n", no
    trailing newline::

        POST
        <the path of SMS_GATEWAY_URL without its query, "/" when empty>
        <SMS_ACCESS_KEY_ID>
        <timestamp: Unix seconds, decimal>
        <nonce: 32 lowercase hex characters, new for every attempt>
        <SHA-256 of the exact body bytes, lowercase hex>

    The body hash binds the phone, sign name, template and parameters; the
    timestamp and nonce let the gateway refuse a replay.
    """
    digest = hashlib.sha256(body).hexdigest()
    return "\n".join(["POST", path or "/", access_key_id, timestamp, nonce, digest])


def sms_request(
    delivery: Delivery, *, now: float | None = None, nonce: str | None = None
) -> tuple[bytes, dict[str, str]]:
    """Body and headers of the gateway call for one SMS delivery.

    The common shape of Chinese SMS providers (Aliyun, Tencent Cloud): a
    pre-approved template and signature (签名) with named parameters. Body:
    UTF-8 JSON, keys sorted, no spaces::

        {"nonce", "phone", "sign_name", "template_code", "template_params", "timestamp"}

    Headers: ``X-Sms-Access-Key-Id`` (``SMS_ACCESS_KEY_ID``),
    ``X-Sms-Signature`` = base64(HMAC-SHA256(``SMS_ACCESS_KEY_SECRET``,
    ``sms_canonical(...)``)) and ``Idempotency-Key`` (the delivery's, the same
    on every attempt, so a gateway can drop a retry it already accepted).
    """
    timestamp = str(int(time.time() if now is None else now))
    nonce = nonce or uuid.uuid4().hex
    fields: dict[str, Any] = {
        "phone": delivery.recipient,
        "sign_name": settings.SMS_SIGN_NAME,
        "template_code": settings.SMS_TEMPLATE_CODE,
        "template_params": delivery.payload.get("template_params", {}),
        "timestamp": timestamp,
        "nonce": nonce,
    }
    body = json.dumps(fields, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
    canonical = sms_canonical(
        path=urllib.parse.urlsplit(settings.SMS_GATEWAY_URL).path,
        access_key_id=settings.SMS_ACCESS_KEY_ID,
        timestamp=timestamp,
        nonce=nonce,
        body=body,
    )
    mac = hmac.new(settings.SMS_ACCESS_KEY_SECRET.encode(), canonical.encode(), hashlib.sha256)
    return body, {
        "X-Sms-Access-Key-Id": settings.SMS_ACCESS_KEY_ID,
        "X-Sms-Signature": base64.b64encode(mac.digest()).decode(),
        "Idempotency-Key": delivery.idempotency_key,
    }


def _send_sms(delivery: Delivery) -> None:
    text = str(delivery.payload.get("text", ""))
    url = settings.SMS_GATEWAY_URL
    if not url:
        # Written while SMS was on; retried (then given up) like any failure.
        raise DeliveryError("SMS is off (SMS_GATEWAY_URL is empty)")
    if url == "console://":
        logger.info("SMS to %s: %s", mask_phone(delivery.recipient), text)
    elif url == "file://":
        path = Path(settings.VAR_DIR) / "sms.jsonl"
        line = {
            "to": delivery.recipient,
            "text": text,
            "template_params": delivery.payload.get("template_params", {}),
            "key": delivery.idempotency_key,
            "at": timezone.now().isoformat(),
        }
        with path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(line, ensure_ascii=False) + "\n")
    else:
        body, headers = sms_request(delivery)
        _post_json(url, body, headers)
        logger.info("SMS to %s accepted by the gateway", mask_phone(delivery.recipient))


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
