"""The retention journeys Patron ships: each one switch away (`patron journeys enable NAME`).

Marketing journeys hold out 10 % of entrants as a control group; journeys that answer the
customer's own request or report on their account (an apology, a follow-up, a tier or points
notice, an idea shipped) hold out nobody: withholding them would wrong the customer.
"""

from decimal import Decimal

from patron.campaigns.models import Trigger

GIFT_REWARDS = {
    # name: (kind, value): created disabled for redemption (gifts only) when a journey is enabled.
    "Birthday gift": ("discount_percent", Decimal("10")),
    "Win-back discount": ("discount_percent", Decimal("15")),
}

BUILTIN = [
    {"key": "welcome", "name": "Welcome", "trigger": Trigger.SIGNED_UP,
     "description": "A welcome when a customer joins.",
     "steps": [("send", {"template": "welcome"})]},
    {"key": "thank_you", "name": "Post-purchase thank-you", "trigger": Trigger.ORDER,
     "description": "A day after each order: thanks, with the next best offers for what they bought.",
     "steps": [("wait", {"days": 1}), ("send", {"template": "thank_you"})]},
    {"key": "birthday", "name": "Birthday greeting", "trigger": Trigger.BIRTHDAY,
     "description": "On the birthday: a greeting with a gift coupon valid for 30 days.",
     "steps": [("coupon", {"reward": "Birthday gift", "valid_days": 30}), ("send", {"template": "birthday"})]},
    {"key": "winback", "name": "Win-back", "trigger": Trigger.LAPSED,
     "description": "Customers quiet for twice their own rhythm (or unlikely to be alive): ask why, with a personal code.",
     "steps": [("coupon", {"reward": "Win-back discount", "valid_days": 30}), ("send", {"template": "winback"})]},
    {"key": "service_recovery", "name": "Service recovery", "trigger": Trigger.INTERACTION,
     "trigger_config": {"kind": "complaint_resolved"}, "holdout_share": Decimal("0"),
     "description": "After a complaint is resolved: an apology, naming the agent's gesture (goodwill points or a coupon).",
     "steps": [("send", {"template": "service_recovery"})]},
    {"key": "detractor_followup", "name": "Detractor follow-up", "trigger": Trigger.INTERACTION,
     "trigger_config": {"kind": "nps_detractor"}, "holdout_share": Decimal("0"),
     "description": "An NPS detractor: a task for a person now, a message two days later.",
     "steps": [("task", {"title": "Call back an NPS detractor"}), ("wait", {"days": 2}),
               ("send", {"template": "detractor_followup"})]},
    {"key": "tier_upgrade", "name": "Tier upgrade", "trigger": Trigger.TIER_UPGRADE, "holdout_share": Decimal("0"),
     "description": "Congratulations on reaching a higher tier.",
     "steps": [("send", {"template": "tier_upgrade"})]},
    {"key": "points_expiring", "name": "Points expiring", "trigger": Trigger.POINTS_EXPIRING, "holdout_share": Decimal("0"),
     "description": "A reminder before points expire (the program's reminder days).",
     "steps": [("send", {"template": "points_expiring"})]},
    {"key": "idea_shipped", "name": "Your idea shipped", "trigger": Trigger.INTERACTION,
     "trigger_config": {"kind": "suggestion_implemented"}, "holdout_share": Decimal("0"),
     "description": "Tell every customer who asked for an idea that it is done.",
     "steps": [("send", {"template": "idea_shipped"})]},
    {"key": "nps_survey", "name": "NPS survey after a purchase", "trigger": Trigger.ORDER,
     "trigger_config": {"reentry_days": 90}, "holdout_share": Decimal("0"),
     "description": "A week after an order, at most once in 90 days: how likely to recommend us, one click in the email.",
     "steps": [("wait", {"days": 7}), ("send", {"template": "survey_nps"})]},
    {"key": "csat_survey", "name": "CSAT after a ticket", "trigger": Trigger.INTERACTION,
     "trigger_config": {"kind": "ticket_resolved"}, "holdout_share": Decimal("0"),
     "description": "When a ticket is resolved: how satisfied with the help, one click in the email.",
     "steps": [("send", {"template": "survey_csat"})]},
    {"key": "newsletter", "name": "Newsletter", "trigger": Trigger.SCHEDULE,
     "trigger_config": {"weekdays": [4], "hour": 9},
     "description": "Thursdays from 09:00 UTC to everyone (or a segment); write the 'newsletter' template first.",
     "steps": [("send", {"template": "newsletter"})]},
    {"key": "name_day", "name": "Name-day greeting", "trigger": Trigger.NAME_DAY,
     "description": "On the customer's name day (Latvian, Lithuanian and Estonian calendars): a greeting, the name in the vocative.",
     "steps": [("send", {"template": "name_day"})]},
    {"key": "holiday_greeting", "name": "Holiday greeting", "trigger": Trigger.PUBLIC_HOLIDAY,
     "trigger_config": {"holidays": ["New Year's Day", "Christmas Day", "Midsummer Day", "Day of Dew and Saint John"]},
     "description": "On the great holidays of the customer's own country (New Year, Christmas, Midsummer): a greeting.",
     "steps": [("send", {"template": "holiday_greeting"})]},
    {"key": "abandoned_checkout", "name": "Abandoned checkout", "trigger": Trigger.INTERACTION,
     "trigger_config": {"kind": "checkout_started", "stop_on": ["order"], "reentry_days": 1},
     "description": "A checkout begun and not finished: the cart an hour later, a reminder a day later; stops when "
                    "they buy. From Shopify's checkouts or the storefront script.",
     "steps": [("wait", {"hours": 1}), ("send", {"template": "abandoned_checkout"}), ("wait", {"hours": 23}),
               ("send", {"template": "abandoned_checkout_reminder"})]},
    {"key": "browse_abandonment", "name": "Browse abandonment", "trigger": Trigger.INTERACTION,
     "trigger_config": {"kind": "product_viewed", "stop_on": ["order", "added_to_cart", "checkout_started"],
                        "reentry_days": 7},
     "description": "A product looked at and left: a word about it four hours later, at most once a week; not if "
                    "they put something in the cart or buy. From the storefront script.",
     "steps": [("wait", {"hours": 4}), ("send", {"template": "browse_abandoned"})]},
]
