"""Golden pairs for every registered adapter, discovered: tests/scrapers/fixtures/<key>/<case>.html
(a saved supplier page) + <case>.json (what the adapter must read from it). No case lists: a page
downloaded from a failed order becomes a test by dropping it in with its expected JSON.

The JSON holds the expected TrackingInfo fields (status, carrier, tracking_number, packages: a
list of {tracking_number, carrier, status, items}), or
``{"error": "<code>"}`` for a page the adapter must refuse; an optional ``"selectors"`` object is
the supplier's selector override the page needs (the repair loop: a changed page + its fix).
"""

import json
from pathlib import Path

import pytest

from autoorder.scrapers import ADAPTERS, get_adapter
from autoorder.scrapers.base import Package, SupplierError, TrackingInfo

FIXTURES = Path(__file__).parent / "fixtures"
CASES = [
    (key, path.stem) for key in sorted(ADAPTERS) for path in sorted((FIXTURES / key).glob("*.json"))
]


@pytest.mark.parametrize("key", sorted(ADAPTERS))
def test_every_adapter_has_golden_pairs(key):
    folder = FIXTURES / key
    pages = {p.stem for p in folder.glob("*.html")}
    expectations = {p.stem for p in folder.glob("*.json")}
    assert pages, f"no fixtures for {key}: add {folder}/<case>.html + <case>.json"
    assert pages == expectations, f"unpaired: {sorted(pages ^ expectations)}"


@pytest.mark.parametrize("key,case", CASES, ids=[f"{k}/{c}" for k, c in CASES])
def test_golden_pair(key, case):
    expected = json.loads((FIXTURES / key / f"{case}.json").read_text())
    override = expected.pop("selectors", None)
    adapter = get_adapter(key, "http://supplier.invalid/", override)
    html = (FIXTURES / key / f"{case}.html").read_text()
    if "error" in expected:
        with pytest.raises(SupplierError) as caught:
            adapter.parse_tracking(html)
        assert caught.value.code == expected["error"]
    else:
        packages = tuple(
            Package(**{**p, "items": tuple(p.get("items", ()))})
            for p in expected.pop("packages", [])
        )
        assert adapter.parse_tracking(html) == TrackingInfo(**expected, packages=packages)
