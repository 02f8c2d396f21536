from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConnectorsConfig(AppConfig):
    name = "patron.connectors"
    label = "connectors"
    verbose_name = _("Shop connections")

    def ready(self):
        from patron.connectors import coupons
        from patron.messaging import delivery

        if coupons.holds not in delivery.HOLDS:
            delivery.HOLDS.append(coupons.holds)
