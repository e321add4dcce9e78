"""The dry-run canary: walk a bot's checkout to the review page and stop before place-order.

It signs in, opens a product from one of the team's listings for that bot, adds it, walks the
checkout steps to the review page and reads the total — then empties the cart again and stops;
it never clicks place-order (it never calls the skeleton's click, only ``walk_to_review``). Each
step is reported ok/failed; a failed step keeps its screenshot and HTML (password and card
blanked) beside the bot. Run on demand (``flask --app app bots check BOT_ID``, the bot page's
"Check checkout" button) or daily for bots that switch it on (``canary_enabled``).
"""

import logging
import os
import socket
from datetime import timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import or_, select

from autoorder import account_lock, clock, notifications
from autoorder.extensions import db
from autoorder.models import Listing, Order, OrderBot
from autoorder.scrapers.base import Address, PurchaseRequest, UnknownSupplierError
from autoorder.scrapers.session import BotSession

log = logging.getLogger(__name__)

CANARY_EVERY = timedelta(days=1)
JOB_TIMEOUT = 300
# Used only when no sale of this bot gives a real ship-to: the review page needs an address.
FALLBACK_SHIP_TO = Address(
    "Checkout Check", "1 Main St", "", "Austin", "TX", "78701", "US", "5125550100"
)
STEP_NAMES = ["sign_in", "empty_cart", "add_to_cart", "checkout", "review"]


def canary_folder(bot_id: int) -> Path:
    return Path(current_app.config["EVIDENCE_DIR"]) / "bots" / str(bot_id)


def _request_for(bot: OrderBot) -> PurchaseRequest | None:
    listing = db.session.scalar(
        select(Listing)
        .where(Listing.team_id == bot.team_id, Listing.bot_id == bot.id)
        .order_by(Listing.id)
        .limit(1)
    )
    if listing is None:
        return None
    last = db.session.scalar(
        select(Order)
        .where(Order.bot_id == bot.id, Order.ship_to.is_not(None))
        .order_by(Order.id.desc())
        .limit(1)
    )
    ship = (last.ship_to if last else None) or {}
    ship_to = (
        Address(**{k: ship.get(k, "") for k in Address.__dataclass_fields__})
        if ship.get("name") and ship.get("postal_code")
        else FALLBACK_SHIP_TO
    )
    return PurchaseRequest(
        product_url=listing.supplier_product_url,
        variant=listing.supplier_variant,
        quantity=listing.quantity_per_sale or 1,
        ship_to=ship_to,
        reference="AO-CANARY",
        max_total=None,
        shipping_rule=listing.shipping_rule,
    )


def check_checkout(bot_id: int) -> dict:
    """Run the dry run for one bot; record and return the result. Safe to run twice."""
    bot = db.session.get(OrderBot, bot_id)
    if bot is None:
        return {"ok": False, "code": "missing", "steps": []}
    steps: list[dict] = []
    result = {"ok": False, "code": "error", "steps": steps, "total": None}
    request = _request_for(bot)
    if request is None:
        result.update(code="no_listing", message="Map a listing to this bot first.")
        return _record(bot, result)
    current = {"name": "sign_in"}

    def step(name):
        if current["name"] != name:
            steps.append({"name": current["name"], "ok": True})
        current["name"] = name

    owner = f"canary:{socket.gethostname()}:{os.getpid()}"
    try:
        session = BotSession(bot, owner=owner)
        # the canary fills the account's cart: never beside a checkout on that account
        with account_lock.hold(bot.id, owner), session.page() as page:
            session.adapter.login(page, session.credentials)
            _item, totals = session.adapter.walk_to_review(
                page, request, session.credentials, steps=step
            )
            steps.append({"name": "review", "ok": True})
            current["name"] = None
            result.update(ok=True, code="ok", total=str(totals.total))
            try:  # leave the cart as found (the next checkout empties it anyway)
                page.goto(session.adapter.base_url)
                session.adapter.empty_cart(page)
            except Exception:  # noqa: BLE001 - the check itself passed
                log.info("bot %s canary: could not empty the cart afterwards", bot.id)
        db.session.commit()  # the session saved back by the page
    except account_lock.AccountBusyError:
        result.update(code="busy", message="The bot is placing an order; check again later.")
    except UnknownSupplierError as exc:
        result.update(code="unknown_supplier", message=str(exc))
    except Exception as exc:  # noqa: BLE001 - the report must say which step failed and why
        db.session.rollback()
        code = getattr(exc, "code", "error")
        message = bot.redact(getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}")
        steps.append({"name": current["name"], "ok": False, "code": code, "message": message})
        result.update(code=code, message=message)
        artefacts = getattr(exc, "artefacts", None)
        if artefacts is not None:
            result["files"] = _keep(bot.id, artefacts)
    return _record(bot, result)


def _keep(bot_id: int, artefacts) -> dict:
    folder = canary_folder(bot_id)
    folder.mkdir(parents=True, exist_ok=True)
    files = {}
    for kind, content, _type in artefacts.items():
        name = {"failure": "screenshot.png", "page_html": "page.html", "trace": "trace.zip"}[kind]
        (folder / name).write_bytes(content)
        files[kind] = name
    return files


def _record(bot: OrderBot, result: dict) -> dict:
    bot = db.session.get(OrderBot, bot.id)
    bot.last_canary_at, bot.last_canary_result = clock.now(), result
    if not result.get("ok") and result.get("code") not in ("busy", "missing"):
        notifications.canary_broken(bot, result)
    db.session.commit()
    log.info("bot %s checkout check: %s", bot.id, result["code"])
    return result


def due_canaries() -> list[int]:
    """Enabled bots whose periodic canary is due (daily)."""
    return list(
        db.session.scalars(
            select(OrderBot.id).where(
                OrderBot.canary_enabled,
                OrderBot.enabled,
                or_(
                    OrderBot.last_canary_at.is_(None),
                    OrderBot.last_canary_at <= clock.now() - CANARY_EVERY,
                ),
            )
        )
    )
