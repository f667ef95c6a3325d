"""factory_boy factories that keep the city → grid chain consistent.

Areas are created through governance.actions (the only way the tree
changes), so paths, levels and codes are always valid.
"""

from __future__ import annotations

from typing import Any

import factory
from django.contrib.auth import get_user_model

from governance import actions
from governance.models import Area, Department, Post

User = get_user_model()


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name", locale="zh_CN")
    password = factory.django.Password("pw-for-tests-only")


def make_city(name: str = "测试市", code: str = "150300000000") -> Area:
    existing = Area.objects.filter(code=code).first()
    return existing or actions.area_create(parent=None, name=name, code=code, actor=None)


def make_child(parent: Area, name: str, code: str | None = None) -> Area:
    return actions.area_create(parent=parent, name=name, code=code, actor=None)


class AreaFactory(factory.Factory):
    """``AreaFactory(level="grid")`` builds the whole chain above it if needed."""

    class Meta:
        model = Area

    level = "grid"
    parent: Any = None
    name = factory.Sequence(lambda n: f"区域{n}")

    @classmethod
    def _create(cls, model_class: type[Area], *args: Any, **kwargs: Any) -> Area:
        level = kwargs["level"]
        parent = kwargs.get("parent")
        name = kwargs["name"]
        if level == "city":
            return make_city(name=name, code=kwargs.get("code") or "150300000000")
        if parent is None:
            above = {
                "district": "city",
                "street": "district",
                "community": "street",
                "grid": "community",
            }[level]
            parent = cls.create(level=above)
        if level == "district":
            taken = set(Area.objects.filter(level="district").values_list("code", flat=True))
            code = kwargs.get("code") or next(
                f"{parent.code[:4]}{n:02d}000000"
                for n in range(1, 100)
                if f"{parent.code[:4]}{n:02d}000000" not in taken
            )
            return make_child(parent, name, code)
        return make_child(parent, name, kwargs.get("code"))

    @classmethod
    def _build(cls, model_class: type[Area], *args: Any, **kwargs: Any) -> Area:
        raise NotImplementedError("Areas only exist in the tree: use create().")


class DepartmentFactory(factory.Factory):
    class Meta:
        model = Department

    name = factory.Sequence(lambda n: f"部门{n}")
    area: Any = None
    stationed_at: Any = None

    @classmethod
    def _create(cls, model_class: type[Department], *args: Any, **kwargs: Any) -> Department:
        area: Area = kwargs.get("area") or AreaFactory.create(level="district")
        return actions.department_create(
            name=kwargs["name"], area=area, stationed_at=kwargs.get("stationed_at"), actor=None
        )


def grant(
    user: Any, role: str, *, area: Area | None = None, department: Department | None = None
) -> Post:
    return actions.post_grant(user=user, role=role, area=area, department=department, actor=None)
