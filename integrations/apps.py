from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = _("Connected systems")

    def ready(self) -> None:
        from core import hooks
        from integrations import schema  # noqa: F401  (registers the OpenAPI extension)
        from integrations.webhooks import fan_out
        from services.hooks import TICKET_EVENTS

        hooks.connect(TICKET_EVENTS, fan_out)
