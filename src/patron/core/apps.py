from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "patron.core"
    label = "core"
    verbose_name = _("Patron core")

    def ready(self):
        from django.core import checks  # registered once the apps are loaded

        from patron.core.checks import sqlite_version
        from patron.core.georgian import keep_georgian

        checks.register(sqlite_version)
        keep_georgian()
