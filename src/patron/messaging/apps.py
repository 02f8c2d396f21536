from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MessagingConfig(AppConfig):
    name = "patron.messaging"
    verbose_name = _("Messages")
    label = "messaging"

    def ready(self):
        from patron.messaging import privacy  # noqa: F401 - registers what messaging exports and erases for a customer
        # The models (and so the receivers) are importable only once the apps are loaded.
        from patron.loyalty import events
        from patron.messaging import receivers

        from patron.core import memo
        from patron.messaging.models import Brand

        memo.watch(Brand)  # every email reads it
        events.renewal_due.connect(receivers.remind_renewal, dispatch_uid="messaging-renewal-reminder")
        from anymail.signals import tracking

        from patron.messaging import mail_events

        tracking.connect(mail_events.on_event, dispatch_uid="messaging-mail-events")
