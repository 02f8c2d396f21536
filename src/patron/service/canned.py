"""Canned replies of the service desk: shipped per language (content/canned.toml), picked by their title in the
ticket's customer's language, and filled with the customer's name as a greeting addresses it."""

import functools
import tomllib
from pathlib import Path

from django.conf import settings
from django.template import engines

from patron.culture.grammar import primary, vocative
from patron.service.models import Ticket

CANNED = Path(__file__).parent / "content" / "canned.toml"


@functools.cache
def _shipped() -> dict:
    with CANNED.open("rb") as handle:
        return tomllib.load(handle)


def language_of(ticket: Ticket) -> str:
    """The language the ticket's replies are written in: its customer's, else the shop's default."""
    found = primary(ticket.customer.language) if ticket.customer_id and ticket.customer.language else ""
    return found or primary(settings.PATRON_DEFAULT_LANGUAGE)


def replies(ticket: Ticket, agent: str = "") -> list[dict]:
    """Every canned reply in the ticket's language (else English), filled for its customer: key, title, body."""
    language = language_of(ticket)
    person = ticket.customer
    context = {"first_name": person.first_name if person else "", "ticket": ticket.pk, "agent": agent,
               "first_name_vocative": vocative(person.first_name, language) if person and person.first_name else ""}
    found = []
    for key, texts in _shipped().items():
        text = texts.get(language) or texts["en"]
        body = engines["django"].from_string("{% autoescape off %}" + text["body"] + "{% endautoescape %}").render(context)
        found.append({"key": key, "title": text["title"], "body": body.strip()})
    return found
