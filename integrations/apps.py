from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = _("Connected systems")

    def ready(self) -> None:
        from integrations import schema  # noqa: F401  (registers the OpenAPI extension)
        from integrations.webhooks import fan_out
        from services import hooks

        hooks.on_ticket_events(fan_out)
