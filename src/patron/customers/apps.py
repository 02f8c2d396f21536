from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "patron.customers"
    label = "customers"
    verbose_name = "Customers"
