"""The dashboard served for a real browser."""

import pytest

from tests.support import served_over_http


@pytest.fixture
def live_server(app):
    """The test app on a real local HTTP server (threaded); its base URL."""
    with served_over_http(app) as url:
        yield url
