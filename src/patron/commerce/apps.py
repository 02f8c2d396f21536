from django.apps import AppConfig


class CommerceConfig(AppConfig):
    name = "patron.commerce"
    label = "commerce"
    verbose_name = "Orders and products"
