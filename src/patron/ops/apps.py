from django.apps import AppConfig


class OpsConfig(AppConfig):
    """The commands that combine contexts (layer 4): demo, import, customer, serve, worker, score, loyalty."""

    name = "patron.ops"
    label = "ops"
    verbose_name = "Patron operations"
