"""What loyalty tells the contexts above it, which connect to these signals in their own ready().

Each is sent inside the writing transaction, so what a receiver writes (a message in the outbox)
commits or rolls back with loyalty's own change.
"""

from django.dispatch import Signal

# A paid membership's period is about to renew: `membership`, `period` (the current MembershipPeriod),
# `fee` (a Decimal, in `currency`). Messaging queues the renewal reminder; the period is marked
# reminded whether or not anyone listens, so a reminder is never sent twice.
renewal_due = Signal()
