"""An agent's reply reaches the customer by email, in the ticket's thread: its subject and number, and a Reply-To
that brings the answer back to the ticket. Canned replies come in the customer's language, their name in it."""

import pytest

from patron.customers.services import upsert_customer
from patron.messaging import tickets
from patron.messaging.delivery import deliver_due
from patron.service import canned, inbound
from patron.service import services as service
from patron.service.models import Ticket, TicketEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket(db, settings):
    settings.PATRON_QUIET_HOURS = ""
    settings.PATRON_SERVICE_ADDRESS = "pagalba@arbatine.lt"
    person, _ = upsert_customer("c-7", first_name="Jonas", language="lt", email="jonas@example.lt")
    return service.open_ticket(subject="Vėluoja siunta", channel="email", customer=person, body="Kur mano siunta?")


def test_a_reply_is_recorded_and_mailed_with_the_tickets_number_and_reply_address(ticket, mail_to):
    event, sent = tickets.send_reply(ticket, "Sveiki, Jonai,\n\nSiunta atvyks rytoj.", by="rasa", agent="Rasa")
    assert sent and event.kind == TicketEvent.Kind.REPLY
    assert Ticket.objects.get(pk=ticket.pk).first_response_at is not None
    deliver_due()
    [mail] = mail_to.to("jonas@example.lt")
    assert mail["Subject"] == f"Re: Vėluoja siunta [#{ticket.pk}]"
    assert mail["Reply-To"] == inbound.reply_address(ticket, "pagalba@arbatine.lt")
    text = mail.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert text.startswith("Sveiki, Jonai,\n\nSiunta atvyks rytoj.\n\nRasa, Patron Shop")


def test_a_requester_who_is_not_a_customer_is_not_mailed(db, mail_to):
    stranger = service.open_ticket(subject="Question", channel="email", requester_email="x@example.com", body="Hi")
    _event, sent = tickets.send_reply(stranger, "Hello", by="rasa")
    assert not sent and stranger.events.filter(kind=TicketEvent.Kind.REPLY).exists()


def test_canned_replies_are_in_the_customers_language_with_the_name_as_addressed(ticket):
    found = {c["key"]: c for c in canned.replies(ticket, agent="Rasa")}
    assert found["looking_into_it"]["title"] == "Aiškinamės"
    assert found["looking_into_it"]["body"].startswith("Sveiki, Jonai,")
    ticket.customer.language = "ka"
    assert canned.replies(ticket)[0]["body"].startswith("გამარჯობა, Jonas!")
    ticket.customer.language = "xx"  # a language with no canned replies: English
    assert canned.replies(ticket)[0]["title"] == "We are looking into it"
