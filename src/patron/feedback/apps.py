from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    name = "patron.feedback"
    label = "feedback"

    def ready(self):
        from patron.feedback.importing import KIND  # the import kinds need the models, loaded by now
        from patron.imports import register

        register(KIND)
