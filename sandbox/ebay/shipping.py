"""createShippingFulfillment: checks the request as eBay documents it, then builds the fulfillment.

Error ids (contract ``x-response-codes`` of createShippingFulfillment):
32100 unknown order; 32200 line item not in the order; 32210 line item twice in the request;
32300 bad tracking number or carrier (not alphanumeric, unknown carrier code, or one of the two
without the other); 32500 shipped date unparsable or in the future; 32600 invalid input data (body,
line item list, or a quantity that is not a whole number >= 1 or exceeds the unshipped quantity);
34100 too many tracking numbers on the order; 34300 several line items of an eBay-supported (GSP)
order in one package; 34500 the tracking number is already a fulfillment of this order (that is an
update, which eBay does with PUT).
"""

from __future__ import annotations

import re
from datetime import datetime

from sandbox.ebay.clock import iso, parse_iso
from sandbox.ebay.contract import canonical_carrier
from sandbox.ebay.errors import ApiError
from sandbox.ebay.store import OrderRecord

TRACKING_RE = re.compile(r"^[A-Za-z0-9]+$")
# eBay does not publish the number. The emulator allows this many tracking numbers on one order.
MAX_TRACKING_NUMBERS = 10


def _line_items(body: dict, record: OrderRecord) -> list[dict]:
    refs = body.get("lineItems")
    if not isinstance(refs, list) or not refs:
        raise ApiError(400, 32600, "lineItems must be a non-empty array of {lineItemId, quantity}.")
    seen: set[str] = set()
    out = []
    for ref in refs:
        if (
            not isinstance(ref, dict)
            or not isinstance(ref.get("lineItemId"), str)
            or not ref["lineItemId"]
        ):
            raise ApiError(400, 32600, "Each lineItems entry needs a lineItemId string.")
        line_item_id = ref["lineItemId"]
        quantity = ref.get("quantity", 1)  # "Default: 1"
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
            raise ApiError(400, 32600, "quantity must be a whole number greater than zero.")
        if line_item_id in seen:
            raise ApiError(400, 32210)
        seen.add(line_item_id)
        if record.line_item(line_item_id) is None:
            raise ApiError(400, 32200, lineItemId=line_item_id)
        out.append({"lineItemId": line_item_id, "quantity": quantity})
    return out


def _tracking(body: dict) -> tuple[str | None, str | None]:
    tracking, carrier = body.get("trackingNumber"), body.get("shippingCarrierCode")
    tracking = None if tracking in (None, "") else tracking
    carrier = None if carrier in (None, "") else carrier
    if tracking is None and carrier is None:
        return None, None
    if tracking is None or carrier is None:
        raise ApiError(400, 32300, "trackingNumber and shippingCarrierCode are mutually dependent.")
    if not isinstance(tracking, str) or not TRACKING_RE.match(tracking):
        raise ApiError(
            400, 32300, "Only alphanumeric characters are supported for tracking numbers."
        )
    code = canonical_carrier(carrier)
    if code is None:
        raise ApiError(400, 32300, f"Unknown shipping carrier code: {carrier}.")
    return tracking, code


def _shipped_date(body: dict, now: datetime) -> str:
    raw = body.get("shippedDate")
    if raw is None:
        return iso(now)  # "if this field is omitted, it will default to the current date/time"
    try:
        when = parse_iso(raw)
    except ValueError:
        raise ApiError(
            400, 32500, "shippedDate must be ISO 8601 UTC, e.g. 2015-08-04T19:09:02.768Z."
        ) from None
    if when > now:
        raise ApiError(400, 32500, "shippedDate cannot be in the future.")
    return iso(when)


def build_fulfillment(record: OrderRecord, body, now: datetime) -> dict:
    """Validate ``body`` against ``record``. Returns the new ShippingFulfillment; raises
    ApiError."""
    if not isinstance(body, dict):
        raise ApiError(400, 32600, "The request body must be a JSON object.")
    refs = _line_items(body, record)
    tracking, carrier = _tracking(body)
    shipped = _shipped_date(body, now)
    instruction = record.data["fulfillmentStartInstructions"][0]
    if instruction.get("ebaySupportedFulfillment") and len(refs) > 1:
        raise ApiError(400, 34300)
    if tracking is not None:
        if any(f["fulfillmentId"] == tracking for f in record.fulfillments):
            raise ApiError(400, 34500)
        if (
            sum(1 for f in record.fulfillments if "shipmentTrackingNumber" in f)
            >= MAX_TRACKING_NUMBERS
        ):
            raise ApiError(400, 34100)
    for ref in refs:
        if ref["quantity"] > record.remaining(ref["lineItemId"]):
            raise ApiError(
                400,
                32600,
                f"quantity {ref['quantity']} exceeds the unshipped quantity "
                f"{record.remaining(ref['lineItemId'])} of line item {ref['lineItemId']}.",
            )
    # "the resulting fulfillment's ID ... is the tracking number"; without tracking, "an arbitrary
    # number such as 999".
    if tracking is not None:
        fulfillment_id = tracking
    else:
        taken = {f["fulfillmentId"] for f in record.fulfillments}
        fulfillment_id = next(str(n) for n in range(999, 10**6) if str(n) not in taken)
    fulfillment = {"fulfillmentId": fulfillment_id, "lineItems": refs, "shippedDate": shipped}
    if tracking is not None:
        fulfillment["shipmentTrackingNumber"] = tracking
        fulfillment["shippingCarrierCode"] = carrier
    return fulfillment
