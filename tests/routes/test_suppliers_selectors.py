"""The per-supplier selector override: operators only, validated, kept with who/when, revertible,
and read by the next BotSession (no restart)."""

import json

import pytest
from sqlalchemy import select

from autoorder.extensions import db
from autoorder.models import SelectorOverride
from autoorder.scrapers.session import BotSession
from tests.factories import make_bot, make_supplier, make_user
from tests.support import csrf_token, login


@pytest.fixture
def world(app, client):
    with app.app_context():
        operator = make_user(email="op@example.com", role="admin", is_operator=True)
        make_user(operator.team, email="admin@example.com", role="admin")
        supplier = make_supplier(key="demo_shop", name="Demo Shop")
        bot = make_bot(operator.team, supplier)
        db.session.commit()
        return {"supplier": supplier.id, "bot": bot.id}


def _save(client, supplier_id, selectors, note=""):
    page = f"/suppliers/{supplier_id}"
    return client.post(
        f"{page}/selectors",
        data={"selectors": selectors, "note": note, "csrf_token": csrf_token(client, page)},
    )


def _versions(app, supplier_id):
    with app.app_context():
        return [
            (v.selectors, v.saved_by, v.note)
            for v in db.session.scalars(
                select(SelectorOverride)
                .where(SelectorOverride.supplier_id == supplier_id)
                .order_by(SelectorOverride.id)
            )
        ]


def _in_force(app, bot_id):
    from autoorder.models import OrderBot

    with app.app_context():
        return BotSession(db.session.get(OrderBot, bot_id)).adapter.s.detail_tracking


def test_only_operators_see_or_change_the_override(app, client, world):
    login(client, "admin@example.com")  # a team admin, not the server operator
    assert client.get(f"/suppliers/{world['supplier']}").status_code == 403
    token = csrf_token(client, "/")
    response = client.post(
        f"/suppliers/{world['supplier']}/selectors",
        data={"selectors": '{"detail_tracking": ["#x"]}', "csrf_token": token},
    )
    assert response.status_code == 403 and _versions(app, world["supplier"]) == []


def test_a_saved_override_is_used_by_the_next_session_and_can_be_restored(app, client, world):
    login(client, "op@example.com")
    assert _in_force(app, world["bot"]) == "#order-tracking-number"
    fix = json.dumps({"detail_tracking": ["#tracking-v2", "#order-tracking-number"]})
    assert _save(client, world["supplier"], fix, "new order page").status_code == 302
    assert _in_force(app, world["bot"]) == "#tracking-v2, #order-tracking-number"  # no restart
    assert _save(client, world["supplier"], "{}").status_code == 302  # cleared
    assert _in_force(app, world["bot"]) == "#order-tracking-number"
    versions = _versions(app, world["supplier"])
    assert [(v[1], v[2]) for v in versions] == [
        ("op@example.com", "new order page"),
        ("op@example.com", None),
    ]
    with app.app_context():
        first = db.session.scalars(select(SelectorOverride.id)).first()
    page = f"/suppliers/{world['supplier']}"
    html = client.get(page).get_data(as_text=True)
    assert "op@example.com" in html and "new order page" in html
    response = client.post(
        f"{page}/selectors/{first}/restore", data={"csrf_token": csrf_token(client, page)}
    )
    assert response.status_code == 302
    assert _in_force(app, world["bot"]) == "#tracking-v2, #order-tracking-number"
    assert _versions(app, world["supplier"])[-1][2] == f"restored version {first}"


@pytest.mark.parametrize(
    "text,message",
    [
        ("{not json", "not JSON"),
        ("[1, 2]", "JSON object"),
        ('{"no_such_selector": ["#a"]}', "no such selector"),
        ('{"detail_tracking": []}', "one or more"),
        ('{"detail_tracking": ["#a[[["]}', "not valid CSS"),
        ('{"detail_tracking": [""]}', "empty selector"),
        ('{"detail_tracking": 7}', "one or more"),
    ],
)
def test_a_bad_override_is_refused_with_its_reason_and_changes_nothing(
    app, client, world, text, message
):
    login(client, "op@example.com")
    response = _save(client, world["supplier"], text)
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert _versions(app, world["supplier"]) == []
    assert _in_force(app, world["bot"]) == "#order-tracking-number"
