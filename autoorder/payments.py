"""The payment step of a credits purchase, kept apart so a real provider can replace it.

A provider takes a ``PaymentRequest`` and either returns a ``Payment`` whose ``reference`` is
unique to that payment, or raises ``PaymentError``. The same ``idempotency_key`` always yields the
same reference, so booking the credits with it (``credits.record_package_purchase``) happens once
however often the request is sent. Today there is no payment provider: ``ManualPayment`` "charges"
by an admin confirming that the team paid outside the app (invoice, bank transfer).
"""

import re
from abc import ABC, abstractmethod
from dataclasses import dataclass
from decimal import Decimal

from flask import current_app

KEY_RE = re.compile(r"^[0-9a-f]{32}$")


class PaymentError(Exception):
    """The payment was not taken; the message says why and is shown to the admin."""


@dataclass(frozen=True)
class PaymentRequest:
    team_id: int
    package_id: int
    amount: Decimal
    currency: str
    idempotency_key: str  # one per purchase form shown: a resubmission is the same payment
    actor: str
    confirmed: bool = False  # the admin confirms the money was received (ManualPayment)


@dataclass(frozen=True)
class Payment:
    reference: str
    provider: str


class PaymentProvider(ABC):
    name: str

    @abstractmethod
    def charge(self, request: PaymentRequest) -> Payment:
        """Take the payment; return it with a stable reference, or raise PaymentError."""


class ManualPayment(PaymentProvider):
    """No online payment: an admin records a payment received outside the app."""

    name = "manual"

    def charge(self, request: PaymentRequest) -> Payment:
        """Return the payment once the admin has confirmed it; raise PaymentError otherwise."""
        if not KEY_RE.match(request.idempotency_key or ""):
            raise PaymentError("The purchase form is incomplete. Reload the page and try again.")
        if not request.confirmed:
            raise PaymentError(
                f"Confirm that the payment of {request.amount} {request.currency} "
                "was received before recording it."
            )
        return Payment(
            reference=f"manual-{request.team_id}-{request.idempotency_key}", provider=self.name
        )


PROVIDERS: dict[str, type[PaymentProvider]] = {ManualPayment.name: ManualPayment}


def provider() -> PaymentProvider:
    """Return the configured payment provider (PAYMENT_PROVIDER, default "manual")."""
    name = current_app.config.get("PAYMENT_PROVIDER") or ManualPayment.name
    try:
        return PROVIDERS[name]()
    except KeyError:
        raise PaymentError(
            f"unknown payment provider {name!r}; known: {sorted(PROVIDERS)}"
        ) from None
