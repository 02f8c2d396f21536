from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeedbackConfig(AppConfig):
    name = "patron.feedback"
    verbose_name = _("Feedback")
    label = "feedback"

    def ready(self):
        from patron.feedback import privacy  # noqa: F401 - registers what feedback exports and erases for a customer
        from patron.feedback.importing import KIND  # the import kinds need the models, loaded by now
        from patron.imports import register

        register(KIND)
