"""In-memory orders and shipping fulfillments. Callers hold the sandbox lock."""

from __future__ import annotations

import copy
import random
from dataclasses import dataclass, field
from datetime import datetime

from sandbox.ebay.clock import iso
from sandbox.ebay.contract import BASE_PATH
from sandbox.ebay.orders import PAYMENT_STATUSES, IdSource, SaleError, build_order


@dataclass
class OrderRecord:
    data: dict
    created: datetime
    modified: datetime
    seq: int = 0  # creation order, breaks ties between equal creation dates
    shipped: dict[str, int] = field(default_factory=dict)  # lineItemId -> units shipped
    fulfillments: list[dict] = field(
        default_factory=list
    )  # ShippingFulfillment objects, oldest first

    @property
    def order_id(self) -> str:
        return self.data["orderId"]

    def line_item(self, line_item_id: str) -> dict | None:
        return next((li for li in self.data["lineItems"] if li["lineItemId"] == line_item_id), None)

    def remaining(self, line_item_id: str) -> int:
        item = self.line_item(line_item_id)
        return 0 if item is None else item["quantity"] - self.shipped.get(line_item_id, 0)

    def touch(self, now: datetime) -> None:
        self.modified = now
        self.data["lastModifiedDate"] = iso(now)

    def render(self, base_url: str, in_list: bool = False) -> dict:
        """The Order as the API returns it. getOrders leaves cancelRequests empty, as eBay
        documents."""
        out = copy.deepcopy(self.data)
        out["fulfillmentHrefs"] = [
            f"{base_url}{BASE_PATH}/order/{self.order_id}/shipping_fulfillment/{f['fulfillmentId']}"
            for f in self.fulfillments
        ]
        if in_list:
            out["cancelStatus"]["cancelRequests"] = []
        return out


class OrderStore:
    def __init__(self, seed: int, seller_id: str):
        self.seller_id = seller_id
        self.rng = random.Random(f"{seed}:orders")
        self.ids = IdSource(self.rng)
        self.records: dict[str, OrderRecord] = {}
        self.received: list[
            dict
        ] = []  # every shipping fulfillment, with orderId, for /sandbox/fulfillments

    def create(self, sale: dict, now: datetime) -> OrderRecord:
        data = build_order(sale, self.ids, self.rng, now, self.seller_id)
        record = OrderRecord(data=data, created=now, modified=now, seq=len(self.records))
        self.records[record.order_id] = record
        return record

    def get(self, order_id: str) -> OrderRecord | None:
        return self.records.get(order_id)

    def sorted_records(self) -> list[OrderRecord]:
        """Oldest to newest by creation date, as the contract documents for getOrders."""
        return sorted(self.records.values(), key=lambda r: (r.created, r.seq))

    def add_fulfillment(self, record: OrderRecord, fulfillment: dict, now: datetime) -> None:
        for ref in fulfillment["lineItems"]:
            record.shipped[ref["lineItemId"]] = (
                record.shipped.get(ref["lineItemId"], 0) + ref["quantity"]
            )
        for item in record.data["lineItems"]:
            shipped = record.shipped.get(item["lineItemId"], 0)
            if shipped >= item["quantity"]:
                item["lineItemFulfillmentStatus"] = "FULFILLED"
            elif shipped > 0:
                item["lineItemFulfillmentStatus"] = "IN_PROGRESS"
        states = {i["lineItemFulfillmentStatus"] for i in record.data["lineItems"]}
        if states == {"FULFILLED"}:
            record.data["orderFulfillmentStatus"] = "FULFILLED"
        elif states != {"NOT_STARTED"}:
            record.data["orderFulfillmentStatus"] = "IN_PROGRESS"
        record.fulfillments.append(fulfillment)
        self.received.append(dict(fulfillment, orderId=record.order_id, receivedAt=iso(now)))
        record.touch(now)

    def request_cancel(
        self, record: OrderRecord, now: datetime, reason: str, initiator: str
    ) -> dict:
        request = {
            "cancelInitiator": initiator,
            "cancelReason": reason,
            "cancelRequestedDate": iso(now),
            "cancelRequestId": self.ids.digits(10, "5"),
            "cancelRequestState": "REQUESTED",
        }
        record.data["cancelStatus"]["cancelRequests"].append(request)
        record.data["cancelStatus"]["cancelState"] = "IN_PROGRESS"
        record.touch(now)
        return request

    def decide_cancel(self, record: OrderRecord, now: datetime, approve: bool) -> None:
        status = record.data["cancelStatus"]
        pending = [r for r in status["cancelRequests"] if r["cancelRequestState"] == "REQUESTED"]
        if not pending:
            raise SaleError("the order has no open cancel request")
        for request in pending:
            request["cancelRequestState"] = "COMPLETED" if approve else "REJECTED"
            if approve:
                request["cancelCompletedDate"] = iso(now)
        if approve:
            status["cancelState"] = "CANCELED"
            status["cancelledDate"] = iso(now)
            self._refund_all(record, now)
        else:
            status["cancelState"] = "NONE_REQUESTED"
        record.touch(now)

    def _refund_all(self, record: OrderRecord, now: datetime) -> None:
        summary = record.data["paymentSummary"]
        if record.data["orderPaymentStatus"] != "PAID":
            return
        record.data["orderPaymentStatus"] = "FULLY_REFUNDED"
        summary["refunds"].append(
            {
                "refundId": self.ids.digits(10, "6"),
                "refundDate": iso(now),
                "refundStatus": "REFUNDED",
                "amount": dict(record.data["pricingSummary"]["total"]),
            }
        )

    def set_payment_status(self, record: OrderRecord, status: str, now: datetime) -> None:
        status = str(status).upper()
        if status not in PAYMENT_STATUSES:
            raise SaleError(f"status must be one of {', '.join(PAYMENT_STATUSES)}")
        record.data["orderPaymentStatus"] = status
        for payment in record.data["paymentSummary"]["payments"]:
            if status in ("PAID", "PENDING", "FAILED"):
                payment["paymentStatus"] = status
            if payment["paymentStatus"] == "PAID":
                payment.setdefault("paymentDate", iso(now))
            else:
                payment.pop("paymentDate", None)
        record.touch(now)

    def set_ship_to(self, record: OrderRecord, change: dict, now: datetime) -> None:
        if not isinstance(change, dict):
            raise SaleError("the body must be a JSON object")
        step = record.data["fulfillmentStartInstructions"][0]
        supported = step.get("ebaySupportedFulfillment", False)
        target = step["shippingStep"]["shipTo"] if not supported else None
        address = change.get("address", change.get("contactAddress"))
        if address is not None:
            if not isinstance(address, dict) or not address.get("addressLine1"):
                raise SaleError("address needs at least addressLine1")
            keys = (
                "addressLine1",
                "addressLine2",
                "city",
                "stateOrProvince",
                "postalCode",
                "countryCode",
            )
            new_address = {k: str(address[k]) for k in keys if address.get(k)}
            new_address.setdefault("countryCode", "US")
            if supported:
                step["finalDestinationAddress"] = new_address
            else:
                target["contactAddress"] = new_address
        if target is not None:
            if change.get("name") or change.get("fullName"):
                target["fullName"] = str(change.get("name") or change.get("fullName"))
            if change.get("phone"):
                target["primaryPhone"] = {"phoneNumber": str(change["phone"])}
        record.touch(now)
