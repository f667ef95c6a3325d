"""The API's JSON parser: bounded in size and in nesting (issue 18, finding 8).

DRF's parser hands the raw stream to ``json.load``: a body of 10,000 ``[``
raised RecursionError inside the C decoder (a 500), and a body of any size
was read, because Django's DATA_UPLOAD_MAX_MEMORY_SIZE only guards
``request.body`` and form parsing. This parser reads at most that many bytes
and refuses anything nested deeper than any payload of ours needs.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Mapping
from typing import IO, Any

from django.conf import settings
from django.http import QueryDict
from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.settings import api_settings
from rest_framework.utils.json import strict_constant

from core.errors import JSON_TOO_DEEP, REQUEST_TOO_LARGE, malformed

#: Our deepest payload (a form answer inside attributes) is 4 levels deep.
MAX_DEPTH = 32


def depth_exceeds(data: Any, limit: int = MAX_DEPTH) -> bool:
    """True when ``data`` nests lists/objects more than ``limit`` deep (no recursion)."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children: Any = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def loads(raw: bytes, *, encoding: str = "utf-8", strict: bool = True) -> Any:
    """Parse a JSON body: ``ParseError`` when it is not JSON, our 400 when too deep."""
    try:
        text = codecs.decode(raw, encoding)
        data = json.loads(text, parse_constant=strict_constant if strict else None)
    except RecursionError:
        raise malformed(JSON_TOO_DEEP) from None
    except (ValueError, LookupError) as exc:  # bad bytes, bad JSON, unknown charset
        raise ParseError(f"JSON parse error - {exc}") from None
    if depth_exceeds(data):
        raise malformed(JSON_TOO_DEEP)
    return data


def _read_bounded(stream: IO[Any], parser_context: Mapping[str, Any] | None) -> tuple[bytes, str]:
    """The body, read up to DATA_UPLOAD_MAX_MEMORY_SIZE (400 past it), and its encoding."""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    raw = stream.read() if limit is None else stream.read(limit + 1)
    if limit is not None and len(raw) > limit:
        raise malformed(REQUEST_TOO_LARGE)
    return raw, (parser_context or {}).get("encoding") or settings.DEFAULT_CHARSET


class JSONParser(parsers.JSONParser):
    """Every API view's JSON parser (DEFAULT_PARSER_CLASSES and explicit lists)."""

    def parse(
        self,
        stream: IO[Any],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        raw, encoding = _read_bounded(stream, parser_context)
        return loads(raw, encoding=encoding, strict=api_settings.STRICT_JSON)


class FormParser(parsers.FormParser):
    """``application/x-www-form-urlencoded``, read up to the same size limit
    (DRF's reads the whole stream; Django's field-count limit still applies)."""

    def parse(
        self,
        stream: IO[Any],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        raw, encoding = _read_bounded(stream, parser_context)
        return QueryDict(raw, encoding=encoding)
