from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class GovernanceConfig(AppConfig):
    name = "governance"
    verbose_name = _("Governance")

    def ready(self) -> None:
        from governance.roles import sync_role_groups

        # Setup, not a business rule: role groups exist on every database.
        post_migrate.connect(sync_role_groups, dispatch_uid="governance.sync_role_groups")
