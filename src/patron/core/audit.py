"""The audit log: every write a person makes to a customer or the books is recorded by the service it calls."""

import getpass

from patron.core.models import AuditEvent
from patron.core.values import map_strings

GRANT = "points.grant"
ADJUST = "points.adjust"
ERASE = "customer.erase"
EXPORT = "customer.export"
JOURNEY_ON = "journey.on"
JOURNEY_OFF = "journey.off"
JOURNEY_PAUSED = "journey.pause"
JOURNEY_RESUMED = "journey.resume"
JOURNEY_CREATED = "journey.create"
JOURNEY_CHANGED = "journey.change"
JOURNEY_WINNER = "journey.winner"
MESSAGE_CHANGED = "message.change"
MESSAGE_RESET = "message.reset"
BRAND_CHANGED = "brand.change"
KEY_REVOKED = "apikey.revoke"


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



def forget(scrub, *, target: str, replacement: str) -> int:
    """Remove a person from the log (an erasure): entries about `target` are about `replacement` from
    now on, and `scrub(text)` takes the person out of every entry's target and details. The actions,
    actors and times stay. The log is staff actions, small enough to read whole; JSON is compared
    decoded, since SQLite keeps it with escaped letters."""
    AuditEvent.objects.filter(target=target).update(target=replacement)
    changed = 0
    for pk, old_target, detail in AuditEvent.objects.values_list("pk", "target", "detail").iterator(chunk_size=2000):
        new_target, new_detail = scrub(old_target), map_strings(scrub, detail)
        if (new_target, new_detail) != (old_target, detail):
            AuditEvent.objects.filter(pk=pk).update(target=new_target, detail=new_detail)
            changed += 1
    return changed

