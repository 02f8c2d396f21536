"""Segment rules: JSON in, parameterised SQL out. No value from the rules is ever written into the SQL text.

A rule is a condition or a combination of rules:

    {"field": "language", "op": "in", "value": ["lt", "lv"]}
    {"all": [rule, ...]}   {"any": [rule, ...]}   {"not": rule}

The SQL reads `customers_customer c LEFT JOIN insights_customerscore s`; fields that live elsewhere
(tier, categories bought, tags) are EXISTS subqueries. Scores are those of the last `patron score`.
"""

import datetime as dt
import math
from dataclasses import dataclass

from django.utils import timezone

from patron.commerce.models import Category, Order, OrderLine, Product
from patron.core import sql
from patron.core.errors import InvalidSegment
from patron.customers.models import Customer, Tag
from patron.feedback.models import Response
from patron.insights.models import CustomerScore
from patron.loyalty.models import Membership, Tier

# Tables read or written by the SQL below, by their models.
CATEGORIES = Category._meta.db_table
CUSTOMERS = Customer._meta.db_table
MEMBERSHIPS = Membership._meta.db_table
ORDERS = Order._meta.db_table
ORDER_LINES = OrderLine._meta.db_table
PRODUCTS = Product._meta.db_table
RESPONSES = Response._meta.db_table
SCORES = CustomerScore._meta.db_table
TAGS = Tag._meta.db_table
TIERS = Tier._meta.db_table

MAX_DEPTH = 8
MAX_CONDITIONS = 100
# Bounds every store can compare against: a rule outside them is refused when it is checked (saved, counted,
# run), naming the value, instead of overflowing a timestamp or an integer deep in the SQL.
NUMBER_LIMIT = 10 ** 15  # past any spend, CLV or order count
MAX_DAYS = 100 * 366  # ages in days: a century
MAX_RATIO = 1000

NUMBER_OPS = {"eq": "=", "ne": "<>", "lt": "<", "lte": "<=", "gt": ">", "gte": ">="}
TEXT_OPS = {"eq", "ne", "in", "not_in"}
SET_OPS = {"in", "not_in"}  # for fields that are a set per customer (tiers, categories, tags)


@dataclass(frozen=True)
class Field:
    kind: str  # number, text, bool, age (days since a timestamp), ratio (lapse), set
    column: str = ""
    exists: str = ""  # for kind 'set': a subquery with one %s for the list of values
    help: str = ""


FIELDS: dict[str, Field] = {
    # attributes
    "language": Field("text", "c.language", help="BCP 47 primary language, e.g. lv (lv-LV counts as lv)"),
    "country": Field("text", "c.country", help="ISO 3166-1 alpha-2"),
    "email_consent": Field("bool", "c.email_consent", help="true, false or null (never asked)"),
    "sms_consent": Field("bool", "c.sms_consent"),
    "has_email": Field("bool", "(c.email <> '')"),
    "has_phone": Field("bool", "(c.phone <> '')"),
    "days_as_customer": Field("age", "c.created_at"),
    # behaviour (as of the last scoring run)
    "orders": Field("number", "s.frequency", help="completed orders"),
    "spend": Field("number", "s.monetary", help="total spent, net of refunds"),
    "days_since_last_order": Field("age", "s.last_order_at"),
    "lapse_ratio": Field("ratio", "s.last_order_at",
                         help="days since the last order over the customer's own mean days between orders"),
    "bought_category": Field("set", exists=(
        f"EXISTS (SELECT 1 FROM {ORDERS} o JOIN {ORDER_LINES} l ON l.order_id = o.id "
        f"JOIN {PRODUCTS} p ON p.id = l.product_id JOIN {CATEGORIES} g ON g.id = p.category_id "
        "WHERE o.customer_id = c.id AND o.status = 'completed' AND g.name IN ({values}))")),
    # scores
    "rfm_segment": Field("text", "s.segment", help="e.g. champions, at_risk, hibernating"),
    "quadrant": Field("text", "s.quadrant", help="the loyalty matrix: loyal, latent, spurious, none"),
    "p_alive": Field("number", "s.p_alive"),
    "clv_12m": Field("number", "s.clv_12m"),
    "churn_risk": Field("number", "s.churn_risk"),
    "expected_purchases_90": Field("number", "s.expected_purchases_90"),
    # what they told us (the latest answer of each kind)
    "nps": Field("number", f"(SELECT r.score FROM {RESPONSES} r WHERE r.customer_id = c.id AND r.kind = 'nps' "
                           "ORDER BY r.answered_at DESC, r.id DESC LIMIT 1)", help="the latest NPS answer, 0-10 (9-10 promoter, 0-6 detractor)"),
    "csat": Field("number", f"(SELECT r.score FROM {RESPONSES} r WHERE r.customer_id = c.id AND r.kind = 'csat' "
                            "ORDER BY r.answered_at DESC, r.id DESC LIMIT 1)", help="the latest CSAT answer, 1-5"),
    "tier": Field("set", exists=(
        f"EXISTS (SELECT 1 FROM {MEMBERSHIPS} m JOIN {TIERS} t ON t.id = m.tier_id "
        "WHERE m.customer_id = c.id AND t.name IN ({values}))")),
    "tag": Field("set", exists=(
        f"EXISTS (SELECT 1 FROM {TAGS} tg WHERE tg.customer_id = c.id AND tg.name IN ({{values}}))")),
}


def base_from() -> str:
    return f"{CUSTOMERS} c LEFT JOIN {SCORES} s ON s.customer_id = c.id"


def compile_rules(rules, now: dt.datetime | None = None) -> tuple[str, list]:
    """(where_sql, params) selecting the customers the rules describe, erased customers never included."""
    if not isinstance(rules, dict) or not rules:
        raise InvalidSegment("a segment's rules must be a JSON object", path="rules")
    compiler = _Compiler(now or timezone.now())
    where = compiler.rule(rules, "rules", 0)
    return f"c.erased_at IS NULL AND {where}", compiler.params


class _Compiler:
    def __init__(self, now: dt.datetime):
        self.now = now
        self.params: list = []
        self.conditions = 0

    def fail(self, path: str, message: str):
        raise InvalidSegment(f"{path}: {message}", path=path)

    def rule(self, node, path: str, depth: int) -> str:
        if depth > MAX_DEPTH:
            self.fail(path, f"rules nest deeper than {MAX_DEPTH} levels")
        if not isinstance(node, dict):
            self.fail(path, "expected an object")
        keys = set(node)
        for combiner in ("all", "any"):
            if keys == {combiner}:
                parts = node[combiner]
                if not isinstance(parts, list) or not parts:
                    self.fail(f"{path}.{combiner}", "expected a non-empty list of rules")
                joined = f" {'AND' if combiner == 'all' else 'OR'} ".join(
                    self.rule(part, f"{path}.{combiner}[{i}]", depth + 1) for i, part in enumerate(parts))
                return f"({joined})"
        if keys == {"not"}:
            return f"NOT {self.rule(node['not'], f'{path}.not', depth + 1)}"
        if "field" in keys:
            return self.condition(node, path)
        self.fail(path, 'expected "all", "any", "not" or a condition with "field", "op" and "value"')

    def condition(self, node: dict, path: str) -> str:
        self.conditions += 1
        if self.conditions > MAX_CONDITIONS:
            self.fail(path, f"more than {MAX_CONDITIONS} conditions")
        extra = set(node) - {"field", "op", "value"}
        if extra:
            self.fail(path, f"unexpected keys {sorted(extra)}")
        name, op = node.get("field"), node.get("op")
        field = FIELDS.get(name) if isinstance(name, str) else None
        if field is None:
            self.fail(f"{path}.field", f"unknown field {name!r}; known: {', '.join(sorted(FIELDS))}")
        if "value" not in node:
            self.fail(f"{path}.value", "missing")
        value = node["value"]
        # Two-valued: a condition on a missing value (no score yet) is false, so NOT of it is true.
        return f"COALESCE({getattr(self, f'_{field.kind}')(field, op, value, path)}, FALSE)"

    def _ops(self, op, allowed, path):
        if op not in allowed:
            self.fail(f"{path}.op", f"{op!r} is not one of {', '.join(sorted(allowed))}")

    def _number_value(self, value, path, low=-NUMBER_LIMIT, high=NUMBER_LIMIT):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.fail(f"{path}.value", "expected a number")
        if isinstance(value, float) and not math.isfinite(value):
            self.fail(f"{path}.value", f"{value} is not a number to compare with")
        if not low <= value <= high:
            self.fail(f"{path}.value", f"{value:g} is out of range: from {low:,} to {high:,}")
        return value

    def _number(self, field: Field, op, value, path) -> str:
        if op == "between":
            if not isinstance(value, list) or len(value) != 2:
                self.fail(f"{path}.value", "between takes [low, high]")
            low, high = (self._number_value(v, path) for v in value)
            self.params += [low, high]
            return f"({field.column} BETWEEN %s AND %s)"
        self._ops(op, set(NUMBER_OPS) | {"between"}, path)
        self.params.append(self._number_value(value, path))
        return f"({field.column} {NUMBER_OPS[op]} %s)"

    def _text(self, field: Field, op, value, path) -> str:
        self._ops(op, TEXT_OPS, path)
        values = value if op in SET_OPS else [value]
        if not isinstance(values, list) or not values or not all(isinstance(v, str) for v in values):
            self.fail(f"{path}.value", "expected a list of strings" if op in SET_OPS else "expected a string")
        column = field.column
        if field.column == "c.language":
            # Match the primary subtag: 'lv' selects lv and lv-LV.
            column = sql.primary_language("c.language")
            values = [v.lower().split("-")[0] for v in values]
        self.params += values
        marks = ", ".join(["%s"] * len(values))
        test = f"{column} IN ({marks})"
        if op in ("ne", "not_in"):
            return f"({column} IS NULL OR NOT {test})"
        return f"({test})"

    def _bool(self, field: Field, op, value, path) -> str:
        self._ops(op, {"is"}, path)
        if value is None:
            return f"({field.column} IS NULL)"
        if not isinstance(value, bool):
            self.fail(f"{path}.value", "expected true, false or null")
        self.params.append(value)
        return f"({field.column} = %s)"

    def _age(self, field: Field, op, value, path) -> str:
        # 'more than N days ago' is 'before now - N days': the column keeps its index.
        self._ops(op, {"gt", "gte", "lt", "lte"}, path)
        days = self._number_value(value, path, 0, MAX_DAYS)
        self.params.append(sql.timestamp(self.now - dt.timedelta(days=days)))
        flipped = {"gt": "<", "gte": "<=", "lt": ">", "lte": ">="}[op]
        return f"({field.column} {flipped} %s)"

    def _ratio(self, field: Field, op, value, path) -> str:
        self._ops(op, {"gt", "gte", "lt", "lte"}, path)
        ratio = self._number_value(value, path, 0, MAX_RATIO)
        self.params += [self.now.timestamp(), ratio]
        return (f"(s.rhythm_days > 0 AND (%s - {sql.epoch(field.column)}) / 86400.0 "
                f"{NUMBER_OPS[op]} %s * s.rhythm_days)")

    def _set(self, field: Field, op, value, path) -> str:
        self._ops(op, SET_OPS, path)
        if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
            self.fail(f"{path}.value", "expected a non-empty list of names")
        self.params += value
        test = field.exists.format(values=", ".join(["%s"] * len(value)))
        return f"({test})" if op == "in" else f"(NOT {test})"
