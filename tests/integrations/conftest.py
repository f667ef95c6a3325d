"""Connected systems: a 12345 hotline client scoped to street A, a
department's own system working for the urban management department, and
their keys. Built through integrations.actions, like the admin does."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from rest_framework.test import APIClient

from integrations import actions
from integrations.models import ApiClient, HotlineAreaMapping, HotlineCategoryMapping
from tests.services.conftest import categories, garbage, report, whistled  # noqa: F401


@dataclass
class Keyed:
    client: ApiClient
    key: str
    read_key: str

    def api(self, *, write: bool = True) -> APIClient:
        api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
        api.credentials(HTTP_AUTHORIZATION=f"Api-Key {self.key if write else self.read_key}")
        return api


def make_client(name: str, *, areas=(), departments=(), **kw: Any) -> Keyed:
    client = actions.client_create(
        name=name, areas=areas, departments=departments, actor=None, **kw
    )
    _k, key = actions.key_issue(client=client, actor=None, can_write=True, name="write")
    _r, read_key = actions.key_issue(client=client, actor=None, can_write=False, name="read")
    return Keyed(client, key, read_key)


@pytest.fixture
def hotline(city: Any, garbage: Any) -> Keyed:  # noqa: F811
    """12345 client taking cases in street A (intake post), with mappings."""
    keyed = make_client("12345市民服务热线", areas=[city.street_a])
    HotlineCategoryMapping.objects.create(
        external_code="0301", external_name="垃圾清运", category=garbage
    )
    HotlineAreaMapping.objects.create(
        external_code="110-XH-01", external_name="新华社区", grid=city.grid_a1
    )
    HotlineAreaMapping.objects.create(
        external_code="110-HB-01", external_name="海北社区", grid=city.grid_b1
    )
    return keyed


@pytest.fixture
def dept_system(city: Any) -> Keyed:
    """The urban management department's own case system."""
    return make_client("城管业务系统", departments=[city.dept_urban])


@pytest.fixture
def other_dept_system(city: Any) -> Keyed:
    return make_client("海南区城管系统", departments=[city.dept_other_district])
