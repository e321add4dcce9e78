"""Issue #16, the human hand-off, with real processes: an order worker and the hand-off process
(real RQ workers, real Chromium), real Redis, the demo shop, and the dashboard (the app's test
client) used by a test acting as the person — it looks at the live view's frames as a person
does (finds the slider in the picture) and sends mouse events through the dashboard's endpoints.
"""

import base64
import io
import json
import os
import signal
import subprocess
import sys
import time
from decimal import Decimal

import pyotp
import pytest
from PIL import Image
from sqlalchemy import select

from autoorder.extensions import db
from autoorder.jobs import enqueue_order
from autoorder.jobs.handoff import sweep_handoffs
from autoorder.models import Handoff, OrderBot, User
from tests.factories import make_bot, make_listing, make_user
from tests.support import ROOT, csrf_token, login

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CAPTCHA, TWO_FACTOR, BUYER = "captcha@demo.test", "2fa@demo.test", "buyer@demo.test"
OTHER_ITEM = {"sku": "CASE-CLR", "legacyItemId": "325400200002", "title": "iPhone case - Clear"}
PIECE, GAP, KNOB = (0, 176, 80), (123, 47, 247), (0, 102, 255)  # the shop's slider colours


def _process(loop, name, *args, **env):
    log = open(loop.tmp_path / f"{name}.log", "w")  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "app", *args],
        cwd=ROOT,
        env=loop.worker_env(**env),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    loop.workers.append(proc)
    return proc


def _processes(loop, **env):
    """The Procfile's order worker and hand-off process."""
    _process(loop, "worker", "worker", "--queues", "orders,default", "--no-scheduler", **env)
    return _process(loop, "handoff", "worker", "--queues", "handoff", "--no-scheduler", **env)


def _wait(predicate, timeout, what, loop=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.3)
    logs = ""
    if loop is not None:
        logs = "\n".join(
            f"--- {p.name}\n{p.read_text()[-3000:]}" for p in loop.tmp_path.glob("*.log")
        )
    raise AssertionError(f"timed out waiting for {what}\n{logs}")


def _sell(loop, **item) -> int:
    ebay_order = loop.sell(**item)
    loop.poll()
    (order,) = [o for o in loop.orders() if o.ebay_order_id == ebay_order["orderId"]]
    loop.make_due(order.id)
    with loop.app.app_context():
        enqueue_order(order.id)
    return order.id


def _bought(loop, order_id, what="the sale to be bought"):
    def done():
        order = loop.order(order_id)
        assert order.status not in ("needs_attention", "failed"), order.failure_message
        return order.status == "succeeded"

    _wait(done, 120, what, loop)


def _handoffs(loop, order_id=None) -> list[Handoff]:
    with loop.app.app_context():
        query = select(Handoff).order_by(Handoff.id)
        if order_id is not None:
            query = query.where(Handoff.order_id == order_id)
        rows = db.session.scalars(query).all()
        db.session.expunge_all()
        return rows


def _live_handoff(loop, order_id) -> Handoff:
    _wait(lambda: loop.order(order_id).status == "needs_you", 90, "needs you", loop)
    return _wait(
        lambda: next((h for h in _handoffs(loop, order_id) if h.status == "live"), None),
        90,
        "the hand-off process to show the challenge",
        loop,
    )


def _shop_orders_of(loop, email) -> list[dict]:
    return [o for o in loop.shop_orders() if o["account_email"] == email]


class Person:
    """A logged-in team member in the dashboard (the web process)."""

    def __init__(self, loop, email):
        self.client = loop.app.test_client()
        login(self.client, email)
        self.token = csrf_token(self.client, "/")

    def frame(self, handoff_id, after=None):
        query = f"?after={after}" if after else ""
        response = self.client.get(f"/handoffs/{handoff_id}/frame{query}")
        assert response.status_code in (200, 204), response.status_code
        return response.get_json() if response.status_code == 200 else None

    def next_frame(self, handoff_id, after=None, timeout=20):
        return _wait(lambda: self.frame(handoff_id, after), timeout, "a live-view frame")

    def send(self, handoff_id, *events):
        return self.client.post(
            f"/handoffs/{handoff_id}/input",
            data=json.dumps({"events": list(events)}),
            content_type="application/json",
            headers={"X-CSRFToken": self.token},
        )


def _centre(image, colour, tolerance=40):
    """Where ``colour`` is in the frame (the centre of its pixels), as a person sees the slider."""
    pixels = image.load()
    xs, ys = [], []
    for y in range(0, image.height, 2):
        for x in range(0, image.width, 2):
            r, g, b = pixels[x, y][:3]
            if abs(r - colour[0]) + abs(g - colour[1]) + abs(b - colour[2]) <= tolerance:
                xs.append(x)
                ys.append(y)
    assert len(xs) > 20, f"no {colour} in the frame"
    return sum(xs) / len(xs), sum(ys) / len(ys)


def _solve_slider(person, handoff_id, frame):
    """Look at the frame, then drag the knob until the piece sits in the gap."""
    image = Image.open(io.BytesIO(base64.b64decode(frame["jpeg"]))).convert("RGB")
    scale = frame["w"] / image.width  # frame pixels → the page's CSS pixels
    piece, gap, knob = (_centre(image, c) for c in (PIECE, GAP, KNOB))
    x, y = knob[0] * scale, knob[1] * scale
    distance = (gap[0] - piece[0]) * scale
    assert person.send(handoff_id, {"t": "down", "x": x, "y": y}).status_code == 204
    for step in range(1, 11):  # a hand's drag: positions over time, sent as they happen
        time.sleep(0.04)
        person.send(handoff_id, {"t": "move", "x": x + distance * step / 10, "y": y})
    assert person.send(handoff_id, {"t": "up", "x": x + distance, "y": y}).status_code == 204


def test_a_captcha_is_solved_by_a_person_in_the_live_view_and_the_sale_bought_once(loop):
    loop.setup(bot_email=CAPTCHA)
    with loop.app.app_context():
        member = db.session.scalar(select(User).where(User.team_id == loop.team_id)).email
        stranger = make_user(role="admin").email  # another team's admin
        db.session.commit()
    _processes(loop)
    order_id = _sell(loop)
    live = _live_handoff(loop, order_id)
    order = loop.order(order_id)
    assert order.failure_code == "challenge" and "slide to verify" in order.failure_message

    person = Person(loop, member)
    page = person.client.get(f"/orders/{order_id}").get_data(as_text=True)
    assert f"/orders/{order_id}/solve" in page and 'id="nav-needs-you"' in page
    solve = person.client.get(f"/orders/{order_id}/solve")
    assert solve.status_code == 200 and 'id="live-view"' in solve.get_data(as_text=True)

    # another team: nothing of it exists
    other = Person(loop, stranger)
    assert other.client.get(f"/orders/{order_id}/solve").status_code == 404
    assert other.client.get(f"/handoffs/{live.id}/frame").status_code == 404
    assert other.send(live.id, {"t": "click", "x": 10, "y": 10}).status_code == 404
    give_up = other.client.post(f"/handoffs/{live.id}/give-up", data={"csrf_token": other.token})
    assert give_up.status_code == 404
    # an input post without the CSRF token is refused
    bare = person.client.post(
        f"/handoffs/{live.id}/input",
        data=json.dumps({"events": [{"t": "click", "x": 1, "y": 1}]}),
        content_type="application/json",
    )
    assert bare.status_code == 400
    assert person.send(live.id, {"t": "teleport"}).status_code == 422

    frame = person.next_frame(live.id)
    assert frame["w"] == 1280 and base64.b64decode(frame["jpeg"])[:2] == b"\xff\xd8"  # a JPEG
    _solve_slider(person, live.id, frame)

    _bought(loop, order_id)
    (ended,) = _handoffs(loop, order_id)
    assert ended.status == "passed" and ended.ended_at is not None
    assert len(_shop_orders_of(loop, CAPTCHA)) == 1  # bought exactly once
    assert loop.order(order_id).supplier_order_number == _shop_orders_of(loop, CAPTCHA)[0]["number"]
    with loop.app.app_context():
        saved = db.session.get(OrderBot, loop.bot_id).browser_state
    assert "shop_session" in saved  # the session the person unlocked

    # the next sale of this bot skips the challenge: no second hand-off
    second = _sell(loop)
    _bought(loop, second, "the next sale")
    assert len(_handoffs(loop)) == 1 and len(_shop_orders_of(loop, CAPTCHA)) == 2


def test_a_one_time_code_typed_in_the_code_box_lets_the_bot_in(loop):
    loop.setup(bot_email=TWO_FACTOR)
    with loop.app.app_context():
        member = db.session.scalar(select(User).where(User.team_id == loop.team_id)).email
    _processes(loop)
    order_id = _sell(loop)
    live = _live_handoff(loop, order_id)
    assert live.kind == "code"
    person = Person(loop, member)
    page = person.client.get(f"/orders/{order_id}/solve").get_data(as_text=True)
    assert 'id="code-form"' in page
    person.next_frame(live.id)  # the code page is on screen
    code = loop.shop.control("GET", f"/sandbox/accounts/{TWO_FACTOR}/2fa-code")["code"]
    entered = person.client.post(
        f"/handoffs/{live.id}/code", data={"code": code, "csrf_token": person.token}
    )
    assert entered.status_code == 302
    _bought(loop, order_id)
    assert len(_shop_orders_of(loop, TWO_FACTOR)) == 1
    second = _sell(loop)  # the saved session: no code asked again
    _bought(loop, second, "the next sale")
    assert len(_handoffs(loop)) == 1 and len(_shop_orders_of(loop, TWO_FACTOR)) == 2


def test_an_authenticator_key_passes_the_code_with_no_person(loop):
    from autoorder.jobs.ordering import place_order

    key = pyotp.random_base32()
    loop.shop.control("PATCH", f"/sandbox/accounts/{TWO_FACTOR}", {"totp_secret": key})
    loop.setup(bot_email=TWO_FACTOR)
    with loop.app.app_context():
        db.session.get(OrderBot, loop.bot_id).totp_secret = key
        db.session.commit()
    order_id = _sell(loop)
    with loop.app.app_context():
        assert place_order(order_id).startswith("succeeded")
    assert _handoffs(loop) == [] and len(_shop_orders_of(loop, TWO_FACTOR)) == 1


def test_giving_up_buys_nothing_and_other_sales_are_bought_meanwhile(loop):
    loop.setup(bot_email=CAPTCHA)
    with loop.app.app_context():
        member = db.session.scalar(select(User).where(User.team_id == loop.team_id))
        team = member.team
        other_bot = make_bot(
            team,
            db.session.get(OrderBot, loop.bot_id).supplier,
            name="second",
            account_email=BUYER,
            password="demo-password",
        )
        make_listing(
            team,
            other_bot,
            ebay_item_id=OTHER_ITEM["legacyItemId"],
            sku=OTHER_ITEM["sku"],
            supplier_product_url=f"{loop.shop.url}/products/phone-case",
            supplier_variant="Clear",
            max_buy_price=Decimal("15.00"),
        )
        member = member.email
        db.session.commit()
    _processes(loop)
    order_id = _sell(loop)
    live = _live_handoff(loop, order_id)
    # while the hand-off waits for a person, a sale on another bot is bought by the order worker
    other = _sell(loop, **OTHER_ITEM, price="14.99")
    _bought(loop, other, "the other sale")
    assert _handoffs(loop, order_id)[0].status == "live"

    person = Person(loop, member)
    gave_up = person.client.post(f"/handoffs/{live.id}/give-up", data={"csrf_token": person.token})
    assert gave_up.status_code == 302
    order = loop.order(order_id)
    assert (order.status, order.failure_code) == ("needs_attention", "challenge")
    assert "gave up" in order.failure_message
    assert _handoffs(loop, order_id)[0].status == "gave_up"
    assert person.frame(live.id) == {"ended": "gave_up", "outcome": _handoffs(loop)[0].outcome}
    assert _shop_orders_of(loop, CAPTCHA) == [] and len(_shop_orders_of(loop, BUYER)) == 1


def test_a_hand_off_nobody_solves_times_out_and_buys_nothing(loop):
    loop.setup(bot_email=CAPTCHA)
    loop.app.config["HANDOFF_SECONDS"] = 6
    try:
        _processes(loop, AUTOORDER_HANDOFF_SECONDS="6")
        order_id = _sell(loop)
        _live_handoff(loop, order_id)
        _wait(lambda: loop.order(order_id).status == "needs_attention", 60, "the time-out", loop)
    finally:
        loop.app.config["HANDOFF_SECONDS"] = 600
    (ended,) = _handoffs(loop, order_id)
    assert ended.status == "timed_out"
    assert "nobody passed" in loop.order(order_id).failure_message
    assert _shop_orders_of(loop, CAPTCHA) == []


def test_a_hand_off_process_lost_mid_hand_off_is_replaced_and_the_sale_bought_once(loop):
    from tests.stand import descendants

    loop.setup(bot_email=CAPTCHA)
    with loop.app.app_context():
        member = db.session.scalar(select(User).where(User.team_id == loop.team_id)).email
    first = _processes(loop)
    order_id = _sell(loop)
    live = _live_handoff(loop, order_id)
    for pid in [first.pid, *descendants(first.pid)]:  # the process and its Chromium die
        os.kill(pid, signal.SIGKILL)
    first.wait(30)
    assert loop.order(order_id).status == "needs_you"  # the sale waits, nothing lost
    _process(loop, "handoff-2", "worker", "--queues", "handoff", "--no-scheduler")

    def served_again():
        with loop.app.app_context():
            sweep_handoffs()  # the periodic duty: enqueues a hand-off no process beats for
        (row,) = _handoffs(loop, order_id)
        return row if row.status == "live" and row.worker != live.worker else None

    again = _wait(served_again, 150, "another process to serve the hand-off", loop)
    person = Person(loop, member)
    frame = person.next_frame(again.id, timeout=30)
    _solve_slider(person, again.id, frame)
    _bought(loop, order_id)
    assert len(_shop_orders_of(loop, CAPTCHA)) == 1
