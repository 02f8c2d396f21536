"""The audit log: every write a person makes to a customer or the books is recorded by the service it calls."""

import getpass

from patron.core.models import AuditEvent

GRANT = "points.grant"
ADJUST = "points.adjust"
ERASE = "customer.erase"
EXPORT = "customer.export"
JOURNEY_ON = "journey.on"
JOURNEY_OFF = "journey.off"


def record(actor, action: str, target: str = "", **detail) -> AuditEvent:
    """`actor` is a staff user, or a name (the command line passes "cli:<login>")."""
    if isinstance(actor, str) or actor is None:
        return AuditEvent.objects.create(actor_name=actor or cli_actor(), action=action, target=target, detail=detail)
    return AuditEvent.objects.create(actor=actor, actor_name=actor.get_username(), action=action, target=target, detail=detail)


def cli_actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no login name in a container
        return "cli"
