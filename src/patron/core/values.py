"""Plain values read the same way by every context and by the bulk import: yes and no."""

from patron.core.errors import InvalidInput

TRUE_WORDS = frozenset({"true", "yes", "1", "y", "t"})
FALSE_WORDS = frozenset({"false", "no", "0", "n", "f"})


def parse_bool(value, field: str) -> bool:
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise InvalidInput(f"{field} must be true or false, not {value!r}", field=field)
