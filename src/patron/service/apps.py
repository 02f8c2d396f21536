from django.apps import AppConfig


class ServiceConfig(AppConfig):
    name = "patron.service"
    label = "service"

    def ready(self):
        # The models (and so the queries) are importable only once the apps are loaded.
        from patron.feedback import queries as feedback
        from patron.service.queries import staff_notes

        if staff_notes not in feedback.COMMENT_SOURCES:
            feedback.COMMENT_SOURCES.append(staff_notes)
