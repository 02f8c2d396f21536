from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "patron.core"
    label = "core"
    verbose_name = "Patron core"

    def ready(self):
        from django.core import checks

        from patron.core.checks import sqlite_version

        checks.register(sqlite_version)
