"""The OpenAPI schema documents every /api/v1/ endpoint with its bodies and
the shared error responses (schemathesis checks the live server against it
in CI: .ci/schemathesis)."""

import pytest
from drf_spectacular.generators import SchemaGenerator


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def test_every_operation_documents_the_shared_errors(schema):
    operations = [
        (path, method, op)
        for path, ops in schema["paths"].items()
        if path.startswith("/api/v1/")
        for method, op in ops.items()
    ]
    assert len(operations) > 60
    ref = {"$ref": "#/components/schemas/Error"}
    for path, method, op in operations:
        wanted = {"400", "401", "403", "404", "429"} | ({"409"} if method != "get" else set())
        for status in wanted:
            response = op["responses"].get(status)
            assert response, f"{method.upper()} {path}: no {status}"
            assert response["content"]["application/json"]["schema"] == ref, (path, status)
    error = schema["components"]["schemas"]["Error"]
    assert error["required"] == ["code", "message", "extra"]


def test_the_new_endpoints_have_request_and_response_bodies(schema):
    paths = schema["paths"]
    intake = paths["/api/v1/intake/12345/"]["post"]
    assert "requestBody" in intake
    assert {"200", "201"} <= set(intake["responses"])
    hooks = paths["/api/v1/webhooks/"]
    assert "requestBody" in hooks["post"]
    assert "/api/v1/webhooks/{id}/deliveries/" in paths
    assert "/api/v1/webhooks/{id}/deliveries/{delivery_id}/redeliver/" in paths
    assert "ApiKey" in schema["components"]["securitySchemes"]
    assert not any(p.startswith("/open311/") for p in paths)


def test_nullable_and_blank_model_fields_are_documented(schema):
    components = schema["components"]["schemas"]
    assert components["Area"]["properties"]["merged_into"]["nullable"] is True
    unit = components["Category"]["properties"]["clock_unit"]
    assert {"$ref": "#/components/schemas/BlankEnum"} in unit["oneOf"]
