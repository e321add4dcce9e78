"""A selector override applies live: the next supplier session in real Chromium uses it, without a
restart, and restoring the earlier version undoes it."""

import pytest

from autoorder.extensions import db
from autoorder.jobs.bots import test_bot_login as run_login_test
from autoorder.models import OrderBot, SelectorOverride

pytestmark = [pytest.mark.browser]


def _override(loop, selectors):
    with loop.app.app_context():
        bot = db.session.get(OrderBot, loop.bot_id)
        db.session.add(
            SelectorOverride(supplier_id=bot.supplier_id, selectors=selectors, saved_by="op@x")
        )
        db.session.commit()


def test_an_override_changes_the_next_session_without_a_restart(loop):
    loop.setup()
    with loop.app.app_context():
        assert run_login_test(loop.bot_id) == "ok"
    _override(loop, {"login_submit": ["#submit-that-moved"]})  # a wrong fix
    with loop.app.app_context():
        assert run_login_test(loop.bot_id) == "page_changed"
        result = db.session.get(OrderBot, loop.bot_id).last_login_check_result
        assert "#submit-that-moved" in result["message"]
    _override(loop, {"login_submit": ["#submit-that-moved", "#login-submit"]})  # with a fallback
    with loop.app.app_context():
        assert run_login_test(loop.bot_id) == "ok"
