from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    name = "patron.feedback"
    label = "feedback"
