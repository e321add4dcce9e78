"""Credits: the auto-order add-on is active while a team has credits; one is spent per
successful order, exactly once (the ledger key is unique per order).

The ledger (``credit_entries``, append-only) is the truth; each team's balance is also kept in
``credit_balances``, updated in the same transaction as every ledger insert (see
``models.credits.CreditBalance``), so the balance the navigation shows on every page is one row,
not a sum over the team's whole ledger. ``recompute_balances`` rebuilds it from the ledger.
"""

import uuid

from sqlalchemy import delete, func, select, text
from sqlalchemy.exc import IntegrityError

from autoorder import notifications
from autoorder.extensions import db
from autoorder.models import CreditBalance, CreditEntry, CreditPackage


def balance(team_id: int) -> int:
    """Return the team's credit balance (the maintained sum of its ledger: one row)."""
    return CreditEntry.balance(team_id)


def has_credits(team_id: int) -> bool:
    return balance(team_id) > 0


def record_package_purchase(
    team_id: int, package: CreditPackage, *, actor: str, payment_reference: str | None = None
) -> CreditEntry:
    """Book a paid package's credits. The payment step itself lives outside (see payments).

    ``payment_reference`` makes the booking idempotent: the same payment is credited once.
    """
    key = f"purchase:{payment_reference or uuid.uuid4().hex}"
    existing = db.session.scalar(select(CreditEntry).where(CreditEntry.key == key))
    if existing is not None:
        return existing
    entry = CreditEntry(
        team_id=team_id,
        key=key,
        delta=package.credits,
        reason="purchase",
        package_id=package.id,
        actor=actor,
        note=package.name,
    )
    db.session.add(entry)
    return entry


def spend_for_order(team_id: int, order_id: int) -> bool:
    """Spend one credit for a bought order; False if already spent. Does not commit."""
    entry = CreditEntry(
        team_id=team_id,
        key=f"order:{order_id}",
        delta=-1,
        reason="order",
        order_id=order_id,
        note="order placed",
    )
    try:
        with db.session.begin_nested():
            db.session.add(entry)
    except IntegrityError:
        return False
    notifications.credits_spent(team_id)  # low (the team's threshold) or out: told once a day
    return True


def spent_for_order(order_id: int) -> CreditEntry | None:
    return db.session.scalar(select(CreditEntry).where(CreditEntry.key == f"order:{order_id}"))


def check_balances() -> list[tuple[int, int, int]]:
    """(team, maintained balance, ledger sum) for each team whose balance row disagrees with
    the sum of its ledger (a scan of the ledger: for the repair command and tests)."""
    kept = dict(db.session.execute(select(CreditBalance.team_id, CreditBalance.balance)).all())
    summed = {
        team_id: int(total)
        for team_id, total in db.session.execute(
            select(CreditEntry.team_id, func.sum(CreditEntry.delta)).group_by(CreditEntry.team_id)
        )
    }
    return [
        (team_id, kept.get(team_id, 0), summed.get(team_id, 0))
        for team_id in sorted(set(kept) | set(summed))
        if kept.get(team_id, 0) != summed.get(team_id, 0)
    ]


def recompute_balances() -> int:
    """Recompute every team's balance row from its ledger; return the teams whose row changed.

    On PostgreSQL under an EXCLUSIVE lock on ``credit_balances``: a ledger insert committed
    before the lock is in the sum; one not yet committed adds its delta after (its upsert waits
    for the lock), so none is counted twice or lost. Commits."""
    wrong = len(check_balances())
    session = db.session
    if session.get_bind().dialect.name != "sqlite":
        session.execute(text("LOCK TABLE credit_balances IN EXCLUSIVE MODE"))
    session.execute(delete(CreditBalance))
    session.execute(
        text(
            "INSERT INTO credit_balances (team_id, balance) "
            "SELECT team_id, sum(delta) FROM credit_entries GROUP BY team_id"
        )
    )
    session.commit()
    return wrong
