"""A support agent works a ticket in Georgian: the queue filtered to tickets nobody has, the ticket with its
customer's value and risk beside the thread, a canned reply in the customer's Georgian sent through SMTP, and the
ticket resolved with a recovery reward picked by its name, the gesture written as a sentence. axe-core and no
English catalogue sentence on any page visited; no console error. Screenshots go to test-artifacts/desk/."""

from pathlib import Path

import pytest

from patron.customers.services import upsert_customer
from patron.dashboard import roles
from patron.dashboard.services import add_staff
from patron.loyalty.models import Coupon, Program, Reward
from patron.messaging.delivery import deliver_due
from patron.service import services as service
from patron.service.models import Ticket
from tests.web.test_dashboard_walk import PASSWORD, sign_in, watched  # noqa: F401 - fixtures
from tests.web.test_journey_designer import Checked

pytestmark = pytest.mark.django_db(transaction=True)

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "desk"


def test_an_agent_answers_in_georgian_with_a_canned_reply_and_gives_a_reward_by_name(watched, live_server, mail_to, settings):
    settings.PATRON_QUIET_HOURS = ""
    program = Program.objects.create(name="Patron Rewards", currency="GEL")
    Reward.objects.create(program=program, name="Apology coupon", kind=Reward.Kind.DISCOUNT_PERCENT, value=20, cost=1)
    nino, _ = upsert_customer("ka-1", first_name="ნინო", language="ka", email="nino@example.ge", country="GE")
    ticket = service.open_ticket(subject="ამანათი დაიგვიანა", channel="email", customer=nino, body="სად არის ჩემი შეკვეთა?",
                                 kind="complaint")
    add_staff("giorgi", roles.SUPPORT, password=PASSWORD)
    page, base, check = watched, live_server.url, Checked(watched, "ka", ARTIFACTS)
    sign_in(page, base, "giorgi")
    page.wait_for_url(lambda url: "/login/" not in url)
    page.select_option("#language-choice", "ka")
    page.wait_for_load_state("networkidle")
    page.goto(f"{base}/service/?assignee=nobody")
    check("queue")
    page.locator(f"tr[data-ticket='{ticket.pk}']").get_by_role("link").click()
    page.wait_for_url(f"{base}/service/{ticket.pk}/")
    assert "სად არის ჩემი შეკვეთა?" in page.locator("ol.events").inner_text()
    page.get_by_role("button", name="მიმართვის აღება").click()
    page.wait_for_url(f"{base}/service/{ticket.pk}/")
    assert Ticket.objects.get(pk=ticket.pk).assigned_to.username == "giorgi"
    page.get_by_label("მზა პასუხი").select_option("late_delivery")
    body = page.get_by_label("პასუხი მომხმარებელს").input_value()
    assert body.startswith("გამარჯობა, ნინო!") and "ბოდიშს გიხდით" in body
    check("ticket")
    page.get_by_role("button", name="პასუხის გაგზავნა").click()
    page.wait_for_url(f"{base}/service/{ticket.pk}/")
    deliver_due()
    [mail] = mail_to.to("nino@example.ge")
    assert mail["Subject"].strip() == f"Re: ამანათი დაიგვიანა [#{ticket.pk}]" and mail["Content-Language"] == "ka"
    # Resolved with the reward picked by its name and value.
    page.get_by_role("radio", name="ჯილდოს მიცემა").check()
    page.locator("#id_reward").select_option(label="Apology coupon · 20%")
    page.get_by_role("button", name="მიმართვის გადაწყვეტა").click()
    page.wait_for_url(f"{base}/service/{ticket.pk}/")
    coupon = Coupon.objects.get(customer=nino)
    assert coupon.reward.name == "Apology coupon"
    assert f"ბოდიშის ნიშნად კუპონი {coupon.code} (Apology coupon) მისცა." in page.locator("ol.events").inner_text()
    assert Ticket.objects.get(pk=ticket.pk).status == Ticket.Status.RESOLVED
    check("resolved")
    assert page.errors == []
