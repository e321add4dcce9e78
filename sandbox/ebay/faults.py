"""Run-time fault injection for the Sell Fulfillment API endpoints.

``POST /sandbox/faults`` with ``{"fault": KIND, "count": N or null, "delay": s, "operations":
[...]}``. ``count`` null (or absent) keeps the fault on until ``DELETE /sandbox/faults``.
``operations`` limits it to some operationIds (for example ``["getOrders"]``), and absent means
every API operation. Faults of different kinds can be active together, for example slow and
malformed.
"""

from __future__ import annotations

from dataclasses import dataclass

KINDS = ("rate_limit", "server_error", "slow", "malformed")
OPERATIONS = (
    "getOrders",
    "getOrder",
    "createShippingFulfillment",
    "getShippingFulfillments",
    "getShippingFulfillment",
)


class FaultError(ValueError):
    pass


@dataclass
class Fault:
    kind: str
    remaining: int | None
    delay: float = 0.0
    operations: frozenset[str] | None = None
    error_id: int = 2003
    hits: int = 0

    def as_dict(self) -> dict:
        return {
            "fault": self.kind,
            "count": self.remaining,
            "delay": self.delay,
            "hits": self.hits,
            "operations": sorted(self.operations) if self.operations else None,
            **({"errorId": self.error_id} if self.kind == "server_error" else {}),
        }


def parse_fault(spec) -> Fault:
    if not isinstance(spec, dict):
        raise FaultError("the body must be a JSON object")
    kind = spec.get("fault")
    if kind not in KINDS:
        raise FaultError(f"fault must be one of {', '.join(KINDS + ('expired_token',))}")
    count = spec.get("count")
    if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 1):
        raise FaultError("count must be a whole number >= 1, or null for until cleared")
    delay = spec.get("delay", 2.0 if kind == "slow" else 0.0)
    if isinstance(delay, bool) or not isinstance(delay, int | float) or delay < 0 or delay > 600:
        raise FaultError("delay must be a number of seconds between 0 and 600")
    operations = spec.get("operations")
    if operations is not None:
        if not isinstance(operations, list) or not set(operations) <= set(OPERATIONS):
            raise FaultError(f"operations must be a list of: {', '.join(OPERATIONS)}")
        operations = frozenset(operations)
    error_id = spec.get("errorId", 2003)
    if error_id not in (2003, 30500):
        raise FaultError(
            "errorId for server_error must be 2003 (Internal error) or 30500 (System error)"
        )
    return Fault(kind, count, float(delay), operations, error_id)


class FaultBox:
    def __init__(self):
        self.active: list[Fault] = []

    def add(self, fault: Fault) -> None:
        self.active.append(fault)

    def clear(self) -> int:
        count = len(self.active)
        self.active.clear()
        return count

    def take(self, operation: str) -> dict[str, Fault]:
        """The faults that hit this request, one per kind, counting them down."""
        hit: dict[str, Fault] = {}
        for fault in list(self.active):
            if fault.kind in hit or (fault.operations and operation not in fault.operations):
                continue
            hit[fault.kind] = fault
            fault.hits += 1
            if fault.remaining is not None:
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self.active.remove(fault)
        return hit
