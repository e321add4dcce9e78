"""The one door to a supplier: ``BotSession(bot)``.

Everything that talks to a supplier site for an order bot goes through here (purchasing, the
tracking job, the login test, the canary). A session alone

* picks the adapter (from the registry, by the bot's supplier key and base URL),
* finds Chromium and opens the browser page (``browser.POOL``) or the HTTP session (tracking),
* decrypts the bot's credentials (``credentials_of``),
* saves the bot's browser state (cookies) back after a step that succeeded,
* takes the supplier account's lock (``account_lock``) where it changes the account's state on its
  own — a sign-in (``login``); a checkout (``buy``) and a recovery look-up (``find``) run inside the
  lock the order job already holds, which the guard checks right before the click,
* captures failure artefacts: a screenshot, the page's HTML and a Playwright trace, with password
  and card fields blanked first and every known secret scrubbed from what is kept.

A failing step raises as before; the artefacts ride on the exception (``exc.artefacts``) and are
also kept in ``session.failure``. Nothing here commits except ``login`` (it saves the new session).
"""

import hashlib
import io
import json
import logging
import os
import socket
import tempfile
import zipfile
from collections import OrderedDict
from contextlib import contextmanager
from dataclasses import dataclass, field

import requests
from flask import current_app

from autoorder import account_lock, clock
from autoorder.extensions import db
from autoorder.scrapers import browser, get_adapter
from autoorder.scrapers.base import (
    Credentials,
    FoundOrder,
    LoginFailedError,
    PlacedOrder,
    PurchaseRequest,
    SupplierError,
    TrackingInfo,
    session_from_storage_state,
)

log = logging.getLogger(__name__)

BLANK = "•••"
# Fields whose values never leave the browser: passwords and anything that looks like a card.
BLANK_FIELDS_JS = """() => {
  const secret = /pass|card|cc[-_]|cvc|cvv|cc_num|cc_exp|cc_name|otp/i;
  for (const el of document.querySelectorAll("input, textarea")) {
    const hint = [el.type, el.name, el.id, el.autocomplete].join(" ");
    if (el.type === "password" || secret.test(hint)) {
      el.value = "";
      el.setAttribute("value", "");
    }
  }
}"""
# Control-flow exceptions that are no failure of the supplier's pages: nothing to capture.
NOT_A_FAILURE = ("LeaseLostError", "AccountLockLostError")


def selector_override(supplier) -> dict | None:
    """The supplier's selector override in force (the newest saved version), or None. Read for
    every session, so a saved fix applies to the next order without a restart."""
    from sqlalchemy import select

    from autoorder.models import SelectorOverride

    row = db.session.scalar(
        select(SelectorOverride)
        .where(SelectorOverride.supplier_id == supplier.id)
        .order_by(SelectorOverride.id.desc())
        .limit(1)
    )
    return (row.selectors or None) if row is not None else None


def credentials_of(bot) -> Credentials:
    """The bot's secrets, decrypted only here, just before use."""
    return Credentials(
        email=bot.account_email,
        password=bot.password,
        payment_method=bot.payment_method,
        card_number=bot.card_number,
        card_expiry=bot.card_expiry,
        card_cvc=bot.card_cvc,
        card_holder=bot.card_holder,
        totp_secret=bot.totp_secret,
    )


def secrets_of(credentials: Credentials) -> list[str]:
    """Every secret string that must never be kept, in the forms a page may show it in."""
    values = [
        credentials.password,
        credentials.card_number,
        credentials.card_cvc,
        credentials.totp_secret,
    ]
    found = set()
    for value in filter(None, values):
        found.add(value)
        digits = "".join(ch for ch in value if ch.isdigit())
        if len(digits) >= 12:  # a card number: also grouped by four, as a form formats it
            found.add(digits)
            found.add(" ".join(digits[i : i + 4] for i in range(0, len(digits), 4)))
    # longest first, so a grouped number is not half-replaced by a shorter form
    return sorted(found, key=len, reverse=True)


LONG_SECRET = 6  # shorter secrets (a CVC) are replaced only as a whole quoted value


def scrub(data: bytes, secrets: list[str]) -> bytes:
    """``data`` with every secret replaced by ``BLANK``: anywhere when long enough to be unique,
    else only where it stands as a whole quoted value (a CVC "123" in a form field or a trace's
    fill action), so numbers that merely contain it survive."""
    for secret in secrets:
        escaped = json.dumps(secret)[1:-1]
        if len(secret) >= LONG_SECRET:
            for form in {secret, escaped}:
                data = data.replace(form.encode(), BLANK.encode())
        else:
            for quote in ('"', "'", '\\"'):
                data = data.replace(
                    f"{quote}{escaped}{quote}".encode(), f"{quote}{BLANK}{quote}".encode()
                )
    return data


@dataclass
class Artefacts:
    """What a failed step left: a PNG, the page's HTML and a Playwright trace (zip), all
    scrubbed."""

    screenshot: bytes | None = None
    html: bytes | None = None
    trace: bytes | None = None
    url: str | None = None
    extra: dict = field(default_factory=dict)

    def items(self):
        """(kind, bytes, content type) of what was captured, for evidence.save."""
        for kind, content, content_type in (
            ("failure", self.screenshot, "image/png"),
            ("page_html", self.html, "text/html"),
            ("trace", self.trace, "application/zip"),
        ):
            if content:
                yield kind, content, content_type


def capture(context, page, secrets: list[str], tracing: bool) -> Artefacts:
    """Blank secret fields, then keep the screenshot, HTML and trace. Best effort: a dead page
    yields what it can."""
    artefacts = Artefacts()
    try:
        artefacts.url = page.url
        page.evaluate(BLANK_FIELDS_JS)
    except Exception:  # noqa: BLE001 - the page may be gone; keep what can be kept
        pass
    artefacts.screenshot = browser.screenshot(page)
    try:
        artefacts.html = scrub(page.content().encode(), secrets)
    except Exception:  # noqa: BLE001
        pass
    if tracing:
        artefacts.trace = _stop_trace(context, secrets)
    return artefacts


def _stop_trace(context, secrets) -> bytes | None:
    path = None
    try:
        with tempfile.NamedTemporaryFile(suffix=".zip", delete=False) as handle:
            path = handle.name
        context.tracing.stop(path=path)
        return scrub_zip(open(path, "rb").read(), secrets)
    except Exception:  # noqa: BLE001 - a trace is a help, never the failure itself
        log.warning("could not save the Playwright trace", exc_info=True)
        return None
    finally:
        if path:
            os.unlink(path)


def scrub_zip(data: bytes, secrets: list[str]) -> bytes:
    """The trace with every known secret replaced in every file (actions log fill values, DOM
    snapshots keep input values)."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            target.writestr(info, scrub(source.read(info), secrets))
    return out.getvalue()


# --- HTTP sessions for tracking: one per bot, kept while the saved browser session is unchanged --
SESSION_CACHE_SIZE = 64  # bots whose requests.Session (cookies + keep-alive connections) are kept
_http_sessions: OrderedDict[int, tuple[str, requests.Session]] = OrderedDict()


def _http_session_for(bot) -> requests.Session:
    if not bot.browser_state:
        raise LoginFailedError("no saved supplier session")
    key = hashlib.sha256(bot.browser_state.encode()).hexdigest()
    cached = _http_sessions.get(bot.id)
    if cached is not None and cached[0] == key:
        _http_sessions.move_to_end(bot.id)
        return cached[1]
    if cached is not None:
        cached[1].close()
    session = session_from_storage_state(json.loads(bot.browser_state))
    _http_sessions[bot.id] = (key, session)
    while len(_http_sessions) > SESSION_CACHE_SIZE:
        _http_sessions.popitem(last=False)[1][1].close()
    return session


def _forget_http_session(bot_id: int) -> None:
    expired = _http_sessions.pop(bot_id, None)
    if expired is not None:
        expired[1].close()


def trace_mode(setting) -> str:
    """SUPPLIER_TRACE as a mode: "actions", "snapshots" or "" (off); True/False as set in code."""
    if setting is True:
        return "actions"
    return setting or ""


class BotSession:
    """One order bot's way into its supplier site. Raises UnknownSupplierError when no adapter is
    registered for the bot's supplier."""

    def __init__(self, bot, *, owner: str | None = None):
        self.bot = bot
        self.supplier = bot.supplier
        self.adapter = get_adapter(
            self.supplier.key, self.supplier.base_url, selector_override(self.supplier)
        )
        self.owner = owner or f"bot-session:{socket.gethostname()}:{os.getpid()}"
        self.failure: Artefacts | None = None
        # plain values, read now: the warm key is made while the bot's new session is pending in
        # the ORM, where touching an expired attribute would flush it (a row lock on the bot that
        # the account lock's release, on its own connection, then waits for)
        self._warm_ids = (bot.id, self.supplier.base_url)

    @property
    def credentials(self) -> Credentials:
        return credentials_of(self.bot)

    # --- the browser page ----------------------------------------------------------------------
    @contextmanager
    def page(self, *, save_state: bool = True, fresh: bool = False):
        """Yield a page in a fresh context seeded with the bot's saved session (unless ``fresh``).
        On success the context's session is saved back on the bot (not committed); on a failure
        the artefacts are captured and put on the exception."""
        executable = browser.chromium_executable(current_app.config.get("CHROMIUM_PATH"))
        saved = None if fresh else self.bot.browser_state
        state = json.loads(saved) if saved else None
        tracing = trace_mode(current_app.config.get("SUPPLIER_TRACE", "actions"))
        guard = self.adapter.request_guard()  # no requests to internal addresses (netguard)
        warm = self._warm_key(saved) if saved and save_state else None
        with browser.POOL.page(executable, state, guard=guard, warm_key=warm) as (context, page):
            if tracing:
                try:
                    # the DOM at every step only when asked: the failure capture keeps the last
                    # page's HTML and screenshot anyway, and snapshots cost ≈ 10 % of an order
                    context.tracing.start(screenshots=False, snapshots=tracing == "snapshots")
                except Exception:  # noqa: BLE001 - no trace is no reason to fail the order
                    tracing = False
            try:
                yield page
            except BaseException as exc:
                if type(exc).__name__ not in NOT_A_FAILURE and not browser.browser_gone(exc):
                    self.failure = capture(context, page, secrets_of(self.credentials), tracing)
                    exc.artefacts = self.failure
                raise
            if tracing:
                try:
                    context.tracing.stop()  # success: nothing to keep
                except Exception:  # noqa: BLE001
                    pass
            if save_state:
                saved = json.dumps(context.storage_state())
                self.bot.browser_state = saved
                self.bot.browser_state_saved_at = clock.now()
                # the bot's next job in this process goes on in this context while the saved
                # session is still this one (autoorder.scrapers.browser: a warm context)
                browser.POOL.keep(context, self._warm_key(saved))

    def _warm_key(self, saved: str):
        """Which warm context may serve this bot: its id, its supplier's address and a digest of
        the session it saved (held in memory only)."""
        return (*self._warm_ids, hashlib.sha256(saved.encode()).hexdigest())

    # --- what callers do -----------------------------------------------------------------------
    def login(self) -> dict:
        """Sign in afresh and save the session (commits); return what the sign-in did, as the
        adapter tells it (e.g. ``{"totp": "accepted"}``). Takes the account lock: a sign-in changes
        the account's session, so never beside a checkout on that account (AccountBusyError)."""
        db.session.commit()  # the lock is taken on its own connection: hold no write transaction
        with self._lock(), self.page(fresh=True) as page:
            self.adapter.login(page, self.credentials)
        db.session.commit()
        return dict(getattr(self.adapter, "login_notes", None) or {})

    def _lock(self):
        return account_lock.hold(self.bot.id, self.owner)

    def buy(self, request: PurchaseRequest, guard) -> PlacedOrder:
        """Sign in if needed and check out ``request`` (the adapter's skeleton: ``guard(totals)``
        right before the one click). The caller holds the account lock (jobs.ordering)."""
        with self.page() as page:
            self.adapter.login(page, self.credentials)
            return self.adapter.place_order(page, request, self.credentials, before_place=guard)

    def find(self, request: PurchaseRequest, placed_after) -> FoundOrder | None:
        """Look for the order an unclear attempt may have placed (by contents, ship-to, time and,
        where the supplier keeps one, our note). Runs in a page of its own."""
        with self.page() as page:
            self.adapter.login(page, self.credentials)
            return self.adapter.find_order(page, self.credentials, request, placed_after)

    def tracking(self, supplier_order_number: str) -> TrackingInfo:
        """Read the order's shipment(s), by HTTP with the saved cookies or in the browser, as the
        adapter says; a saved session that expired is renewed once by a browser sign-in."""
        try:
            return self._tracking(supplier_order_number)
        except account_lock.AccountBusyError:
            raise SupplierError("the bot is placing an order; signing in again later") from None

    def _tracking(self, supplier_order_number: str) -> TrackingInfo:
        if self.adapter.tracking_in_browser:
            with self._lock(), self.page() as page:
                self.adapter.login(page, self.credentials)
                html = self.adapter.fetch_tracking_html_in_browser(page, supplier_order_number)
            db.session.commit()
            return self.adapter.parse_tracking(html)
        try:
            html = self.adapter.fetch_tracking_html(
                _http_session_for(self.bot), supplier_order_number
            )
        except LoginFailedError:
            _forget_http_session(self.bot.id)
            self.login()  # the saved session expired: one browser sign-in
            html = self.adapter.fetch_tracking_html(
                _http_session_for(self.bot), supplier_order_number
            )
        return self.adapter.parse_tracking(html)
