"""Fixtures for the eBay client and sync tests (see ebay_fixtures.py)."""

from tests.ebay.ebay_fixtures import ebay_account, ebay_emulator, ebay_sandbox  # noqa: F401
