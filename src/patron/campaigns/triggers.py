"""What starts a journey, as SQL: each trigger selects (customer_id, trigger_key, context) rows.

The trigger key names the occasion (an order, a year's birthday, a lapse after a given last
order), so that the unique (journey, customer, trigger_key) makes entry idempotent: running a
journey again, or twice at once, never enters anyone twice for the same occasion.
"""

import calendar
import datetime as dt

from patron.campaigns.models import Journey, Trigger
from patron.core import sql
from patron.commerce.models import Order
from patron.core.errors import JourneyNotReady
from patron.culture import calendars, namedays
from patron.customers.models import Customer, Interaction
from patron.insights.models import CustomerScore
from patron.loyalty.models import ExpiryNotice, Tier, TierEvent
from patron.segments.rules import base_from, compile_rules
from patron.segments.models import SegmentChange
from patron.segments.services import get_segment

# Tables read or written by the SQL below, by their models.
CUSTOMERS, INTERACTIONS, ORDERS = Customer._meta.db_table, Interaction._meta.db_table, Order._meta.db_table
SCORES, SEGMENT_CHANGES = CustomerScore._meta.db_table, SegmentChange._meta.db_table
TIERS, TIER_EVENTS, EXPIRY_NOTICES = Tier._meta.db_table, TierEvent._meta.db_table, ExpiryNotice._meta.db_table

# Event triggers look back this far (and never before the journey was enabled).
LOOKBACK = dt.timedelta(days=7)

# Lapsed: quiet for twice their own rhythm (or one-time buyers for 120 days, or P(alive) under 0.3),
# and at least 60 days in any case. Editable per journey in trigger_config["rules"].
DEFAULT_LAPSE_RULES = {"all": [
    {"field": "days_since_last_order", "op": "gt", "value": 60},
    {"any": [
        {"field": "lapse_ratio", "op": "gt", "value": 2},
        {"all": [{"field": "orders", "op": "eq", "value": 1}, {"field": "days_since_last_order", "op": "gt", "value": 120}]},
        {"field": "p_alive", "op": "lt", "value": 0.3},
    ]},
]}


def _key(prefix: str, expr: str) -> str:
    return f"'{prefix}:' || CAST({expr} AS TEXT)"


def entrants(journey: Journey, now: dt.datetime) -> tuple[str, list]:
    """SQL for the rows that enter now (before the segment condition and de-duplication)."""
    since = max(journey.enabled_at or now, now - LOOKBACK) if journey.trigger not in DATED else now
    config = journey.trigger_config or {}
    kind = journey.trigger
    empty = sql.empty_json()
    if kind == Trigger.SIGNED_UP:
        return (f"SELECT c.id AS customer_id, 'signup' AS trigger_key, {empty} AS context FROM {CUSTOMERS} c "
                f"WHERE c.created_at >= %s AND c.erased_at IS NULL", [sql.timestamp(since)])
    if kind in (Trigger.ORDER, Trigger.FIRST_ORDER):
        first = (f"AND NOT EXISTS (SELECT 1 FROM {ORDERS} p WHERE p.customer_id = o.customer_id AND p.status = 'completed' "
                 "AND (p.placed_at < o.placed_at OR (p.placed_at = o.placed_at AND p.id < o.id)))") if kind == Trigger.FIRST_ORDER else ""
        context = sql.json_object([
            ("order_total", sql.json_object([("amount", "CAST(o.total AS TEXT)"), ("currency", "o.currency")])),
            ("order", "o.external_id"), ("offers", sql.json_value("s.next_best_offers"))])
        return (f"SELECT o.customer_id, {_key('order', 'o.id')} AS trigger_key, {context} AS context "
                f"FROM {ORDERS} o LEFT JOIN {SCORES} s ON s.customer_id = o.customer_id "
                f"WHERE o.status = 'completed' AND o.placed_at >= %s {first}", [sql.timestamp(since)])
    if kind == Trigger.TIER_UPGRADE:
        context = sql.json_object([("tier", "t.name")])
        return (f"SELECT e.customer_id, {_key('tier', 'e.id')} AS trigger_key, {context} AS context "
                f"FROM {TIER_EVENTS} e JOIN {TIERS} t ON t.id = e.to_tier_id WHERE e.kind = 'upgrade' AND e.at >= %s",
                [sql.timestamp(since)])
    if kind == Trigger.POINTS_EXPIRING:
        # One message per customer per notice run, however many lots it covers.
        context = sql.json_object([("points", "SUM(n.points)"), ("expires_on", sql.date_text("MIN(n.expires_at)"))])
        return (f"SELECT n.customer_id, {_key('expiry', 'MIN(n.id)')} AS trigger_key, {context} AS context "
                f"FROM {EXPIRY_NOTICES} n WHERE n.created_at >= %s GROUP BY n.customer_id, n.created_at", [sql.timestamp(since)])
    if kind == Trigger.LAPSED:
        where, params = compile_rules(config.get("rules") or DEFAULT_LAPSE_RULES, now)
        # The scores may be a day old: nobody who has ordered since the last scoring counts as lapsed.
        return (f"SELECT c.id AS customer_id, {_key('lapsed', sql.date_text('s.last_order_at'))} AS trigger_key, "
                f"{empty} AS context FROM {base_from()} WHERE {where} AND s.last_order_at IS NOT NULL AND NOT EXISTS "
                f"(SELECT 1 FROM {ORDERS} o WHERE o.customer_id = c.id AND o.placed_at > s.last_order_at "
                f"AND o.status = 'completed' AND o.placed_at >= %s)", params + [sql.timestamp(now - dt.timedelta(days=400))])
    if kind == Trigger.INTERACTION:
        name = config.get("kind")
        if not name:
            raise JourneyNotReady(f"journey {journey.key}: an interaction trigger needs trigger_config.kind")
        return (f"SELECT i.customer_id, {_key('interaction', 'i.id')} AS trigger_key, i.payload AS context "
                f"FROM {INTERACTIONS} i WHERE i.kind = %s AND i.occurred_at >= %s", [name, sql.timestamp(since)])
    if kind in (Trigger.SEGMENT_ENTERED, Trigger.SEGMENT_LEFT):
        segment = get_segment(config.get("segment", ""))
        return (f"SELECT g.customer_id, {_key('segment', 'g.id')} AS trigger_key, {empty} AS context "
                f"FROM {SEGMENT_CHANGES} g WHERE g.segment_id = %s AND g.entered = %s AND g.at >= %s",
                [segment.pk, kind == Trigger.SEGMENT_ENTERED, sql.timestamp(since)])
    if kind in (Trigger.BIRTHDAY, Trigger.ANNIVERSARY):
        today = now.date()
        days = [today.strftime("%m-%d")]
        if days[0] == "02-28" and not calendar.isleap(today.year):
            days.append("02-29")  # born on 29 February: celebrated on the 28th in other years
        on_the_day = ", ".join(["%s"] * len(days))
        if kind == Trigger.BIRTHDAY:
            return (f"SELECT c.id AS customer_id, 'birthday:{today.year}' AS trigger_key, {empty} AS context "
                    f"FROM {CUSTOMERS} c WHERE c.erased_at IS NULL AND {sql.month_day('c.birth_date')} IN ({on_the_day})",
                    days)
        joined = sql.year("c.created_at")
        context = sql.json_object([("years", f"%s - {joined}")])
        return (f"SELECT c.id AS customer_id, 'anniversary:{today.year}' AS trigger_key, {context} AS context "
                f"FROM {CUSTOMERS} c WHERE c.erased_at IS NULL AND {sql.month_day('c.created_at')} IN ({on_the_day}) "
                f"AND {joined} < %s", [today.year, *days, today.year])
    if kind == Trigger.NAME_DAY:
        return _name_day(now.date())
    if kind == Trigger.PUBLIC_HOLIDAY:
        return _holiday(now.date(), config)
    if kind == Trigger.SCHEDULE:
        occasion = scheduled_occasion(config, now)
        if occasion is None:
            return f"SELECT c.id AS customer_id, '' AS trigger_key, {empty} AS context FROM {CUSTOMERS} c WHERE 1 = 0", []
        return (f"SELECT c.id AS customer_id, %s AS trigger_key, {empty} AS context FROM {CUSTOMERS} c "
                f"WHERE c.erased_at IS NULL", [f"schedule:{occasion}"])
    raise JourneyNotReady(f"journey {journey.key}: unknown trigger {kind!r}")


DATED = {Trigger.BIRTHDAY, Trigger.ANNIVERSARY, Trigger.SCHEDULE, Trigger.LAPSED, Trigger.NAME_DAY, Trigger.PUBLIC_HOLIDAY}
# Occasions a customer may be in already when the journey is switched on (lapsed, a birthday today): switched
# on "from now on", those are set aside. A schedule is not: its date is the one the marketer chose.
STANDING = DATED - {Trigger.SCHEDULE}

# Whose name-day calendar applies: the customer's language, or where they left it blank, their country's.
CALENDAR_COUNTRIES = {"lv": "LV", "lt": "LT", "et": "EE"}
NOTHING = f"SELECT c.id AS customer_id, '' AS trigger_key, {{empty}} AS context FROM {CUSTOMERS} c WHERE 1 = 0"


def _name_day(today: dt.date) -> tuple[str, list]:
    """Customers whose first name is celebrated today in their language's calendar ("Janis" is Jānis)."""
    parts, params = [], []
    language = sql.primary_language("c.language")
    for code in namedays.LANGUAGES:
        names = namedays.names_on(code, today)
        if not names:
            continue
        written = sorted(set().union(*(namedays.spellings(n) for n in names)))
        parts.append(f"(({language} = %s OR (c.language = '' AND c.country = %s)) AND c.first_name IN ({', '.join(['%s'] * len(written))}))")
        params += [code, CALENDAR_COUNTRIES[code], *written]
    if not parts:
        return NOTHING.format(empty=sql.empty_json()), []
    return (f"SELECT c.id AS customer_id, 'nameday:{today.isoformat()}' AS trigger_key, {sql.empty_json()} AS context "
            f"FROM {CUSTOMERS} c WHERE c.erased_at IS NULL AND ({' OR '.join(parts)})", params)


def _holiday(today: dt.date, config: dict) -> tuple[str, list]:
    """Customers whose country celebrates a public holiday today (trigger_config.holidays: the English
    names to greet on; blank: every holiday that is not just a day off). The holiday is named in the
    country's language for its speakers, in English for the others."""
    only = config.get("holidays") or None
    if only is not None and not (isinstance(only, list) and all(isinstance(n, str) for n in only)):
        raise JourneyNotReady('trigger_config.holidays: a list of holiday names in English, e.g. ["Christmas Day"]')
    countries = (Customer.objects.filter(erased_at__isnull=True).exclude(country="").values_list("country", flat=True)
                 .distinct().order_by())
    cases, params, chosen = [], [], []
    language = sql.primary_language("c.language")
    for country in sorted(set(countries)):
        english = calendars.celebration(country, today, "en_US", only)
        if english is None:
            continue
        local_language = calendars.local_language(country)
        local = calendars.celebration(country, today, local_language, only) or english
        cases.append(f"WHEN c.country = %s AND {language} = %s THEN %s WHEN c.country = %s THEN %s")
        params += [country, local_language.split("_")[0].lower(), local, country, english]
        chosen.append(country)
    if not chosen:
        return NOTHING.format(empty=sql.empty_json()), []
    context = sql.json_object([("holiday", f"CASE {' '.join(cases)} END")])
    return (f"SELECT c.id AS customer_id, 'holiday:{today.isoformat()}' AS trigger_key, {context} AS context "
            f"FROM {CUSTOMERS} c WHERE c.erased_at IS NULL AND c.country IN ({', '.join(['%s'] * len(chosen))})",
            params + chosen)


def scheduled_occasion(config: dict, now: dt.datetime) -> str | None:
    """The occasion a schedule fires for at `now`, if any: {"at": ISO datetime} once, or
    {"weekdays": [1..7], "hour": H} every matching day from hour H (UTC)."""
    if config.get("at"):
        try:
            at = dt.datetime.fromisoformat(str(config["at"]))
        except ValueError:
            raise JourneyNotReady(f"trigger_config.at: {config['at']!r} is not an ISO date and time") from None
        if at.tzinfo is None:
            at = at.replace(tzinfo=dt.timezone.utc)
        return at.isoformat() if now >= at else None
    weekdays, hour = config.get("weekdays") or [], config.get("hour", 9)
    if not isinstance(weekdays, list) or not weekdays or not all(isinstance(d, int) and 1 <= d <= 7 for d in weekdays):
        raise JourneyNotReady('trigger_config: a schedule needs "at", or "weekdays" as a list of 1 (Monday) to 7 (Sunday)')
    if not isinstance(hour, int) or not 0 <= hour <= 23:
        raise JourneyNotReady(f"trigger_config.hour: {hour!r} is not an hour from 0 to 23")
    if now.isoweekday() in weekdays and now.hour >= hour:
        return now.date().isoformat()
    return None
