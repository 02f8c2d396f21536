"""Segments, journeys and the outbox at 1M customers.

    DATABASE_URL=postgresql://... python benchmarks/journeys_scale.py    # or PATRON_HOME=DIR for SQLite

Run it on a store that benchmarks/import_scale.py filled (1M customers, 10M orders). It scores the
store first (`patron score`, for the lapse and score rules), then measures:

- segment counts, evaluated in the database, for rules over attributes, behaviour and scores;
  anchor: the same rules read by hand over ORM objects (customers with their scores), timed on a
  sample and projected to every customer;
- a newsletter journey to every customer: entry and the send step, set-wise, until every message
  is in the outbox; anchor: one enrollment and one message created per customer through the ORM,
  timed on a sample and projected;
- the worker delivering to a local SMTP server (aiosmtpd, its own process): `patron worker --once`
  (one, two and three processes) on N queued messages, timed from start to exit; anchor: Django's send_mail per message.
"""

import argparse
import datetime as dt
import json
import os
import socket
import subprocess
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "patron.settings")
HERE = os.path.dirname(os.path.abspath(__file__))

RULES = {
    "latvians_with_email_consent": {"all": [{"field": "language", "op": "eq", "value": "lv"},
                                            {"field": "email_consent", "op": "is", "value": True}]},
    "lapsed_against_own_rhythm": {"all": [{"field": "days_since_last_order", "op": "gt", "value": 60},
                                          {"any": [{"field": "lapse_ratio", "op": "gt", "value": 2},
                                                   {"field": "p_alive", "op": "lt", "value": 0.3}]}]},
    "worth_saving": {"all": [{"field": "clv_12m", "op": "gt", "value": 100}, {"field": "churn_risk", "op": "gt", "value": 0.5},
                             {"not": {"field": "rfm_segment", "op": "in", "value": ["champions"]}}]},
}


def patron(*args: str, env=None) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "patron.cli", *args], capture_output=True, text=True, env=env)
    if done.returncode:
        sys.exit(done.stderr)
    return time.perf_counter() - start, done.stdout


def by_hand(customer, score, rules) -> bool:
    """The anchor's reading of RULES (what a view written without the compiler would do)."""
    now = dt.datetime.now(dt.UTC)
    if "all" in rules:
        return all(by_hand(customer, score, r) for r in rules["all"])
    if "any" in rules:
        return any(by_hand(customer, score, r) for r in rules["any"])
    if "not" in rules:
        return not by_hand(customer, score, rules["not"])
    field, op, value = rules["field"], rules["op"], rules["value"]
    got = {"language": customer.language.split("-")[0], "email_consent": customer.email_consent,
           "days_since_last_order": score and score.last_order_at and (now - score.last_order_at).days,
           "lapse_ratio": score and score.rhythm_days and (now - score.last_order_at).days / score.rhythm_days,
           "p_alive": score and score.p_alive, "clv_12m": score and score.clv_12m, "churn_risk": score and score.churn_risk,
           "rfm_segment": score and score.segment}[field]
    if got is None:
        return False
    compare = {"eq": lambda: got == value, "is": lambda: got is value, "gt": lambda: got > value,
               "lt": lambda: got < value, "in": lambda: got in value}
    return compare[op]()


def segments(report: dict, sample: int) -> None:
    from patron.customers.models import Customer
    from patron.segments import services

    total = Customer.objects.count()
    for name, rules in RULES.items():
        times, n = [], None
        for _ in range(3):
            start = time.perf_counter()
            n = services.count(rules)
            times.append(time.perf_counter() - start)
        start = time.perf_counter()
        rows = list(Customer.objects.select_related("score").order_by("pk")[:sample])
        hits = sum(by_hand(c, getattr(c, "score", None), rules) for c in rows)
        per_customer = (time.perf_counter() - start) / len(rows)
        report["segments"][name] = {"customers": n, "best_s": round(min(times), 3), "median_s": round(sorted(times)[1], 3),
                                    "anchor_orm_projected_s": round(per_customer * total, 1), "anchor_sample_hits": hits}


def journey(report: dict, sample: int) -> None:
    from django.db import transaction
    from django.utils import timezone

    from patron.campaigns import services
    from patron.campaigns.models import Enrollment, Journey
    from patron.customers.models import Customer
    from patron.messaging.models import Message, MessageTemplate

    clear()
    MessageTemplate.objects.update_or_create(key="newsletter", language="en", defaults={"subject": "News", "text": "News."})
    thursday = dt.datetime(2026, 11, 26, 10, tzinfo=dt.UTC)
    services.enable("newsletter", now=thursday)
    start = time.perf_counter()
    result = services.run(thursday, ["newsletter"])
    seconds = time.perf_counter() - start
    queued = Message.objects.filter(journey__key="newsletter").count()
    report["journey"] = {"entered": result.entered["newsletter"], "messages_queued": queued, "seconds": round(seconds, 1)}
    services.disable("newsletter")

    # Anchor: one customer at a time through the ORM, in one transaction per customer.
    newsletter = Journey.objects.get(key="newsletter")
    customers = list(Customer.objects.order_by("-pk")[:sample])
    now = timezone.now()
    start = time.perf_counter()
    for customer in customers:
        with transaction.atomic():
            enrollment = Enrollment.objects.create(journey=newsletter, customer=customer, trigger_key="anchor", arm="treated",
                                                   entered_at=now, due_at=now, finished_at=now)
            Message.objects.create(customer=customer, journey=newsletter, enrollment=enrollment, template="newsletter",
                                   channel="email", purpose="marketing", created_at=now, due_at=now)
    per = (time.perf_counter() - start) / len(customers)
    report["journey"]["anchor_orm_projected_s"] = round(per * report["journey"]["entered"], 1)
    clear()


def clear() -> None:
    """Empty the outbox, tasks and enrollments between measurements."""
    from django.db import connection

    tables = ["messaging_message", "campaigns_task", "campaigns_enrollment"]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"TRUNCATE {', '.join(tables)}")
        else:
            for table in tables:
                cursor.execute(f"DELETE FROM {table}")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def worker(report: dict, messages: int, anchor: int) -> None:
    from django.conf import settings
    from django.core.mail import send_mail
    from django.utils import timezone

    from patron.customers.models import Customer
    from patron.messaging.models import Message

    port = free_port()
    server = subprocess.Popen([sys.executable, os.path.join(HERE, "smtp_sink.py"), str(port)], stdout=subprocess.PIPE, text=True)
    server.stdout.readline()  # "ready"
    try:
        ids = list(Customer.objects.exclude(email="").order_by("pk").values_list("pk", flat=True)[:messages])
        env = dict(os.environ, PATRON_SMTP_HOST="127.0.0.1", PATRON_SMTP_PORT=str(port))
        report["worker"] = {"messages": len(ids)}
        for processes in (1, 2, 3):
            now = timezone.now()
            Message.objects.bulk_create([Message(customer_id=pk, template="tier_upgrade", channel="email",
                                                 purpose="transactional", context={"tier": "Gold"}, created_at=now,
                                                 due_at=now) for pk in ids], batch_size=5000)
            seconds, out = patron("worker", "--once", "--no-journeys", "--processes", str(processes), "--json", env=env)
            sent = json.loads(out)["delivery"]["sent"]
            report["worker"][f"processes_{processes}"] = {"sent": sent, "seconds": round(seconds, 1),
                                                          "emails_per_second": round(sent / seconds)}
            clear()
        # Anchor: Django's send_mail, one connection per message, no outbox.
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
        start = time.perf_counter()
        for i in range(anchor):
            send_mail("News", "Hello", settings.DEFAULT_FROM_EMAIL, [f"anchor{i}@example.com"])
        report["worker"]["anchor_send_mail_per_second"] = round(anchor / (time.perf_counter() - start))
    finally:
        server.terminate()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--skip-score", action="store_true", help="the store was scored already")
    parser.add_argument("--sample", type=int, default=20000, help="customers in the anchors' samples")
    parser.add_argument("--messages", type=int, default=20000, help="messages the worker delivers")
    args = parser.parse_args()
    patron("migrate", "-v0")
    report = {"store": "postgresql" if os.environ.get("DATABASE_URL") else "sqlite", "segments": {}}
    if not args.skip_score:
        report["score_s"] = round(patron("score", "--json")[0], 1)
    import django

    django.setup()
    segments(report, args.sample)
    journey(report, min(args.sample, 5000))
    worker(report, args.messages, anchor=300)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
