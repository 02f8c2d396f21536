"""Bulk import of CSV and Parquet files: stream, check, stage, merge set-wise.

The engine is shared; what a file of each kind means lives with its context, which registers its
kinds here from its own AppConfig.ready() (customers, commerce, feedback).
"""

_KINDS: dict = {}


def register(*kinds) -> None:
    """Make import kinds known by their command-line name (called from an app's ready())."""
    for kind in kinds:
        _KINDS[kind.name] = kind


def kinds() -> dict:
    """The import kinds by their command-line name, in the order the apps registered them."""
    return dict(_KINDS)
