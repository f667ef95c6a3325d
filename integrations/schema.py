"""OpenAPI: the API-key security scheme and the shared error responses.

Every ``/api/v1/`` operation can answer 400, 401, 403, 404 and 429 (and 409
when it changes something) in the one error shape ``{code, message, extra}``
(core.api); a postprocessing hook documents them all with one component, so
no view has to repeat them and a client generator sees every status.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from rest_framework import serializers

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "Every error: a stable code, a human message, details in extra.",
    "properties": {
        "code": {"type": "string", "example": "validation_error"},
        "message": {"type": "string"},
        "extra": {"type": "object", "additionalProperties": True},
    },
    "required": ["code", "message", "extra"],
}

_DESCRIPTIONS = {
    "400": "validation_error (extra.fields), or another input problem with its own code",
    "401": "not_authenticated / authentication_failed (missing or wrong credentials)",
    "403": "permission_denied, not_your_step, read_only_key, …",
    "404": "not_found and *_not_found: absent or outside the caller's scope",
    "409": "conflict, invalid_transition, already_claimed, …",
    "422": "idempotency_key_reused: the Idempotency-Key was first sent with another request",
    "429": "throttled: too many requests (Retry-After header, extra.retry_after_seconds)",
}
_UNSAFE = {"post", "put", "patch", "delete"}
#: core.idempotency: a retry with the same key gets the first answer back.
IDEMPOTENCY_KEY_PARAMETER: dict[str, Any] = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": (
        "Any unique string (a UUID) per intended action; a retry with the same key and "
        "body gets the first answer (header Idempotent-Replayed: true) instead of acting "
        "again. Kept 24 hours."
    ),
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"},
}


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "integrations.auth.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Api-Key gg_<prefix>.<secret>` (or the X-Api-Key header)",
        }


def add_error_responses(result: dict[str, Any], generator: Any, **kwargs: Any) -> dict[str, Any]:
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["Error"] = ERROR_SCHEMA
    ref = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for path, operations in result.get("paths", {}).items():
        if not path.startswith("/api/v1/"):
            continue
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            statuses = ["400", "401", "403", "404", "429"]
            if method in _UNSAFE:
                statuses += ["409", "422"]
                parameters = operation.setdefault("parameters", [])
                if IDEMPOTENCY_KEY_PARAMETER not in parameters:
                    parameters.append(IDEMPOTENCY_KEY_PARAMETER)
            for status in statuses:
                response = responses.setdefault(status, {"description": _DESCRIPTIONS[status]})
                if not response.get("content"):
                    response["content"] = ref
    return result


def _model_field(field: Any) -> Any:
    """The model field behind a ModelSerializer field, if any."""
    parent = getattr(field, "parent", None)
    if isinstance(parent, serializers.ListSerializer):
        return None
    meta = getattr(parent, "Meta", None)
    model = getattr(meta, "model", None)
    source = getattr(field, "source", "") or ""
    if model is None or not source or "." in source or source == "*":
        return None
    try:
        return model._meta.get_field(source)
    except Exception:  # not a model field (a property or a method)
        return None


class AutoSchema(SpectacularAutoSchema):
    """Responses say what the model allows: a nullable column may be null and
    a blank choice column may be "" even when the serializer field is
    read-only (DRF drops ``allow_blank`` from read-only model fields, so
    drf-spectacular cannot see it). Found by schemathesis."""

    def _map_serializer_field(
        self, field: Any, direction: str, bypass_extensions: bool = False
    ) -> dict[str, Any]:
        meta = super()._map_serializer_field(field, direction, bypass_extensions)
        if direction != "response":
            return meta
        model_field = _model_field(field)
        if model_field is None:
            return meta
        if getattr(model_field, "null", False) and not meta.get("nullable"):
            if "$ref" in meta:
                meta = {"allOf": [{"$ref": meta.pop("$ref")}], **meta}
            meta["nullable"] = True
        blank_choice = getattr(model_field, "blank", False) and getattr(
            model_field, "choices", None
        )
        if blank_choice and isinstance(meta.get("enum"), list) and "" not in meta["enum"]:
            # postprocess_schema_enums turns "" into the shared BlankEnum.
            meta["enum"] = [*meta["enum"], ""]
        return meta
