"""Order bots: validation, write-only secrets, team scoping."""

import logging
import re

import pytest
from sqlalchemy import select

from autoorder.extensions import db
from autoorder.models import OrderBot, Team
from tests.factories import make_bot, make_listing, make_order, make_supplier, make_user
from tests.support import csrf_token, login

SECRET_PW = "Sup3r-Secret-PW!"
CARD = "4111111111111111"
CVC = "987"
TOKENS = re.compile(r'"[\w-]{20,}\.[\w-]{4,}\.[\w-]{10,}"')  # signed CSRF tokens


TIMESTAMPS = re.compile(r"\d{4}-\d{2}-\d{2}[T ][0-9:.+]+")


def _scrub(body):
    """Drop the random CSRF tokens and the timestamps (microseconds), which could contain a short
    secret like a CVC by chance."""
    return TIMESTAMPS.sub("", TOKENS.sub("", body))


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
    data = {
        "supplier_id": setup["supplier"],
        "name": "main",
        "account_email": "buyer@demo.test",
        "password": SECRET_PW,
        "payment_method": "card",
        "card_holder": "Pat Seller",
        "card_number": CARD,
        "card_expiry": "12/39",
        "card_cvc": CVC,
        "enabled": "y",
        "csrf_token": csrf_token(client, "/bots/new"),
    }
    data.update(overrides)
    return client.post("/bots/new", data=data)


def _new_bot_id(app, client, setup) -> int:
    """Create the bot "main" through the form; its id."""
    assert _new_bot(client, setup).status_code == 302
    with app.app_context():
        return db.session.scalar(select(OrderBot.id).where(OrderBot.name == "main"))


def _edit_bot(client, setup, bot_id, **fields):
    """Submit the bot's edit form: "main" paid by card, the secrets left blank unless given."""
    data = {
        "supplier_id": setup["supplier"],
        "name": "main",
        "account_email": "buyer@demo.test",
        "payment_method": "card",
        "enabled": "y",
        "csrf_token": csrf_token(client, f"/bots/{bot_id}"),
    }
    return client.post(f"/bots/{bot_id}", data=data | fields)


def test_create_bot_stores_secrets_encrypted_and_shows_them_masked(app, client, setup):
    response = _new_bot(client, setup)
    assert response.status_code == 302
    listing = _scrub(client.get("/bots/").get_data(as_text=True))
    assert "main" in listing and "•••• 1111" in listing
    with app.app_context():
        bot = db.session.scalar(select(OrderBot).where(OrderBot.name == "main"))
        assert (
            bot.password == SECRET_PW and bot.card_number == CARD and bot.team_id == setup["team"]
        )
        edit = _scrub(client.get(f"/bots/{bot.id}").get_data(as_text=True))
    for secret in (SECRET_PW, CARD, CVC, "12/39"):
        assert secret not in listing and secret not in edit


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("account_email", "not-an-email", "valid email"),
        ("card_number", "4111111111111112", "valid card number"),
        ("card_expiry", "01/20", "in the future"),
        ("card_cvc", "12", "CVC"),
        ("password", "", "account password"),
    ],
)
def test_create_bot_validation(app, client, setup, field, value, message):
    response = _new_bot(client, setup, **{field: value})
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert message in body
    assert SECRET_PW not in body and CARD not in body
    with app.app_context():
        assert db.session.scalar(select(OrderBot).where(OrderBot.name == "main")) is None


def test_gift_card_bot_needs_no_card(app, client, setup):
    response = _new_bot(
        client,
        setup,
        payment_method="gift_card",
        card_number="",
        card_expiry="",
        card_cvc="",
        card_holder="",
        gift_card_balance="250.00",
    )
    assert response.status_code == 302
    with app.app_context():
        bot = db.session.scalar(select(OrderBot).where(OrderBot.name == "main"))
        assert bot.payment_method == "gift_card" and bot.card_number is None
        assert str(bot.gift_card_balance) == "250.00"


def test_edit_keeps_secrets_left_blank(app, client, setup):
    bot_id = _new_bot_id(app, client, setup)
    response = _edit_bot(client, setup, bot_id, name="renamed")
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
        other_team = db.session.scalar(select(Team).where(Team.id != setup["team"]))
        their_order = make_order(other_team, title="Their secret item")
        db.session.commit()
        order_id = their_order.id
    assert client.get(f"/orders/{order_id}").status_code == 404
    assert "Their secret item" not in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize(
    ("attach", "refusal"),
    [
        (lambda team, bot: make_order(team, bot_id=bot.id), "disable it instead"),
        (lambda team, bot: make_listing(team, bot), "buys for mapped listings"),
    ],
    ids=["orders", "listing"],
)
def test_a_bot_in_use_cannot_be_deleted(app, client, setup, attach, refusal):
    _new_bot(client, setup)
    with app.app_context():
        bot = db.session.scalar(select(OrderBot).where(OrderBot.name == "main"))
        attach(db.session.get(Team, setup["team"]), bot)
        db.session.commit()
        bot_id = bot.id
    response = client.post(
        f"/bots/{bot_id}/delete",
        data={"csrf_token": csrf_token(client, "/bots/")},
        follow_redirects=True,
    )
    assert refusal in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(OrderBot, bot_id) is not None


def test_secret_absent_from_repr_and_logs(app, client, setup, caplog):
    caplog.set_level(logging.DEBUG)
    logging.getLogger("sqlalchemy.engine").setLevel(
        logging.INFO
    )  # log every SQL statement + params
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


# --- inline validation, names, enable/disable, edits ---------------------------------------------
def _validate(client, field, value, bot_id=None, **extra):
    path = f"/bots/{bot_id}/validate/{field}" if bot_id else f"/bots/validate/{field}"
    return client.post(
        path,
        data={field: value, **extra},
        headers={"HX-Request": "true", "X-CSRFToken": csrf_token(client, "/bots/new")},
    )


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("card_number", "4111111111111112", "Enter a valid card number."),
        ("card_expiry", "01/20", "in the future"),
        ("card_expiry", "13/40", "in the future"),
        ("account_email", "nobody-at-example", "valid email"),
    ],
)
def test_inline_validation_answers_the_field_feedback(client, setup, field, value, message):
    response = _validate(client, field, value)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and message in body
    assert body.lstrip().startswith(f'<div class="feedback" id="feedback-{field}"')
    assert value not in body  # never echoed, secret or not


def test_inline_validation_accepts_good_values_without_echoing_them(client, setup):
    body = _validate(client, "card_number", CARD).get_data(as_text=True)
    assert "Looks good" in body and "error" not in body and CARD not in body and "1111" not in body
    assert "Looks good" in _validate(client, "card_expiry", "12/39").get_data(as_text=True)
    assert "error" not in _validate(client, "card_number", "").get_data(
        as_text=True
    )  # blank = keep


def test_inline_validation_checks_the_name_per_team_and_source(app, client, setup):
    bot_id = _new_bot_id(app, client, setup)
    with app.app_context():
        other_supplier = make_supplier(name="Other Shop").id
        db.session.commit()
    taken = _validate(client, "name", "main", supplier_id=setup["supplier"]).get_data(as_text=True)
    assert "already has a bot with this name" in taken
    assert "already" not in _validate(client, "name", "main", supplier_id=other_supplier).get_data(
        as_text=True
    )
    assert "already" not in _validate(
        client, "name", "main", bot_id, supplier_id=setup["supplier"]
    ).get_data(as_text=True)  # its own name
    # another team's bot of the same name and source does not count
    assert "already" not in _validate(
        client, "name", "their bot", supplier_id=setup["supplier"]
    ).get_data(as_text=True)


def test_inline_validation_is_team_scoped_and_field_limited(client, setup):
    assert _validate(client, "name", "x", setup["their_bot"]).status_code == 404
    assert _validate(client, "supplier_id", "1").status_code == 404
    assert _validate(client, "enabled", "y").status_code == 404
    assert _validate(client, "password", "x").status_code == 404  # secrets are not sent on change
    assert _validate(client, "card_cvc", "123").status_code == 404


def test_form_fields_validate_inline_without_sending_other_secrets(client, setup):
    page = client.get("/bots/new").get_data(as_text=True)
    assert 'hx-post="/bots/validate/card_number"' in page and 'hx-trigger="change"' in page
    assert 'hx-params="card_number"' in page and 'hx-params="name,supplier_id"' in page
    assert 'hx-target="#feedback-card_number"' in page


def test_duplicate_name_for_the_same_source_is_refused_on_submit(app, client, setup):
    assert _new_bot(client, setup).status_code == 302
    response = _new_bot(client, setup, account_email="second@demo.test")
    assert response.status_code == 422
    assert "already has a bot with this name" in response.get_data(as_text=True)
    with app.app_context():
        assert len(db.session.scalars(select(OrderBot).where(OrderBot.name == "main")).all()) == 1


def test_reentered_secrets_replace_the_stored_ones(app, client, setup):
    bot_id = _new_bot_id(app, client, setup)
    response = _edit_bot(
        client,
        setup,
        bot_id,
        password="N3w-Password!",
        card_holder="Pat Seller",
        card_number="5555555555554444",
        card_expiry="11/38",
        card_cvc="321",
        billing_city="Austin",
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        bot = db.session.get(OrderBot, bot_id)
        assert (bot.password, bot.card_number, bot.card_cvc, bot.card_last4) == (
            "N3w-Password!",
            "5555555555554444",
            "321",
            "4444",
        )
        assert bot.billing_address["city"] == "Austin"
    edit = client.get(f"/bots/{bot_id}").get_data(as_text=True)
    assert "•••• 4444" in edit
    for secret in ("N3w-Password!", "5555555555554444", '321"', "11/38"):
        assert secret not in edit


def test_disable_and_enable_answer_the_row(app, client, setup):
    bot_id = _new_bot_id(app, client, setup)
    headers = {"HX-Request": "true", "X-CSRFToken": csrf_token(client, "/bots/")}
    row = client.post(f"/bots/{bot_id}/disable", headers=headers).get_data(as_text=True)
    assert row.lstrip().startswith(f'<tr id="bot-{bot_id}"') and "status-disabled" in row
    assert SECRET_PW not in row and CARD not in row
    with app.app_context():
        assert db.session.get(OrderBot, bot_id).enabled is False
    client.post(f"/bots/{bot_id}/enable", headers=headers)
    with app.app_context():
        assert db.session.get(OrderBot, bot_id).enabled is True
    for action in ("disable", "enable", "test-login"):
        assert (
            client.post(f"/bots/{setup['their_bot']}/{action}", headers=headers).status_code == 404
        )
    assert client.get(f"/bots/{setup['their_bot']}/login-check", headers=headers).status_code == 404


# --- Test login -----------------------------------------------------------------------------------
def test_test_login_enqueues_a_job_with_the_id_only_and_polls(app, client, setup, redis):
    from rq.job import Job

    from autoorder.jobs import bots as bot_jobs

    bot_id = _new_bot_id(app, client, setup)
    headers = {"HX-Request": "true", "X-CSRFToken": csrf_token(client, "/bots/")}
    fragment = client.post(f"/bots/{bot_id}/test-login", headers=headers).get_data(as_text=True)
    assert (
        f'hx-get="/bots/{bot_id}/login-check"' in fragment and 'hx-trigger="every 2s"' in fragment
    )
    assert "signing in" in fragment
    job = Job.fetch(f"test-bot-login-{bot_id}", connection=redis)
    assert job.origin == "orders" and job.func_name == "autoorder.jobs.bots.test_bot_login"
    assert job.args == (bot_id,)
    for key in redis.keys("*"):
        dump = repr(redis.dump(key))
        assert SECRET_PW not in dump and CARD not in dump
    polling = client.get(f"/bots/{bot_id}/login-check", headers=headers).get_data(as_text=True)
    assert 'hx-trigger="every 2s"' in polling
    with app.app_context():  # what the job records when it finishes
        bot_jobs.save_login_check(
            bot_id,
            {
                "state": "done",
                "at": "2030-01-02T03:04:05+00:00",
                "ok": False,
                "code": "login_failed",
                "message": "Demo Shop refused the sign-in",
            },
        )
    done = client.get(f"/bots/{bot_id}/login-check", headers=headers).get_data(as_text=True)
    assert (
        "every 2s" not in done
        and "login failed" in done
        and "Demo Shop refused the sign-in" in done
    )
    assert "login failed" in client.get("/bots/").get_data(as_text=True)
    with app.app_context():  # kept on the bot row, not in Redis
        assert db.session.get(OrderBot, bot_id).last_login_check_result["code"] == "login_failed"


def test_a_pending_test_nobody_picks_up_stops_polling(app, client, setup, redis):
    from autoorder.jobs import bots as bot_jobs

    bot_id = _new_bot_id(app, client, setup)
    with app.app_context():
        bot_jobs.save_login_check(bot_id, {"state": "pending", "at": "2020-01-01T00:00:00+00:00"})
    body = client.get(f"/bots/{bot_id}/login-check", headers={"HX-Request": "true"}).get_data(
        as_text=True
    )
    assert "every 2s" not in body and "Is <code>flask worker</code> running?" in body


def test_test_login_says_so_when_the_queue_is_down(app, client, setup):
    from tests.support import free_port

    bot_id = _new_bot_id(app, client, setup)
    saved = app.config["REDIS_URL"]
    app.config["REDIS_URL"] = f"redis://127.0.0.1:{free_port()}/0"
    try:
        assert client.get("/bots/").status_code == 200  # the list still renders
        body = client.post(
            f"/bots/{bot_id}/test-login",
            headers={"HX-Request": "true", "X-CSRFToken": csrf_token(client, "/bots/")},
        ).get_data(as_text=True)
    finally:
        app.config["REDIS_URL"] = saved
    assert "cannot be reached" in body


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    from sandbox.shop.testing import start_shop

    server = start_shop(
        seed=3, log_path=tmp_path_factory.mktemp("shop") / "shop.log", extra_args=("--quiet",)
    )
    yield server
    server.stop()


@pytest.mark.browser
@pytest.mark.parametrize(
    "password,expected", [("demo-password", "ok"), ("wrong-password-1", "login_failed")]
)
def test_login_job_signs_in_on_the_demo_shop_without_buying(app, redis, shop, password, expected):
    from sqlalchemy import text

    from autoorder.jobs import bots as bot_jobs

    with app.app_context():
        user = make_user(role="admin")
        supplier = make_supplier(key="demo_shop", name="Demo Shop", base_url=shop.url)
        bot = make_bot(
            user.team, supplier, name="main", account_email="buyer@demo.test", password=password
        )
        db.session.commit()
        bot_id = bot.id
        orders_before = len(shop.control("GET", "/sandbox/orders"))
        assert bot_jobs.test_bot_login(bot_id) == expected
        assert bot_jobs.test_bot_login(bot_id) == expected  # safe to run twice
        db.session.expire_all()
        check = bot_jobs.load_login_checks([bot_id])[bot_id]
        bot = db.session.get(OrderBot, bot_id)
        raw = db.session.execute(
            text("SELECT browser_state FROM order_bots WHERE id = :id"), {"id": bot_id}
        ).scalar()
    assert (
        check["state"] == "done" and check["code"] == expected and password not in check["message"]
    )
    if expected == "ok":
        assert check["ok"] and "shop_session" in bot.browser_state and bot.browser_state_saved_at
        assert "shop_session" not in raw  # stored encrypted
    else:
        assert (
            not check["ok"]
            and "refused the sign-in" in check["message"]
            and bot.browser_state is None
        )
    assert len(shop.control("GET", "/sandbox/orders")) == orders_before  # nothing bought


def test_no_secret_in_any_page_or_fragment(app, client, setup, redis):
    """Bot password, card number, CVC and eBay tokens never reach the browser, wherever it looks."""
    from datetime import timedelta

    from autoorder import clock
    from autoorder.jobs import bots as bot_jobs
    from autoorder.models import EbayAccount

    _new_bot(client, setup)
    access, refresh = "v^1.1#i^1#ACCESS-TOKEN-SECRET", "v^1.1#i^1#REFRESH-TOKEN-SECRET"
    with app.app_context():
        bot = db.session.scalar(select(OrderBot).where(OrderBot.name == "main"))
        team = db.session.get(Team, setup["team"])
        db.session.add(
            EbayAccount(
                team_id=team.id,
                name="my_store",
                access_token=access,
                refresh_token=refresh,
                access_token_expires_at=clock.now() + timedelta(hours=2),
            )
        )
        listing = make_listing(team, bot, ebay_item_id="325400200001")
        order = make_order(
            team,
            status="needs_attention",
            failure_code="no_mapping",
            legacy_item_id="123456",
            ebay_order_id="27-11111-22222",
            ebay_line_item_id="33333333333",
        )
        db.session.commit()
        bot_id, listing_id, order_id = bot.id, listing.id, order.id
        bot_jobs.save_login_check(
            bot_id,
            {
                "state": "done",
                "at": clock.now().isoformat(),
                "ok": True,
                "code": "ok",
                "message": "Signed in",
            },
        )
    htmx = {"HX-Request": "true", "X-CSRFToken": csrf_token(client, "/bots/")}
    responses = [
        client.get(path)
        for path in (
            "/",
            "/bots/",
            f"/bots/{bot_id}",
            "/bots/new",
            "/listings/",
            "/listings/new",
            f"/listings/{listing_id}",
            f"/listings/new?from_order={order_id}",
            "/console/",
            "/settings/",
            "/team/",
        )
    ]
    responses += [
        client.get(f"/bots/{bot_id}/login-check", headers=htmx),
        client.post(f"/bots/{bot_id}/disable", headers=htmx),
        client.post(f"/bots/{bot_id}/test-login", headers=htmx),
        client.post(
            f"/bots/{bot_id}/validate/card_number", data={"card_number": CARD}, headers=htmx
        ),
        client.post(f"/bots/{bot_id}", data={"name": "", "csrf_token": htmx["X-CSRFToken"]}),
    ]
    assert all(r.status_code in (200, 422) for r in responses), [r.status_code for r in responses]
    for response in responses:
        body = _scrub(response.get_data(as_text=True))
        for secret in (SECRET_PW, CARD, CVC, access, refresh, "ACCESS-TOKEN", "REFRESH-TOKEN"):
            assert secret not in body, (response.request.path, secret)


TOTP_KEY = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def test_authenticator_key_is_stored_encrypted_never_shown_and_removable(app, client, setup):
    pasted = " ".join(TOTP_KEY.lower()[i : i + 4] for i in range(0, len(TOTP_KEY), 4))
    assert _new_bot(client, setup, totp_secret=pasted).status_code == 302
    with app.app_context():
        bot = db.session.scalar(select(OrderBot).where(OrderBot.name == "main"))
        assert bot.totp_secret == TOTP_KEY  # normalised, decrypted on read
        raw = db.session.execute(
            db.text("SELECT totp_secret FROM order_bots WHERE id = :id"), {"id": bot.id}
        ).scalar()
        assert TOTP_KEY not in raw  # encrypted at rest
        bot_id = bot.id
    page = _scrub(client.get(f"/bots/{bot_id}").get_data(as_text=True))
    assert TOTP_KEY not in page and pasted not in page and "Remove the saved authenticator" in page
    card = {"card_holder": "Pat Seller", "card_expiry": "12/39"}
    assert _edit_bot(client, setup, bot_id, **card).status_code == 302  # blank: kept
    with app.app_context():
        assert db.session.get(OrderBot, bot_id).totp_secret == TOTP_KEY
    assert _edit_bot(client, setup, bot_id, **card, clear_totp="y").status_code == 302
    with app.app_context():
        assert db.session.get(OrderBot, bot_id).totp_secret is None


def test_a_wrong_authenticator_key_is_refused_and_nothing_saved(app, client, setup):
    response = _new_bot(client, setup, totp_secret="123456")
    assert response.status_code == 422
    assert "authenticator key" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(OrderBot).where(OrderBot.name == "main")) is None
