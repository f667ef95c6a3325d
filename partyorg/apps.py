from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartyorgConfig(AppConfig):
    name = "partyorg"
    verbose_name = _("Party organisations")
