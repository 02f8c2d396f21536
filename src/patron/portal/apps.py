from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "patron.portal"
    label = "portal"
    verbose_name = "Member portal"
