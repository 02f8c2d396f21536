from django.apps import AppConfig


class ConnectorsConfig(AppConfig):
    name = "patron.connectors"
    label = "connectors"
    verbose_name = "Shop connections"
