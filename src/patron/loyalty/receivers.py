"""What loyalty does when a lower context tells it something (connected in LoyaltyConfig.ready())."""

from patron.loyalty import earning


def earn_on_recorded_order(sender, order, created, lines, **kwargs) -> dict:
    """commerce.events.order_recorded: the order earns in every program of its currency, once."""
    return {"points_earned": earning.award_order_everywhere(order, created=created, lines=lines)}


def earn_on_written_orders(sender, order_ids, **kwargs) -> dict:
    """commerce.events.orders_written (an import, the admin): the same earning for each order, in bulk."""
    return {"orders_earned": earning.award_orders(order_ids)}
