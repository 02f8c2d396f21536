from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.db.models.signals import post_migrate


class DashboardConfig(AppConfig):
    name = "patron.dashboard"
    label = "dashboard"
    verbose_name = _("Dashboard")

    def ready(self):
        from patron.dashboard import roles

        post_migrate.connect(roles.ensure_groups, sender=self)
