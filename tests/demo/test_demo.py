import datetime as dt
import filecmp

import pytest
from django.core.management import call_command

from patron.commerce.models import Order, OrderLine
from patron.customers.models import Customer
from patron.demo.shop import build


def test_same_seed_same_shop(tmp_path):
    for name in ("a", "b", "c"):
        (tmp_path / name).mkdir()
    day = dt.date(2026, 1, 1)
    a = build(300, 5, day, tmp_path / "a")
    b = build(300, 5, day, tmp_path / "b")
    c = build(300, 6, day, tmp_path / "c")
    assert all(filecmp.cmp(a[k], b[k], shallow=False) for k in a)
    assert not filecmp.cmp(a["customers"], c["customers"], shallow=False)


@pytest.mark.django_db
def test_demo_builds_a_shop_in_five_languages(capsys):
    call_command("demo", "--customers", "400", "--seed", "3", "--no-serve")
    out = capsys.readouterr().out
    assert "admin login: admin / " in out
    assert Customer.objects.count() == 400
    assert set(Customer.objects.values_list("language", flat=True)) == {"lt", "lv", "et", "ka", "en"}
    georgian = Customer.objects.filter(language="ka").first()
    assert georgian.country == "GE" and any("\u10d0" <= ch <= "\u10ff" for ch in georgian.first_name)
    orders = Order.objects.count()
    assert orders > 400  # some customers come back
    repeaters = Customer.objects.filter(orders__isnull=False).distinct().count()
    assert repeaters == 400
    # Every order's lines add up to its total.
    for order in Order.objects.order_by("?")[:50]:
        assert sum(line.amount for line in OrderLine.objects.filter(order=order)) == order.total


@pytest.mark.django_db
def test_demo_customers_carry_points_tiers_and_rewards(capsys):
    from patron.loyalty import services
    from patron.loyalty.models import Account, Membership, MembershipPeriod, Movement, PaidMembership, Reward

    call_command("demo", "--customers", "300", "--seed", "4", "--no-serve")
    assert "loyalty: Patron Rewards" in capsys.readouterr().out
    euro_orders = Order.objects.filter(currency="EUR", status="completed").count()
    earnings = Movement.objects.filter(kind="earn")
    # Every euro order earned once, and each buyer's first purchase its bonus once (the demo's rule).
    assert earnings.exclude(reference__startswith="first-purchase:").count() == euro_orders > 0
    buyers = Order.objects.filter(currency="EUR", status="completed").values("customer_id").distinct().count()
    assert earnings.filter(reference__startswith="first-purchase:").count() == buyers
    assert Account.objects.filter(kind="wallet", balance__gt=0).count() > 50
    assert Movement.objects.filter(kind="expire").exists()  # two years of history: the oldest points expired
    assert Membership.objects.exclude(tier=None).exists() and Reward.objects.count() == 6
    assert services.verify() == []
    members = PaidMembership.objects.count()
    assert members > 5 and MembershipPeriod.objects.filter(number__gt=1).exists()
    assert all(m.periods.count() >= 1 and m.periods.order_by("-number")[0].ends_at == m.period_end for m in PaidMembership.objects.all())
    call_command("demo", "--customers", "300", "--seed", "4", "--no-serve")  # run again: nothing earned twice
    assert earnings.exclude(reference__startswith="first-purchase:").count() == euro_orders and services.verify() == []
    assert PaidMembership.objects.count() == members


@pytest.mark.django_db(transaction=True)  # scoring reads the committed store
def test_demo_customers_speak_in_their_own_language_and_some_complain(capsys):
    from patron.customers.models import Customer
    from patron.demo.voices import COMMENTS
    from patron.feedback.models import Response
    from patron.service.models import Ticket

    call_command("demo", "--customers", "600", "--seed", "5", "--no-serve")
    out = capsys.readouterr().out
    answers, tickets = Response.objects.count(), Ticket.objects.count()
    assert f"feedback: {answers:,} survey answers, {tickets} complaints as tickets" in out
    assert 0.2 * Customer.objects.count() < answers < 0.4 * Customer.objects.count() and 0 < tickets <= 25
    for answer in Response.objects.exclude(comment="").select_related("customer")[:200]:
        good, bad = COMMENTS[answer.customer.language.split("-")[0]]
        assert answer.comment in (good if answer.score >= 7 else bad)
    call_command("demo", "--customers", "600", "--seed", "5", "--no-serve")  # run again: nobody answers twice
    assert (Response.objects.count(), Ticket.objects.count()) == (answers, tickets)


@pytest.mark.django_db
def test_the_demo_prints_a_customer_and_a_link_that_signs_them_in_and_no_library_warning(capsys, settings):
    import re
    import warnings

    from django.test import Client

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a library's warning on the console fails the demo
        call_command("demo", "--customers", "400", "--seed", "5", "--no-serve")
    out = capsys.readouterr().out
    found = re.search(r"member portal: sign in as (\S+) \(.*\): (\S+)", out)
    assert found, out
    email, link = found.groups()
    assert link.startswith(settings.PATRON_BASE_URL + "/portal/")
    client = Client()
    path = link.removeprefix(settings.PATRON_BASE_URL)
    assert client.get(path).status_code == 200  # a page that asks to go on: a mail scanner's visit spends nothing
    signed_in = client.post(path, follow=True)
    assert signed_in.status_code == 200 and Customer.objects.get(email=email).first_name in signed_in.content.decode()


def test_serving_on_another_port_points_links_there(monkeypatch, settings):
    from patron.ops.management.commands.serve import served_at

    monkeypatch.delenv("PATRON_BASE_URL", raising=False)
    assert served_at("127.0.0.1", 8765) == "http://localhost:8765" == settings.PATRON_BASE_URL
    monkeypatch.setenv("PATRON_BASE_URL", "https://klubas.arbatine.lt")
    settings.PATRON_BASE_URL = "https://klubas.arbatine.lt"
    assert served_at("0.0.0.0", 9000) == "https://klubas.arbatine.lt"
