from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsightsConfig(AppConfig):
    name = "patron.insights"
    verbose_name = _("Insights")

    def ready(self):
        from patron.insights import privacy  # noqa: F401 - registers what insights exports and erases for a customer
