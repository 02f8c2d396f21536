"""The form of a first name in a greeting, and the form of address each language expects.

Vocative (the case of address) for Lithuanian and Latvian first names, by the endings of the
standard grammars: Ambrazas (ed.), Lithuanian Grammar (Baltos lankos, 1997), the noun declensions;
Nītiņa and Grigorjevs (eds.), Latviešu valodas gramatika (LU LaVI, 2013), the vocative of nouns.
A name with no rule below is used as given (foreign names, feminine names whose vocative equals
the nominative), which is what a reader expects of a name the grammar does not reach.
Georgian, Estonian and English greetings use the first name as given.
"""

from __future__ import annotations

# (ending, replacement), the first that fits wins. Lithuanian masculine: -ius -> -iau (Paulius -> Pauliau),
# -jas -> -jau (Elijas -> Elijau), -as -> -ai (Jonas -> Jonai), -is -> -i (Jurgis -> Jurgi), -ys -> -y
# (Kazys -> Kazy), -us -> -au; feminine -ė -> -e (Eglė -> Egle), -a stays (Ona -> Ona).
LITHUANIAN = (("ius", "iau"), ("jas", "jau"), ("as", "ai"), ("is", "i"), ("ys", "y"), ("us", "au"), ("ė", "e"))
# Latvian masculine: -is -> -i (Jānis -> Jāni), -us -> -u (Ingus -> Ingu), -s after a consonant or -š:
# dropped (Edgars -> Edgar, Andrejs -> Andrej). Feminine (-a, -e) stays (Anna -> Anna, Ilze -> Ilze).
LATVIAN = (("is", "i"), ("us", "u"), ("s", ""), ("š", ""))

RULES = {"lt": LITHUANIAN, "lv": LATVIAN}


def primary(language) -> str:
    """The primary language subtag, lower case: "lt" of "lt-LT", "en" of "en_GB", "" of nothing."""
    return str(language or "").split("-")[0].split("_")[0].lower()


def _vocative_word(word: str, rules) -> str:
    lower = word.lower()
    for ending, replacement in rules:
        if lower.endswith(ending) and len(word) > len(ending) + 1:
            stem = word[: len(word) - len(ending)]
            return stem + (replacement.upper() if word.isupper() else replacement)
    return word


def vocative(first_name: str, language: str) -> str:
    """The first name as a greeting addresses it: "Jonas" -> "Jonai" (lt), "Jānis" -> "Jāni" (lv);
    each part of a double name ("Jonas Petras" -> "Jonai Petrai"); other languages as given."""
    rules = RULES.get(primary(language))
    name = (first_name or "").strip()
    if not rules or not name:
        return name
    return " ".join("-".join(_vocative_word(piece, rules) for piece in part.split("-")) for part in name.split())


# The form of address a culture expects from a shop by default: the formal "you" (lt Jūs, lv Jūs,
# et Teie, ka თქვენ). English has one "you". A shop may choose otherwise per language.
DEFAULT_FORMS = {"lt": "formal", "lv": "formal", "et": "formal", "ka": "formal", "en": "formal"}


def address_form(language: str, shop_forms: str = "") -> str:
    """"formal" or "informal" for a language: the shop's choices (PATRON_ADDRESS_FORMS, e.g.
    "et=informal,lv=informal") over the culture's default."""
    chosen = {}
    for item in (shop_forms or "").split(","):
        lang, _, form = item.strip().partition("=")
        if lang and form in ("formal", "informal"):
            chosen[primary(lang)] = form
    return chosen.get(primary(language)) or DEFAULT_FORMS.get(primary(language), "formal")
