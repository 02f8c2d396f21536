from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CampaignsConfig(AppConfig):
    name = "patron.campaigns"
    verbose_name = _("Journeys")
    label = "campaigns"

    def ready(self):
        from patron.campaigns import privacy  # noqa: F401 - registers what campaigns exports and erases for a customer
