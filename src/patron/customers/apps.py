from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "patron.customers"
    label = "customers"
    verbose_name = "Customers"

    def ready(self):
        from patron.customers.importing import KIND  # the import kinds need the models, loaded by now
        from patron.imports import register

        register(KIND)
