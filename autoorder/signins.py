"""Sign-ins: the audit trail of every attempt and the login throttle built on it.

Attempts are rows in ``sign_ins`` (the database, not Redis: a flushed Redis must not reset the
throttle, and the same rows are the audit the team admin and the operator read). The throttle is a
sliding window, never a permanent lock-out: an account is refused for at most ``WINDOW`` after its
``ACCOUNT_FAILURES``-th failure in a row, an address after ``IP_FAILURES`` failures in the window.
"""

from datetime import timedelta

from sqlalchemy import select

from autoorder import clock
from autoorder.extensions import db
from autoorder.models import SignIn

WINDOW = timedelta(minutes=15)
ACCOUNT_FAILURES = 5  # per e-mail address, since its last successful sign-in
IP_FAILURES = 20  # per client address, any accounts
FAILURES = ("wrong_password", "unknown_user", "inactive")


def retry_after(email: str, ip: str) -> timedelta | None:
    """Return how long this account or address must wait before trying again, or None."""
    now = clock.now()
    since = now - WINDOW
    last_ok = db.session.scalar(
        select(SignIn.at)
        .where(SignIn.email == email, SignIn.result == "ok", SignIn.at >= since)
        .order_by(SignIn.at.desc())
        .limit(1)
    )
    waits = [
        _wait(SignIn.email == email, max(since, last_ok) if last_ok else since, ACCOUNT_FAILURES),
        _wait(SignIn.ip == ip, since, IP_FAILURES),
    ]
    waits = [w - now for w in waits if w is not None and w > now]
    return max(waits) if waits else None


def _wait(who, since, limit):
    """When the limit-th newest failure leaves the window (None if fewer failures)."""
    times = db.session.scalars(
        select(SignIn.at)
        .where(who, SignIn.result.in_(FAILURES), SignIn.at > since)
        .order_by(SignIn.at.desc())
        .limit(limit)
    ).all()
    return times[limit - 1] + WINDOW if len(times) >= limit else None


def record(email: str, ip: str, result: str, *, user=None, user_agent: str | None = None) -> SignIn:
    """Add one attempt to the audit (the caller commits)."""
    entry = SignIn(
        email=email[:255],
        ip=(ip or "unknown")[:64],
        result=result,
        user_id=user.id if user is not None else None,
        team_id=user.team_id if user is not None else None,
        user_agent=(user_agent or "")[:255] or None,
        at=clock.now(),
    )
    db.session.add(entry)
    return entry


def in_words(wait: timedelta) -> str:
    minutes = max(1, -(-int(wait.total_seconds()) // 60))
    return f"{minutes} minute{'s' if minutes != 1 else ''}"
