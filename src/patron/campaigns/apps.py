from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "patron.campaigns"
    label = "campaigns"

    def ready(self):
        from patron.campaigns import privacy  # noqa: F401 - registers what campaigns exports and erases for a customer
