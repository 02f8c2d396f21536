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


def map_strings(function, value):
    """JSON-like `value` with `function` applied to every string in it, dictionary keys included."""
    if isinstance(value, str):
        return function(value)
    if isinstance(value, list):
        return [map_strings(function, v) for v in value]
    if isinstance(value, dict):
        return {function(str(k)): map_strings(function, v) for k, v in value.items()}
    return value
