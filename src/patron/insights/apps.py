from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "patron.insights"
    verbose_name = "Insights"
