"""Acting on eBay's Marketplace Account Deletion notifications: erase that eBay user's personal
data.

What goes: on their orders (as a buyer) the buyer's username, name, ship-to address, phone and
e-mail, and the purchase screenshots (they show the address); for a connected seller account of
theirs, its tokens and its eBay user name. What stays, for the seller's books: order and line item
ids, amounts, fees, supplier order numbers, the timeline. The job takes the notice id, reloads it
and is safe to run twice; the tick enqueues a notice that is still unprocessed (Redis lost it).
"""

import logging

from sqlalchemy import select

from autoorder import clock, orders
from autoorder.ebay.accounts import RECONNECT_NEEDED
from autoorder.evidence import path_of
from autoorder.extensions import db
from autoorder.models import EbayAccount, EbayDeletionNotice, Evidence, Order
from autoorder.orders import OrderStatus as S

log = logging.getLogger(__name__)

ERASED_ACCOUNT_NAME = "(eBay account deleted)"


def erase_ebay_user(notice_id: int) -> str:
    notice = db.session.get(EbayDeletionNotice, notice_id)
    if notice is None:
        return "nothing to do"
    if notice.processed_at is not None:
        return "already erased"
    username = notice.username
    erased_orders = 0
    for order in db.session.scalars(select(Order).where(Order.buyer_username == username)):
        erase_buyer(order)
        erased_orders += 1
    erased_accounts = 0
    for account in db.session.scalars(select(EbayAccount).where(EbayAccount.name == username)):
        account.access_token = account.refresh_token = None
        account.access_token_expires_at = account.refresh_token_expires_at = None
        account.name = ERASED_ACCOUNT_NAME
        account.status = RECONNECT_NEEDED
        account.last_error = "eBay closed this account: its tokens and name were erased."
        erased_accounts += 1
    notice.username = notice.ebay_user_id = None  # kept only until acted on
    notice.orders_erased, notice.accounts_erased = erased_orders, erased_accounts
    notice.processed_at = clock.now()
    db.session.commit()
    log.info(
        "eBay deletion notice %s: %d orders and %d accounts erased",
        notice_id,
        erased_orders,
        erased_accounts,
    )
    return f"erased orders={erased_orders} accounts={erased_accounts}"


def erase_buyer(order: Order) -> None:
    """Blank the buyer's personal data on one sale (does not commit)."""
    order.buyer_username = None
    order.buyer_name = None
    order.ship_to = {}
    for evidence in db.session.scalars(select(Evidence).where(Evidence.order_id == order.id)):
        try:
            path_of(evidence).unlink(missing_ok=True)
        except OSError as exc:
            log.warning("evidence %s of order %s not deleted: %s", evidence.id, order.id, exc)
        db.session.delete(evidence)
    reason = "eBay account deletion: the buyer's personal data was erased"
    if order.status == S.WAITING:  # nothing can be shipped to an erased address
        orders.fail(order, S.NEEDS_ATTENTION, code="buyer_erased", message=reason, actor="ebay")
    else:
        orders.note(order, reason, actor="ebay", data={"flag": "buyer_erased"})
