"""Every API error has the one shape {code, message, extra} and the right status."""

import pytest
from django.urls import path
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from core.errors import Conflict, InvalidTransition, ValidationFailed


@api_view(["POST"])
@permission_classes([AllowAny])
def _raises(request):
    kind = request.data.get("kind")
    if kind == "conflict":
        raise Conflict("taken", code="already_claimed", extra={"by": "someone"})
    if kind == "transition":
        raise InvalidTransition()
    if kind == "validation":
        raise ValidationFailed(extra={"fields": {"name": ["required"]}})
    from rest_framework import serializers

    class S(serializers.Serializer):
        amount = serializers.IntegerField(min_value=1)

    S(data=request.data).is_valid(raise_exception=True)
    return Response({})


urlpatterns = [path("boom/", _raises)]


def assert_shape(response, status, code):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"code", "message", "extra"}
    assert body["code"] == code
    assert isinstance(body["message"], str) and body["message"]
    assert isinstance(body["extra"], dict)
    return body


@pytest.mark.urls("tests.core.test_errors")
def test_application_errors_keep_their_code_status_and_extra(db, api):
    body = assert_shape(
        api.post("/boom/", {"kind": "conflict"}, format="json"), 409, "already_claimed"
    )
    assert body["extra"] == {"by": "someone"}
    assert_shape(
        api.post("/boom/", {"kind": "transition"}, format="json"), 409, "invalid_transition"
    )
    body = assert_shape(
        api.post("/boom/", {"kind": "validation"}, format="json"), 400, "validation_error"
    )
    assert body["extra"]["fields"] == {"name": ["required"]}


@pytest.mark.urls("tests.core.test_errors")
def test_serializer_errors_are_400_with_field_messages(db, api):
    body = assert_shape(api.post("/boom/", {"amount": 0}, format="json"), 400, "validation_error")
    assert list(body["extra"]["fields"]) == ["amount"]
    assert_shape(
        api.post("/boom/", "{not json", content_type="application/json"), 400, "parse_error"
    )


def test_unauthenticated_is_401_with_a_challenge(db, api):
    response = api.get("/api/v1/areas/")
    assert_shape(response, 401, "not_authenticated")
    assert "Token" in response["WWW-Authenticate"]
    assert_shape(
        api.get("/api/v1/me/", HTTP_AUTHORIZATION="Token nope"), 401, "authentication_failed"
    )


def test_not_found_and_method_not_allowed(city, personas, api_as):
    client = api_as(personas.leader)
    assert_shape(client.get("/api/v1/areas/99999/"), 404, "area_not_found")
    assert_shape(client.get("/api/v1/areas/abc/"), 404, "area_not_found")
    assert_shape(client.delete(f"/api/v1/areas/{city.city.pk}/"), 405, "method_not_allowed")
    assert_shape(client.get("/api/v1/no-such-endpoint/"), 404, "not_found")


def test_html_pages_keep_html_404(db, client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
