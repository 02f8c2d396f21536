"""Build the demo shop's files and load them through the same import the users run."""

import csv
import datetime as dt
import tempfile
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import numpy as np

from patron.commerce.rates import import_file
from patron.customers.models import Customer
from patron.demo.people import people
from patron.imports import kinds
from patron.imports.runner import ImportResult, run_import
from patron.loyalty import earning, paid, services, tiers
from patron.loyalty.models import EarningRule, MembershipPeriod, PaidMembership, PaidPlan, Program, Reward, Tier

CATALOGUE = {
    "Coffee": [("COF-ESP", 9.5), ("COF-FIL", 8.0), ("COF-DEC", 10.5), ("COF-CAP", 6.5)],
    "Tea": [("TEA-GRN", 5.5), ("TEA-BLK", 4.9), ("TEA-HRB", 6.2)],
    "Books": [("BK-NOV", 14.0), ("BK-COOK", 22.0), ("BK-KIDS", 9.0), ("BK-TRVL", 18.0)],
    "Music": [("MU-VINYL", 27.0), ("MU-CD", 12.0)],
    "Cosmetics": [("CS-CREAM", 16.0), ("CS-SOAP", 4.5), ("CS-OIL", 19.0)],
    "Home": [("HM-CANDLE", 11.0), ("HM-MUG", 7.5), ("HM-TOWEL", 13.0), ("HM-LINEN", 35.0)],
    "Kids": [("KD-PUZZLE", 15.0), ("KD-BLOCKS", 24.0)],
}
CATEGORIES = list(CATALOGUE)
HISTORY_DAYS = 730
CENT = Decimal("0.01")


def build(customers: int, seed: int, today: dt.date, workdir: Path) -> dict[str, Path]:
    """Write customers.csv, orders.csv and order-lines.csv for a shop of `customers` people.

    Purchases follow a BG/NBD process (Fader, Hardie and Lee 2005): each customer buys at a rate
    drawn from a Gamma distribution and may drop out after each purchase with a probability drawn
    from a Beta; spend per order is Gamma around a customer's own mean (the Gamma-Gamma model).
    """
    rng = np.random.default_rng(seed)
    end = dt.datetime.combine(today, dt.time(0), tzinfo=dt.UTC)
    start = end - dt.timedelta(days=HISTORY_DAYS)
    persons = people(customers, rng, seed)
    paths = {kind: workdir / f"{kind}.csv" for kind in ("customers", "orders", "order-lines")}
    with (
        open(paths["customers"], "w", newline="", encoding="utf-8") as cf,
        open(paths["orders"], "w", newline="", encoding="utf-8") as of,
        open(paths["order-lines"], "w", newline="", encoding="utf-8") as lf,
    ):
        cw, ow, lw = csv.writer(cf), csv.writer(of), csv.writer(lf)
        cw.writerow(["external_id", "email", "phone", "first_name", "last_name", "language", "country",
                     "timezone", "birth_date", "created_at", "email_consent", "sms_consent"])
        ow.writerow(["external_id", "customer_external_id", "placed_at", "total", "currency", "status"])
        lw.writerow(["order_external_id", "sku", "category", "quantity", "unit_price"])
        order_no = 0
        for n, person in enumerate(persons, start=1):
            loc = person["locale"]
            cid = f"C{n:07d}"
            joined = start + dt.timedelta(seconds=float(rng.uniform(0, HISTORY_DAYS * 86400)))
            born = today - dt.timedelta(days=int(rng.uniform(18, 80) * 365.25))
            cw.writerow([cid, person["email"], person["phone"], person["first_name"], person["last_name"],
                         loc.language, loc.country, loc.timezone, born.isoformat(), joined.isoformat(),
                         str(rng.random() < 0.7).lower(), str(rng.random() < 0.4).lower()])
            rate = rng.gamma(0.75, 1 / 40)  # purchases per day while active
            dropout = rng.beta(0.8, 2.6)
            mean_spend = 8 + rng.gamma(3.0, 12.0)
            taste = rng.dirichlet(np.full(len(CATEGORIES), 0.4))
            when = joined
            for _ in range(200):
                order_no += 1
                oid = f"O{order_no:08d}"
                total = Decimal(str(max(rng.gamma(6.0, mean_spend / 6.0), 1.0))).quantize(CENT, ROUND_HALF_UP)
                if loc.currency == "GEL":
                    total = (total * 3).quantize(CENT)
                status = "refunded" if rng.random() < 0.02 else "cancelled" if rng.random() < 0.01 else "completed"
                ow.writerow([oid, cid, when.isoformat(), total, loc.currency, status])
                _lines(lw, oid, total, rng.choice(len(CATEGORIES), size=1 + int(rng.poisson(0.6)), p=taste), rng)
                if rng.random() < dropout:
                    break
                gap_days = rng.exponential(1 / rate)
                if gap_days >= (end - when).total_seconds() / 86400:
                    break
                when += dt.timedelta(days=float(gap_days))
    return paths


def _lines(writer, order_id: str, total: Decimal, categories: np.ndarray, rng) -> None:
    """Split the order total over a few products of the customer's favourite categories."""
    picks = {}
    for c in categories:
        sku, _ = CATALOGUE[CATEGORIES[c]][rng.integers(len(CATALOGUE[CATEGORIES[c]]))]
        picks[sku] = CATEGORIES[c]
    if total < CENT * len(picks):
        picks = dict(list(picks.items())[:1])
    weights = rng.dirichlet(np.ones(len(picks)))
    left = total
    for i, (sku, category) in enumerate(picks.items()):
        amount = left if i == len(picks) - 1 else max(CENT, (total * Decimal(str(weights[i]))).quantize(CENT))
        amount = min(amount, left - CENT * (len(picks) - 1 - i))
        left -= amount
        writer.writerow([order_id, sku, category, 1, amount])


def load(customers: int, seed: int, today: dt.date | None = None, progress=None) -> list[ImportResult]:
    today = today or dt.datetime.now(dt.UTC).date()
    with tempfile.TemporaryDirectory(prefix="patron-demo-") as tmp:
        paths = build(customers, seed, today, Path(tmp))
        return [run_import(kinds()[kind], path, progress=progress) for kind, path in paths.items()]


# The demo's tiers, rewards and plan as a shop would name them for its customers in each language.
NAMES = {
    "Silver": {"lt": "Sidabrinis", "lv": "Sudraba", "et": "Hõbe", "ka": "ვერცხლი"},
    "Gold": {"lt": "Auksinis", "lv": "Zelta", "et": "Kuld", "ka": "ოქრო"},
    "Free espresso": {"lt": "Nemokamas espresas", "lv": "Bezmaksas espresso", "et": "Tasuta espresso", "ka": "უფასო ესპრესო"},
    "Tote bag": {"lt": "Medžiaginis krepšys", "lv": "Auduma soma", "et": "Riidest kott", "ka": "ქსოვილის ჩანთა"},
    "10 EUR off": {"lt": "10 EUR nuolaida", "lv": "10 EUR atlaide", "et": "10 EUR soodustus", "ka": "10 EUR ფასდაკლება"},
    "Plant a tree": {"lt": "Pasodinti medį", "lv": "Iestādīt koku", "et": "Istuta puu", "ka": "დარგე ხე"},
    "Tasting evening": {"lt": "Degustacijos vakaras", "lv": "Degustācijas vakars", "et": "Degusteerimisõhtu", "ka": "დეგუსტაციის საღამო"},
    "Members' gift box": {"lt": "Narių dovanų dėžutė", "lv": "Biedru dāvanu kaste", "et": "Liikmete kinkekast", "ka": "წევრების საჩუქრების ყუთი"},
    "Patron Plus": {"lt": "Patron Plus", "lv": "Patron Plus", "et": "Patron Plus", "ka": "Patron Plus"},
}


def exchange_rates(seed: int, today: dt.date | None = None) -> int:
    """The lari's rates a Georgian shop would load (the ECB publishes none): about 3 GEL to the euro, as the demo's
    Georgian prices are, drifting a little day by day; loaded through `patron rates import`'s own path."""
    today = today or dt.date.today()
    rng = np.random.default_rng(seed + 29)
    drift = np.cumsum(rng.normal(0, 0.004, HISTORY_DAYS + 1))
    with tempfile.TemporaryDirectory(prefix="patron-rates-") as tmp:
        path = Path(tmp) / "gel-demo.csv"
        with path.open("w", newline="") as handle:
            out = csv.writer(handle)
            out.writerow(["date", "currency", "rate"])
            for back, step in zip(range(HISTORY_DAYS, -1, -1), drift):
                out.writerow([(today - dt.timedelta(days=back)).isoformat(), "GEL", f"{3 + step:.4f}"])
        return import_file(path, source="demo").rates


def loyalty_program(today: dt.date | None = None):
    """The demo shop's program: points per euro, tiers, rewards; its customers' history earned and tiers set."""
    now = dt.datetime.combine(today or dt.date.today(), dt.time(0), tzinfo=dt.UTC)
    program, _ = Program.objects.get_or_create(
        name="Patron Rewards", defaults={"currency": "EUR", "points_per_unit": 1, "expiry_days": 365, "referrer_bonus": 200,
                                         "friend_bonus": 100, "point_value": Decimal("0.02")})
    Tier.objects.get_or_create(program=program, rank=1, defaults={"name": "Silver", "names": NAMES["Silver"], "threshold": 250,
                                                                  "multiplier": Decimal("1.25")})[0]
    gold = Tier.objects.get_or_create(program=program, rank=2, defaults={"name": "Gold", "names": NAMES["Gold"], "threshold": 800,
                                                                         "multiplier": Decimal("1.5")})[0]
    since = now - dt.timedelta(days=HISTORY_DAYS)
    EarningRule.objects.get_or_create(program=program, kind="first_purchase_bonus", defaults={"bonus_points": 50, "valid_from": since})
    EarningRule.objects.get_or_create(program=program, kind="birthday_bonus", defaults={"bonus_points": 100, "valid_from": since})
    EarningRule.objects.get_or_create(program=program, kind="category_multiplier", target="Books",
                                      defaults={"multiplier": 2, "valid_from": since})
    for name, kind, cost, value, tier in (("Free espresso", "free_product", 150, Decimal(0), None),
                                          ("Tote bag", "gift", 300, Decimal(0), None),
                                          ("10 EUR off", "discount_amount", 500, Decimal(10), None),
                                          ("Plant a tree", "donation", 200, Decimal(0), None),
                                          ("Tasting evening", "gift", 800, Decimal(0), gold)):
        Reward.objects.get_or_create(program=program, name=name, defaults={"kind": kind, "cost": cost, "value": value, "names": NAMES[name],
                                                                           "min_tier": tier, "stock": 100 if tier else None})
    awarded = earning.award_history(program)
    services.expire_lots(now=now)
    tiers.evaluate(program, now)
    return program, awarded


def paid_members(program, seed: int, today: dt.date | None = None, share: float = 0.04) -> tuple[int, int]:
    """A monthly paid plan with members who joined over the last 18 months and renewed as an sBG process
    would have them (each with their own churn probability from Beta(2, 8)). Returns (members, renewals);
    a second run adds nothing."""
    now = dt.datetime.combine(today or dt.date.today(), dt.time(0), tzinfo=dt.UTC)
    plan, _ = PaidPlan.objects.get_or_create(name="Patron Plus", defaults={
        "program": program, "fee": Decimal("4.99"), "period_months": 1, "earn_multiplier": Decimal("2"), "free_delivery": True,
        "save_offer_percent": 30, "names": NAMES["Patron Plus"]})
    Reward.objects.get_or_create(program=program, name="Members' gift box", defaults={"kind": "gift", "cost": 250, "members_only": True,
                                                                                 "names": NAMES["Members' gift box"]})
    if PaidMembership.objects.filter(plan=plan).exists():
        return PaidMembership.objects.filter(plan=plan).count(), MembershipPeriod.objects.filter(membership__plan=plan, number__gt=1).count()
    rng = np.random.default_rng(seed + 11)
    ids = np.array(Customer.objects.filter(erased_at__isnull=True, orders__isnull=False).distinct().order_by("pk").values_list("pk", flat=True))
    chosen = rng.choice(ids, size=min(len(ids), max(1, int(len(ids) * share))), replace=False) if len(ids) else []
    memberships, periods = [], []
    for customer_id in chosen:
        joined = now - dt.timedelta(days=int(rng.integers(1, 548)), hours=int(rng.integers(0, 24)))
        theta = rng.beta(2, 8)
        paid_for = 1
        while rng.random() > theta and paid.period_end(joined, plan, paid_for) <= now:
            paid_for += 1
        end = paid.period_end(joined, plan, paid_for)
        # Those who left are over; a few of those still paying have cancelled and wait for their period's end.
        status = "ended" if end <= now else ("cancelling" if rng.random() < 0.08 else "active")
        membership = PaidMembership(plan=plan, customer_id=int(customer_id), status=status, joined_at=joined, period_end=end,
                                    ended_at=end if status == "ended" else None, cancelled_at=end - dt.timedelta(days=3) if status != "active" else None)
        memberships.append(membership)
        periods.append([(n, paid.period_end(joined, plan, n - 1), paid.period_end(joined, plan, n)) for n in range(1, paid_for + 1)])
    PaidMembership.objects.bulk_create(memberships, batch_size=2000)
    MembershipPeriod.objects.bulk_create([MembershipPeriod(membership=m, number=n, starts_at=s, ends_at=e, fee=plan.fee)
                                          for m, rows in zip(memberships, periods) for n, s, e in rows], batch_size=5000)
    return len(memberships), sum(len(rows) - 1 for rows in periods)
