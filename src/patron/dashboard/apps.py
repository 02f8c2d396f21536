from django.apps import AppConfig
from django.db.models.signals import post_migrate


class DashboardConfig(AppConfig):
    name = "patron.dashboard"
    label = "dashboard"
    verbose_name = "Dashboard"

    def ready(self):
        from patron.dashboard import roles

        post_migrate.connect(roles.ensure_groups, sender=self)
