from django.apps import AppConfig


class SegmentsConfig(AppConfig):
    name = "patron.segments"
    label = "segments"

    def ready(self):
        from patron.segments import privacy  # noqa: F401 - registers what segments exports and erases for a customer
