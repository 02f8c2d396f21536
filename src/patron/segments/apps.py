from django.apps import AppConfig


class SegmentsConfig(AppConfig):
    name = "patron.segments"
    label = "segments"
