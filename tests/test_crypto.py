"""Encryption at rest: round trip, ciphertext on disk, key rotation with nothing lost."""

import pytest
from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import text

from autoorder import crypto
from autoorder.extensions import db
from autoorder.models import EbayAccount, OrderBot
from tests.factories import make_bot, make_team


def test_round_trip_and_ciphertext_at_rest(ctx):
    bot = make_bot(make_team(), password="hunter2-secret")
    db.session.commit()
    raw = db.session.execute(
        text("SELECT password, card_number FROM order_bots WHERE id = :i"), {"i": bot.id}
    ).one()
    assert "hunter2-secret" not in raw.password and "4242424242424242" not in raw.card_number
    assert Fernet(ctx.config["FERNET_KEYS"][0]).decrypt(raw.password.encode()) == b"hunter2-secret"
    db.session.expire_all()
    again = db.session.get(OrderBot, bot.id)
    assert again.password == "hunter2-secret" and again.card_number == "4242424242424242"
    assert again.card_last4 == "4242"


def test_same_plaintext_encrypts_differently(ctx):
    assert crypto.encrypt("x") != crypto.encrypt("x")


def test_wrong_key_gives_a_clear_error(ctx):
    token = crypto.encrypt("secret")
    ctx.extensions["fernet"] = crypto.make_fernet([Fernet.generate_key().decode()])
    try:
        with pytest.raises(crypto.DecryptionError, match="rotate-keys"):
            crypto.decrypt(token)
    finally:
        crypto.init_app(ctx)


def test_rotation_re_encrypts_everything_under_the_new_key(ctx):
    old_key = ctx.config["FERNET_KEYS"][0]
    team = make_team()
    bots = [make_bot(team, password=f"pw-{i}-secret") for i in range(3)]
    account = EbayAccount(
        team_id=team.id, name="seller", access_token="at-123", refresh_token="rt-456"
    )
    db.session.add(account)
    db.session.commit()
    ids = [b.id for b in bots]

    new_key = Fernet.generate_key().decode()
    ctx.extensions["fernet"] = crypto.make_fernet(
        [new_key, old_key]
    )  # new first, old still decrypts
    try:
        with db.engine.begin() as connection:
            rotated = crypto.rotate_all(connection, db.metadata)
        # 3 bots x (password, number, expiry, cvc, holder) + 2 tokens
        assert rotated == 3 * 5 + 2
        ctx.extensions["fernet"] = crypto.make_fernet([new_key])  # the old key is gone
        db.session.expire_all()
        assert [db.session.get(OrderBot, i).password for i in ids] == [
            f"pw-{i}-secret" for i in range(3)
        ]
        assert db.session.get(EbayAccount, account.id).refresh_token == "rt-456"
        raw = db.session.execute(text("SELECT password FROM order_bots")).scalars().all()
        for token in raw:
            with pytest.raises(InvalidToken):
                Fernet(old_key).decrypt(token.encode())
    finally:
        crypto.init_app(ctx)


def test_rotation_without_the_old_key_changes_nothing(ctx):
    bot = make_bot(make_team(), password="keep-me-secret")
    db.session.commit()
    before = db.session.execute(text("SELECT password FROM order_bots")).scalar()
    ctx.extensions["fernet"] = crypto.make_fernet([Fernet.generate_key().decode()])
    try:
        with pytest.raises(crypto.DecryptionError), db.engine.begin() as connection:
            crypto.rotate_all(connection, db.metadata)
    finally:
        crypto.init_app(ctx)
    assert db.session.execute(text("SELECT password FROM order_bots")).scalar() == before
    db.session.expire_all()
    assert db.session.get(OrderBot, bot.id).password == "keep-me-secret"


def test_rotate_keys_cli(app):
    with app.app_context():
        make_bot(make_team(), password="cli-secret-pw")
        db.session.commit()
    old_key = app.config["FERNET_KEYS"][0]
    new_key = Fernet.generate_key().decode()
    app.config["FERNET_KEYS"] = [new_key, old_key]
    crypto.init_app(app)
    try:
        result = app.test_cli_runner().invoke(args=["rotate-keys"])
        assert result.exit_code == 0, result.output
        assert "re-encrypted 5 stored secret(s)" in result.output
        with app.app_context():
            token = db.session.execute(text("SELECT password FROM order_bots")).scalar()
        assert Fernet(new_key).decrypt(token.encode()) == b"cli-secret-pw"
    finally:
        app.config["FERNET_KEYS"] = [old_key]
        crypto.init_app(app)
