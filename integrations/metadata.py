"""OPTIONS answers without fetching an object."""

from __future__ import annotations

from typing import Any

from rest_framework.metadata import SimpleMetadata


class Metadata(SimpleMetadata):
    """OPTIONS describes the endpoint without fetching an object: DRF's
    default calls ``get_object()`` on detail views, which some views do not
    support (a 500 found by schemathesis)."""

    def determine_actions(self, request: Any, view: Any) -> dict[str, Any]:
        return {}
