"""Who the demo's customers are: language, country, names, places, contact details."""

import unicodedata
from dataclasses import dataclass

import numpy as np
from faker import Faker


@dataclass(frozen=True)
class Locale:
    language: str
    country: str
    faker: str
    timezone: str
    currency: str
    phone_prefix: str
    phone_digits: int
    mail_domains: tuple[str, ...]
    cities: tuple[str, ...]


LOCALES = (
    Locale("lt", "LT", "lt_LT", "Europe/Vilnius", "EUR", "+3706", 7, ("gmail.com", "one.lt", "inbox.lt"),
           ("Vilnius", "Kaunas", "Klaipėda", "Šiauliai", "Panevėžys", "Alytus")),
    Locale("lv", "LV", "lv_LV", "Europe/Riga", "EUR", "+3712", 7, ("gmail.com", "inbox.lv", "apollo.lv"),
           ("Rīga", "Daugavpils", "Liepāja", "Jelgava", "Jūrmala", "Ventspils")),
    Locale("et", "EE", "et_EE", "Europe/Tallinn", "EUR", "+3725", 7, ("gmail.com", "mail.ee", "hot.ee"),
           ("Tallinn", "Tartu", "Narva", "Pärnu", "Kohtla-Järve", "Viljandi")),
    Locale("ka", "GE", "ka_GE", "Asia/Tbilisi", "GEL", "+9955", 8, ("gmail.com", "mail.ge", "yahoo.com"),
           ("თბილისი", "ბათუმი", "ქუთაისი", "რუსთავი", "გორი", "ზუგდიდი")),
    Locale("en", "GB", "en_GB", "Europe/London", "GBP", "+447", 9, ("gmail.com", "outlook.com", "btinternet.com"),
           ("London", "Manchester", "Birmingham", "Leeds", "Glasgow", "Bristol")),
)
SHARES = np.array([0.30, 0.20, 0.20, 0.15, 0.15])

# Georgian script to Latin, for e-mail addresses (the national romanisation, simplified to ASCII).
_GEORGIAN = dict(zip("აბგდევზთიკლმნოპჟრსტუფქღყშჩცძწჭხჯჰ",
                     "a b g d e v z t i k l m n o p zh r s t u p k gh q sh ch ts dz ts ch kh j h".split()))


def ascii_name(text: str) -> str:
    text = "".join(_GEORGIAN.get(ch, ch) for ch in text.lower())
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in text if ch.isalnum())


def people(count: int, rng: np.random.Generator, seed: int) -> list[dict]:
    """`count` people, each with the names, city and phone of their own country."""
    which = rng.choice(len(LOCALES), size=count, p=SHARES)
    fakers = {}
    for i, loc in enumerate(LOCALES):
        fakers[i] = Faker(loc.faker)
        fakers[i].seed_instance(seed * 31 + i)
    out = []
    for n, i in enumerate(which):
        loc, fake = LOCALES[i], fakers[i]
        female = rng.random() < 0.5
        first = fake.first_name_female() if female else fake.first_name_male()
        last = fake.last_name_female() if female and hasattr(fake, "last_name_female") else fake.last_name()
        digits = "".join(str(d) for d in rng.integers(0, 10, size=loc.phone_digits))
        out.append({
            "locale": loc,
            "first_name": first,
            "last_name": last,
            "email": f"{ascii_name(first)}.{ascii_name(last)}{n % 97}@{loc.mail_domains[rng.integers(len(loc.mail_domains))]}",
            "phone": loc.phone_prefix + digits,
            "city": loc.cities[min(int(rng.exponential(1.2)), len(loc.cities) - 1)],
        })
    return out
