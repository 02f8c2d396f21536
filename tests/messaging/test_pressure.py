"""Property tests over random customers, consents, caps and time zones: the rules of contact always hold."""

import datetime as dt
import zoneinfo

from django.core import mail
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from patron.customers.models import Customer
from patron.messaging.delivery import deliver_due, quiet_until
from patron.messaging.models import Message
from patron.messaging.render import customer_zone

ZONES = ["Europe/Vilnius", "Europe/Riga", "Asia/Tbilisi", "America/New_York", "Pacific/Auckland", ""]
START = dt.datetime(2026, 3, 28, 0, 0, tzinfo=dt.UTC)  # spans the European DST change on 29 March

customer_st = st.tuples(st.sampled_from([True, False, None]), st.sampled_from([True, False, None]),
                        st.sampled_from(ZONES), st.sampled_from(["LT", "GE", "US", ""]))
message_st = st.tuples(st.integers(0, 5), st.sampled_from(["email", "sms"]), st.sampled_from(["marketing", "transactional"]),
                       st.integers(0, 48))  # customer index, channel, purpose, hours after START it is queued


@hsettings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(customer_st, min_size=1, max_size=6), st.lists(message_st, min_size=1, max_size=25),
       st.integers(1, 3), st.integers(1, 7), st.sampled_from(["21-8", "22-7", "0-6", ""]))
def test_never_without_consent_never_over_the_cap_never_in_quiet_hours(db, settings, customers, messages, cap, cap_days, quiet):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.PATRON_FREQUENCY_CAP, settings.PATRON_FREQUENCY_CAP_DAYS, settings.PATRON_QUIET_HOURS = cap, cap_days, quiet
    settings.PATRON_SMS_GATEWAY_URL = ""  # SMS fails permanently here; only decisions matter
    Message.objects.all().delete()
    Customer.objects.all().delete()
    mail.outbox = []
    people = [Customer.objects.create(external_id=f"c{i}", email=f"c{i}@example.com", phone="+37060000000",
                                      email_consent=e, sms_consent=s, timezone=tz, country=country)
              for i, (e, s, tz, country) in enumerate(customers)]
    for who, channel, purpose, hours in messages:
        at = START + dt.timedelta(hours=hours)
        Message.objects.create(customer=people[who % len(people)], template="welcome", channel=channel, purpose=purpose,
                               created_at=at, due_at=at)
    # The worker wakes every hour for three days.
    for hour in range(0, 72):
        deliver_due(START + dt.timedelta(hours=hour))

    quiet_spec = tuple(int(h) for h in quiet.split("-")) if quiet else None
    window = dt.timedelta(days=cap_days)
    for customer in people:
        attempted = list(Message.objects.filter(customer=customer, purpose="marketing", status__in=["sent", "failed"],
                                                claimed_at__isnull=False).order_by("claimed_at"))
        for message in attempted:
            assert customer.consent_for(message.channel) is True, "marketing without consent"
            local = message.claimed_at.astimezone(customer_zone(customer))
            assert quiet_until(local, quiet_spec) is None, f"sent at {local} inside quiet hours {quiet}"
        # A message that failed never reached the customer: only what was sent counts against the cap.
        times = [m.claimed_at for m in attempted if m.status == "sent"]
        for i, t in enumerate(times):
            assert sum(1 for u in times if t - window < u <= t) <= cap, "over the frequency cap"
    # Nothing was dropped for quiet hours: every message ended sent, failed, suppressed, or is still waiting.
    assert not Message.objects.filter(status="sending").exists()
    waiting = Message.objects.filter(status="queued")
    assert all(m.purpose == "marketing" and m.due_at > START + dt.timedelta(hours=71) for m in waiting)


def test_quiet_hours_end_at_the_local_morning_across_midnight():
    riga = zoneinfo.ZoneInfo("Europe/Riga")
    assert quiet_until(dt.datetime(2026, 6, 1, 23, 30, tzinfo=riga), (21, 8)) == dt.datetime(2026, 6, 2, 8, tzinfo=riga)
    assert quiet_until(dt.datetime(2026, 6, 1, 3, 0, tzinfo=riga), (21, 8)) == dt.datetime(2026, 6, 1, 8, tzinfo=riga)
    assert quiet_until(dt.datetime(2026, 6, 1, 12, 0, tzinfo=riga), (21, 8)) is None


def test_country_gives_the_time_zone_when_the_customer_has_none(db):
    assert customer_zone(Customer(country="GE")).key == "Asia/Tbilisi"
    assert customer_zone(Customer(country="GE", timezone="Europe/Riga")).key == "Europe/Riga"
