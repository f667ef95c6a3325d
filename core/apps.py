from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        # Login receivers (idle-timeout stamp, two-factor requirement) and
        # the OTP_REQUIRED_FOR check must be connected before the first login.
        from core import security, twofactor  # noqa: F401
