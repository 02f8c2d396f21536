from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "patron.api"
    verbose_name = "API"
