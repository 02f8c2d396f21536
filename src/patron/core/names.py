"""Names a customer or a staff member reads, kept with their translations."""


def staff_language() -> str:
    """The active language's primary subtag ("lt" for "lt-LT"): what Babel formats a page's figures in."""
    from django.utils.translation import get_language

    return primary(get_language() or "en")


def primary(language: str) -> str:
    """"lt-LT" -> "lt"."""
    return (language or "").split("-")[0].split("_")[0].lower()


class Named:
    """A model with a `name` and a `names` map of its translations ({"lv": "…"}), and optionally a `description`
    with `descriptions`: `name_in("lv")` is the Latvian name, else the name itself."""

    def name_in(self, language: str) -> str:
        return (self.names or {}).get(primary(language)) or self.name

    def description_in(self, language: str) -> str:
        return (getattr(self, "descriptions", None) or {}).get(primary(language)) or getattr(self, "description", "")
