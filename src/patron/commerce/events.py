"""What commerce tells the contexts above it, which connect to these signals in their own ready().

Orders are facts; what they cause (points, for one) belongs to higher contexts, which commerce does
not import. Each signal is sent inside the writing transaction, so what a receiver writes commits or
rolls back with the order.
"""

from django.dispatch import Signal

# One order was recorded (created or changed) by commerce.services.record_order, with `order`,
# `created` and `lines` (the order's lines when the caller has them in hand, else None). A receiver
# may return a dict of what it did (e.g. {"points_earned": 12}); record_order gathers them on
# `order.effects`.
order_recorded = Signal()

# Orders were written in bulk (an import file, the admin): `order_ids`, the orders created or changed.
orders_written = Signal()
