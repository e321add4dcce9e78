"""Order bots: validation, write-only secrets, team scoping."""

import logging

import pytest
from sqlalchemy import select

from autoorder.extensions import db
from autoorder.models import OrderBot
from tests.factories import make_bot, make_order, make_supplier, make_user
from tests.support import csrf_token, login

SECRET_PW = "Sup3r-Secret-PW!"
CARD = "4111111111111111"
CVC = "987"


@pytest.fixture
def setup(app, client):
    with app.app_context():
        user = make_user(email="owner@example.com", role="admin")
        other = make_user(email="stranger@example.com")
        supplier = make_supplier(key="demo_shop", name="Demo Shop")
        theirs = make_bot(other.team, supplier, name="their bot", password="their-secret-pw")
        db.session.commit()
        ids = {"team": user.team_id, "supplier": supplier.id, "their_bot": theirs.id}
    login(client, "owner@example.com")
    return ids


def _new_bot(client, setup, **overrides):
    data = {"supplier_id": setup["supplier"], "name": "main", "account_email": "buyer@demo.test",
            "password": SECRET_PW, "payment_method": "card", "card_holder": "Pat Seller",
            "card_number": CARD, "card_expiry": "12/39", "card_cvc": CVC, "enabled": "y",
            "csrf_token": csrf_token(client, "/bots/new")}
    data.update(overrides)
    return client.post("/bots/new", data=data)


def test_create_bot_stores_secrets_encrypted_and_shows_them_masked(app, client, setup):
    response = _new_bot(client, setup)
    assert response.status_code == 302
    listing = client.get("/bots/").get_data(as_text=True)
    assert "main" in listing and "•••• 1111" in listing
    with app.app_context():
        bot = db.session.scalar(select(OrderBot).where(OrderBot.name == "main"))
        assert bot.password == SECRET_PW and bot.card_number == CARD and bot.team_id == setup["team"]
        edit = client.get(f"/bots/{bot.id}").get_data(as_text=True)
    for secret in (SECRET_PW, CARD, CVC, "12/39"):
        assert secret not in listing and secret not in edit


@pytest.mark.parametrize("field,value,message", [
    ("account_email", "not-an-email", "valid email"),
    ("card_number", "4111111111111112", "valid card number"),
    ("card_expiry", "01/20", "in the future"),
    ("card_cvc", "12", "CVC"),
    ("password", "", "account password"),
])
def test_create_bot_validation(app, client, setup, field, value, message):
    response = _new_bot(client, setup, **{field: value})
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert message in body
    assert SECRET_PW not in body and CARD not in body
    with app.app_context():
        assert db.session.scalar(select(OrderBot).where(OrderBot.name == "main")) is None


def test_gift_card_bot_needs_no_card(app, client, setup):
    response = _new_bot(client, setup, payment_method="gift_card", card_number="", card_expiry="",
                        card_cvc="", card_holder="", gift_card_balance="250.00")
    assert response.status_code == 302
    with app.app_context():
        bot = db.session.scalar(select(OrderBot).where(OrderBot.name == "main"))
        assert bot.payment_method == "gift_card" and bot.card_number is None
        assert str(bot.gift_card_balance) == "250.00"


def test_edit_keeps_secrets_left_blank(app, client, setup):
    _new_bot(client, setup)
    with app.app_context():
        bot_id = db.session.scalar(select(OrderBot.id).where(OrderBot.name == "main"))
    response = client.post(f"/bots/{bot_id}", data={
        "supplier_id": setup["supplier"], "name": "renamed", "account_email": "buyer@demo.test",
        "payment_method": "card", "enabled": "y", "csrf_token": csrf_token(client, f"/bots/{bot_id}")})
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        bot = db.session.get(OrderBot, bot_id)
        assert (bot.name, bot.password, bot.card_number) == ("renamed", SECRET_PW, CARD)


def test_another_teams_bot_answers_404(client, setup):
    their = setup["their_bot"]
    assert client.get(f"/bots/{their}").status_code == 404
    token = csrf_token(client, "/bots/")
    assert client.post(f"/bots/{their}", data={"csrf_token": token, "name": "x"}).status_code == 404
    assert client.post(f"/bots/{their}/delete", data={"csrf_token": token}).status_code == 404
    assert "their bot" not in client.get("/bots/").get_data(as_text=True)


def test_another_teams_order_answers_404(app, client, setup):
    with app.app_context():
        from autoorder.models import Team

        other_team = db.session.scalar(select(Team).where(Team.id != setup["team"]))
        their_order = make_order(other_team, title="Their secret item")
        db.session.commit()
        order_id = their_order.id
    assert client.get(f"/orders/{order_id}").status_code == 404
    assert "Their secret item" not in client.get("/").get_data(as_text=True)


def test_bot_with_orders_cannot_be_deleted(app, client, setup):
    _new_bot(client, setup)
    with app.app_context():
        from autoorder.models import Team

        bot = db.session.scalar(select(OrderBot).where(OrderBot.name == "main"))
        make_order(db.session.get(Team, setup["team"]), bot_id=bot.id)
        db.session.commit()
        bot_id = bot.id
    response = client.post(f"/bots/{bot_id}/delete", data={"csrf_token": csrf_token(client, "/bots/")},
                           follow_redirects=True)
    assert "disable it instead" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(OrderBot, bot_id) is not None


def test_secret_absent_from_repr_and_logs(app, client, setup, caplog):
    caplog.set_level(logging.DEBUG)
    logging.getLogger("sqlalchemy.engine").setLevel(logging.INFO)  # log every SQL statement + params
    try:
        _new_bot(client, setup)
        with app.app_context():
            bot = db.session.scalar(select(OrderBot).where(OrderBot.name == "main"))
            app.logger.info("working with %r and %s", bot, bot)
            text_repr = repr(bot) + str(bot)
            assert bot.password == SECRET_PW  # the secret is really there to leak
    finally:
        logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)
    assert "main" in caplog.text or "order_bots" in caplog.text  # something was logged
    for secret in (SECRET_PW, CARD, CVC):
        assert secret not in text_repr
        assert secret not in caplog.text


def test_error_page_shows_no_secret(app, client, setup, monkeypatch):
    _new_bot(client, setup)
    import autoorder.routes.bots as bots_routes

    def boom(template, **context):  # an unexpected error while a secret is in memory
        raise RuntimeError(f"failed with {context['bots'][0].password}")

    monkeypatch.setattr(bots_routes, "render_template", boom)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    try:
        response = client.get("/bots/")
    finally:
        app.config["PROPAGATE_EXCEPTIONS"] = None
    body = response.get_data(as_text=True)
    assert response.status_code == 500 and "Something went wrong" in body
    assert SECRET_PW not in body and "Traceback" not in body
