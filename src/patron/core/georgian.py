"""Georgian has no capital letters in ordinary writing. Python's str.upper() turns a Mkhedruli letter into its
Mtavruli form (Unicode 11), a display script that most fonts lack: Django's capfirst, which the admin applies to
every label and model name, would show a Georgian label with a missing first glyph ("□როგრამა" for "პროგრამა").
`keep_georgian` makes both capfirsts (the function and the template filter) leave a Georgian first letter as it is."""

def _capfirst(x):
    if not x:
        return x
    if not isinstance(x, str):
        x = str(x)
    return x if "\u10d0" <= x[0] <= "\u10ff" else x[0].upper() + x[1:]


def _capfirst_filter(value):
    return value and (value if "\u10d0" <= value[0] <= "\u10ff" else value[0].upper() + value[1:])


def keep_georgian() -> None:
    """Give Django's capfirst function and filter the Georgian-aware body. Every module that imported them holds the
    same function objects, so changing their code reaches all of them."""
    from django.template import defaultfilters
    from django.utils import text

    text.capfirst.__wrapped__.__code__ = _capfirst.__code__
    defaultfilters.capfirst.__wrapped__.__code__ = _capfirst_filter.__code__
