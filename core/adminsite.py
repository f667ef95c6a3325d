"""``django.contrib.admin`` with the two-factor-aware site as ``admin.site``.

Listed in INSTALLED_APPS instead of "django.contrib.admin" (Django's way to
replace the default site), so every ``admin.site.register`` and
``admin.site.urls`` gets ``core.twofactor.PortalAdminSite``. Kept out of
core/apps.py: Django picks an app's config from the classes in apps.py.
"""

from django.contrib.admin.apps import AdminConfig


class PortalAdminConfig(AdminConfig):
    default_site = "core.twofactor.PortalAdminSite"
