"""Every write to customers goes through here: the API, the admin, the import and journeys alike."""

import datetime as dt
import hashlib
import hmac
import uuid

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from patron.core import audit, sql
from patron.core.values import parse_bool
from patron.core.errors import CustomerErased, CustomerNotFound, InvalidInput
from patron.customers import privacy, queries, validation
from patron.customers.models import Channel, ConsentEvent, Customer, Erasure, Interaction

PROFILE_FIELDS = ("email", "phone", "first_name", "last_name", "language", "country", "timezone", "birth_date")

_NORMALIZERS = {
    "email": validation.normalize_email,
    "phone": validation.normalize_phone,
    "language": validation.normalize_language,
    "country": validation.normalize_country,
    "timezone": validation.check_timezone,
}


def get_customer(external_id: str) -> Customer:
    found = sql.first(Customer, external_id=external_id)  # on most API requests: a lean lookup
    if found is None:
        raise CustomerNotFound(f"no customer with external id {external_id!r}")
    return found


def _clean_profile(fields: dict) -> dict:
    unknown = set(fields) - set(PROFILE_FIELDS) - {"created_at", "attributes"}
    if unknown:
        raise InvalidInput(f"unknown customer fields: {', '.join(sorted(unknown))}")
    clean = {}
    for name, value in fields.items():
        if value in (None, ""):
            continue
        if name in _NORMALIZERS:
            value = _NORMALIZERS[name](str(value))
        elif name == "birth_date" and not isinstance(value, dt.date):
            try:
                value = dt.date.fromisoformat(str(value))
            except ValueError:
                raise InvalidInput(f"birth_date {value!r} is not an ISO date", field="birth_date") from None
        elif name in ("first_name", "last_name"):
            value = str(value).strip()[:100]
        clean[name] = value
    return clean


@transaction.atomic
def upsert_customer(external_id: str, *, consent_source: str = ConsentEvent.Source.API, **fields) -> tuple[Customer, bool]:
    """Create or update the customer with this external id; blank values leave fields as they are.

    `email_consent` / `sms_consent` record consent through `record_consent`. Returns (customer, created).
    """
    external_id = (external_id or "").strip()
    if not external_id:
        raise InvalidInput("external_id is required", field="external_id")
    consents = {ch: fields.pop(f"{ch}_consent", None) for ch in Channel.values}
    profile = _clean_profile(fields)
    customer, created = Customer.objects.select_for_update().get_or_create(external_id=external_id, defaults=profile)
    if customer.is_erased:
        raise CustomerErased(f"customer {external_id!r} was erased")
    if not created and profile:
        for name, value in profile.items():
            setattr(customer, name, value)
        customer.save()
    for channel, value in consents.items():
        if value not in (None, ""):
            record_consent(customer, channel, parse_bool(value, f"{channel}_consent"), source=consent_source)
    return customer, created


@transaction.atomic
def record_consent(customer: Customer, channel: str, granted: bool, *, source: str, at: dt.datetime | None = None, note: str = "") -> bool:
    """Record a consent decision; returns False when it repeats the current state (nothing written)."""
    if channel not in Channel.values:
        raise InvalidInput(f"unknown channel {channel!r}", field="channel")
    field = f"{channel}_consent"
    locked = Customer.objects.select_for_update().get(pk=customer.pk)
    if getattr(locked, field) is granted:
        return False
    ConsentEvent.objects.create(
        customer=locked, channel=channel, granted=granted, source=source, recorded_at=at or timezone.now(), note=note
    )
    Customer.objects.filter(pk=customer.pk).update(**{field: granted})
    setattr(customer, field, granted)
    return True


def record_interaction(customer: Customer, kind: str, *, channel: str = "", occurred_at=None, payload=None) -> Interaction:
    if not kind:
        raise InvalidInput("an interaction needs a kind", field="kind")
    return Interaction.objects.create(
        customer=customer, kind=kind, channel=channel, occurred_at=occurred_at or timezone.now(), payload=payload or {}
    )


def subject_digest(external_id: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), external_id.encode(), hashlib.sha256).hexdigest()


@transaction.atomic
def export_customer(customer: Customer, *, actor=None) -> dict:
    """Everything held about the customer (GDPR access), recorded in the audit log."""
    audit.record(actor, audit.EXPORT, f"customer:{customer.external_id}")
    return queries.export_customer(customer)


@transaction.atomic
def erase_customer(customer: Customer, *, requested_by: str = "", reason: str = "", actor=None) -> Erasure:
    """GDPR erasure: blank every personal field, drop the timeline, keep order facts anonymised.

    Consent is withdrawn (an erased person is never contacted) and the events stay as proof,
    now tied to an anonymous record. The external id becomes a random token so the shop's
    systems can no longer link the row to the person. Every context that keeps text about the
    customer (tickets, the ledger's reasons, messages, stored API answers...) removes the person
    from it through its `privacy.erases` hook, in the same transaction; the audit log's entries
    name the erasure instead of the person.
    """
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if customer.is_erased:
        raise CustomerErased(f"customer {customer.external_id!r} was already erased")
    person = privacy.Person(customer.pk, customer.external_id, customer.email, customer.phone, customer.first_name,
                            customer.last_name)
    now = timezone.now()
    erasure = Erasure.objects.create(
        customer=customer,
        subject_digest=subject_digest(customer.external_id),
        erased_at=now,
        requested_by=requested_by,
        reason=person.scrub(reason),
    )
    for channel in Channel.values:
        record_consent(customer, channel, False, source=ConsentEvent.Source.ERASURE, at=now)
    customer.interactions.all().delete()
    for event in customer.consent_events.exclude(note=""):
        ConsentEvent.objects.filter(pk=event.pk).update(note=person.scrub(event.note))
    for tag in customer.tags.all():
        if person.mentioned_in(tag.name):
            tag.delete()
    customer.external_id = f"erased-{uuid.uuid4().hex}"
    for name in ("email", "phone", "first_name", "last_name", "timezone"):
        setattr(customer, name, "")
    customer.birth_date = None
    customer.attributes = {}
    customer.erased_at = now
    customer.save()
    for erase in privacy.ERASERS:
        erase(customer, person)
    audit.forget(person.scrub, target=f"customer:{person.external_id}", replacement=f"erasure:{erasure.pk}")
    # The log names the erasure, not the person: the external id is gone with the rest.
    audit.record(actor or requested_by or None, audit.ERASE, f"erasure:{erasure.pk}", reason=person.scrub(reason))
    return erasure
