import time

from django.db.models import Count

from governance import demo as governance_demo
from governance.models import Area
from partyorg import demo as partyorg_demo
from partyorg.models import JointCommitteeMember, PartyMember, PartyOrg
from partyorg.selectors import coverage_report, current_chair


def test_the_demo_seeds_a_valid_party_tree_quickly(db, django_user_model):
    # The tree and accounts only: other apps' demos are theirs to test.
    demo = governance_demo.seed_tree()
    governance_demo.seed_accounts(demo)
    started = time.monotonic()
    counts = partyorg_demo.seed(demo)
    elapsed = time.monotonic() - started
    assert elapsed < 15, f"partyorg demo took {elapsed:.1f} s"
    assert counts["Party members"] == PartyMember.objects.count()
    kinds = dict(PartyOrg.objects.order_by().values_list("kind").annotate(n=Count("id")))
    assert kinds["working_committee"] == 15
    assert kinds["street_joint_committee"] == 15
    assert kinds["committee"] + kinds["general_branch"] == 69
    assert kinds["branch"] > 600
    assert 20 < kinds["group"] < 150
    # treebeard agrees with the paths computed by the seed.
    assert PartyOrg.objects.find_problems() == ([], [], [], [], [])
    group = PartyOrg.objects.filter(kind="group").first()
    assert PartyOrg.objects.get_parent(group).kind == "branch"
    assert 3000 < PartyMember.objects.count() < 8000
    assert PartyMember.objects.filter(in_service=True).exclude(employer="").exists()
    for joint in PartyOrg.objects.filter(kind="street_joint_committee"):
        assert 5 <= JointCommitteeMember.objects.filter(committee=joint).count() <= 8
        assert current_chair(joint) is not None
    sysadmin = django_user_model.objects.get(username="sysadmin")
    totals = coverage_report(user=sysadmin, area=Area.objects.get(level="city"))["totals"]
    assert totals["grids"] == 786
    assert totals["with_branch"] > 600
    assert totals["group_only"] > 20
    assert totals["none"] > 5
    assert totals["members"] > 3000
