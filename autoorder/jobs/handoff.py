"""serve_handoff: the hand-off process shows a supplier challenge to a person and follows it.

It runs only on the "handoff" queue, in a process of its own (Procfile ``handoff``), so a sale
waiting for a person never holds an order worker: the order job that met the challenge ended at
once (purchasing → autoorder.handoff.begin) and its worker went on with other sales. This process
opens the bot's browser again (its saved session), takes the bot's account lock (renewed while it
waits, so no other checkout or sign-in touches the account meanwhile), signs in until the
challenge shows, and then, until the challenge is gone, the person gives up or the time limit
passes:

* streams the page as JPEG frames — Chromium's own screencast (CDP ``Page.startScreencast``): a
  frame whenever the page paints, nothing while it is still (bench/README.md: measured against
  screenshots) — into Redis (autoorder.live_view), and
* applies the person's input from Redis: mouse (clicks, drags: a slider), wheel, keys, typed text
  (Playwright's mouse and keyboard, which send CDP ``Input.dispatch*`` events) and one-time codes
  (the adapter's ``enter_code``).

When the adapter no longer sees a challenge on the page, it signs in once more to make sure
(``adapter.login``), saves the bot's browser session (cookies: the next orders skip the challenge)
and ends the hand-off "passed": the sale goes back in line and the order job buys it — at most
once, through the usual claim, lease and purchase attempt.
"""

import base64
import json
import logging
import time
from contextlib import ExitStack

from autoorder import account_lock, clock, handoff, live_view
from autoorder.extensions import db
from autoorder.jobs.ordering import owner_id
from autoorder.models import Handoff
from autoorder.queues import redis_connection
from autoorder.scrapers import browser
from autoorder.scrapers.base import BlockedError, SupplierError
from autoorder.scrapers.session import BotSession

log = logging.getLogger(__name__)

TICK_MS = 15  # the loop's wait: Playwright delivers screencast frames meanwhile
CHECK_SECONDS = 0.5  # how often the database (ended? expired?) and the page are looked at
SCREENCAST = {"format": "jpeg", "quality": 70, "maxWidth": 1280, "maxHeight": 900}


def serve_handoff(handoff_id: int) -> str:
    """Show the hand-off's challenge to a person until it is passed, given up or timed out;
    return what happened. Safe to run twice (only one process serves a hand-off)."""
    row = db.session.get(Handoff, handoff_id)
    if row is None or row.status not in handoff.OPEN:
        return "nothing to do"
    if row.expires_at < clock.now():
        handoff.end(handoff_id, "timed_out")
        return "timed_out"
    owner = owner_id()
    if not handoff.take(handoff_id, owner):
        return "served by another process"
    redis = redis_connection()
    live_view.clear(redis, handoff_id)  # frames of a process that died show another page
    try:
        result = _serve(row, owner, redis)
    finally:
        live_view.clear(redis, handoff_id)
    log.info("hand-off %s: %s", handoff_id, result)
    return result


def _serve(row: Handoff, owner: str, redis) -> str:
    handoff_id, order_id, expires_at = row.id, row.order_id, row.expires_at
    bot = row.bot
    try:
        session = BotSession(bot, owner=owner)
    except Exception as exc:  # noqa: BLE001 - an adapter that is gone: a person must look
        handoff.end(handoff_id, "failed", detail=f"{type(exc).__name__}: {exc}")
        return "failed"
    with ExitStack() as stack:
        lock = _account_lock(stack, bot.id, owner, handoff_id, expires_at)
        if lock is not None:
            return lock
        try:
            with session.page(save_state=False) as page:
                result = _follow(session, page, handoff_id, owner, expires_at, redis)
                if result == "passed":  # the session the person unlocked: later orders skip it
                    bot.browser_state = json.dumps(page.context.storage_state())
                    bot.browser_state_saved_at = clock.now()
                    db.session.commit()
        except SupplierError as exc:
            db.session.rollback()
            handoff.end(handoff_id, "failed", detail=exc.message[:300])
            return "failed"
        except Exception as exc:
            db.session.rollback()
            if browser.browser_gone(exc):  # a shutdown: the duty serves it again
                log.warning("hand-off %s: the browser went away; served again later", handoff_id)
                return "browser lost"
            handoff.end(handoff_id, "failed", detail=f"{type(exc).__name__}: {exc}"[:300])
            raise
    if result in ("passed", "timed_out") and handoff.end(handoff_id, result):
        if result == "passed":
            from autoorder.jobs.api import after_commit, enqueue_order

            after_commit(enqueue_order, order_id)
    return result


def _account_lock(stack, bot_id, owner, handoff_id, expires_at) -> str | None:
    """Take the bot's account lock into ``stack``, waiting (and beating) while a checkout that
    began before the hand-off finishes; None once held, else what happened meanwhile."""
    while True:
        try:
            stack.enter_context(account_lock.hold(bot_id, owner))
            return None
        except account_lock.AccountBusyError:
            pass
        if not handoff.beat(handoff_id, owner):
            return "ended"
        if clock.now() > expires_at:
            handoff.end(handoff_id, "timed_out")
            return "timed_out"
        time.sleep(1)


def _follow(session: BotSession, page, handoff_id, owner, expires_at, redis) -> str:
    """Sign in until the challenge shows, then stream it and apply the person's input until it is
    gone ("passed"), the hand-off ended elsewhere ("ended") or its time ran out ("timed_out")."""
    adapter, credentials = session.adapter, session.credentials
    try:
        adapter.login(page, credentials)
        return "passed"  # no challenge this time (passed elsewhere, or the site let us in)
    except BlockedError as exc:
        if not handoff.wanted(exc):
            raise
    screen = Screencast(page, redis, handoff_id)
    screen.start()
    handoff.beat(handoff_id, owner, live=True)
    next_check = time.monotonic() + CHECK_SECONDS
    try:
        while True:
            page.wait_for_timeout(TICK_MS)
            screen.acknowledge()
            for event in live_view.take_input(redis, handoff_id):
                _apply(page, adapter, event)
            if time.monotonic() < next_check:
                continue
            next_check = time.monotonic() + CHECK_SECONDS
            if not handoff.beat(handoff_id, owner):
                return "ended"
            live_view.keep_alive(redis, handoff_id)
            if clock.now() > expires_at:
                return "timed_out"
            if _challenge_gone(adapter, page):
                try:
                    adapter.login(page, credentials)
                    return "passed"
                except BlockedError as exc:  # another challenge: keep showing it
                    if not handoff.wanted(exc):
                        raise
    finally:
        screen.stop()


def _challenge_gone(adapter, page) -> bool:
    from playwright.sync_api import Error

    try:
        return page.url.startswith("http") and adapter.challenge_on(page) is None
    except Error:  # the page is navigating (the person's click submitted a form): look again
        return False


def _apply(page, adapter, event: dict) -> None:
    """One input event of the person (checked by live_view.clean_events) into the page."""
    from playwright.sync_api import Error

    kind = event["t"]
    try:
        if kind in ("move", "down", "up", "wheel"):
            page.mouse.move(event["x"], event["y"])
        if kind == "down":
            page.mouse.down(button=event["button"])
        elif kind == "up":
            page.mouse.up(button=event["button"])
        elif kind == "click":
            page.mouse.click(event["x"], event["y"], button=event["button"])
        elif kind == "wheel":
            page.mouse.wheel(event["dx"], event["dy"])
        elif kind == "key":
            page.keyboard.press(event["key"])
        elif kind == "text":
            page.keyboard.insert_text(event["text"])
        elif kind == "code":
            adapter.enter_code(page, event["text"])
    except (Error, SupplierError) as exc:  # a key Playwright does not know, a page mid-load
        log.info("hand-off input %s not applied: %s", kind, str(exc).splitlines()[0][:200])


class Screencast:
    """Chromium's screencast of one page into the hand-off's Redis stream. Frames are received
    while Playwright waits (the loop's short waits) and acknowledged in the loop (Chromium sends
    the next frame only after the previous one was acknowledged)."""

    def __init__(self, page, redis, handoff_id: int):
        self.redis, self.handoff_id = redis, handoff_id
        self.cdp = page.context.new_cdp_session(page)
        self.unacknowledged: list[int] = []
        self.frames = 0
        self.cdp.on("Page.screencastFrame", self._frame)

    def _frame(self, params) -> None:
        meta = params.get("metadata") or {}
        live_view.publish_frame(
            self.redis,
            self.handoff_id,
            base64.b64decode(params["data"]),
            round(meta.get("deviceWidth") or 0),
            round(meta.get("deviceHeight") or 0),
        )
        self.frames += 1
        self.unacknowledged.append(params["sessionId"])

    def start(self) -> None:
        self.cdp.send("Page.startScreencast", SCREENCAST)

    def acknowledge(self) -> None:
        while self.unacknowledged:
            self.cdp.send("Page.screencastFrameAck", {"sessionId": self.unacknowledged.pop(0)})

    def stop(self) -> None:
        try:
            self.cdp.send("Page.stopScreencast")
            self.cdp.detach()
        except Exception:  # noqa: BLE001 - the page may be gone already
            pass


def sweep_handoffs() -> str:
    """Periodic duty: end open hand-offs past their time limit (their process may be gone) and
    enqueue again those no live process serves (a lost worker, a flushed Redis)."""
    from autoorder.jobs.api import after_commit, enqueue_handoff

    ended = sum(handoff.end(handoff_id, "timed_out") for handoff_id in handoff.due_to_end())
    again = handoff.unserved()
    after_commit(enqueue_handoff, *again)
    return f"{ended} timed out, {len(again)} enqueued"
