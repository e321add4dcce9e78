"""Access to the official contract files kept in ``sandbox/ebay/contract/`` (see SOURCE.md
there)."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

CONTRACT_DIR = Path(__file__).resolve().parent / "contract"
SPEC_PATH = CONTRACT_DIR / "sell_fulfillment_v1_oas3.json"
CARRIERS_PATH = CONTRACT_DIR / "ebay_shipping_carrier_codes.derived.txt"
NOTIFICATION_SPEC_PATH = CONTRACT_DIR / "commerce_notification_v1_oas3.json"
BASE_PATH = "/sell/fulfillment/v1"
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


@lru_cache(maxsize=1)
def _spec_text() -> str:
    return SPEC_PATH.read_text(encoding="utf-8")


def load_spec() -> dict:
    """A fresh copy of the Sell Fulfillment OpenAPI document (callers may modify it)."""
    return json.loads(_spec_text())


def load_notification_spec() -> dict:
    """A fresh copy of the Notification API OpenAPI document (getPublicKey)."""
    return json.loads(NOTIFICATION_SPEC_PATH.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def carrier_codes() -> dict[str, str]:
    """eBay shipping carrier codes, keyed by lower case, mapped to eBay's spelling."""
    codes: dict[str, str] = {}
    for line in CARRIERS_PATH.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            codes[line.lower()] = line
    return codes


def canonical_carrier(code: str) -> str | None:
    """eBay's spelling of ``code`` (matched case-insensitively), or None if eBay does not list
    it."""
    if not isinstance(code, str):
        return None
    return carrier_codes().get(code.strip().lower())


@lru_cache(maxsize=1)
def documented_error_ids() -> dict[str, dict[int, dict]]:
    """For each operationId: the error ids that the spec's ``x-response-codes`` list, with
    domain/category."""
    spec = load_spec()
    out: dict[str, dict[int, dict]] = {}
    for item in spec["paths"].values():
        for method, op in item.items():
            if method not in HTTP_METHODS:
                continue
            ids: dict[int, dict] = {}
            for status, resp in op.get("responses", {}).items():
                for eid, info in resp.get("x-response-codes", {}).get("errors", {}).items():
                    ids[int(eid)] = dict(info, status=int(status))
            out[op["operationId"]] = ids
    return out
