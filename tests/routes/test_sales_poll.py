"""The page's one poll: only changed rows come back, tiny when nothing changed, 286 when nothing is
active, new sales appear on page 1, and every status change moves Order.updated_at (the row
version)."""

import html as htmllib
import json
import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from autoorder import clock, orders
from autoorder.extensions import db
from autoorder.models import Order, Team
from autoorder.orders import OrderStatus as S
from autoorder.orders import TrackingStatus as T
from tests.factories import make_order, make_user
from tests.support import login

ROW_RE = re.compile(r'<tr id="order-(\d+)" class="[^"]*" data-v="(\d+)"')
POLLER_RE = re.compile(r'<div id="sales-poll".*?hx-vals=\'([^\']*)\'', re.S)


@pytest.fixture
def world(app, client):
    with app.app_context():
        user = make_user(email="seller@example.com")
        stranger = make_user(email="stranger@example.com")
        waiting = make_order(user.team, title="Waiting sale")
        failed = make_order(
            user.team,
            title="Failed sale",
            status="failed",
            failure_message="declined",
            sold_at=clock.now() - timedelta(hours=1),
        )
        theirs = make_order(stranger.team, title="Their sale", status="waiting")
        db.session.commit()
        ids = SimpleNamespace(
            team=user.team_id,
            other_team=stranger.team_id,
            waiting=waiting.id,
            failed=failed.id,
            theirs=theirs.id,
        )
    login(client, "seller@example.com")
    return ids


class Page:
    """What the browser holds: the rows' versions and the poller's values."""

    def __init__(self, client, query=""):
        self.client = client
        self.html = client.get("/" + query).get_data(as_text=True)
        self.versions = {int(i): v for i, v in ROW_RE.findall(self.html)}
        self.vals = json.loads(htmllib.unescape(POLLER_RE.search(self.html).group(1)))

    def poll(self, **overrides):
        params = (
            dict(self.vals)
            | {"v": ",".join(f"{i}.{v}" for i, v in self.versions.items())}
            | overrides
        )
        return self.client.get("/sales/poll", query_string=params, headers={"HX-Request": "true"})


def change(app, order_id, to, **kw):
    with app.app_context():
        order = db.session.get(Order, order_id)
        clock.advance(0.001)  # a distinct microsecond, as real time would give
        if isinstance(to, S) and to in (S.FAILED, S.NEEDS_ATTENTION):
            orders.fail(order, to, code="test", message=kw.pop("message", "test failure"))
        else:
            orders.transition(order, to, reason=kw.pop("reason", "test"))
        for key, value in kw.items():
            setattr(order, key, value)
        db.session.commit()


@pytest.fixture(autouse=True)
def _clock():
    yield
    clock.reset()


def test_unchanged_poll_is_empty_and_tiny(client, world):
    page = Page(client)
    assert page.vals["mode"] == "fast" and set(page.versions) == {world.waiting, world.failed}
    response = page.poll()
    assert response.status_code == 204 and len(response.data) < 1024 and response.data == b""


def test_a_changed_row_comes_back_alone_as_an_oob_swap(app, client, world):
    page = Page(client)
    change(app, world.waiting, S.IN_PROGRESS)
    response = page.poll()
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    rows = ROW_RE.findall(body)
    assert [int(i) for i, _ in rows] == [world.waiting]
    assert rows[0][1] != page.versions[world.waiting]
    assert 'hx-swap-oob="true"' in body and 'data-status="in_progress"' in body
    assert "sales-poll" not in body  # still active: the poller stays as it is
    counts = dict(re.findall(r'data-count="(\w+)">(\d+)<', body))  # the counts follow, out of band
    assert '<div id="status-counts"' in body and (counts["waiting"], counts["in_progress"]) == (
        "0",
        "1",
    )
    page.versions[world.waiting] = rows[0][1]  # htmx swapped the row in
    assert page.poll().status_code == 204


def test_another_teams_ids_never_come_back(app, client, world):
    page = Page(client)
    change(app, world.theirs, S.IN_PROGRESS)
    page.versions[world.theirs] = "1"  # a forged id of another team's order
    response = page.poll()
    assert response.status_code == 204 and b"Their sale" not in response.data


def test_nothing_active_answers_286_with_a_slow_poller(app, client, world):
    page = Page(client)
    change(app, world.waiting, S.CANCELLED, reason="cancelled by test")
    response = page.poll()
    body = response.get_data(as_text=True)
    assert response.status_code == 286
    assert f'id="order-{world.waiting}"' in body and 'data-status="cancelled"' in body
    poller = POLLER_RE.search(body)
    assert (
        poller
        and 'hx-swap-oob="true"' in body
        and 'hx-trigger="every 30s, ao-poll from:body"' in body
    )
    slow = json.loads(htmllib.unescape(poller.group(1)))
    assert slow["mode"] == "slow" and slow["at"] == page.vals["at"]

    page.vals = slow
    page.versions = {int(i): v for i, v in ROW_RE.findall(body)} | {
        world.failed: page.versions[world.failed]
    }
    quiet = page.poll()
    assert quiet.status_code == 204 and quiet.data == b""  # the slow poller keeps going, quietly


def test_slow_poller_speeds_up_when_a_shown_row_becomes_active(app, client, world):
    page = Page(client, "?cart=failed")
    assert page.vals["mode"] == "slow" and list(page.versions) == [world.failed]
    change(app, world.failed, S.WAITING, order_after=clock.now())
    response = page.poll()
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and 'data-status="waiting"' in body
    assert 'data-mode="fast"' in body and 'hx-swap-oob="true"' in body


def test_page_without_active_rows_gets_286_from_a_fast_poll(app, client, world):
    page = Page(client, "?cart=failed")
    response = page.poll(mode="fast")
    assert response.status_code == 286 and 'data-mode="slow"' in response.get_data(as_text=True)


def test_new_sale_appears_on_page_one(app, client, world):
    page = Page(client)
    with app.app_context():
        clock.advance(1)
        new = make_order(db.session.get(Team, world.team), title="Brand new sale")
        make_order(db.session.get(Team, world.other_team), title="Their new sale")
        db.session.commit()
        new_id = new.id
    response = page.poll()
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert body.startswith('<tbody hx-swap-oob="afterbegin:#sales-rows">')
    assert [int(i) for i, _ in ROW_RE.findall(body)] == [new_id] and "Their new sale" not in body
    page.versions[new_id] = ROW_RE.findall(body)[0][1]
    assert page.poll().status_code == 204  # not inserted twice


def test_new_sale_wakes_a_slow_poller(app, client):
    with app.app_context():
        user = make_user(email="quiet@example.com")
        make_order(user.team, status="cancelled")
        db.session.commit()
        team_id = user.team_id
    login(client, "quiet@example.com")
    page = Page(client)
    assert page.vals["mode"] == "slow"
    with app.app_context():
        clock.advance(1)
        make_order(db.session.get(Team, team_id), title="Arrived while idle")
        db.session.commit()
    body = page.poll().get_data(as_text=True)
    assert "Arrived while idle" in body and 'data-mode="fast"' in body


@pytest.mark.parametrize("query", ["?page=2", "?cart=failed", "?q=nomatch"])
def test_new_sales_are_not_inserted_where_they_do_not_belong(app, client, world, query):
    page = Page(client, query)
    with app.app_context():
        clock.advance(1)
        make_order(db.session.get(Team, world.team), title="Brand new sale")
        db.session.commit()
    assert b"Brand new sale" not in page.poll().data


def test_older_sales_are_not_mistaken_for_new(app, client, world):
    with app.app_context():
        team = db.session.get(Team, world.team)
        old = [
            make_order(team, title=f"old {n}", sold_at=clock.now() - timedelta(hours=2, minutes=n))
            for n in range(60)
        ]
        db.session.commit()
        assert old
    clock.advance(120)  # the page renders well after they were created
    page = Page(client)
    assert len(page.versions) == 50
    assert page.poll().status_code == 204  # the 12 rows of page 2 are not "new"


def test_version_moves_on_transition_claim_and_action(app, client, world):
    page = Page(client)
    with app.app_context():
        clock.advance(0.001)
        assert orders.claim(
            world.waiting, S.WAITING, S.IN_PROGRESS, owner="w1", reason="take", lease_seconds=30
        )
    body = page.poll().get_data(as_text=True)
    assert f'id="order-{world.waiting}"' in body and 'data-status="in_progress"' in body
    page.versions.update({int(i): v for i, v in ROW_RE.findall(body)})

    change(app, world.waiting, S.SUCCEEDED, supplier_order_number="S-1")
    body = page.poll().get_data(as_text=True)
    assert 'data-status="succeeded"' in body
    page.versions.update({int(i): v for i, v in ROW_RE.findall(body)})

    with app.app_context():  # the envelope machine moves the version too
        order = db.session.get(Order, world.waiting)
        clock.advance(0.001)
        orders.transition(order, T.SEARCHING, reason="first check")
        db.session.commit()
    body = page.poll().get_data(as_text=True)
    assert f'id="order-{world.waiting}"' in body and 'data-status="searching"' in body


def test_poll_needs_nothing_but_the_versions(client, world):
    response = client.get("/sales/poll")  # no versions, no render time: nothing to say
    assert response.status_code in (204, 286)
    assert client.get("/sales/poll?v=garbage,1.x,.&at=nope").status_code in (204, 286)
    assert client.get(f"/sales/poll?at={10**30}&v=999999.{10**30}").status_code in (204, 286)


def test_updated_at_is_set_by_every_status_write(app, world):
    with app.app_context():
        before = db.session.get(Order, world.failed).updated_at
        clock.advance(1)
        orders.transition(db.session.get(Order, world.failed), S.WAITING, reason="retry")
        db.session.commit()
        after = db.session.scalar(select(Order.updated_at).where(Order.id == world.failed))
    assert after > before
