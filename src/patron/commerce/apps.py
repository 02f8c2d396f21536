from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommerceConfig(AppConfig):
    name = "patron.commerce"
    label = "commerce"
    verbose_name = _("Orders and products")

    def ready(self):
        from patron.commerce import privacy  # noqa: F401 - registers what commerce exports and erases for a customer
        from patron.commerce.importing import ORDER_LINES_KIND, ORDERS_KIND  # the import kinds need the models, loaded by now
        from patron.imports import register

        register(ORDERS_KIND, ORDER_LINES_KIND)
