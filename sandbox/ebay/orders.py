"""Turn a sale (the JSON of ``POST /sandbox/orders``) into an eBay ``Order``.

Field names, formats and enum values follow the contract and eBay's type documentation.
There is no ``legacyOrderId``: the contract (v1.20.7) no longer has that field.
Amounts are strings with two decimals. Timestamps use eBay's ``...T..:..:...sssZ`` format.
"""

from __future__ import annotations

import copy
import random
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from sandbox.ebay.clock import iso
from sandbox.ebay.people import random_buyer

FEE_RATE = Decimal("0.1325")
FEE_FIXED = Decimal("0.30")
PAYMENT_STATUSES = ("PAID", "PENDING", "FAILED", "FULLY_REFUNDED", "PARTIALLY_REFUNDED")
MARKETPLACES = {
    "USD": "EBAY_US",
    "GBP": "EBAY_GB",
    "EUR": "EBAY_DE",
    "CAD": "EBAY_CA",
    "AUD": "EBAY_AU",
}
# eBay International Shipping hub: for ebaySupportedFulfillment orders the seller ships here.
EIS_HUB = {
    "fullName": "eBay International Shipping",
    "contactAddress": {
        "addressLine1": "1850 Airport Exchange Blvd",
        "addressLine2": "Suite 200",
        "city": "Erlanger",
        "stateOrProvince": "KY",
        "postalCode": "41025-2501",
        "countryCode": "US",
    },
    "primaryPhone": {"phoneNumber": "8595550100"},
}
ITEM_FIELDS = (
    "sku",
    "legacyItemId",
    "legacyVariationId",
    "title",
    "variationAspects",
    "quantity",
    "price",
    "shippingCost",
)


class SaleError(ValueError):
    """The sale JSON is not usable (the control endpoint answers 400)."""


def money(value) -> Decimal:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise SaleError(f"not an amount: {value!r}") from exc
    if not amount.is_finite() or amount < 0:
        raise SaleError(f"not an amount: {value!r}")
    return amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def amount(value: Decimal, currency: str) -> dict:
    return {"value": f"{value:.2f}", "currency": currency}


class IdSource:
    """eBay-looking identifiers drawn from a seeded generator, unique within one sandbox."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.used: set[str] = set()
        self.sales_record = 1000

    def digits(self, n: int, first: str = "") -> str:
        while True:
            value = first + "".join(str(self.rng.randint(0, 9)) for _ in range(n - len(first)))
            if value not in self.used:
                self.used.add(value)
                return value

    def order_id(self) -> str:
        while True:
            value = (
                f"{self.rng.randint(1, 27):02d}-{self.rng.randint(0, 99999):05d}-"
                f"{self.rng.randint(0, 99999):05d}"
            )
            if value not in self.used:
                self.used.add(value)
                return value

    def next_sales_record(self) -> str:
        self.sales_record += 1
        return str(self.sales_record)


def _aspects(value) -> list[dict]:
    if value is None:
        return []
    if isinstance(value, dict):
        return [{"name": str(k), "value": str(v)} for k, v in value.items()]
    if isinstance(value, list) and all(
        isinstance(a, dict) and "name" in a and "value" in a for a in value
    ):
        return [{"name": str(a["name"]), "value": str(a["value"])} for a in value]
    raise SaleError("variationAspects must be a list of {name, value} or an object")


def _line_item(spec: dict, ids: IdSource, currency: str, marketplace: str, dates: dict) -> dict:
    if not isinstance(spec, dict):
        raise SaleError("each line item must be an object")
    if not spec.get("sku") and not spec.get("legacyItemId"):
        raise SaleError("a line item needs sku and/or legacyItemId")
    quantity = spec.get("quantity", 1)
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
        raise SaleError("quantity must be a whole number >= 1")
    if "price" not in spec:
        raise SaleError("price is required")
    unit, shipping = money(spec["price"]), money(spec.get("shippingCost", "0"))
    cost = unit * quantity
    item: dict = {
        "lineItemId": ids.digits(14, "1"),
        "legacyItemId": str(spec.get("legacyItemId") or ids.digits(12, "3")),
    }
    if spec.get("legacyVariationId"):
        item["legacyVariationId"] = str(spec["legacyVariationId"])
    if spec.get("sku"):
        item["sku"] = str(spec["sku"])
    item.update(
        {
            "title": str(spec.get("title") or f"Item {item['legacyItemId']}"),
            "lineItemCost": amount(cost, currency),
            "quantity": quantity,
            "soldFormat": "FIXED_PRICE",
            "listingMarketplaceId": marketplace,
            "purchaseMarketplaceId": marketplace,
            "lineItemFulfillmentStatus": "NOT_STARTED",
            "total": amount(cost + shipping, currency),
            "deliveryCost": {"shippingCost": amount(shipping, currency)},
            "appliedPromotions": [],
            "taxes": [],
            "properties": {"buyerProtection": True},
            "lineItemFulfillmentInstructions": dict(dates, guaranteedDelivery=False),
            "refunds": [],
        }
    )
    aspects = _aspects(spec.get("variationAspects"))
    if aspects:
        item["variationAspects"] = aspects
    return item


def _contact(buyer: dict) -> dict:
    address = buyer.get("address")
    if (
        not isinstance(address, dict)
        or not address.get("addressLine1")
        or not address.get("countryCode")
    ):
        raise SaleError("buyer.address needs at least addressLine1 and countryCode")
    keys = ("addressLine1", "addressLine2", "city", "stateOrProvince", "postalCode", "countryCode")
    contact_address = {k: str(address[k]) for k in keys if address.get(k)}
    contact = {
        "fullName": str(buyer.get("name") or "eBay Buyer"),
        "contactAddress": contact_address,
    }
    if buyer.get("phone"):
        contact["primaryPhone"] = {"phoneNumber": str(buyer["phone"])}
    if buyer.get("email"):
        contact["email"] = str(buyer["email"])
    return contact


def build_order(
    sale: dict, ids: IdSource, rng: random.Random, now: datetime, seller_id: str
) -> dict:
    """A new eBay Order (NOT_STARTED) for ``sale``. Raises SaleError on bad input."""
    if not isinstance(sale, dict):
        raise SaleError("the sale must be a JSON object")
    currency = str(sale.get("currency") or "USD").upper()
    marketplace = MARKETPLACES.get(currency, "EBAY_US")
    status = str(sale.get("paymentStatus") or "PAID").upper()
    if status not in PAYMENT_STATUSES:
        raise SaleError(f"paymentStatus must be one of {', '.join(PAYMENT_STATUSES)}")
    buyer = sale.get("buyer")
    if buyer is None:
        buyer = random_buyer(rng)
    elif not isinstance(buyer, dict):
        raise SaleError("buyer must be an object")
    else:
        buyer = {**random_buyer(rng), **buyer}
    specs = sale.get("lineItems")
    if specs is None:
        specs = [{k: sale[k] for k in ITEM_FIELDS if k in sale}]
    if not isinstance(specs, list) or not specs:
        raise SaleError("lineItems must be a non-empty list")
    dates = {
        "minEstimatedDeliveryDate": iso(now + timedelta(days=5)),
        "maxEstimatedDeliveryDate": iso(now + timedelta(days=9)),
        "shipByDate": iso(now + timedelta(days=3)),
    }
    contact = _contact(buyer)
    items = [_line_item(spec, ids, currency, marketplace, dates) for spec in specs]
    subtotal = sum((Decimal(i["lineItemCost"]["value"]) for i in items), Decimal("0"))
    delivery = sum(
        (Decimal(i["deliveryCost"]["shippingCost"]["value"]) for i in items), Decimal("0")
    )
    total = subtotal + delivery
    fee = (total * FEE_RATE + FEE_FIXED).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    order_id = ids.order_id()
    supported = bool(sale.get("ebaySupportedFulfillment", False))
    instruction: dict = {
        "fulfillmentInstructionsType": "SHIP_TO",
        "minEstimatedDeliveryDate": dates["minEstimatedDeliveryDate"],
        "maxEstimatedDeliveryDate": dates["maxEstimatedDeliveryDate"],
        "ebaySupportedFulfillment": supported,
        "shippingStep": {
            "shipTo": contact,
            "shippingCarrierCode": "USPS",
            "shippingServiceCode": "USPSPriority",
        },
    }
    if supported:
        instruction["finalDestinationAddress"] = dict(contact["contactAddress"])
        instruction["shippingStep"] = {
            "shipTo": copy.deepcopy(EIS_HUB),
            "shipToReferenceId": ids.digits(16, "5"),
            "shippingCarrierCode": "USPS",
            "shippingServiceCode": "USPSPriority",
        }
    payment: dict = {
        "paymentMethod": "EBAY",
        "amount": amount(total, currency),
        "paymentStatus": status if status in ("PAID", "PENDING", "FAILED") else "PAID",
    }
    if payment["paymentStatus"] == "PAID":
        payment["paymentDate"] = iso(now)
    address = contact["contactAddress"]
    order = {
        "orderId": order_id,
        "creationDate": iso(now),
        "lastModifiedDate": iso(now),
        "orderFulfillmentStatus": "NOT_STARTED",
        "orderPaymentStatus": status,
        "sellerId": seller_id,
        "buyer": {
            "username": str(buyer.get("username") or "ebay_buyer"),
            "taxAddress": {
                k: address[k]
                for k in ("city", "stateOrProvince", "postalCode", "countryCode")
                if k in address
            },
            "buyerRegistrationAddress": copy.deepcopy(contact),
        },
        "pricingSummary": {
            "priceSubtotal": amount(subtotal, currency),
            "deliveryCost": amount(delivery, currency),
            "total": amount(total, currency),
        },
        "cancelStatus": {"cancelState": "NONE_REQUESTED", "cancelRequests": []},
        "paymentSummary": {
            "totalDueSeller": amount(total, currency),
            "refunds": [],
            "payments": [payment],
        },
        "fulfillmentStartInstructions": [instruction],
        "fulfillmentHrefs": [],
        "salesRecordReference": ids.next_sales_record(),
        "totalFeeBasisAmount": amount(total, currency),
        "totalMarketplaceFee": amount(fee, currency),
        "lineItems": items,
    }
    if sale.get("buyerCheckoutNotes"):
        order["buyerCheckoutNotes"] = str(sale["buyerCheckoutNotes"])
    return order
