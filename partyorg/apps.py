from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartyorgConfig(AppConfig):
    name = "partyorg"
    verbose_name = _("Party organisations")

    def ready(self) -> None:
        from core import hooks
        from governance.hooks import AREA_MERGED
        from partyorg.actions import move_on_area_merged

        # Organisations hang on areas by foreign key, not by stored path, so
        # only merges need a receiver (docs/decisions/0010-party-organisations.md).
        hooks.connect(AREA_MERGED, move_on_area_merged)
