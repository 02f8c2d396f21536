"""What messaging does when a lower context tells it something (connected in MessagingConfig.ready())."""

from patron.messaging import services


def remind_renewal(sender, membership, period, fee, currency, **kwargs) -> None:
    """loyalty.events.renewal_due: the renewal reminder, in the member's language."""
    services.queue(membership.customer, "membership_renewal", context={
        "plan": membership.plan.name, "renews_on": period.ends_at.date().isoformat(),
        "fee": {"amount": str(fee), "currency": currency}})
