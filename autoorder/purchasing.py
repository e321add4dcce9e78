"""Buying one order: the pre-buy eBay check, the supplier checkout, and recovery of an attempt
that ended ambiguously. Called by jobs.ordering with the order claimed and leased."""

import logging
from decimal import Decimal

from flask import current_app

from autoorder import clock, credits, evidence, gift_cards, handoff, orders
from autoorder.account_lock import AccountLockLostError
from autoorder.ebay import accounts
from autoorder.ebay.client import EbayError, ReauthorizationNeededError
from autoorder.ebay.sync import NO_CANCEL, cancel_state, has_address, ship_to_of
from autoorder.extensions import db
from autoorder.models import EbayAccount, Order, PurchaseAttempt, Team
from autoorder.orders import AttemptState as A
from autoorder.orders import OrderStatus as S
from autoorder.scrapers import browser
from autoorder.scrapers.base import (
    Address,
    AmbiguousMatchError,
    GiftCardBalanceLowError,
    PlacedOrder,
    PriceAboveLimitError,
    PurchaseRequest,
    SupplierError,
    UnknownSupplierError,
    WrongContentsError,
)
from autoorder.scrapers.session import BotSession
from autoorder.tracking_schedule import schedule_first_check

log = logging.getLogger(__name__)

RETRY_EBAY_CHECK_SECONDS = 120
RETRY_SUPPLIER_SECONDS = 60  # a retryable supplier failure (flaky pages) waits this long
MAX_RELEASES = 3  # per reason: then a person looks


class LeaseLostError(Exception):
    """Another worker took the order over; stop without writing."""


# --- before buying ------------------------------------------------------------------------------
def check_ebay_before_buying(order: Order) -> str | None:
    """Re-read the eBay order; hold or release the order and return why, or None to go on."""
    if order.ebay_account_id is None:
        return None
    account = db.session.get(EbayAccount, order.ebay_account_id)
    try:
        ebay_order = accounts.client_for(account).get_order(order.ebay_order_id)
    except ReauthorizationNeededError as exc:
        accounts.mark_reconnect_needed(account, exc)
        return _hold(
            order, "ebay_reconnect", "Reconnect the eBay account; the order was not bought."
        )
    except EbayError as exc:  # transient: give the order back, nothing was bought
        order.order_after = clock.now() + _seconds(RETRY_EBAY_CHECK_SECONDS)
        orders.transition(
            order,
            S.WAITING,
            reason=f"eBay check failed ({type(exc).__name__}, request id "
            f"{exc.request_id}); will retry",
            actor="system",
        )
        db.session.commit()
        return "ebay unavailable; retry later"
    line = next(
        (
            li
            for li in ebay_order.get("lineItems") or []
            if li.get("lineItemId") == order.ebay_line_item_id
        ),
        None,
    )
    if cancel_state(ebay_order) != NO_CANCEL:
        return _hold(order, "cancel_requested", "The buyer asked eBay to cancel; not bought.")
    if ebay_order.get("orderPaymentStatus") not in (None, "PAID"):
        return _hold(
            order, "unpaid", f"eBay payment status is {ebay_order.get('orderPaymentStatus')}."
        )
    if line is None or line.get("lineItemFulfillmentStatus", "NOT_STARTED") != "NOT_STARTED":
        return _hold(
            order, "already_fulfilled", "The eBay line item is already shipped or missing."
        )
    if not has_address(order.ship_to) or not has_address(ship_to_of(ebay_order)):
        return _hold(order, "no_ship_to", "eBay has no ship-to address for this order; not bought.")
    if ship_to_of(ebay_order) != order.ship_to:
        return _hold(
            order, "address_changed", "The buyer's ship-to address changed on eBay; check it."
        )
    return None


def _hold(order, code, message) -> str:
    orders.fail(order, S.NEEDS_ATTENTION, code=code, message=message)
    db.session.commit()
    return f"held: {code}"


def _seconds(n):
    from datetime import timedelta

    return timedelta(seconds=n)


# --- buying -------------------------------------------------------------------------------------
def purchase_request(order: Order, attempt: PurchaseAttempt) -> PurchaseRequest:
    listing, ship = order.listing, order.ship_to or {}
    team = db.session.get(Team, order.team_id)
    limits = [x for x in (listing.max_buy_price, team.max_buy_price) if x is not None]
    return PurchaseRequest(
        product_url=listing.supplier_product_url,
        variant=listing.supplier_variant,
        quantity=order.quantity * (listing.quantity_per_sale or 1),
        ship_to=Address(
            name=ship.get("name", ""),
            line1=ship.get("line1", ""),
            line2=ship.get("line2", ""),
            city=ship.get("city", ""),
            state=ship.get("state", ""),
            postal_code=ship.get("postal_code", ""),
            country=ship.get("country", ""),
            phone=ship.get("phone", ""),
        ),
        reference=f"AO-{order.id}-{attempt.idempotency_key[:8]}",
        max_total=min(limits) if limits else None,
        shipping_rule=listing.shipping_rule,
        gift=bool(team.send_as_gift),
    )


def min_profit(order: Order) -> Decimal | None:
    team = db.session.get(Team, order.team_id)
    if team.min_profit is not None:
        return team.min_profit
    configured = current_app.config.get("MIN_PROFIT")
    return Decimal(configured) if configured else None


def bot_for(order: Order):
    """The order bot (supplier account) that buys this order: the order's, else its listing's."""
    return order.bot or (order.listing.bot if order.listing else None)


def buy(order: Order, attempt: PurchaseAttempt, owner: str, lock=None) -> str:
    """Run the supplier checkout for a claimed order; record the result. Returns the outcome.

    ``lock`` is the supplier account's lock (autoorder.account_lock) the caller holds; it is
    checked once more right before the place-order click. What an error means (bought or not,
    retry or not, failed or needs attention) is read from the error class (scrapers.base).
    """
    bot, listing = bot_for(order), order.listing
    if listing is None or bot is None or not bot.enabled:
        return _finish_failed(
            order, attempt, "unknown", "No enabled order bot for this listing.", None
        )
    order.bot_id = bot.id
    db.session.commit()  # no write transaction may stay open while the browser works
    try:
        session = BotSession(bot, owner=owner)
    except UnknownSupplierError as exc:
        return _finish_failed(order, attempt, "unknown", str(exc), None)
    request = purchase_request(order, attempt)
    guard = _guard(order, attempt, owner, request, lock)
    try:  # the page is closed before any outcome is handled (recovery opens its own page)
        placed = session.buy(request, guard)
    except LeaseLostError:
        log.warning("order %s: lease lost to another worker; stopping", order.id)
        return "lease lost"
    except AccountLockLostError as exc:
        return release_before_placing(order, attempt, str(exc))
    except GiftCardBalanceLowError as exc:
        return wait_for_top_up(order, attempt, bot, exc)
    except WrongContentsError as exc:
        return placed_with_wrong_contents(order, attempt, exc)
    except SupplierError as exc:
        db.session.rollback()
        db.session.refresh(attempt)
        if handoff.wanted(exc) and attempt.state == A.STARTED:  # a person can pass it: hand off
            save_artefacts(order, session.failure, attempt)
            return handoff.begin(order, attempt, exc, bot.supplier.name)
        if attempt.state == A.PLACING and exc.may_have_bought:
            return resolve_ambiguous(order, attempt, owner, cause=exc, failure=session.failure)
        if exc.retryable and attempt.state != A.PLACING:
            return release_for_retry(order, attempt, exc.code, exc.message)
        return _finish_failed(
            order,
            attempt,
            exc.code,
            exc.message,
            session.failure,
            supplier_said_no=exc.supplier_said_no,
        )
    except Exception as exc:  # noqa: BLE001 - a crash mid-checkout must still end visibly
        db.session.rollback()
        db.session.refresh(attempt)
        log.exception("order %s: unexpected error in checkout", order.id)
        if attempt.state == A.PLACING:
            return resolve_ambiguous(order, attempt, owner, cause=exc, failure=session.failure)
        if browser.browser_gone(exc):
            return release_after_browser_loss(order, attempt, exc)
        return _finish_failed(
            order, attempt, "unknown", f"{type(exc).__name__}: {exc}", session.failure
        )
    return complete(order, attempt, placed, owner)


def release_before_placing(order: Order, attempt: PurchaseAttempt, why: str) -> str:
    """Nothing was clicked (the account lock ran out first): give the sale back to the queue."""
    db.session.rollback()
    orders.set_attempt_state(
        attempt, A.NOT_PLACED, error_code="account_lock_lost", error_message=why[:500]
    )
    orders.transition(
        order, S.WAITING, reason=f"{why}; nothing was bought, back in line", actor="system"
    )
    db.session.commit()
    log.warning("order %s: %s; released before placing", order.id, why)
    return "released: account lock lost"


def wait_for_top_up(order: Order, attempt: PurchaseAttempt, bot, exc) -> str:
    """The gift card cannot pay for this order (nothing was clicked): the sale waits, with the
    reason "gift-card balance low", until a person tops the card up; the team is told."""
    db.session.rollback()
    if exc.balance is not None:
        gift_cards.record_read(bot, exc.balance, order_id=order.id)
    orders.set_attempt_state(
        attempt, A.NOT_PLACED, error_code=exc.code, error_message=exc.message[:500]
    )
    orders.transition(
        order,
        S.WAITING,
        reason=f"gift-card balance low on {bot.name}: {exc.message}; nothing was bought, "
        "waiting for a top-up",
        actor="system",
    )
    order.wait_reason = gift_cards.LOW
    db.session.commit()
    gift_cards.tell_team(bot, have=exc.balance)
    return "waiting: gift-card balance low"


def placed_with_wrong_contents(order: Order, attempt: PurchaseAttempt, exc) -> str:
    """The supplier placed an order, but not the one we asked for (items, quantity or ship-to
    differ): record it and stop for a person at once. Never succeeded; no tracking is sought."""
    db.session.rollback()
    now = clock.now()
    orders.set_attempt_state(
        attempt,
        A.PLACED,
        supplier_order_number=exc.supplier_order_number,
        error_code=exc.code,
        error_message=exc.message[:500],
    )
    order.supplier_order_number, order.ordered_at = exc.supplier_order_number, now
    for kind, png in (exc.screenshots or {}).items():
        evidence.save(order, kind, png, attempt=attempt.id)
    orders.fail(
        order,
        S.NEEDS_ATTENTION,
        code=exc.code,
        message=(
            f"Supplier order {exc.supplier_order_number} was placed with the wrong contents: "
            f"{exc.message} Check it on the supplier site (cancel or correct it) before anything "
            "else; it was not marked bought."
        ),
    )
    db.session.commit()
    log.error("order %s: placed with wrong contents (%s)", order.id, exc.message)
    return exc.code


def _guard(order, attempt, owner, request, lock=None):
    """Return the before-place callback: price guard, lease and account-lock check, then commit
    'placing'."""

    def before_place(totals):
        if totals.balance is not None:  # what the supplier showed: the ledger's new starting point
            gift_cards.record_read(order.bot, totals.balance, order_id=order.id)
            db.session.commit()
            if totals.balance < totals.total:
                raise GiftCardBalanceLowError(
                    f"the supplier shows a balance of {totals.balance}, below the total "
                    f"{totals.total}",
                    balance=None,  # recorded above
                )
        if request.max_total is not None and totals.total > request.max_total:
            raise PriceAboveLimitError(
                f"Supplier total {totals.total} is above the limit {request.max_total}."
            )
        floor = min_profit(order)
        if floor is not None and order.sale_price is not None:
            profit = order.sale_price - (order.ebay_fees or 0) - totals.total
            if profit < floor:
                raise PriceAboveLimitError(
                    f"Supplier total {totals.total} leaves a profit of {profit}, "
                    f"below the minimum {floor}."
                )
        if lock is not None:
            lock.check()  # AccountLockLostError: stop before the click
        if not orders.renew_lease(
            order.id, owner=owner, lease_seconds=current_app.config["ORDER_LEASE_SECONDS"]
        ):
            raise LeaseLostError()
        orders.set_attempt_state(attempt, A.PLACING)
        orders.note(
            order,
            f"placing the supplier order (total {totals.total}, reference {request.reference})",
            actor=owner,
            data={"total": str(totals.total), "reference": request.reference},
        )
        db.session.commit()  # from here on the click may happen: never buy blindly again

    return before_place


def complete(order: Order, attempt: PurchaseAttempt, placed: PlacedOrder, owner: str) -> str:
    """Record a bought order: number, cost, evidence, green cart, one credit, tracking schedule."""
    now = clock.now()
    orders.set_attempt_state(attempt, A.PLACED, supplier_order_number=placed.supplier_order_number)
    order.supplier_order_number, order.supplier_cost, order.ordered_at = (
        placed.supplier_order_number,
        placed.total,
        now,
    )
    for kind, png in placed.screenshots.items():
        evidence.save(order, kind, png, attempt=attempt.id)
    orders.transition(
        order,
        S.SUCCEEDED,
        actor=owner,
        reason=f"bought: supplier order {placed.supplier_order_number}, total {placed.total}",
    )
    credits.spend_for_order(order.team_id, order.id)
    if gift_cards.uses_gift_card(order.bot):
        gift_cards.record_spend(order.bot, order.id, placed.total)
    schedule_first_check(order)
    db.session.commit()
    log.info("order %s bought: supplier order %s", order.id, placed.supplier_order_number)
    return f"succeeded {placed.supplier_order_number}"


MAX_BROWSER_LOSSES = MAX_RELEASES


def release_after_browser_loss(
    order: Order, attempt: PurchaseAttempt | None, exc: BaseException
) -> str:
    """The browser died before the click (a shutdown or crash): nothing was bought, so give the
    sale back to the queue — unless that keeps happening, then a human must look."""
    return _release(
        order,
        attempt,
        "browser_lost",
        f"{type(exc).__name__}: {exc}",
        f"the browser stopped before placing ({type(exc).__name__})",
        give_up=f"The browser stopped {{n}} times before placing the order "
        f"({type(exc).__name__}). Nothing was bought.",
    )


def release_for_retry(order: Order, attempt: PurchaseAttempt, code: str, message: str) -> str:
    """A retryable supplier error before the click (the error class says so: nothing was bought and
    the cause passes): the sale waits a minute and is tried again, at most MAX_RELEASES times."""
    return _release(
        order,
        attempt,
        code,
        message,
        f"the supplier failed before placing ({code})",
        give_up=f"The supplier failed {{n}} times before placing the order: {message}",
        delay=RETRY_SUPPLIER_SECONDS,
    )


def _release(order, attempt, code, detail, why, *, give_up, delay=0) -> str:
    if attempt is not None:
        orders.set_attempt_state(attempt, A.NOT_PLACED, error_code=code, error_message=detail[:500])
    losses = sum(1 for a in order.attempts if a.error_code == code)
    if losses >= MAX_RELEASES:
        return _finish_failed(order, None, "unknown", give_up.format(n=losses), None)
    if delay:
        order.order_after = clock.now() + _seconds(delay)
    orders.transition(
        order, S.WAITING, reason=f"{why}; nothing was bought, back in line", actor="system"
    )
    db.session.commit()
    log.warning("order %s: %s; released for another try", order.id, why)
    return "released: browser lost" if code == "browser_lost" else f"released: {code}"


def save_artefacts(order: Order, artefacts, attempt: PurchaseAttempt | None = None) -> None:
    """Keep a failed step's screenshot, page HTML and Playwright trace as the order's evidence."""
    for kind, content, content_type in artefacts.items() if artefacts else ():
        evidence.save(
            order, kind, content, attempt=attempt.id if attempt else None, content_type=content_type
        )


def _finish_failed(order, attempt, code, message, artefacts, *, supplier_said_no=False) -> str:
    """End the sale visibly: "failed" when the supplier said no (the error class's
    ``supplier_said_no``), else "needs attention"."""
    if attempt is not None and attempt.state in orders.UNFINISHED_ATTEMPTS:
        orders.set_attempt_state(attempt, A.FAILED, error_code=code, error_message=message)
    save_artefacts(order, artefacts, attempt)
    status = S.FAILED if supplier_said_no else S.NEEDS_ATTENTION
    orders.fail(order, status, code=code, message=message)
    db.session.commit()
    log.info("order %s not bought: %s", order.id, code)
    return f"{code}"


# --- recovery -----------------------------------------------------------------------------------
def resolve_ambiguous(
    order: Order, attempt: PurchaseAttempt, owner: str, cause=None, failure=None
) -> str:
    """The click may have happened: look for the order in the supplier's order history (by its
    contents, ship-to and time, and our note where the supplier keeps one). One match is the
    order; none or several stop for a person. Never buys again."""
    if failure is not None:
        save_artefacts(order, failure, attempt)
        db.session.commit()
    bot = order.bot
    request = purchase_request(order, attempt)
    try:
        found = BotSession(bot, owner=owner).find(request, placed_after=attempt.started_at)
    except AmbiguousMatchError as exc:
        return _finish_failed(
            order,
            attempt,
            "unknown",
            f"An earlier attempt may have placed this order and the supplier's order history "
            f"shows more than one order that fits ({exc.message}). Check which one is this "
            "sale's, then mark it ordered; nothing was bought again.",
            None,
        )
    except Exception as exc:  # noqa: BLE001 - cannot tell: a human must look, never buy blindly
        message = (
            f"An earlier attempt may have placed this order and the supplier's order history "
            f"could not be checked ({type(exc).__name__}: {exc}). Check the supplier account "
            f"for reference {request.reference}, then mark it ordered or retry."
        )
        return _finish_failed(order, attempt, "unknown", message, getattr(exc, "artefacts", None))
    if found is not None:
        orders.note(
            order,
            f"found the earlier attempt's order {found.supplier_order_number} in the "
            "supplier's order history",
            actor=owner,
        )
        return complete(
            order,
            attempt,
            PlacedOrder(found.supplier_order_number, found.total or Decimal(0)),
            owner,
        )
    why = f" ({type(cause).__name__}: {cause})" if cause else ""
    return _finish_failed(
        order,
        attempt,
        "unknown",
        f"The purchase ended unclearly{why} and no order like it (reference {request.reference}) "
        "is in the supplier's order history. Check the supplier account, then retry or mark it "
        "ordered.",
        None,
    )
