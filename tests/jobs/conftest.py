"""Fixtures for the job tests."""

# The eBay emulator fixtures (one emulator process per session, shared with tests/ebay).
from tests.ebay.ebay_fixtures import ebay_account, ebay_emulator, ebay_sandbox  # noqa: F401
