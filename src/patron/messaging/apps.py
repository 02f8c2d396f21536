from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "patron.messaging"
    label = "messaging"
