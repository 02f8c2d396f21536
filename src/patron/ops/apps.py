from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpsConfig(AppConfig):
    """The commands that combine contexts (layer 4): demo, import, customer, serve, worker, score, loyalty."""

    name = "patron.ops"
    label = "ops"
    verbose_name = _("Patron operations")
