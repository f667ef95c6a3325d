from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServicesConfig(AppConfig):
    name = "services"
    verbose_name = _("Service requests")

    def ready(self) -> None:
        from governance import hooks
        from services.receivers import follow_merged_areas, follow_moved_paths

        hooks.on_path_moved(follow_moved_paths)
        hooks.on_area_merged(follow_merged_areas)

        from core.actions import calendar_changed_receivers
        from services.clocks import recompute_provisional

        if recompute_provisional not in calendar_changed_receivers:
            calendar_changed_receivers.append(recompute_provisional)

        from core.workcalendar import provisional_counters
        from services.clocks import count_provisional

        if count_provisional not in provisional_counters:
            provisional_counters.append(count_provisional)
