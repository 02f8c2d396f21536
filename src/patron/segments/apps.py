from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SegmentsConfig(AppConfig):
    name = "patron.segments"
    verbose_name = _("Segments")
    label = "segments"

    def ready(self):
        from patron.segments import privacy  # noqa: F401 - registers what segments exports and erases for a customer
