from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "patron.customers"
    label = "customers"
    verbose_name = _("Customers")

    def ready(self):
        from patron.customers.importing import KIND  # the import kinds need the models, loaded by now
        from patron.imports import register

        register(KIND)
