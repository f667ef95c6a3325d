from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartyorgConfig(AppConfig):
    name = "partyorg"
    verbose_name = _("Party organisations")

    def ready(self) -> None:
        from partyorg.actions import register_hooks

        # Organisations hang on areas by foreign key, not by stored path, so
        # only merges need a receiver (docs/decisions/0010-party-organisations.md).
        register_hooks()
