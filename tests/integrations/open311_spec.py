"""The GeoReport v2 field rules, as checks on a response in either format.

From the spec (shared/reference/open311.md) and open311/schema-validation:
a request record requires service_request_id, status, service_code and
requested_datetime; other fields may be null (JSON) or empty (XML); status is
open or closed; datetimes are W3C/ISO 8601 with a time zone.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

ISO_TZ = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)$")
XML_DECL = b'<?xml version="1.0" encoding="utf-8"?>'

REQUEST_FIELDS = {
    "service_request_id": ("str", True),
    "status": ("status", True),
    "status_notes": ("str", False),
    "service_name": ("str", False),
    "service_code": ("str", True),
    "description": ("str", False),
    "agency_responsible": ("str", False),
    "service_notice": ("str", False),
    "requested_datetime": ("datetime", True),
    "updated_datetime": ("datetime", False),
    "expected_datetime": ("datetime", False),
    "address": ("str", False),
    "address_id": ("str", False),
    "zipcode": ("str", False),
    "lat": ("lat", False),
    "long": ("lng", False),
    "media_url": ("str", False),
}
SERVICE_FIELDS = {
    "service_code": ("str", True),
    "service_name": ("str", True),
    "description": ("str", False),
    "metadata": ("bool", True),
    "type": ("type", True),
    "keywords": ("str", False),
    "group": ("str", False),
}
CREATED_FIELDS = {
    "service_request_id": ("str", False),
    "token": ("str", False),
    "service_notice": ("str", False),
    "account_id": ("str", False),
}
TOKEN_FIELDS = {"service_request_id": ("str", False), "token": ("str", True)}
ERROR_FIELDS = {"code": ("int", True), "description": ("str", True)}
ATTRIBUTE_FIELDS = {
    "variable": ("bool", True),
    "code": ("str", True),
    "datatype": ("datatype", True),
    "required": ("bool", True),
    "datatype_description": ("str", False),
    "order": ("int", True),
    "description": ("str", True),
}
DATATYPES = {"string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"}


def _ok(kind: str, value: object) -> bool:
    """JSON value check; XML values arrive as text and are checked as text."""
    if isinstance(value, str) and kind != "str":
        return {
            "datetime": lambda v: bool(ISO_TZ.match(v)),
            "status": lambda v: v in ("open", "closed"),
            "type": lambda v: v in ("realtime", "batch", "blackbox"),
            "bool": lambda v: v in ("true", "false"),
            "int": lambda v: v.lstrip("-").isdigit(),
            "lat": lambda v: -90 <= float(v) <= 90,
            "lng": lambda v: -180 <= float(v) <= 180,
            "datatype": lambda v: v in DATATYPES,
        }[kind](value)
    return {
        "str": lambda v: isinstance(v, str),
        "datetime": lambda v: False,
        "status": lambda v: False,
        "type": lambda v: False,
        "datatype": lambda v: False,
        "bool": lambda v: isinstance(v, bool),
        "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "lat": lambda v: isinstance(v, int | float) and -90 <= v <= 90,
        "lng": lambda v: isinstance(v, int | float) and -180 <= v <= 180,
    }[kind](value)


def check_record(record: dict, fields: dict, where: str) -> None:
    unknown = set(record) - set(fields)
    assert not unknown, f"{where}: fields not in the spec: {unknown}"
    for name, (kind, required) in fields.items():
        value = record.get(name)
        if value is None or value == "":
            assert not required, f"{where}: required field {name} missing or empty"
            continue
        assert _ok(kind, value), f"{where}: {name}={value!r} is not a valid {kind}"


def xml_items(content: bytes, root: str, item: str) -> list[dict]:
    assert content.startswith(XML_DECL), content[:80]
    top = ET.fromstring(content)  # noqa: S314
    assert top.tag == root, f"root <{top.tag}>, expected <{root}>"
    out = []
    for element in top:
        assert element.tag == item, f"<{root}> holds <{element.tag}>, expected <{item}>"
        out.append({child.tag: (child.text or "") for child in element if len(child) == 0})
    return out


def json_items(content: bytes) -> list[dict]:
    data = json.loads(content)
    assert isinstance(data, list), "lists are top-level arrays in JSON"
    return data


def same(json_records: list[dict], xml_records: list[dict]) -> None:
    """The XML says exactly what the JSON says (Spark convention)."""
    assert len(json_records) == len(xml_records)
    for j, x in zip(json_records, xml_records, strict=True):
        for name, value in j.items():
            if isinstance(value, list | dict):
                continue
            text = x.get(name, "")
            if value is None:
                assert text == "", (name, text)
            elif isinstance(value, bool):
                assert text == ("true" if value else "false"), (name, text)
            elif isinstance(value, float):
                assert float(text) == value, (name, text)
            else:
                assert text == str(value), (name, text)


def check_list(
    api, url: str, *, root: str, item: str, fields: dict, status: int = 200, method="get", data=None
) -> list[dict]:
    """Fetch ``url`` (without suffix) as .json and .xml; check both; return the JSON."""
    results = {}
    path, _sep, query = url.partition("?")
    for fmt in ("json", "xml"):
        call = getattr(api, method)
        target = f"{path}.{fmt}" + (f"?{query}" if query else "")
        response = call(target, data) if data is not None else call(target)
        assert response.status_code == status, (fmt, response.status_code, response.content[:500])
        expected_type = "application/json" if fmt == "json" else "text/xml"
        assert response["Content-Type"].startswith(expected_type)
        if fmt == "json":
            records = json_items(response.content)
        else:
            records = xml_items(response.content, root, item)
        for i, record in enumerate(records):
            check_record(record, fields, f"{url}.{fmt}[{i}]")
        results[fmt] = records
    same(results["json"], results["xml"])
    return results["json"]


def check_errors(api, url: str, status: int, *, method: str = "get", data=None) -> list[str]:
    return [
        e["description"]
        for e in check_list(
            api,
            url,
            root="errors",
            item="error",
            fields=ERROR_FIELDS,
            status=status,
            method=method,
            data=data,
        )
    ]
