"""The hand-off's rules without a browser: who is handed to a person, how a hand-off ends (one end
wins), the duty, the live view's input checks and its Redis transport (a real redis-server), and
the dashboard endpoints (team scoping, CSRF, bad input)."""

import json
import uuid
from datetime import timedelta

import pytest

from autoorder import actions, clock, handoff, live_view, orders
from autoorder.extensions import db
from autoorder.models import Handoff, PurchaseAttempt
from autoorder.orders import OrderStatus as S
from autoorder.scrapers.base import BlockedError, LoginFailedError
from tests.factories import make_bot, make_order, make_team, make_user
from tests.support import csrf_token, login


def _sale(status="in_progress", team=None):
    team = team or make_team()
    bot = make_bot(team)
    order = make_order(team, status=status, bot_id=bot.id)
    attempt = PurchaseAttempt(order_id=order.id, idempotency_key=uuid.uuid4().hex)
    db.session.add(attempt)
    db.session.commit()
    return order, attempt


def _handed_off(team=None):
    order, attempt = _sale(team=team)
    error = BlockedError("Shop shows a slider", challenge="slider")
    assert handoff.begin(order, attempt, error, "Demo Shop") == handoff.NEEDS_YOU
    return order, handoff.latest_for_order(order.id)


def test_only_challenges_a_person_can_pass_are_handed_off():
    assert handoff.wanted(BlockedError("x", challenge="slider"))
    assert handoff.wanted(BlockedError("x", challenge="code"))
    assert not handoff.wanted(BlockedError("x", challenge="blocked"))  # the site refused us
    assert not handoff.wanted(LoginFailedError("wrong password"))


def test_begin_shows_needs_you_with_the_reason_and_ends_the_attempt_unplaced(ctx):
    order, row = _handed_off()
    assert (order.status, order.failure_code) == ("needs_you", "challenge")
    assert "Demo Shop asks for" in order.failure_message and "Solve" in order.failure_message
    assert (row.status, row.kind, row.bot_id) == ("waiting", "slider", order.bot_id)
    assert row.expires_at - row.created_at == timedelta(seconds=600)
    assert [a.state for a in order.attempts] == ["not_placed"]
    assert actions.allowed(order) == {"solve", "give_up"}  # no retry, cancel, mark ordered
    assert handoff.open_for_bot(order.bot_id).id == row.id
    assert handoff.waiting_count(order.team_id) == 1


def test_the_team_is_told_once_that_a_sale_needs_them(ctx):
    from sqlalchemy import select

    from autoorder.models import Notification

    order, row = _handed_off()
    handoff.end(row.id, "gave_up")  # the sale then needs attention: no second message
    sent = db.session.scalars(
        select(Notification).where(Notification.team_id == order.team_id)
    ).all()
    assert [n.subject.split(":")[0] for n in sent] == ["Sale needs you (press Solve)"]


@pytest.mark.parametrize(
    ("end", "status", "code"),
    [
        ("passed", "waiting", None),
        ("gave_up", "needs_attention", "challenge"),
        ("timed_out", "needs_attention", "challenge"),
        ("failed", "needs_attention", "challenge"),
    ],
)
def test_an_end_moves_the_sale_on_and_only_one_end_wins(ctx, end, status, code):
    order, row = _handed_off()
    assert handoff.end(row.id, end, actor="user:1")
    assert not handoff.end(row.id, "gave_up")  # a second end (a person, the duty) changes nothing
    assert not handoff.end(row.id, "passed")
    db.session.refresh(order)
    db.session.refresh(row)
    assert (order.status, order.failure_code) == (status, code)
    assert row.status == end and row.ended_at is not None and row.ended_by == "user:1"
    assert handoff.open_for_bot(order.bot_id) is None
    if end == "passed":
        assert order.order_after <= clock.now()  # due now: first in its bot's line
    else:
        assert "nothing was bought" in order.failure_message
    with pytest.raises(ValueError):
        handoff.end(row.id, "solved")


def test_a_live_process_beats_and_a_stale_one_can_be_taken_over(ctx):
    _order, row = _handed_off()
    assert handoff.take(row.id, "proc-a")
    assert not handoff.take(row.id, "proc-b")  # proc-a beats
    assert handoff.beat(row.id, "proc-a", live=True)
    assert not handoff.beat(row.id, "proc-b")
    db.session.refresh(row)
    assert row.status == "live" and row.live_at is not None
    assert handoff.unserved() == []
    row.seen_at = clock.now() - timedelta(seconds=handoff.STALE_SECONDS + 1)  # proc-a died
    db.session.commit()
    assert handoff.unserved() == [row.id]
    assert handoff.take(row.id, "proc-b")
    handoff.end(row.id, "gave_up")
    assert not handoff.beat(row.id, "proc-b")  # ended: the process stops


def test_the_duty_times_out_expired_hand_offs_and_re_enqueues_lost_ones(ctx, redis):
    from rq.job import Job

    from autoorder.jobs.handoff import sweep_handoffs

    expired_order, expired = _handed_off()
    _order, lost = _handed_off()
    expired.expires_at = clock.now() - timedelta(seconds=1)
    db.session.commit()
    assert sweep_handoffs() == "1 timed out, 1 enqueued"
    db.session.refresh(expired_order)
    assert expired_order.status == "needs_attention" and "nobody passed" in (
        expired_order.failure_message
    )
    job = Job.fetch(f"handoff-{lost.id}", connection=redis)
    assert job.origin == "handoff" and job.args == (lost.id,)


def test_input_events_are_checked():
    good = live_view.clean_events(
        {
            "events": [
                {"t": "down", "x": 10, "y": 20.55},
                {"t": "move", "x": 11, "y": 20, "button": "left"},
                {"t": "key", "key": "Enter"},
                {"t": "key", "key": "a"},
                {"t": "text", "text": "hello"},
                {"t": "code", "text": " 123 456 "},
                {"t": "wheel", "x": 1, "y": 1, "dx": 0, "dy": -120},
            ]
        }
    )
    assert good[0] == {"t": "down", "x": 10.0, "y": 20.6, "button": "left"}
    assert good[5] == {"t": "code", "text": "123456"}
    for bad in (
        None,
        {"events": []},
        {"events": [{"t": "click", "x": 1, "y": 1}] * (live_view.MAX_EVENTS + 1)},
        {"events": ["click"]},
        {"events": [{"t": "teleport"}]},
        {"events": [{"t": "click", "x": "1", "y": 1}]},
        {"events": [{"t": "click", "x": float("nan"), "y": 1}]},
        {"events": [{"t": "click", "x": -1, "y": 1}]},
        {"events": [{"t": "click", "x": 1, "y": 1, "button": "fourth"}]},
        {"events": [{"t": "key", "key": "Control+Alt+Delete"}]},
        {"events": [{"t": "key", "key": "\x00"}]},
        {"events": [{"t": "text", "text": "a\x07b"}]},
        {"events": [{"t": "text", "text": "x" * 300}]},
        {"events": [{"t": "code", "text": "12 ; DROP"}]},
    ):
        with pytest.raises(live_view.InputError):
            live_view.clean_events(bad)


def test_frames_and_input_travel_through_short_lived_redis_keys(redis):
    assert live_view.frame_after(redis, 7, None, wait_ms=0) is None
    for n in range(5):
        live_view.publish_frame(redis, 7, b"jpeg%d" % n, 1280, 900)
    newest = live_view.frame_after(redis, 7, None)
    assert (newest["jpeg"], newest["w"], newest["h"]) == (b"jpeg4", 1280, 900)
    assert redis.xlen(live_view.frames_key(7)) == live_view.FRAMES_KEPT
    assert live_view.frame_after(redis, 7, newest["id"], wait_ms=50) is None  # nothing newer
    assert 0 < redis.ttl(live_view.frames_key(7)) <= live_view.KEY_TTL
    live_view.push_input(redis, 7, [{"t": "key", "key": "a"}, {"t": "key", "key": "b"}])
    assert 0 < redis.ttl(live_view.input_key(7)) <= live_view.KEY_TTL
    assert [e["key"] for e in live_view.take_input(redis, 7)] == ["a", "b"]
    assert live_view.take_input(redis, 7) == []  # each event is applied once
    live_view.clear(redis, 7)
    assert not redis.exists(live_view.frames_key(7), live_view.input_key(7))
    assert live_view.valid_after("1700000000000-3") == "1700000000000-3"
    assert live_view.valid_after("$") is None and live_view.valid_after("1-2; x") is None


def _member(client, team):
    user = make_user(team, role="member")
    db.session.commit()
    login(client, user.email)
    return csrf_token(client, "/")


def test_the_dashboard_endpoints_belong_to_the_owning_team_only(app, client, redis):
    with app.app_context():
        order, row = _handed_off()
        team, order_id, handoff_id = order.team_id, order.id, row.id
        live_view.publish_frame(redis, handoff_id, b"\xff\xd8jpeg", 1280, 900)
        token = _member(client, make_team())
    for path in (f"/orders/{order_id}/solve", f"/handoffs/{handoff_id}/frame"):
        assert client.get(path).status_code == 404, path
    post = {"headers": {"X-CSRFToken": token}}
    events = json.dumps({"events": [{"t": "click", "x": 1, "y": 1}]})
    assert (
        client.post(
            f"/handoffs/{handoff_id}/input",
            data=events,
            content_type="application/json",
            **post,
        ).status_code
        == 404
    )
    assert client.post(f"/handoffs/{handoff_id}/give-up", **post).status_code == 404
    assert (
        client.post(f"/handoffs/{handoff_id}/code", data={"code": "123456"}, **post).status_code
        == 404
    )
    assert redis.llen(live_view.input_key(handoff_id)) == 0

    owner = app.test_client()
    with app.app_context():
        from autoorder.models import Team

        token = _member(owner, db.session.get(Team, team))
    page = owner.get(f"/orders/{order_id}/solve").get_data(as_text=True)
    assert 'id="live-view"' in page and "slide to verify" in page.lower()
    assert 'id="nav-needs-you"' in page
    frame = owner.get(f"/handoffs/{handoff_id}/frame").get_json()
    assert frame["w"] == 1280 and frame["jpeg"]
    assert owner.get(f"/handoffs/{handoff_id}/frame?after={frame['id']}").status_code == 204
    send = dict(content_type="application/json", headers={"X-CSRFToken": token})
    assert owner.post(f"/handoffs/{handoff_id}/input", data=events, **send).status_code == 204
    assert (
        owner.post(
            f"/handoffs/{handoff_id}/input", data=events, content_type="application/json"
        ).status_code
        == 400
    )  # no CSRF
    bad = owner.post(f"/handoffs/{handoff_id}/input", data="{not json", **send)
    assert bad.status_code == 422 and "events" in bad.get_json()["error"]
    assert live_view.take_input(redis, handoff_id) == [
        {"t": "click", "x": 1.0, "y": 1.0, "button": "left"}
    ]
    wrong = owner.post(
        f"/handoffs/{handoff_id}/code", data={"code": "<script>", "csrf_token": token}
    )
    assert wrong.status_code == 302 and live_view.take_input(redis, handoff_id) == []
    gave_up = owner.post(f"/handoffs/{handoff_id}/give-up", data={"csrf_token": token})
    assert gave_up.status_code == 302
    with app.app_context():
        assert db.session.get(Handoff, handoff_id).status == "gave_up"
    assert owner.get(f"/handoffs/{handoff_id}/frame").get_json()["ended"] == "gave_up"
    assert owner.post(f"/handoffs/{handoff_id}/input", data=events, **send).status_code == 409
    ended = owner.get(f"/orders/{order_id}/solve").get_data(as_text=True)
    assert 'id="handoff-ended"' in ended and 'id="live-view"' not in ended
    again = owner.post(f"/handoffs/{handoff_id}/give-up", data={"csrf_token": token})
    assert again.status_code == 302  # "already ended": nothing changes, no error page


def test_an_order_with_no_hand_off_has_no_solve_page(app, client):
    with app.app_context():
        team = make_team()
        order = make_order(team, status="needs_attention")
        token = _member(client, team)
        order_id = order.id
    assert token and client.get(f"/orders/{order_id}/solve").status_code == 404
    assert client.get("/handoffs/999999/frame").status_code == 404


def test_needs_you_is_in_the_state_machine_only_between_buying_and_a_person():
    assert orders.can_transition(S.IN_PROGRESS, S.NEEDS_YOU)
    assert not orders.can_transition(S.WAITING, S.NEEDS_YOU)
    assert not orders.can_transition(S.NEEDS_YOU, S.SUCCEEDED)  # only through the order job
    assert not orders.can_transition(S.NEEDS_YOU, S.CANCELLED)
    assert S.NEEDS_YOU in orders.ACTIVE
