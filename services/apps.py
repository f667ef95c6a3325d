from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServicesConfig(AppConfig):
    name = "services"
    verbose_name = _("Service requests")

    def ready(self) -> None:
        from core import hooks
        from core.actions import CALENDAR_CHANGED
        from governance.hooks import AREA_MERGED, PATH_MOVED
        from services.clocks import recompute_provisional
        from services.receivers import follow_merged_areas, follow_moved_paths

        hooks.connect(PATH_MOVED, follow_moved_paths)
        hooks.connect(AREA_MERGED, follow_merged_areas)
        hooks.connect(CALENDAR_CHANGED, recompute_provisional)

        from core.workcalendar import provisional_counters
        from services.clocks import count_provisional

        if count_provisional not in provisional_counters:
            provisional_counters.append(count_provisional)
