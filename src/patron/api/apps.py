from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "patron.api"
    verbose_name = _("API")

    def ready(self):
        from patron.api import privacy  # noqa: F401 - registers what api exports and erases for a customer
        from patron.api.models import ApiKey  # models are importable only once the apps are loaded
        from patron.core import memo

        memo.watch(ApiKey)  # every request reads its key
