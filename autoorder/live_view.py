"""The live view's transport: the bot's browser frames out, a person's input in, through Redis.

The hand-off process (jobs/handoff.py) holds the browser; the web process never does. Per hand-off
two short-lived keys carry everything, and losing either loses nothing of record (the hand-off's
state is in the database; a lost frame is replaced by the next, a lost click is clicked again):

* ``handoff:<id>:frames`` — a Redis stream of the newest JPEG frames (at most FRAMES_KEPT), each
  with the page's size in CSS pixels; a frame request waits on it with XREAD BLOCK, so a new frame
  reaches the page as soon as Chromium paints it (a long poll: no thread held for minutes, no port).
* ``handoff:<id>:input`` — a list of the person's input events (JSON), taken by the process.

Both expire KEY_TTL seconds after their last write (the process refreshes the frames while it
lives), so an ended or abandoned hand-off leaves nothing behind.
"""

import json
import math
import re

FRAMES_KEPT = 3
KEY_TTL = 60  # seconds
MAX_EVENTS = 64  # per request: a drag sends its moves in batches
MAX_TEXT = 256
MAX_COORD = 10_000  # CSS pixels
# Key names a person may press (Playwright's names): single characters or named keys.
KEY_NAME = re.compile(r"^(?:[^\x00-\x1f\x7f]|[A-Z][A-Za-z0-9]{1,15})$")
MOUSE_EVENTS = ("down", "up", "move", "click")
BUTTONS = ("left", "right", "middle")


class InputError(ValueError):
    """An input event the live view does not pass on; the message says why."""


def frames_key(handoff_id: int) -> str:
    return f"handoff:{handoff_id}:frames"


def input_key(handoff_id: int) -> str:
    return f"handoff:{handoff_id}:input"


# --- frames: written by the hand-off process, read by the web process -----------------------------
def publish_frame(redis, handoff_id: int, jpeg: bytes, width: int, height: int) -> None:
    key = frames_key(handoff_id)
    pipe = redis.pipeline(transaction=False)
    pipe.xadd(key, {"jpeg": jpeg, "w": width, "h": height}, maxlen=FRAMES_KEPT, approximate=False)
    pipe.expire(key, KEY_TTL)
    pipe.execute()


def keep_alive(redis, handoff_id: int) -> None:
    """Keep the last frame while the page does not change (a still page sends no new frames)."""
    redis.expire(frames_key(handoff_id), KEY_TTL)


def frame_after(redis, handoff_id: int, after: str | None, wait_ms: int = 1000) -> dict | None:
    """The newest frame later than stream id ``after`` (any frame when None), waiting up to
    ``wait_ms`` for one; None when there is none. Returns {id, jpeg, w, h}."""
    key = frames_key(handoff_id)
    newest = redis.xrevrange(key, count=1)
    if newest and (after is None or _later(newest[0][0], after)):
        return _frame(*newest[0])
    if wait_ms <= 0:
        return None
    start = after if after is not None else "$"
    got = redis.xread({key: start}, count=FRAMES_KEPT, block=wait_ms)
    if not got:
        return None
    entries = got[0][1]
    return _frame(*entries[-1])


def _later(stream_id, after: str) -> bool:
    def parts(value):
        value = value.decode() if isinstance(value, bytes) else str(value)
        ms, _, seq = value.partition("-")
        return int(ms), int(seq or 0)

    try:
        return parts(stream_id) > parts(after)
    except ValueError:
        return True


def _frame(stream_id, fields) -> dict:
    def get(name):
        return fields.get(name.encode(), fields.get(name))

    ident = stream_id.decode() if isinstance(stream_id, bytes) else stream_id
    return {"id": ident, "jpeg": get("jpeg"), "w": int(get("w")), "h": int(get("h"))}


def valid_after(value: str | None) -> str | None:
    """A stream id from the page (``<ms>-<seq>``), or None for anything else."""
    if value and re.fullmatch(r"\d{1,15}-\d{1,10}", value):
        return value
    return None


# --- input: pushed by the web process, taken by the hand-off process ------------------------------
def push_input(redis, handoff_id: int, events: list[dict]) -> None:
    key = input_key(handoff_id)
    pipe = redis.pipeline(transaction=False)
    pipe.rpush(key, *[json.dumps(event, separators=(",", ":")) for event in events])
    pipe.expire(key, KEY_TTL)
    pipe.execute()


def take_input(redis, handoff_id: int, limit: int = 200) -> list[dict]:
    """The events waiting, oldest first (taken atomically: each is applied once)."""
    key = input_key(handoff_id)
    pipe = redis.pipeline(transaction=True)
    pipe.lrange(key, 0, limit - 1)
    pipe.ltrim(key, limit, -1)
    raw, _ = pipe.execute()
    return [json.loads(item) for item in raw]


def clear(redis, handoff_id: int) -> None:
    redis.delete(frames_key(handoff_id), input_key(handoff_id))


def _number(event, name, low=0.0, high=MAX_COORD) -> float:
    value = event.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InputError(f"{name} must be a number")
    if not low <= value <= high:
        raise InputError(f"{name} must lie between {low:g} and {high:g}")
    return round(float(value), 1)


def _text(event, name, limit=MAX_TEXT) -> str:
    value = event.get(name)
    if not isinstance(value, str) or not value or len(value) > limit:
        raise InputError(f"{name} must be text of 1 to {limit} characters")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise InputError(f"{name} must not contain control characters")
    return value


def clean_events(payload) -> list[dict]:
    """The person's input events, checked and normalised; InputError for anything else.

    Mouse: {"t": "down"|"up"|"move"|"click", "x", "y", "button"?} in the page's CSS pixels;
    wheel: {"t": "wheel", "x", "y", "dx", "dy"}; a key: {"t": "key", "key": "Enter"}; typed text:
    {"t": "text", "text": "…"}; a one-time code for the code form: {"t": "code", "text": "…"}."""
    events = payload.get("events") if isinstance(payload, dict) else None
    if not isinstance(events, list) or not 1 <= len(events) <= MAX_EVENTS:
        raise InputError(f"send 1 to {MAX_EVENTS} events as {{'events': [...]}}")
    clean = []
    for event in events:
        if not isinstance(event, dict):
            raise InputError("each event is an object")
        kind = event.get("t")
        if kind in MOUSE_EVENTS:
            button = event.get("button", "left")
            if button not in BUTTONS:
                raise InputError(f"button must be one of {', '.join(BUTTONS)}")
            clean.append(
                {"t": kind, "x": _number(event, "x"), "y": _number(event, "y"), "button": button}
            )
        elif kind == "wheel":
            clean.append(
                {
                    "t": kind,
                    "x": _number(event, "x"),
                    "y": _number(event, "y"),
                    "dx": _number(event, "dx", -MAX_COORD, MAX_COORD),
                    "dy": _number(event, "dy", -MAX_COORD, MAX_COORD),
                }
            )
        elif kind == "key":
            key = _text(event, "key", 16)
            if not KEY_NAME.match(key):
                raise InputError("key must be one character or a key name such as Enter")
            clean.append({"t": kind, "key": key})
        elif kind == "text":
            clean.append({"t": kind, "text": _text(event, "text")})
        elif kind == "code":
            code = "".join(_text(event, "text", 32).split())
            if not re.fullmatch(r"[A-Za-z0-9-]{3,16}", code):
                raise InputError("a code is 3 to 16 letters or digits")
            clean.append({"t": kind, "text": code})
        else:
            raise InputError("unknown event type")
    return clean
