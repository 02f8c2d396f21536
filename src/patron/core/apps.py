from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "patron.core"
    label = "core"
    verbose_name = "Patron core"

    def ready(self):
        from django.core import checks  # registered once the apps are loaded

        from patron.core.checks import sqlite_version

        checks.register(sqlite_version)
