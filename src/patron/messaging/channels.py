"""The ways a message leaves: email through Django's mail backend, SMS and webhooks through HTTP."""

import smtplib
import uuid

import httpx

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend

from patron.customers.models import Customer
from patron.messaging.models import Message
from patron.messaging.render import Rendered, message_id


class Permanent(Exception):
    """Delivery can never succeed (a refused address, a missing setting): do not retry."""


BOUNCE_REASON = "address refused"  # how a hard bounce's failure reason begins


class Bounced(Permanent):
    """The receiving side refused the address for good (SMTP 5xx): no message goes to it again."""


class Temporary(Exception):
    """Try again later (a server down, a timeout)."""


class Email(EmailMultiAlternatives):
    def message(self, *args, **kwargs):
        message = super().message(*args, **kwargs)
        # A random boundary of our own: otherwise the generator compiles a new regular expression for
        # every message to prove its boundary absent from the text (a tenth of a worker's time).
        message.set_boundary(f"=_patron_{uuid.uuid4().hex}")
        return message


class NoMailServer(BaseEmailBackend):
    """The mail backend when no SMTP host is set: nothing is sent, and nothing is printed (a sign-in link
    in a server's log is a key to a customer's account). The message waits in the outbox, saying why.
    `patron demo` prints its mail to the console instead."""

    def open(self):
        raise smtplib.SMTPException("no mail server is set (PATRON_SMTP_HOST)")

    def send_messages(self, email_messages):
        self.open()


class Mail:
    """One open SMTP connection for a whole batch."""

    def __init__(self):
        self.connection = None

    def send(self, message: Message, customer: Customer, rendered: Rendered) -> None:
        if self.connection is None:
            self.connection = get_connection(fail_silently=False)
            try:
                self.connection.open()
            except (OSError, smtplib.SMTPException) as exc:
                self.connection = None
                raise Temporary(f"mail server: {exc}") from exc
        email = Email(
            subject=rendered.subject, body=rendered.text, from_email=settings.DEFAULT_FROM_EMAIL, to=[customer.email],
            headers={"Message-ID": message_id(message), **rendered.headers}, connection=self.connection,
        )
        email.attach_alternative(rendered.html, "text/html")
        try:
            email.send()
        except smtplib.SMTPRecipientsRefused as exc:
            # 5xx: the address is refused for good; 4xx (greylisting, a full mailbox): try again later.
            refused = [f"{code} {answer.decode(errors='replace') if isinstance(answer, bytes) else answer}"
                       for code, answer in exc.recipients.values() if code >= 500]
            if refused:
                raise Bounced(f"{BOUNCE_REASON}: {'; '.join(refused)}") from exc
            self.close()
            raise Temporary(f"address deferred: {exc.recipients}") from exc
        except (OSError, smtplib.SMTPException) as exc:
            self.close()
            raise Temporary(f"mail server: {exc}") from exc

    def close(self) -> None:
        if self.connection is not None:
            try:
                self.connection.close()
            except (OSError, smtplib.SMTPException):
                pass
            self.connection = None


def timeouts() -> httpx.Timeout:
    """Connect and read timeouts of every outside HTTP call (PATRON_HTTP_CONNECT_TIMEOUT, PATRON_HTTP_READ_TIMEOUT)."""
    return httpx.Timeout(settings.PATRON_HTTP_READ_TIMEOUT, connect=settings.PATRON_HTTP_CONNECT_TIMEOUT)


def post_json(url: str, payload: dict, token: str = "") -> None:
    if not url:
        raise Permanent("no gateway configured (PATRON_SMS_GATEWAY_URL / PATRON_WEBHOOK_URL)")
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        response = httpx.post(url, json=payload, headers=headers, timeout=timeouts())
    except httpx.TimeoutException as exc:
        raise Temporary(f"gateway: timed out ({type(exc).__name__})") from exc
    except httpx.HTTPError as exc:
        raise Temporary(f"gateway: {exc}") from exc
    if 400 <= response.status_code < 500 and response.status_code != 429:
        raise Permanent(f"gateway refused: HTTP {response.status_code}")
    if response.status_code >= 300:
        raise Temporary(f"gateway: HTTP {response.status_code}")


def send_sms(message: Message, customer: Customer, rendered: Rendered) -> None:
    if not rendered.sms:
        raise Permanent(f"{message.template} has no SMS text")
    post_json(settings.PATRON_SMS_GATEWAY_URL, {
        "id": message_id(message), "to": customer.phone, "text": rendered.sms, "language": rendered.language,
    }, settings.PATRON_SMS_GATEWAY_TOKEN)


def send_webhook(message: Message, customer: Customer, rendered: Rendered) -> None:
    post_json(settings.PATRON_WEBHOOK_URL, {
        "id": message_id(message), "customer": customer.external_id, "template": message.template,
        "purpose": message.purpose, "language": rendered.language, "subject": rendered.subject, "text": rendered.text,
    })
