from core.audit import history
from governance import actions as governance_actions
from partyorg.models import PartyMember, PartyOrg


def test_merging_a_community_moves_its_organisations_and_residents(city, party):
    governance_actions.area_merge(source=city.community_a, target=city.community_b, actor=None)
    committee = PartyOrg.objects.get(pk=party.committee_a.pk)
    assert committee.area_id == city.community_b.pk
    entry = history(committee).first()
    assert entry.verb == "moved_by_merge"
    assert entry.before == {"area": city.community_a.pk}
    assert entry.after == {"area": city.community_b.pk}
    # Branches stay on their grids, which moved under the target with them.
    assert PartyOrg.objects.get(pk=party.branch_a1.pk).area_id == city.grid_a1.pk
    member = PartyMember.objects.get(pk=party.member_a.pk)
    assert member.residence_community_id == city.community_b.pk
    assert history(member).first().verb == "moved_by_merge"


def test_merging_a_street_moves_its_working_committee(city, party):
    governance_actions.area_merge(source=city.street_b, target=city.street_a, actor=None)
    assert PartyOrg.objects.get(pk=party.wc_b.pk).area_id == city.street_a.pk
    assert PartyOrg.objects.get(pk=party.wc_a.pk).area_id == city.street_a.pk


def test_what_the_hook_moves_is_audited_as_the_person_who_merged(city, party, personas):
    """The merge's actor reaches the receiver (core.hooks): its audit rows
    name the roster administrator, not the system."""
    merger = personas.roster_admin
    governance_actions.area_merge(source=city.community_a, target=city.community_b, actor=merger)
    org_entry = history(PartyOrg.objects.get(pk=party.committee_a.pk)).first()
    member_entry = history(PartyMember.objects.get(pk=party.member_a.pk)).first()
    assert (org_entry.verb, org_entry.actor) == ("moved_by_merge", merger)
    assert (member_entry.verb, member_entry.actor) == ("moved_by_merge", merger)
