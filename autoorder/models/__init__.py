"""The data model. Import models from here."""

from sqlalchemy import event

from autoorder.models.credits import CreditBalance, CreditEntry, CreditPackage
from autoorder.models.ebay_account import (
    EbayAccount,
    EbayApiUsage,
    EbayDeletionNotice,
    EbayOrderProblem,
)
from autoorder.models.handoff import Handoff
from autoorder.models.notification import (
    Notification,
    NotificationDelivery,
    NotificationTarget,
)
from autoorder.models.order import (
    Evidence,
    Order,
    OrderEvent,
    OrderStatusCount,
    PurchaseAttempt,
    Shipment,
    TrackingCheck,
)
from autoorder.models.suppliers import (
    PAYMENT_METHODS,
    GiftCardEntry,
    Listing,
    OrderBot,
    SelectorOverride,
    SkuRule,
    Supplier,
)
from autoorder.models.team import ROLES, SignIn, Team, User

APPEND_ONLY = (OrderEvent, CreditEntry, GiftCardEntry)


class AppendOnlyError(RuntimeError):
    """An update or delete was attempted on an append-only table."""


def _refuse(mapper, connection, target):
    raise AppendOnlyError(f"{type(target).__name__} rows are append-only")


for _model in APPEND_ONLY:
    event.listen(_model, "before_update", _refuse)
    event.listen(_model, "before_delete", _refuse)

__all__ = [
    "AppendOnlyError",
    "CreditBalance",
    "CreditEntry",
    "CreditPackage",
    "EbayAccount",
    "EbayApiUsage",
    "EbayDeletionNotice",
    "EbayOrderProblem",
    "GiftCardEntry",
    "Evidence",
    "Handoff",
    "Listing",
    "Notification",
    "NotificationDelivery",
    "NotificationTarget",
    "Order",
    "OrderBot",
    "OrderEvent",
    "OrderStatusCount",
    "PAYMENT_METHODS",
    "PurchaseAttempt",
    "ROLES",
    "SelectorOverride",
    "Shipment",
    "SkuRule",
    "SignIn",
    "Supplier",
    "Team",
    "TrackingCheck",
    "User",
]
