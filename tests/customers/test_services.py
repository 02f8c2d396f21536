import json

import pytest
from django.core.management import CommandError, call_command

from patron.commerce import services as commerce
from patron.core.errors import CustomerErased, InvalidInput
from patron.customers import services
from patron.customers.models import ConsentEvent, Customer, Erasure, Interaction


@pytest.fixture
def jonas(db):
    customer, _ = services.upsert_customer(
        "c1", email="Jonas@Example.lt", first_name="Jonas", language="LT", country="lt", email_consent=True
    )
    return customer


def test_upsert_normalises_and_records_consent(jonas):
    assert (jonas.email, jonas.language, jonas.country, jonas.email_consent) == ("jonas@example.lt", "lt", "LT", True)
    event = jonas.consent_events.get()
    assert (event.channel, event.granted, event.source) == ("email", True, "api")
    same, created = services.upsert_customer("c1", email_consent="true")
    assert not created and jonas.consent_events.count() == 1  # a repeat is not a new decision


@pytest.mark.parametrize(
    "fields, code_field",
    [({"email": "nope"}, "email"), ({"language": "qq"}, "language"), ({"country": "ZZ"}, "country"),
     ({"timezone": "Nowhere/City"}, "timezone"), ({"birth_date": "31.12.1990"}, "birth_date")],
)
def test_upsert_rejects_bad_fields(db, fields, code_field):
    with pytest.raises(InvalidInput) as error:
        services.upsert_customer("c9", **fields)
    assert error.value.code == "invalid_input" and error.value.details["field"] == code_field
    assert not Customer.objects.exists()


def test_consent_history_is_kept(jonas):
    assert services.record_consent(jonas, "email", False, source=ConsentEvent.Source.UNSUBSCRIBE)
    assert not services.record_consent(jonas, "email", False, source=ConsentEvent.Source.UNSUBSCRIBE)
    assert list(jonas.consent_events.order_by("id").values_list("granted", flat=True)) == [True, False]
    assert Customer.objects.get(pk=jonas.pk).email_consent is False


def test_export_holds_everything(jonas, capsys):
    services.record_interaction(jonas, "call", channel="phone", payload={"note": "asked about delivery"})
    order, _ = commerce.record_order(
        jonas, "o1", placed_at=jonas.created_at, total="30.00", currency="EUR",
        lines=[{"sku": "BK-1", "category": "Books", "quantity": 2, "unit_price": "15.00"}],
    )
    commerce.refund_order(order, "10.00", reason="damaged")
    call_command("customer", "export", "c1")
    data = json.loads(capsys.readouterr().out)
    assert data["customer"]["email"] == "jonas@example.lt"
    assert data["consent_history"][0]["granted"] is True
    assert data["interactions"][0]["payload"] == {"note": "asked about delivery"}
    assert data["orders"][0]["lines"][0]["sku"] == "BK-1"
    assert data["orders"][0]["refunds"][0]["amount"] == "10.000"


def test_erasure_removes_personal_data_and_keeps_orders(jonas, capsys):
    services.record_interaction(jonas, "call")
    commerce.record_order(jonas, "o1", placed_at=jonas.created_at, total="30", currency="EUR")
    call_command("customer", "erase", "c1", "--by", "dpo@shop.lt")
    assert "erased customer c1" in capsys.readouterr().out
    erased = Customer.objects.get(pk=jonas.pk)
    assert erased.is_erased and erased.external_id.startswith("erased-")
    assert (erased.email, erased.first_name, erased.phone, erased.birth_date, erased.attributes) == ("", "", "", None, {})
    assert (erased.email_consent, erased.sms_consent) == (False, False)
    assert not Interaction.objects.filter(customer=erased).exists()
    assert erased.orders.get().total == 30  # the order fact stays, tied to an anonymous record
    record = Erasure.objects.get()
    assert record.requested_by == "dpo@shop.lt" and record.subject_digest == services.subject_digest("c1")
    with pytest.raises(CommandError) as error:
        call_command("customer", "export", "c1")
    assert error.value.returncode == 2 and "no customer with external id 'c1'" in str(error.value)
    with pytest.raises(CustomerErased):
        services.erase_customer(erased)
