from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "patron.campaigns"
    label = "campaigns"
