"""The test factories build only trees the actions would: valid codes, whole chains."""

import itertools

import pytest

from governance.codes import code_errors
from governance.models import Area
from tests.factories import AreaFactory, DepartmentFactory

pytestmark = pytest.mark.django_db


def test_a_grid_comes_with_its_whole_chain_and_valid_codes():
    grid = AreaFactory.create(level="grid")
    chain = [*Area.objects.get_ancestors(Area.objects.get(pk=grid.pk)), grid]
    assert [a.level for a in chain] == ["city", "district", "street", "community", "grid"]
    for parent, child in itertools.pairwise(chain):
        assert child.path.startswith(parent.path)
        assert code_errors(child.level, child.code, parent.level, parent.code) == []
    assert len(grid.code) == 15


def test_siblings_get_their_own_codes_under_one_parent():
    community = AreaFactory.create(level="community")
    grids = [AreaFactory.create(level="grid", parent=community) for _ in range(3)]
    assert len({g.code for g in grids}) == 3
    assert all(g.code.startswith(community.code) for g in grids)
    districts = [AreaFactory.create(level="district") for _ in range(2)]
    assert len({d.code for d in districts}) == 2


def test_a_department_belongs_to_a_district_built_for_it():
    department = DepartmentFactory.create()
    assert department.area.level == "district"
    assert department.pk is not None
