"""Credits: the auto-order add-on is active while a team has credits; one is spent per
successful order, exactly once (the ledger key is unique per order)."""

import uuid

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from autoorder import notifications
from autoorder.extensions import db
from autoorder.models import CreditEntry, CreditPackage


def balance(team_id: int) -> int:
    """Return the team's credit balance (the sum of its ledger)."""
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
