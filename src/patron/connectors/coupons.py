"""Patron's coupons as native discount codes in every connected store, so the shop's checkout takes them.

Every coupon a store can hold (a discount or a free product: rewards, journeys' gifts, apology gestures)
gets a row per active connection, written to the store by the worker, a few at a time. A store that
cannot be reached is asked again later, waiting longer each time. Until every connected store knows a
code, a message carrying it is held (`holds`, which the outbox asks before sending); a code a store
refused is never sent. A code is removed from the store when Patron's coupon expires, is used elsewhere,
or is gone (its customer erased). An order from the store that used a code marks Patron's coupon used.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import connection as db
from django.db.models import Q
from django.utils import timezone

from patron.connectors import secrets, services
from patron.connectors.models import Connection, StoreCoupon
from patron.connectors.platform import CouponSpec, Gone, ShopRefused, ShopUnreachable
from patron.core import sql
from patron.core.errors import CouponExpired, CouponNotFound, CouponUsed
from patron.loyalty import services as loyalty
from patron.loyalty.models import Coupon, Reward

log = logging.getLogger(__name__)
PUSHABLE = (Reward.Kind.DISCOUNT_AMOUNT, Reward.Kind.DISCOUNT_PERCENT, Reward.Kind.FREE_PRODUCT)
BATCH = 100
MAX_WAIT = dt.timedelta(hours=1)
S = StoreCoupon.State


def _active():
    return Connection.objects.exclude(state=Connection.State.PAUSED)


def track(now: dt.datetime) -> int:
    """A pending row for each live coupon a store can hold, per active connection, that has none yet (set-wise)."""
    kinds = ", ".join(f"'{kind}'" for kind in PUSHABLE)
    with db.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {StoreCoupon._meta.db_table} (connection_id, coupon_id, code, state, store_id, attempts, "
            "last_error, created_at) "
            "SELECT cn.id, c.id, c.code, %s, '', 0, '', %s "
            f"FROM {Coupon._meta.db_table} c JOIN {Reward._meta.db_table} r ON r.id = c.reward_id "
            f"CROSS JOIN {Connection._meta.db_table} cn "
            f"WHERE cn.state <> %s AND r.kind IN ({kinds}) AND c.used_at IS NULL "
            "AND (c.expires_at IS NULL OR c.expires_at > %s) "
            f"AND NOT EXISTS (SELECT 1 FROM {StoreCoupon._meta.db_table} s WHERE s.connection_id = cn.id AND s.code = c.code) "
            "ON CONFLICT (connection_id, code) DO NOTHING",
            [S.PENDING, sql.timestamp(now), Connection.State.PAUSED, sql.timestamp(now)])
        return cursor.rowcount


def spec(coupon: Coupon, connection: Connection) -> CouponSpec:
    """The coupon as the store will hold it; ShopRefused when the store cannot hold it as Patron gives it."""
    reward = coupon.reward
    if reward.kind == Reward.Kind.DISCOUNT_PERCENT:
        kind = "percent"
    elif reward.kind == Reward.Kind.FREE_PRODUCT:
        kind = "product"
    else:
        kind = "amount"
        currency = reward.program.currency.upper()
        if connection.store_currency and currency != connection.store_currency.upper():
            raise ShopRefused(f"{reward.name} takes {reward.value} {currency} off, and the store sells in "
                              f"{connection.store_currency}: an amount coupon needs the store's currency")
    return CouponSpec(code=coupon.code, kind=kind, value=reward.value, expires_at=coupon.expires_at,
                      email=coupon.customer.email, sku=reward.sku,
                      description=f"Patron: {reward.name} ({coupon.reason or 'reward'})")


def _client(clients: dict, connection: Connection):
    """One client per store for a whole round (one kept-alive connection to it)."""
    if connection.pk not in clients:
        clients[connection.pk] = services.client(connection)
    return clients[connection.pk]


def push(now: dt.datetime, batch: int = BATCH) -> dict[str, int]:
    """Write the pending codes that are due to their stores; returns how many went in, were refused, or wait."""
    done = {"in_store": 0, "refused": 0, "waiting": 0}
    due = (StoreCoupon.objects.filter(state=S.PENDING).filter(Q(next_try_at__isnull=True) | Q(next_try_at__lte=now))
           .select_related("connection", "coupon__reward__program", "coupon__customer").order_by("pk")[:batch])
    down: set[int] = set()  # connections that failed this round: their other codes wait too
    clients: dict = {}
    for row in due:
        if row.connection_id in down:
            continue
        coupon = row.coupon
        if coupon is None or coupon.used_at or (coupon.expires_at and coupon.expires_at <= now):
            # Gone, used or expired before it reached the store: it is never written.
            StoreCoupon.objects.filter(pk=row.pk).update(state=S.REMOVED, removed_at=now)
            continue
        try:
            shop = _client(clients, row.connection)
            # A try before may have written it and lost the answer: look before writing again.
            store_id = (shop.find_code(row.code) if row.attempts else None) or shop.create_code(spec(row.coupon, row.connection))
        except (ShopUnreachable, secrets.CredentialsUnreadable) as exc:
            attempts = row.attempts + 1
            wait = min(MAX_WAIT, dt.timedelta(minutes=2 ** min(attempts - 1, 10)))
            StoreCoupon.objects.filter(pk=row.pk).update(attempts=attempts, next_try_at=now + wait,
                                                         last_error=exc.message[:500])
            services.mark_failing(row.connection, exc)
            down.add(row.connection_id)
            done["waiting"] += 1
            continue
        except ShopRefused as exc:
            StoreCoupon.objects.filter(pk=row.pk).update(state=S.REFUSED, attempts=row.attempts + 1,
                                                         last_error=exc.message[:500])
            log.warning("store %s refused coupon %s: %s", row.connection_id, row.pk, exc.message)
            done["refused"] += 1
            continue
        StoreCoupon.objects.filter(pk=row.pk).update(state=S.IN_STORE, store_id=store_id, pushed_at=now, last_error="",
                                                     attempts=row.attempts + 1)
        done["in_store"] += 1
    return done


def remove(now: dt.datetime, batch: int = BATCH) -> int:
    """Take out of the stores the codes whose coupon expired, was used other than at that store (there, the
    store's own usage limit keeps it from a second use), or is gone."""
    gone = (StoreCoupon.objects.filter(state=S.IN_STORE)
            .filter(Q(coupon__isnull=True) | Q(coupon__expires_at__lte=now) | Q(coupon__used_at__isnull=False))
            .select_related("connection", "coupon").order_by("pk"))
    removed = 0
    down: set[int] = set()
    clients: dict = {}
    for row in gone[:batch * 5]:
        if removed >= batch or row.connection_id in down:
            continue
        try:
            _client(clients, row.connection).remove_code(row.store_id)
        except Gone:
            pass  # removed in the store already
        except (ShopUnreachable, ShopRefused, secrets.CredentialsUnreadable) as exc:
            StoreCoupon.objects.filter(pk=row.pk).update(last_error=exc.message[:500])
            down.add(row.connection_id)
            continue
        StoreCoupon.objects.filter(pk=row.pk).update(state=S.REMOVED, removed_at=now)
        removed += 1
    return removed


def run(now: dt.datetime | None = None) -> dict[str, int]:
    """The worker's job: track new coupons, write what is due, remove what is over."""
    now = now or timezone.now()
    if not _active().exists():
        return {}
    tracked = track(now)
    return {"tracked": tracked, **push(now), "removed": remove(now)}


def holds(messages) -> tuple[set[int], dict[int, str]]:
    """Of messages about to go: (the ids to hold a little, their code not yet in every connected store;
    {id: reason} for those never to send, a store having refused their code)."""
    codes = {m.pk: str((m.context or {}).get("coupon") or "") for m in messages}
    codes = {pk: code for pk, code in codes.items() if code}
    if not codes:
        return set(), {}
    connections = set(_active().values_list("pk", flat=True))
    if not connections:
        return set(), {}
    pushable = set(Coupon.objects.filter(code__in=set(codes.values()), reward__kind__in=PUSHABLE)
                   .values_list("code", flat=True))
    states: dict[str, dict[int, str]] = {}
    for connection_id, code, state in StoreCoupon.objects.filter(code__in=pushable, connection_id__in=connections).values_list(
            "connection_id", "code", "state"):
        states.setdefault(code, {})[connection_id] = state
    wait, refuse = set(), {}
    for pk, code in codes.items():
        if code not in pushable:
            continue
        got = states.get(code, {})
        if S.REFUSED in got.values():
            refuse[pk] = "coupon_refused_by_store"
        elif set(got) != connections or any(state != S.IN_STORE for state in got.values()):
            wait.add(pk)
    return wait, refuse


def mark_used(connection: Connection, codes: list[str], order_id: str, at: dt.datetime) -> int:
    """An order from the store used these codes: Patron's coupons among them are used, once; returns how many."""
    used = 0
    for code in codes:
        try:
            loyalty.use_coupon(code, reference=f"{connection.kind} order {order_id}", at=at)
        except (CouponNotFound, CouponUsed, CouponExpired):
            continue  # the store's own code, or one already marked (the same order again)
        StoreCoupon.objects.filter(connection=connection, code=code, state=S.IN_STORE).update(state=S.USED)
        used += 1
    return used
