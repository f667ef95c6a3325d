"""API routes of the partyorg app, mounted under /api/v1/ by config/urls.py."""

from django.urls import URLPattern, URLResolver, path
from rest_framework.routers import SimpleRouter

from partyorg import apis

router = SimpleRouter(trailing_slash=True)
router.register("party/orgs", apis.PartyOrgViewSet, basename="party-org")
router.register("party/members", apis.PartyMemberViewSet, basename="party-member")
router.register(
    "party/joint-committees", apis.JointCommitteeViewSet, basename="party-joint-committee"
)

urlpatterns: list[URLPattern | URLResolver] = [
    path("party/coverage/", apis.CoverageView.as_view(), name="party-coverage"),
    *router.urls,
]
