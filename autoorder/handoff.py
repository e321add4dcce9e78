"""The human hand-off: a supplier challenge a bot cannot pass (a slider, a captcha, a one-time
code) is handed to a person, who passes it from the dashboard's live view; then the sale goes back
in line and is bought by the normal order path, in the session the person unlocked.

The life of a hand-off (``Handoff.status``, the state of record, in the database):

    waiting ──(the hand-off process shows the challenge)──▶ live
    waiting | live ──▶ passed      the challenge is gone: the bot's session is saved and the sale
                                   goes back to WAITING (the order job buys it, at most once)
    waiting | live ──▶ gave_up     a person pressed "Give up"
    waiting | live ──▶ timed_out   nobody passed it within AUTOORDER_HANDOFF_SECONDS
    waiting | live ──▶ failed      the supplier's page did something the hand-off cannot follow
    (every end but "passed" leaves the sale "needs attention", nothing bought)

Every end is one conditional UPDATE (``WHERE status IN ('waiting','live')``), so a person's "Give
up" and the process's "passed" cannot both win. The order's cart meanwhile is NEEDS_YOU (no lease
runs out under it); its purchase attempt ended NOT_PLACED before the hand-off began (a challenge
is met before the place-order click — after it, the usual recovery runs instead).
"""

import logging
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select, update

from autoorder import clock, orders
from autoorder.extensions import db
from autoorder.models import Handoff, Order
from autoorder.orders import AttemptState as A
from autoorder.orders import OrderStatus as S
from autoorder.scrapers.base import CHALLENGE_KINDS

log = logging.getLogger(__name__)

OPEN = ("waiting", "live")
ENDS = ("passed", "gave_up", "timed_out", "failed")
# What a person can pass from the live view; "blocked" (the site refused the account) is not.
PERSON_KINDS = frozenset(CHALLENGE_KINDS) - {"blocked"}
CODE_KINDS = frozenset({"code"})  # the page shows a code box for these
NEEDS_YOU = "needs you"  # purchasing.buy's outcome when it handed the sale to a person
STALE_SECONDS = 30  # a hand-off process that has not beaten for this long is presumed gone


def wanted(exc) -> bool:
    """Whether a supplier error is a challenge a person can pass (a BlockedError of such a kind)."""
    return getattr(exc, "code", None) == "challenge" and getattr(exc, "challenge", "") in (
        PERSON_KINDS
    )


def time_limit() -> timedelta:
    return timedelta(seconds=int(current_app.config.get("HANDOFF_SECONDS") or 600))


def begin(order: Order, attempt, exc, supplier_name: str) -> str:
    """Hand the sale to a person: the attempt ends NOT_PLACED (nothing was clicked), a Handoff row
    is opened and the cart shows "needs you" with the reason. Commits; returns NEEDS_YOU."""
    orders.set_attempt_state(
        attempt, A.NOT_PLACED, error_code="challenge", error_message=exc.message[:500]
    )
    now = clock.now()
    handoff = Handoff(
        team_id=order.team_id,
        order_id=order.id,
        bot_id=order.bot_id,
        attempt_id=attempt.id,
        kind=exc.challenge,
        message=exc.message[:2000],
        status="waiting",
        created_at=now,
        expires_at=now + time_limit(),
    )
    db.session.add(handoff)
    minutes = max(1, round(time_limit().total_seconds() / 60))
    orders.fail(
        order,
        S.NEEDS_YOU,
        code="challenge",
        message=(
            f"{supplier_name} asks for {CHALLENGE_KINDS[exc.challenge]}: press Solve to pass it "
            f"in the bot's browser within {minutes} minutes; the bot then buys the sale by itself."
        ),
    )
    db.session.flush()
    _tell_team(order, "needs_you", handoff)
    db.session.commit()
    log.info("order %s: handed to a person (%s, hand-off %s)", order.id, exc.challenge, handoff.id)
    return NEEDS_YOU


def _tell_team(order: Order, event: str, handoff: Handoff) -> None:
    """The one place a hand-off tells the team something happened ("needs_you", "passed",
    "timed_out"). The dashboard shows it (the badge, the order row); the message to the team's
    targets goes out from ``orders.fail`` (notifications.order_needs_you: once per sale), so a
    hand-off that ends unsolved does not send a second one."""
    log.debug("order %s: hand-off %s %s", order.id, handoff.id, event)


def open_for_bot(bot_id: int) -> Handoff | None:
    """The bot's open hand-off: its supplier account waits for a person, so no other checkout on
    it starts meanwhile (it would meet the same challenge)."""
    return db.session.scalar(
        select(Handoff).where(Handoff.bot_id == bot_id, Handoff.status.in_(OPEN)).limit(1)
    )


def latest_for_order(order_id: int) -> Handoff | None:
    return db.session.scalar(
        select(Handoff).where(Handoff.order_id == order_id).order_by(Handoff.id.desc()).limit(1)
    )


def waiting_count(team_id: int) -> int:
    """Sales of the team that wait for a person (the dashboard's badge): its open hand-offs."""
    return db.session.scalar(
        select(func.count(Handoff.id)).where(Handoff.team_id == team_id, Handoff.status.in_(OPEN))
    )


def beat(handoff_id: int, worker: str, *, live: bool = False) -> bool:
    """The hand-off process is alive (and, ``live``, shows the challenge). False once the
    hand-off has ended (a person gave up, it timed out) or another process took it. Commits."""
    now = clock.now()
    values = {"seen_at": now, "worker": worker}
    if live:
        values |= {"status": "live", "live_at": now}
    result = db.session.execute(
        update(Handoff)
        .where(
            Handoff.id == handoff_id,
            Handoff.status.in_(OPEN),
            (Handoff.worker.is_(None)) | (Handoff.worker == worker),
        )
        .values(values)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount == 1


def take(handoff_id: int, worker: str) -> bool:
    """Serve an open hand-off: free, or its process stopped beating (a lost worker). Commits."""
    stale = clock.now() - timedelta(seconds=STALE_SECONDS)
    result = db.session.execute(
        update(Handoff)
        .where(
            Handoff.id == handoff_id,
            Handoff.status.in_(OPEN),
            Handoff.worker.is_(None) | (Handoff.worker == worker) | (Handoff.seen_at < stale),
        )
        .values(worker=worker, seen_at=clock.now(), status="waiting")
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount == 1


OUTCOMES = {
    "passed": "the challenge was passed; the bot buys the sale with the saved session",
    "gave_up": "a person gave up on the challenge; nothing was bought",
    "timed_out": "nobody passed the challenge in time; nothing was bought",
    "failed": "the hand-off could not go on; nothing was bought",
}


def end(handoff_id: int, status: str, *, actor: str = "system", detail: str = "") -> bool:
    """End an open hand-off as ``status`` (one of ENDS) and move its sale on: passed → back in
    line (WAITING, due now); anything else → needs attention. Only one end wins. Commits."""
    if status not in ENDS:
        raise ValueError(f"not an end of a hand-off: {status!r}")
    outcome = OUTCOMES[status] + (f" ({detail})" if detail else "")
    now = clock.now()
    result = db.session.execute(
        update(Handoff)
        .where(Handoff.id == handoff_id, Handoff.status.in_(OPEN))
        .values(status=status, ended_at=now, ended_by=actor[:128], outcome=outcome[:2000])
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.rollback()
        return False
    handoff = db.session.get(Handoff, handoff_id)
    db.session.refresh(handoff)
    order = db.session.get(Order, handoff.order_id)
    if order.status == S.NEEDS_YOU:
        if status == "passed":
            order.order_after = min(order.order_after, now)
            orders.transition(order, S.WAITING, reason=f"hand-off: {outcome}", actor=actor)
        else:
            orders.fail(
                order,
                S.NEEDS_ATTENTION,
                code="challenge",
                actor=actor,
                message=(
                    f"{handoff.message} — {outcome}. Retry to meet the challenge again, or buy it "
                    "by hand and mark it ordered."
                ),
            )
    _tell_team(order, status, handoff)
    db.session.commit()
    log.info("hand-off %s (order %s): %s", handoff_id, order.id, status)
    return True


def due_to_end() -> list[int]:
    """Open hand-offs past their time limit."""
    return list(
        db.session.scalars(
            select(Handoff.id).where(Handoff.status.in_(OPEN), Handoff.expires_at < clock.now())
        )
    )


def unserved() -> list[int]:
    """Open hand-offs within their time limit that no live process serves (never taken, or its
    process stopped beating): the duty enqueues them again."""
    stale = clock.now() - timedelta(seconds=STALE_SECONDS)
    return list(
        db.session.scalars(
            select(Handoff.id).where(
                Handoff.status.in_(OPEN),
                Handoff.expires_at >= clock.now(),
                Handoff.seen_at.is_(None) | (Handoff.seen_at < stale),
            )
        )
    )
