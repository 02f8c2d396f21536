"""What the demo shop's customers say: survey answers (some with a comment in their own language) and a
few service tickets, so the feedback, matrix and service pages have something to show."""

import csv
import datetime as dt
import tempfile
from pathlib import Path

import numpy as np
from django.db.models import Count

from patron.customers.models import Customer
from patron.imports import kinds
from patron.imports.runner import ImportResult, run_import
from patron.service import services as desk

# Per language: what happy customers write, then what unhappy ones write (delivery, price, quality).
COMMENTS = {
    "en": (["Fast delivery and the coffee is excellent", "Great quality, I will order again", "Friendly staff and good prices"],
           ["Delivery was late again", "Prices went up too much", "The mug arrived broken"]),
    "lt": (["Greitas pristatymas, kava puiki", "Puiki kokybė, užsisakysiu dar", "Malonus aptarnavimas ir geros kainos"],
           ["Pristatymas vėl vėlavo", "Kainos per daug pakilo", "Puodelis atkeliavo sudužęs"]),
    "lv": (["Ātra piegāde, kafija lieliska", "Lieliska kvalitāte, pasūtīšu vēl", "Laipna apkalpošana un labas cenas"],
           ["Piegāde atkal kavējās", "Cenas pārāk pieauga", "Krūze atnāca saplīsusi"]),
    "et": (["Kiire kohaletoimetamine, kohv on suurepärane", "Suurepärane kvaliteet, tellin veel", "Sõbralik teenindus ja head hinnad"],
           ["Tarne hilines jälle", "Hinnad tõusid liiga palju", "Kruus saabus katkisena"]),
    "ka": (["სწრაფი მიწოდება, ყავა შესანიშნავია", "შესანიშნავი ხარისხი, კიდევ შევუკვეთავ", "თავაზიანი მომსახურება და კარგი ფასები"],
           ["მიწოდება ისევ დაგვიანდა", "ფასები ძალიან გაიზარდა", "ფინჯანი გატეხილი მოვიდა"]),
}


def voices(seed: int, today: dt.date | None = None, share: float = 0.3, tickets: int = 25) -> tuple[ImportResult, int]:
    """NPS answers from `share` of the buyers over the last year (frequent buyers happier), two in five
    with a comment; and `tickets` complaints from unhappy ones. The same seed gives the same answers."""
    rng = np.random.default_rng(seed + 101)
    end = dt.datetime.combine(today or dt.datetime.now(dt.UTC).date(), dt.time(0), tzinfo=dt.UTC)
    buyers = list(Customer.objects.annotate(n=Count("orders")).filter(n__gt=0).order_by("id").values_list("external_id", "language", "n"))
    unhappy = []
    with tempfile.TemporaryDirectory(prefix="patron-demo-") as tmp:
        path = Path(tmp) / "survey-responses.csv"
        with open(path, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["customer_external_id", "kind", "score", "answered_at", "comment"])
            for external_id, language, orders in buyers:
                if rng.random() >= share:
                    continue
                score = int(np.clip(round(rng.normal(6.0 + min(orders, 8) * 0.4, 2.2)), 0, 10))
                when = end - dt.timedelta(seconds=float(rng.uniform(0, 365 * 86400)))
                good, bad = COMMENTS.get((language or "en").split("-")[0], COMMENTS["en"])
                comment = ""
                if rng.random() < 0.4:
                    comment = str(rng.choice(good if score >= 7 else bad))
                writer.writerow([external_id, "nps", score, when.isoformat(), comment])
                if score <= 4 and comment:
                    unhappy.append((external_id, comment, when))
        result = run_import(kinds()["survey-responses"], path)
    people = {c.external_id: c for c in Customer.objects.filter(external_id__in=[u[0] for u in unhappy[:tickets]])}
    for i, (external_id, comment, when) in enumerate(unhappy[:tickets]):
        desk.open_ticket(subject=comment, body=comment, channel="email", customer=people[external_id], kind="complaint",
                         external_ref=f"demo-{seed}-{i}", at=max(when, end - dt.timedelta(days=3)))
    return result, min(len(unhappy), tickets)
