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
    """The spec's error list in both formats, each ``code`` the HTTP status;
    returns the descriptions."""
    errors = check_list(
        api,
        url,
        root="errors",
        item="error",
        fields=ERROR_FIELDS,
        status=status,
        method=method,
        data=data,
    )
    assert errors, f"{url}: an empty error list"
    # check_list has already made the XML say the same as the JSON
    assert all(e["code"] == status for e in errors), (status, errors)
    return [e["description"] for e in errors]


# --- discovery ----------------------------------------------------------------------

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
DISCOVERY_KEYS = {"changeset", "contact", "key_service", "endpoints"}
ENDPOINT_KEYS = {"specification", "url", "changeset", "type", "formats"}
MIME_TYPE = re.compile(r"^[a-z]+/[a-z0-9][a-z0-9.+-]*$")
BASE_URL = re.compile(r"^https?://[^/\s]+(/[^\s]*)?/$")


def _discovery_from_xml(content: bytes) -> dict:
    """<discovery> as the dict its JSON twin is (Spark convention)."""
    assert content.startswith(XML_DECL), content[:80]
    top = ET.fromstring(content)  # noqa: S314
    assert top.tag == "discovery", f"root <{top.tag}>, expected <discovery>"
    doc: dict = {child.tag: (child.text or "") for child in top if child.tag != "endpoints"}
    endpoints = top.find("endpoints")
    assert endpoints is not None, "<discovery> has no <endpoints>"
    doc["endpoints"] = []
    for element in endpoints:
        assert element.tag == "endpoint", f"<endpoints> holds <{element.tag}>"
        endpoint: dict = {c.tag: (c.text or "") for c in element if c.tag != "formats"}
        formats = element.find("formats")
        assert formats is not None, "<endpoint> has no <formats>"
        assert all(f.tag == "format" for f in formats), [f.tag for f in formats]
        endpoint["formats"] = [f.text or "" for f in formats]
        doc["endpoints"].append(endpoint)
    return doc


def check_discovery_document(doc: dict, where: str) -> None:
    assert isinstance(doc, dict), f"{where}: discovery is an object, not a list"
    assert set(doc) == DISCOVERY_KEYS, f"{where}: fields {sorted(doc)}"
    assert ISO_TZ.match(doc["changeset"]), f"{where}: changeset={doc['changeset']!r}"
    assert isinstance(doc["contact"], str), f"{where}: contact={doc['contact']!r}"
    assert isinstance(doc["key_service"], str), f"{where}: key_service={doc['key_service']!r}"
    assert doc["key_service"].strip(), f"{where}: key_service says nothing"
    assert isinstance(doc["endpoints"], list), f"{where}: endpoints is a list"
    assert doc["endpoints"], f"{where}: no endpoints"
    for i, endpoint in enumerate(doc["endpoints"]):
        at = f"{where}.endpoints[{i}]"
        assert set(endpoint) == ENDPOINT_KEYS, f"{at}: fields {sorted(endpoint)}"
        assert endpoint["specification"] == SPECIFICATION, at
        assert BASE_URL.match(endpoint["url"]), f"{at}: url={endpoint['url']!r}"
        assert ISO_TZ.match(endpoint["changeset"]), f"{at}: changeset={endpoint['changeset']!r}"
        assert endpoint["type"] in ("production", "test"), f"{at}: type={endpoint['type']!r}"
        formats = endpoint["formats"]
        assert isinstance(formats, list), f"{at}: formats is a list"
        assert all(isinstance(f, str) and MIME_TYPE.match(f) for f in formats), f"{at}: {formats}"
        assert len(set(formats)) == len(formats), f"{at}: repeated formats {formats}"
        assert "text/xml" in formats, f"{at}: XML is mandatory"


def check_discovery(api, url: str = "/open311/v2/discovery") -> dict:
    """Fetch discovery as .json and .xml; check the field rules on both and
    that both say the same thing; return the JSON."""
    docs = {}
    for fmt in ("json", "xml"):
        response = api.get(f"{url}.{fmt}")
        assert response.status_code == 200, (fmt, response.status_code, response.content[:500])
        expected_type = "application/json" if fmt == "json" else "text/xml"
        assert response["Content-Type"].startswith(expected_type)
        docs[fmt] = (
            json.loads(response.content) if fmt == "json" else _discovery_from_xml(response.content)
        )
        check_discovery_document(docs[fmt], f"{url}.{fmt}")
    assert docs["json"] == docs["xml"], docs
    # JSON is optional in the spec and must then be advertised
    assert all("application/json" in e["formats"] for e in docs["json"]["endpoints"])
    return docs["json"]
