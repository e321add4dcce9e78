"""The one-click rule is a property of the adapter base, so it holds for EVERY registered adapter.

Each adapter from the registry runs the base's checkout skeleton with its steps replaced by
scripted outcomes (ok, or each kind of error, at each step; the guard refusing; a wrong
confirmation). Whatever happens: place-order is clicked at most once, never after a refused guard
or a failed step before it, and after the click nothing but the confirmation is read — no step is
retried. (Scripted fakes only here; the real steps run in real Chromium in
test_demo_shop_flows.py.)
"""

import itertools
from decimal import Decimal

import pytest

from autoorder.scrapers import ADAPTERS, get_adapter
from autoorder.scrapers import base as b

STEPS = [
    "empty_cart",
    "add_to_cart",
    "checkout",
    "read_review",
    "prepare_place",
    "guard",
    "click_place_order",
    "read_confirmation",
]
ERRORS = [
    None,
    b.SupplierError,
    b.OutOfStockError,
    b.PaymentDeclinedError,
    b.PageChangedError,
    b.SupplierUnavailableError,
    b.PriceAboveLimitError,
    RuntimeError,  # a crash, not a supplier answer
]
ADDRESS = b.Address("Jane Doe", "1 Main St", "", "Austin", "TX", "78701", "US")
REQUEST = b.PurchaseRequest("/products/x", "Black / L", 2, ADDRESS, "AO-1-abc", Decimal("50"))
CREDENTIALS = b.Credentials("bot@example.com", "secret", "card", "4242424242424242", "12/30")
TOTALS = b.ReviewTotals(Decimal("20"), Decimal("0"), Decimal("1"), Decimal("21"))


class FakePage:
    url = "https://supplier.example/checkout"

    def screenshot(self, **_kwargs):
        return b"\x89PNG"


def scripted(adapter, log, failing_step, error, confirmation_lines):
    """Replace the adapter's steps (instance attributes: the class and its skeleton stay)."""

    def step(name, result=None):
        def run(*_args, **_kwargs):
            log.append(name)
            if name == failing_step and error is not None:
                raise error(f"scripted {error.__name__} at {name}")
            return result

        return run

    confirmation = b.Confirmation("SO-1", Decimal("21"), confirmation_lines, "Jane Doe", "78701")
    adapter.empty_cart = step("empty_cart")
    adapter.add_to_cart = step("add_to_cart", "SKU-1")
    adapter.checkout = step("checkout")
    adapter.read_review = step("read_review", TOTALS)
    adapter.prepare_place = step("prepare_place")
    adapter.click_place_order = step("click_place_order")
    adapter.read_confirmation = step("read_confirmation", confirmation)
    return step("guard")


@pytest.mark.parametrize("key", sorted(ADAPTERS))
def test_adapters_do_not_override_the_skeleton(key):
    adapter = get_adapter(key, "https://supplier.example")
    for name in ("place_order", "walk_to_review"):
        assert getattr(type(adapter), name) is getattr(b.SupplierAdapter, name), (key, name)


@pytest.mark.parametrize("key", sorted(ADAPTERS))
@pytest.mark.parametrize(
    "failing_step,error,lines",
    [
        *((s, e, [("SKU-1", 2)]) for s, e in itertools.product(STEPS, ERRORS)),
        (None, None, [("SKU-1", 2), ("SKU-9", 1)]),  # the confirmation shows other contents
        (None, None, [("SKU-1", 3)]),
    ],
)
def test_no_path_clicks_twice_after_a_refusal_or_retries_after_the_click(
    key, failing_step, error, lines
):
    adapter, log = get_adapter(key, "https://supplier.example"), []
    guard = scripted(adapter, log, failing_step, error, lines)
    try:
        placed = adapter.place_order(FakePage(), REQUEST, CREDENTIALS, before_place=guard)
    except Exception as exc:  # noqa: BLE001 - every outcome is checked below
        outcome = exc
    else:
        outcome = placed
    clicks = log.count("click_place_order")
    assert clicks <= 1, log
    if failing_step is not None and error is not None:
        assert isinstance(outcome, error)
        failed_at = STEPS.index(failing_step)
        assert log == STEPS[: failed_at + 1], log  # stopped at the failure, nothing retried
        if failed_at < STEPS.index("click_place_order"):
            assert clicks == 0  # a failed step or a refused guard: never clicked
    if clicks:
        after = log[log.index("click_place_order") + 1 :]
        assert after in ([], ["read_confirmation"]), log  # after the click: only reading
    if lines != [("SKU-1", 2)]:
        assert isinstance(outcome, b.WrongContentsError) and outcome.supplier_order_number == "SO-1"
        assert clicks == 1
    elif failing_step is None or error is None:
        assert outcome == b.PlacedOrder("SO-1", Decimal("21"), outcome.screenshots)
        assert log == STEPS
