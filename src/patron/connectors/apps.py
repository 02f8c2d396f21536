from django.apps import AppConfig


class ConnectorsConfig(AppConfig):
    name = "patron.connectors"
    label = "connectors"
    verbose_name = "Shop connections"

    def ready(self):
        from patron.connectors import coupons
        from patron.messaging import delivery

        if coupons.holds not in delivery.HOLDS:
            delivery.HOLDS.append(coupons.holds)
