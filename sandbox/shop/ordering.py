"""Placing an order: final stock/payment checks and the order record. Called with the store lock
held."""

from __future__ import annotations

import datetime as dt

from .errors import ShopError

NOTE_MAX = 100


def _check_lines(lines: list[dict]) -> None:
    if not lines:
        raise ShopError("empty_cart", "Your cart is empty.")
    for line in lines:
        if line["stock"] == 0:
            raise ShopError(
                "out_of_stock", f"{line['product']['title']} ({line['label']}) is out of stock."
            )
        if line["quantity"] > line["stock"]:
            raise ShopError(
                "quantity", f"Only {line['stock']} of {line['product']['title']} available."
            )


def _charge(store, account: dict, payment: dict, total: int) -> dict:
    if payment["method"] == "gift_card":
        if account["gift_card_balance"] < total:
            raise ShopError(
                "insufficient_balance", "Insufficient gift card balance for this order."
            )
        account["gift_card_balance"] -= total
        return {"method": "gift_card", "card_last4": None, "card_brand": None}
    if payment["number"] in store.decline_cards:
        raise ShopError(
            "card_declined", "Your card was declined. Please use a different payment method."
        )
    return {"method": "card", "card_last4": payment["number"][-4:], "card_brand": payment["brand"]}


def place_order(store, email: str, note: str) -> dict:
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise ShopError("note_too_long", f"Order note must be at most {NOTE_MAX} characters.")
    state = store.checkouts.get(email, {})
    if not state.get("address"):
        raise ShopError("missing_address", "Please enter a shipping address.")
    if not state.get("payment"):
        raise ShopError("missing_payment", "Please choose a payment method.")
    quote = store.quote(email)
    _check_lines(quote["lines"])
    payment = _charge(store, store.accounts[email], state["payment"], quote["total"])
    for line in quote["lines"]:
        line["variant"]["stock"] -= line["quantity"]
    store.order_seq += store.rng_orders.randint(1, 9)
    now = dt.datetime.now(dt.UTC)
    number = f"DS-{now.year}-{store.order_seq:06d}"
    items = [
        {
            "product_id": line["product"]["id"],
            "product_slug": line["product"]["slug"],
            "product_title": line["product"]["title"],
            "variant_id": line["variant_id"],
            "variant_label": line["label"],
            "quantity": line["quantity"],
            "unit_price": line["unit_price"],
            "line_total": line["line_total"],
        }
        for line in quote["lines"]
    ]
    order = {
        "number": number,
        "account_email": email,
        "items": items,
        "ship_to": dict(state["address"]),
        "payment": payment,
        "subtotal": quote["subtotal"],
        "shipping": quote["shipping"],
        "tax": quote["tax"],
        "protection_plan": quote["protection"],
        "total": quote["total"],
        "note": note,
        "placed_at": now.isoformat(timespec="seconds"),
        "status": "processing",
        "carrier": None,
        "tracking_number": None,
        "tracking_url": None,
        "shipped_at": None,
    }
    store.orders[number] = order
    store.carts.pop(email, None)
    store.checkouts.pop(email, None)
    return order
