from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "patron.insights"
    verbose_name = "Insights"

    def ready(self):
        from patron.insights import privacy  # noqa: F401 - registers what insights exports and erases for a customer
