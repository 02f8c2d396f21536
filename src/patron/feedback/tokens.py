"""Survey links: a signed token names the customer, the survey kind and what was asked.

The token is the only proof a survey page needs: it cannot be made without the secret key, and
it carries the customer, so an answer never lands on anybody else. Tokens of other links (the
unsubscribe and preference links) are signed with another salt and are refused here.
"""

import secrets

from django.conf import settings
from django.core import signing
from django.urls import reverse

from patron.core.errors import InvalidLink

SALT = "patron.feedback.survey"
MAX_AGE_DAYS = 90  # a survey older than this is not answered any more


def make(customer_id: int, kind: str, ref: str) -> str:
    return signing.dumps({"c": customer_id, "k": kind, "r": ref}, salt=SALT, compress=True)


def read(token: str) -> tuple[int, str, str]:
    """(customer id, kind, ref); InvalidLink when the token was not made here, was altered or is too old."""
    try:
        data = signing.loads(token, salt=SALT, max_age=MAX_AGE_DAYS * 86400)
        return int(data["c"]), str(data["k"]), str(data["r"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise InvalidLink("this survey link is not valid") from None


def url(customer_id: int, kind: str, ref: str) -> str:
    """The survey page; `?score=N` added to it is the one-click answer."""
    return settings.PATRON_BASE_URL + reverse("feedback:answer", args=[make(customer_id, kind, ref)])


def new_link_ref(prefix: str = "l:") -> str:
    return prefix + secrets.token_urlsafe(9)


PORTAL_PREFIX = "p:"
API_PREFIX = "api:"


MESSAGE_PREFIX = "m:"


def message_ref(message_id: int) -> str:
    return f"{MESSAGE_PREFIX}{message_id}"
