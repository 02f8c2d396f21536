"""Every write to the points ledger. Each function is one transaction: the entries, the lots and
the cached balances change together or not at all.

Concurrency: the customer's wallet row is locked (SELECT ... FOR UPDATE on PostgreSQL; SQLite's
IMMEDIATE transactions already serialise writers) before its balance is read, so two redemptions
at once can never both spend the same points.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from django.db import IntegrityError, connection, transaction
from django.db.models import F, Sum
from django.utils import timezone

from patron.core import audit, sql
from patron.core.errors import (
    CouponExpired, CouponNotFound, CouponUsed, InsufficientPoints, InvalidInput, RewardNotAvailable, RewardNotFound, RewardOutOfStock,
)
from patron.customers.models import Customer
from patron.loyalty import paid
from patron.loyalty.models import Account, Coupon, Entry, Lot, Movement, Program, Reward
from patron.loyalty.tiers import current_tier


def system_account(program: Program, kind: str) -> Account:
    # (excluding wallets repeats the partial index's condition, so SQLite reads that index: see _SYSTEM)
    found = Account.objects.filter(program=program, kind=kind, customer=None).exclude(kind=Account.Kind.WALLET).first()
    if found is not None:  # the usual case: one query, no savepoint
        return found
    try:
        with transaction.atomic():
            return Account.objects.create(program=program, kind=kind, customer=None)
    except IntegrityError:  # created at the same moment by another transaction
        return Account.objects.get(program=program, kind=kind, customer=None)


def wallet(program: Program, customer: Customer, *, lock: bool = False) -> Account:
    """The customer's wallet in the program (created empty on first use); locked for the transaction when asked."""
    existing = Account.objects.filter(program=program, kind=Account.Kind.WALLET, customer=customer)
    found = (existing.select_for_update() if lock else existing).first()
    if found is not None:  # the usual case: one query, no savepoint
        return found
    try:
        with transaction.atomic():
            Account.objects.create(program=program, kind=Account.Kind.WALLET, customer=customer)
    except IntegrityError:  # created at the same moment by another transaction
        pass
    return (existing.select_for_update() if lock else existing).get()


def balance(program: Program, customer: Customer) -> int:
    found = Account.objects.filter(program=program, kind=Account.Kind.WALLET, customer=customer).values_list("balance", flat=True).first()
    return found or 0


def system_balance(program: Program, kind: str) -> int:
    """A system account's balance, from its entries: only wallets keep a cached balance (see Account.balance).
    0 for an account not made yet; reading makes nothing."""
    credits = Entry.objects.filter(credit__program=program, credit__kind=kind).aggregate(s=Sum("points"))["s"] or 0
    return credits - (Entry.objects.filter(debit__program=program, debit__kind=kind).aggregate(s=Sum("points"))["s"] or 0)


def _post(movement: Movement, debit: Account, credit: Account, points: int, lot: Lot | None = None) -> None:
    Entry.objects.create(movement=movement, debit=debit, credit=credit, points=points, lot=lot)
    for account, change in ((debit, -points), (credit, points)):
        if account.kind == Account.Kind.WALLET:  # a system account's balance is its entries': no shared row to lock
            Account.objects.filter(pk=account.pk).update(balance=F("balance") + change)


def _check_points(points) -> int:
    if isinstance(points, bool) or not isinstance(points, int) or points <= 0:
        raise InvalidInput(f"points must be a whole number above zero, not {points!r}", field="points")
    return points


@transaction.atomic(savepoint=False)  # inside a caller's transaction it adds no savepoint: an error undoes the caller's too
def earn(program: Program, customer: Customer, points: int, *, kind: str = Movement.Kind.EARN, reason: str = "",
         reference: str = "", at: dt.datetime | None = None) -> Movement:
    """Credit `points` to the customer as a new lot (expiring after the program's expiry_days).

    Every order comes this way, so the SQL is written out rather than built by the ORM: an UPDATE
    that locks the wallet's row (as SELECT ... FOR UPDATE would) and credits it at once, then the
    movement, its lot and the entry from the program's liability; on PostgreSQL all four are one
    statement. A second earning with the same reference fails on the movement (IntegrityError),
    with nothing else written.
    """
    points = _check_points(points)
    at = at or timezone.now()
    values = {"points": points, "program": program.pk, "customer": customer.pk, "kind": kind, "reason": reason,
              "reference": reference, "at": at, "expires": at + dt.timedelta(days=program.expiry_days) if program.expiry_days else None}
    write = _earn_in_one_statement if connection.vendor == "postgresql" else _earn_step_by_step
    with connection.cursor() as cursor:
        if (written := write(cursor, values)) is None:
            wallet(program, customer)  # a first earning: the wallet is made empty, then credited
            written = write(cursor, values)
        wallet_id, owed, movement_id, lot_id, posted = written
        if not posted:  # the program's first earning: its liability account is made now
            liability = system_account(program, Account.Kind.LIABILITY)
            Entry.objects.create(movement_id=movement_id, debit=liability, credit_id=wallet_id, points=points, lot_id=lot_id)
    movement = sql.written(Movement, {"program": program, "customer": customer}, id=movement_id, program_id=program.pk, kind=kind,
                           customer_id=customer.pk, points=points, reason=reason, reference=reference, created_at=at)
    if owed:  # clawback policy: refunded points already spent come off these earnings first
        take = min(owed, points)
        clawback = Movement.objects.create(program=program, kind=Movement.Kind.REVERSE, customer=customer, points=-take,
                                           reason="clawback of refunded points", reference=reference, created_at=at)
        Lot.objects.filter(pk=lot_id).update(remaining=F("remaining") - take)
        account = Account.objects.get(pk=wallet_id)
        _post(clawback, account, system_account(program, Account.Kind.LIABILITY), take, Lot(pk=lot_id))
        Account.objects.filter(pk=wallet_id).update(owed=F("owed") - take)
    return movement


_WALLET, _LIABILITY = Account.Kind.WALLET.value, Account.Kind.LIABILITY.value
# The condition of the system accounts' partial index, written out: SQLite uses a partial index only for
# a query that repeats its WHERE (it does not infer it from kind = 'liability'), else it scans every wallet.
_SYSTEM = f"NOT (kind = '{_WALLET}')"
_CREDIT_WALLET = (f"UPDATE {Account._meta.db_table} SET balance = balance + %(points)s "
                  f"WHERE program_id = %(program)s AND customer_id = %(customer)s AND kind = '{_WALLET}' RETURNING id, owed")
_INSERT_ENTRY_FROM_LIABILITY = (f"INSERT INTO {Entry._meta.db_table} (movement_id, debit_id, credit_id, points, lot_id) "
                                f"SELECT %s, id, %s, %s, %s FROM {Account._meta.db_table} WHERE program_id = %s AND kind = '{_LIABILITY}' AND {_SYSTEM}")


def _earn_step_by_step(cursor, v: dict) -> tuple | None:
    """The earning's four statements one by one (SQLite, whose WITH cannot write): the wallet's id and
    what it owed, the movement's and the lot's ids, whether the liability took the entry; None
    without a wallet."""
    cursor.execute(_CREDIT_WALLET, v)
    if (row := cursor.fetchone()) is None:
        return None
    wallet_id, owed = row
    movement_id = sql.insert(Movement, {"program_id": v["program"], "kind": v["kind"], "customer_id": v["customer"],
                                        "points": v["points"], "reason": v["reason"], "reference": v["reference"],
                                        "created_at": v["at"]}, cursor=cursor)
    lot_id = sql.insert(Lot, {"wallet_id": wallet_id, "movement_id": movement_id, "points": v["points"], "remaining": v["points"],
                              "earned_at": v["at"], "expires_at": v["expires"]}, cursor=cursor)
    cursor.execute(_INSERT_ENTRY_FROM_LIABILITY, [movement_id, wallet_id, v["points"], lot_id, v["program"]])
    return wallet_id, owed, movement_id, lot_id, cursor.rowcount == 1


_EARN = f"""WITH w AS ({_CREDIT_WALLET}),
m AS (INSERT INTO {Movement._meta.db_table} (program_id, kind, customer_id, points, reason, reference, created_at)
      SELECT %(program)s, %(kind)s, %(customer)s, %(points)s, %(reason)s, %(reference)s, %(at)s FROM w RETURNING id),
l AS (INSERT INTO {Lot._meta.db_table} (wallet_id, movement_id, points, remaining, earned_at, expires_at)
      SELECT w.id, m.id, %(points)s, %(points)s, %(at)s, %(expires)s FROM w, m RETURNING id, wallet_id, movement_id),
e AS (INSERT INTO {Entry._meta.db_table} (movement_id, debit_id, credit_id, points, lot_id)
      SELECT l.movement_id, a.id, l.wallet_id, %(points)s, l.id FROM l, {Account._meta.db_table} a
      WHERE a.program_id = %(program)s AND a.kind = '{_LIABILITY}' RETURNING id)
SELECT w.id, w.owed, m.id, l.id, (SELECT COUNT(*) FROM e) = 1 FROM w, m, l"""


def _earn_in_one_statement(cursor, v: dict) -> tuple | None:
    """The same four writes as one statement on PostgreSQL: one round trip, one plan."""
    cursor.execute(_EARN, v)
    return cursor.fetchone()


def _draw(movement: Movement, account: Account, to: Account, points: int, *, newest_first: bool = False) -> int:
    """Move up to `points` out of the wallet's lots (closest to expiry first); returns what was drawn."""
    lots = Lot.objects.select_for_update().filter(wallet=account, remaining__gt=0)
    if newest_first:
        lots = lots.order_by("-earned_at", "-id")
    else:
        lots = lots.order_by(F("expires_at").asc(nulls_last=True), "earned_at", "id")
    left = points
    for lot in lots:
        if not left:
            break
        take = min(lot.remaining, left)
        Lot.objects.filter(pk=lot.pk).update(remaining=F("remaining") - take)
        _post(movement, account, to, take, lot)
        left -= take
    return points - left


@transaction.atomic
def redeem(program: Program, customer: Customer, points: int, *, reason: str = "", reference: str = "",
           at: dt.datetime | None = None) -> Movement:
    """Spend `points` from the wallet, drawing from the lots closest to expiry; InsufficientPoints if it holds fewer."""
    points = _check_points(points)
    account = wallet(program, customer, lock=True)
    if account.balance < points:
        raise InsufficientPoints(f"the wallet holds {account.balance} points; {points} are needed", balance=account.balance, needed=points)
    movement = Movement.objects.create(program=program, kind=Movement.Kind.REDEEM, customer=customer, points=-points,
                                       reason=reason, reference=reference, created_at=at or timezone.now())
    drawn = _draw(movement, account, system_account(program, Account.Kind.REDEEMED), points)
    if drawn != points:  # the balance said yes but the lots say no: the books are broken; refuse and roll back
        raise RuntimeError(f"wallet {account.pk}: balance {account.balance} but only {drawn} points in its lots")
    return movement


@transaction.atomic
def adjust(program: Program, customer: Customer, points: int, *, reason: str, by: str = "", actor=None,
           at: dt.datetime | None = None) -> Movement:
    """A goodwill grant (points > 0) or a correction (points < 0) by staff; the reason is required.

    Recorded in the audit log under `actor` (a staff user) or `by` (a name).
    """
    if not (reason or "").strip():
        raise InvalidInput("an adjustment needs a reason", field="reason")
    if isinstance(points, bool) or not isinstance(points, int) or points == 0:
        raise InvalidInput(f"points must be a whole number other than zero, not {points!r}", field="points")
    by = by or (actor.get_username() if actor is not None else "")
    note = f"{reason.strip()} ({by})" if by else reason.strip()
    audit.record(actor or by or None, audit.GRANT if points > 0 else audit.ADJUST, f"customer:{customer.external_id}",
                 program=program.name, points=points, reason=reason.strip())
    if points > 0:
        return earn(program, customer, points, kind=Movement.Kind.ADJUST, reason=note, at=at)
    account = wallet(program, customer, lock=True)
    if account.balance < -points:
        raise InsufficientPoints(f"the wallet holds {account.balance} points; cannot take {-points}", balance=account.balance, needed=-points)
    movement = Movement.objects.create(program=program, kind=Movement.Kind.ADJUST, customer=customer, points=points,
                                       reason=note, created_at=at or timezone.now())
    _draw(movement, account, system_account(program, Account.Kind.LIABILITY), -points)
    return movement


@transaction.atomic
def reverse(program: Program, customer: Customer, points: int, *, reason: str, reference: str = "",
            at: dt.datetime | None = None) -> Movement:
    """Take back points earned on a refunded purchase. Points already spent are handled by the
    program's refund policy: a negative balance, or a claw-back from the next earnings."""
    points = _check_points(points)
    account = wallet(program, customer, lock=True)
    movement = Movement.objects.create(program=program, kind=Movement.Kind.REVERSE, customer=customer, points=-points,
                                       reason=reason, reference=reference, created_at=at or timezone.now())
    liability = system_account(program, Account.Kind.LIABILITY)
    drawn = _draw(movement, account, liability, min(points, max(account.balance, 0)), newest_first=True)
    short = points - drawn
    if short and program.refund_policy == Program.RefundPolicy.NEGATIVE_BALANCE:
        _post(movement, account, liability, short)  # no lot backs it: the wallet goes below zero
    elif short:
        # The movement keeps the full amount taken back; what the wallet could not give is owed.
        Account.objects.filter(pk=account.pk).update(owed=F("owed") + short)
    return movement


def earn_many(program: Program, earnings: list[tuple[int, int, str, str, dt.datetime]]) -> None:
    """Credit many earnings at once, each as `earn` would: (customer_id, points, reason, reference, at)
    becomes a movement, its lot and its entry from the program's liability, a few statements per 500.
    The caller's transaction holds them; a reference earned before fails it (IntegrityError)."""
    earnings = [e for e in earnings if e[1] > 0]
    if not earnings:
        return
    liability = system_account(program, Account.Kind.LIABILITY).pk
    customers = {customer for customer, *_ in earnings}
    Account.objects.bulk_create([Account(program=program, kind=Account.Kind.WALLET, customer_id=c) for c in customers],
                                ignore_conflicts=True)
    wallets = dict(Account.objects.filter(program=program, kind=Account.Kind.WALLET, customer_id__in=customers)
                   .values_list("customer_id", "pk"))
    movements = sql.insert_many(Movement, ("program", "kind", "customer", "points", "reason", "reference", "created_at"), [
        (program.pk, Movement.Kind.EARN.value, customer, points, reason[:200], reference, at)
        for customer, points, reason, reference, at in earnings])
    expiry = dt.timedelta(days=program.expiry_days) if program.expiry_days else None
    lots = sql.insert_many(Lot, ("wallet", "movement", "points", "remaining", "earned_at", "expires_at"), [
        (wallets[customer], movement, points, points, at, at + expiry if expiry else None)
        for movement, (customer, points, _, _, at) in zip(movements, earnings)])
    sql.insert_many(Entry, ("movement", "debit", "credit", "points", "lot"), [
        (movement, liability, wallets[customer], points, lot) for movement, lot, (customer, points, *_) in zip(movements, lots, earnings)])
    per_wallet: dict[int, int] = {}
    for customer, points, *_ in earnings:
        per_wallet[wallets[customer]] = per_wallet.get(wallets[customer], 0) + points
    add_to_wallet_balances(per_wallet)


def add_to_wallet_balances(deltas: dict[int, int]) -> None:
    """Change many wallets' cached balances: one prepared statement run for each wallet."""
    with connection.cursor() as cursor:
        cursor.executemany(f"UPDATE {Account._meta.db_table} SET balance = balance + %s WHERE id = %s AND kind = %s",
                           [(delta, pk, Account.Kind.WALLET.value) for pk, delta in deltas.items() if delta])


def expire_lots(now: dt.datetime | None = None, batch: int = 2000) -> int:
    """Expire every lot past its date, set-wise in batches (one transaction each); returns the lots expired.

    The batch's wallets are locked first (in id order, so two runs cannot deadlock), then each lot's
    remaining points are read under that lock, so a redemption running at the same time either drew
    them before or finds them gone."""
    now = now or timezone.now()
    done = 0
    while True:
        with transaction.atomic():
            due = list(Lot.objects.filter(remaining__gt=0, expires_at__lte=now).order_by("id").values_list("pk", "wallet_id")[:batch])
            if not due:
                return done
            wallet_ids = sorted({wallet_id for _, wallet_id in due})
            wallets = {a.pk: a for a in Account.objects.select_for_update().filter(pk__in=wallet_ids).order_by("pk").select_related("program")}
            lots = list(Lot.objects.select_for_update().filter(pk__in=[pk for pk, _ in due], remaining__gt=0).order_by("pk"))
            movements = Movement.objects.bulk_create([
                Movement(program=wallets[lot.wallet_id].program, kind=Movement.Kind.EXPIRE, customer_id=wallets[lot.wallet_id].customer_id,
                         points=-lot.remaining, reason="expired", created_at=now) for lot in lots])
            expired = {pid: system_account(program, Account.Kind.EXPIRED).pk
                       for pid, program in {w.program_id: w.program for w in wallets.values()}.items()}
            Entry.objects.bulk_create([Entry(movement=m, debit_id=lot.wallet_id, credit_id=expired[wallets[lot.wallet_id].program_id],
                                             points=lot.remaining, lot=lot) for m, lot in zip(movements, lots)])
            Lot.objects.filter(pk__in=[lot.pk for lot in lots]).update(remaining=0)
            deltas: dict[int, int] = {}
            for lot in lots:
                deltas[lot.wallet_id] = deltas.get(lot.wallet_id, 0) - lot.remaining
            add_to_wallet_balances(deltas)
            done += len(lots)


@dataclass
class Discrepancy:
    what: str
    expected: int
    found: int

    def __str__(self) -> str:
        return f"{self.what}: entries say {self.expected}, stored {self.found}"


def verify() -> list[Discrepancy]:
    """Recompute every balance and every lot from the entries; an empty list means the books are right."""
    problems: list[Discrepancy] = []
    credits = dict(Entry.objects.values("credit").annotate(s=Sum("points")).values_list("credit", "s"))
    debits = dict(Entry.objects.values("debit").annotate(s=Sum("points")).values_list("debit", "s"))
    total = 0
    for account_id, cached, kind in Account.objects.values_list("pk", "balance", "kind").iterator():
        expected = (credits.get(account_id) or 0) - (debits.get(account_id) or 0)
        if kind != Account.Kind.WALLET:  # system accounts cache nothing: their entries are their balance
            total += expected
            continue
        total += cached
        if expected != cached:
            problems.append(Discrepancy(f"account {account_id} ({kind}) balance", expected, cached))
    if total != 0:
        problems.append(Discrepancy("sum over all accounts", 0, total))
    into = dict(Entry.objects.filter(lot__isnull=False, credit=F("lot__wallet")).values("lot").annotate(s=Sum("points")).values_list("lot", "s"))
    out = dict(Entry.objects.filter(lot__isnull=False, debit=F("lot__wallet")).values("lot").annotate(s=Sum("points")).values_list("lot", "s"))
    for lot_id, points, remaining in Lot.objects.values_list("pk", "points", "remaining").iterator():
        expected = (into.get(lot_id) or 0) - (out.get(lot_id) or 0)
        if expected != remaining:
            problems.append(Discrepancy(f"lot {lot_id} remaining", expected, remaining))
        if (into.get(lot_id) or 0) != points:
            problems.append(Discrepancy(f"lot {lot_id} earned", into.get(lot_id) or 0, points))
    return problems


COUPON_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I: codes are read aloud and typed


def _coupon_code() -> str:
    body = "".join(secrets.choice(COUPON_ALPHABET) for _ in range(16))  # 80 bits
    return "-".join(body[i:i + 4] for i in range(0, 16, 4))


def get_reward(reward_id: int) -> Reward:
    try:
        return Reward.objects.select_related("program").get(pk=reward_id)
    except (Reward.DoesNotExist, ValueError, TypeError):
        raise RewardNotFound(f"no reward {reward_id!r}") from None


@transaction.atomic
def redeem_reward(customer: Customer, reward: Reward, *, at: dt.datetime | None = None) -> Coupon:
    """Spend the reward's cost and issue its coupon; the stock, the points and the coupon change together."""
    at = at or timezone.now()
    if not reward.active or (reward.valid_from and at < reward.valid_from) or (reward.valid_until and at >= reward.valid_until):
        raise RewardNotAvailable(f"{reward.name} cannot be redeemed now")
    if reward.min_tier_id is not None:
        tier = current_tier(reward.program, customer)
        if tier is None or tier.rank < reward.min_tier.rank:
            raise RewardNotAvailable(f"{reward.name} is for {reward.min_tier.name} members and above")
    if reward.members_only and paid.perks(reward.program, customer) is None:
        raise RewardNotAvailable(f"{reward.name} is for paid members")
    if reward.stock is not None:
        # A conditional update, not a read then a write: two redemptions of the last one cannot both pass.
        if not Reward.objects.filter(pk=reward.pk, stock__gt=0).update(stock=F("stock") - 1):
            raise RewardOutOfStock(f"{reward.name} is out of stock")
    movement = redeem(reward.program, customer, reward.cost, reason=f"reward: {reward.name}", reference=f"reward:{reward.pk}", at=at)
    return Coupon.objects.create(code=_coupon_code(), reward=reward, customer=customer, movement=movement, issued_at=at)


def gift_coupons(reward: Reward, customer_ids: list[int], *, reason: str, at: dt.datetime | None = None,
                 expires_at: dt.datetime | None = None) -> dict[int, str]:
    """A coupon for the reward to each customer, free of points (a journey's gift); {customer id: code}.

    Gifts come out of the reward's stock like redemptions: when the stock runs short, none are issued.
    """
    at = at or timezone.now()
    if not customer_ids:
        return {}
    if reward.stock is not None:
        n = len(customer_ids)
        if not Reward.objects.filter(pk=reward.pk, stock__gte=n).update(stock=F("stock") - n):
            raise RewardOutOfStock(f"{reward.name} has fewer than {n} left")
    codes = {customer_id: _coupon_code() for customer_id in customer_ids}
    Coupon.objects.bulk_create(
        [Coupon(code=code, reward=reward, customer_id=customer_id, issued_at=at, reason=reason[:200], expires_at=expires_at)
         for customer_id, code in codes.items()], batch_size=2000)
    return codes


def use_coupon(code: str, *, reference: str = "", at: dt.datetime | None = None) -> Coupon:
    """Mark a coupon used, once: a second use (even at the same moment) gets CouponUsed."""
    code = (code or "").strip().upper()
    at = at or timezone.now()
    coupon = Coupon.objects.filter(code=code).first()
    if coupon is None:
        raise CouponNotFound(f"no coupon {code!r}")
    if coupon.expires_at is not None and at >= coupon.expires_at:
        raise CouponExpired(f"coupon {code} expired on {coupon.expires_at:%Y-%m-%d}")
    if not Coupon.objects.filter(code=code, used_at__isnull=True).update(used_at=at, used_reference=reference):
        raise CouponUsed(f"coupon {code} was already used")
    return Coupon.objects.select_related("reward").get(code=code)
