"""The Solve page in real Chromium, under the Content-Security-Policy: static/handoff.js shows the
frames it long-polls and sends the person's mouse and keys (in the page's CSS pixels) to the input
endpoint with the CSRF header — the hand-off process's side is played by publishing frames into
Redis and reading the input it would take."""

import io
import time
import uuid

import pytest
from PIL import Image

from autoorder import handoff, live_view
from autoorder.extensions import db
from autoorder.models import PurchaseAttempt
from autoorder.scrapers import browser
from autoorder.scrapers.base import BlockedError
from tests.factories import PASSWORD, make_bot, make_order, make_user

pytestmark = pytest.mark.browser


def _jpeg(colour) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (640, 450), colour).save(out, "JPEG")  # half size: the page is 1280×900
    return out.getvalue()


def test_the_live_view_shows_frames_and_sends_the_persons_input(app, redis, live_server):
    with app.app_context():
        user = make_user(role="member", email="solver@example.com")
        bot = make_bot(user.team)
        order = make_order(user.team, status="in_progress", bot_id=bot.id)
        attempt = PurchaseAttempt(order_id=order.id, idempotency_key=uuid.uuid4().hex)
        db.session.add(attempt)
        db.session.commit()
        handoff.begin(order, attempt, BlockedError("a slider", challenge="slider"), "Shop")
        row = handoff.latest_for_order(order.id)
        order_id, handoff_id = order.id, row.id
    live_view.publish_frame(redis, handoff_id, _jpeg((200, 30, 30)), 1280, 900)

    with browser.POOL.page(browser.chromium_executable()) as (_context, page):
        problems = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.goto(f"{live_server}/login")
        page.fill("input[name=email]", "solver@example.com")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.goto(f"{live_server}/orders/{order_id}/solve")
        page.wait_for_selector("#live-view[data-frames='1']", state="attached")  # no eval: CSP
        assert page.get_attribute("#live-frame", "src").startswith("data:image/jpeg;base64,")
        live_view.publish_frame(redis, handoff_id, _jpeg((30, 30, 200)), 1280, 900)
        page.wait_for_selector("#live-view[data-frames='2']", state="attached")

        box = page.locator("#live-frame").bounding_box()
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 4
        page.mouse.move(x, y)
        page.mouse.down()
        page.mouse.move(x + box["width"] / 4, y, steps=5)  # a drag
        page.mouse.up()
        page.keyboard.press("Enter")  # the image has the focus after the click
        page.fill("#live-text", "hello")
        page.click("#live-type-form button")
        events = []
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not any(e["t"] == "text" for e in events):
            events += live_view.take_input(redis, handoff_id)
            time.sleep(0.1)
        events = events[[e["t"] for e in events].index("down") :]  # hover moves came first
        kinds = [e["t"] for e in events]
        assert "move" in kinds and kinds.index("up") > kinds.index("move")
        assert {"t": "key", "key": "Enter"} in events and events[-1] == {
            "t": "text",
            "text": "hello",
        }
        down, up = events[0], next(e for e in events if e["t"] == "up")
        assert abs(down["x"] - 640) < 3 and abs(down["y"] - 225) < 3  # the page's CSS pixels
        assert abs(up["x"] - 960) < 6
        assert not [p for p in problems if "Content Security Policy" in p], problems

        with app.app_context():  # someone gives up elsewhere: the page shows how it ended
            handoff.end(handoff_id, "gave_up", actor="user:0")
        page.wait_for_selector("#handoff-ended", timeout=10_000)
        assert page.get_attribute("#handoff-ended", "data-status") == "gave_up"
