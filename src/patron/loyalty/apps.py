from django.apps import AppConfig


class LoyaltyConfig(AppConfig):
    name = "patron.loyalty"
    verbose_name = "Loyalty"
