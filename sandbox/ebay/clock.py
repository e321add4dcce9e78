"""The emulator's UTC clock, and eBay's timestamp format.

Tests inject a clock that starts at a fixed instant. Any clock can be moved forward with
``POST /sandbox/clock``, for example to expire access tokens.
"""

from __future__ import annotations

import re
import threading
import time
from datetime import UTC, datetime, timedelta


class Clock:
    """Real time plus an offset, or, with ``start``, a frozen instant that moves only by
    ``advance``."""

    def __init__(self, start: datetime | None = None):
        if start is not None and start.tzinfo is None:
            start = start.replace(tzinfo=UTC)
        self._start = start
        self._offset = 0.0
        self._lock = threading.Lock()

    @property
    def frozen(self) -> bool:
        return self._start is not None

    def now(self) -> datetime:
        with self._lock:
            offset = self._offset
        base = self._start if self._start is not None else datetime.fromtimestamp(time.time(), UTC)
        return base + timedelta(seconds=offset)

    def advance(self, seconds: float) -> datetime:
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        with self._lock:
            self._offset += float(seconds)
        return self.now()


def iso(dt: datetime) -> str:
    """eBay's format: ``2015-08-04T19:09:02.768Z`` (UTC, milliseconds)."""
    dt = dt.astimezone(UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


_ISO_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?(Z|[+-]\d{2}:\d{2})$"
)


def parse_iso(text: str) -> datetime:
    """Parse an ISO 8601 UTC timestamp as eBay takes it (``Z`` or an explicit offset). Raises
    ValueError."""
    if not isinstance(text, str):
        raise ValueError("timestamp must be a string")
    m = _ISO_RE.match(text.strip())
    if not m:
        raise ValueError(f"not an ISO 8601 timestamp: {text!r}")
    frac = (m.group(7) or "0").ljust(6, "0")
    tz = m.group(8)
    stamp = f"{m.group(1)}-{m.group(2)}-{m.group(3)}T{m.group(4)}:{m.group(5)}:{m.group(6)}.{frac}"
    stamp += "+00:00" if tz == "Z" else tz
    return datetime.fromisoformat(stamp).astimezone(UTC)
