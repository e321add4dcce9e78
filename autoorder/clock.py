"""The one clock. Code asks ``clock.now()``; tests replace it to run days of schedule in seconds."""

from datetime import UTC, datetime, timedelta

_offset = timedelta(0)
_frozen = None


def now() -> datetime:
    """Return the current time, timezone-aware in UTC."""
    if _frozen is not None:
        return _frozen
    return datetime.now(UTC) + _offset


def freeze(at: datetime) -> None:
    """Stop the clock at ``at`` (tests)."""
    global _frozen
    _frozen = at.astimezone(UTC)


def advance(seconds: float) -> None:
    """Move the clock forward, frozen or not (tests)."""
    global _frozen, _offset
    if _frozen is not None:
        _frozen += timedelta(seconds=seconds)
    else:
        _offset += timedelta(seconds=seconds)


def reset() -> None:
    global _frozen, _offset
    _frozen, _offset = None, timedelta(0)
