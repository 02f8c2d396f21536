from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServiceConfig(AppConfig):
    name = "patron.service"
    verbose_name = _("Service desk")
    label = "service"

    def ready(self):
        from patron.service import privacy  # noqa: F401 - registers what service exports and erases for a customer
        # The models (and so the queries) are importable only once the apps are loaded.
        from patron.feedback import queries as feedback
        from patron.service.queries import staff_notes

        if staff_notes not in feedback.COMMENT_SOURCES:
            feedback.COMMENT_SOURCES.append(staff_notes)
