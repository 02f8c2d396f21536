from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LoyaltyConfig(AppConfig):
    name = "patron.loyalty"
    verbose_name = _("Loyalty")

    def ready(self):
        from patron.loyalty import privacy  # noqa: F401 - registers what loyalty exports and erases for a customer
        # The models (and so the receivers) are importable only once the apps are loaded.
        from patron.commerce import events
        from patron.core import memo
        from patron.loyalty import receivers
        from patron.loyalty.models import EarningRule, PaidPlan, Program, Tier

        memo.watch(Program, EarningRule, Tier, PaidPlan)  # every order reads them
        events.order_recorded.connect(receivers.earn_on_recorded_order, dispatch_uid="loyalty-earn-order")
        events.orders_written.connect(receivers.earn_on_written_orders, dispatch_uid="loyalty-earn-orders")
