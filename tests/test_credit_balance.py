"""The maintained credit balance (#19): one row per team, kept equal to the sum of its ledger by
every ledger insert in the same transaction; recomputed from the ledger on demand; exact under
two concurrent writers on PostgreSQL."""

import threading

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import IntegrityError

from autoorder import credits
from autoorder.extensions import db
from autoorder.models import CreditBalance, CreditEntry, CreditPackage
from tests import support
from tests.factories import make_order, make_team


def _kept(team_id: int) -> int | None:
    return db.session.scalar(select(CreditBalance.balance).where(CreditBalance.team_id == team_id))


def test_every_ledger_insert_moves_the_balance_with_the_sum(ctx):
    team, other = make_team(), make_team(name="Other")
    package = CreditPackage(name="Ten", credits=10, price=5)
    db.session.add(package)
    db.session.commit()
    assert credits.balance(team.id) == 0 and _kept(team.id) is None  # no row: nothing booked

    credits.record_package_purchase(team.id, package, actor="op", payment_reference="p1")
    credits.record_package_purchase(other.id, package, actor="op", payment_reference="p2")
    db.session.commit()
    orders = [make_order(team) for _ in range(3)]
    db.session.commit()
    for order in orders:
        assert credits.spend_for_order(team.id, order.id)
    db.session.add(CreditEntry(team_id=team.id, key="adj", delta=-2, reason="adjustment"))
    db.session.commit()

    assert _kept(team.id) == 10 - 3 - 2 == CreditEntry.ledger_sum(team.id)
    assert credits.balance(team.id) == 5
    assert credits.balance(other.id) == 10 == CreditEntry.ledger_sum(other.id)
    assert credits.check_balances() == []


def test_an_entry_not_booked_does_not_move_the_balance(ctx):
    team = make_team()
    order = make_order(team)
    db.session.add(CreditEntry(team_id=team.id, key="purchase:x", delta=4, reason="purchase"))
    db.session.commit()

    assert credits.spend_for_order(team.id, order.id)
    assert not credits.spend_for_order(team.id, order.id)  # the same order: refused, not counted
    db.session.commit()
    assert credits.balance(team.id) == 3

    credits.spend_for_order(team.id, make_order(team).id)
    db.session.flush()
    assert credits.balance(team.id) == 2  # seen inside the transaction that spent it
    db.session.rollback()  # the transaction fails after the spend: the delta goes with it
    assert credits.balance(team.id) == 3 == CreditEntry.ledger_sum(team.id)

    db.session.add(CreditEntry(team_id=team.id, key="purchase:x", delta=9, reason="purchase"))
    with pytest.raises(IntegrityError):  # a duplicate key: the insert fails, the balance stays
        db.session.commit()
    db.session.rollback()
    assert credits.balance(team.id) == 3


def test_recompute_repairs_a_balance_that_drifted(ctx):
    team, other = make_team(), make_team(name="Other")
    db.session.add_all(
        [
            CreditEntry(team_id=team.id, key="purchase:a", delta=7, reason="purchase"),
            CreditEntry(team_id=other.id, key="purchase:b", delta=2, reason="purchase"),
        ]
    )
    db.session.commit()
    db.session.execute(
        update(CreditBalance).where(CreditBalance.team_id == team.id).values(balance=99)
    )
    db.session.execute(CreditBalance.__table__.delete().where(CreditBalance.team_id == other.id))
    db.session.commit()
    assert credits.check_balances() == [(team.id, 99, 7), (other.id, 0, 2)]

    assert credits.recompute_balances() == 2
    assert credits.check_balances() == []
    assert (credits.balance(team.id), credits.balance(other.id)) == (7, 2)


def test_the_recompute_command(app, db_url, tmp_path):
    with app.app_context():
        team = make_team()
        db.session.add(CreditEntry(team_id=team.id, key="purchase:a", delta=5, reason="purchase"))
        db.session.commit()
        db.session.execute(update(CreditBalance).values(balance=1))
        db.session.commit()
        team_id = team.id
    env = support.app_env(app, db_url=db_url, redis_url="redis://127.0.0.1:1/0")

    checked = support.run_flask(env, "credits", "recompute", "--check")
    assert checked.returncode == 1, checked.stdout + checked.stderr
    assert f"team {team_id}: balance 1, ledger sum 5" in checked.stdout

    fixed = support.run_flask(env, "credits", "recompute")
    assert fixed.returncode == 0, fixed.stderr
    assert "credit balances recomputed (1 were off)" in fixed.stdout
    again = support.run_flask(env, "credits", "recompute", "--check")
    assert again.returncode == 0 and "agree with the ledger" in again.stdout
    with app.app_context():
        assert credits.balance(team_id) == 5


@pytest.mark.postgres
def test_two_writers_on_postgres_lose_no_delta(app, db_url):
    """Writer A books an entry and holds its transaction open; writer B books one meanwhile (it
    waits on the balance row); A commits, then B. A read-then-write balance would end at A's
    or B's value alone; the atomic upsert ends at the sum."""
    assert db_url.startswith("postgresql")
    with app.app_context():
        team = make_team()
        db.session.add(CreditEntry(team_id=team.id, key="purchase:0", delta=100, reason="x"))
        db.session.commit()
        team_id = team.id
    b_started, b_done = threading.Event(), threading.Event()

    def writer_b():
        with app.app_context():
            b_started.set()
            db.session.add(CreditEntry(team_id=team_id, key="order:b", delta=-1, reason="order"))
            db.session.commit()
            b_done.set()
            db.session.remove()

    with app.app_context():
        db.session.add(CreditEntry(team_id=team_id, key="order:a", delta=-1, reason="order"))
        db.session.flush()  # A holds the balance row
        thread = threading.Thread(target=writer_b)
        thread.start()
        b_started.wait(10)
        assert not b_done.wait(1.0)  # B queues behind A's row lock
        db.session.commit()
    thread.join(30)
    assert b_done.is_set()
    with app.app_context():
        assert credits.balance(team_id) == 98 == CreditEntry.ledger_sum(team_id)
        assert credits.check_balances() == []


@pytest.mark.postgres
def test_many_concurrent_spends_on_postgres_add_up(app, db_url):
    assert db_url.startswith("postgresql")
    with app.app_context():
        team = make_team()
        db.session.add(CreditEntry(team_id=team.id, key="purchase:0", delta=50, reason="x"))
        order_ids = [make_order(team).id for _ in range(40)]
        db.session.commit()
        team_id = team.id
    barrier = threading.Barrier(4)

    def spend(chunk):
        with app.app_context():
            barrier.wait()
            for order_id in chunk:
                credits.spend_for_order(team_id, order_id)
                db.session.commit()
            db.session.remove()

    threads = [threading.Thread(target=spend, args=(order_ids[i::4],)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    with app.app_context():
        assert credits.balance(team_id) == 10 == CreditEntry.ledger_sum(team_id)


def _backfill(url):
    from flask_migrate import upgrade

    from autoorder import create_app
    from autoorder.config import TestConfig

    app = create_app(TestConfig(SQLALCHEMY_DATABASE_URI=url))
    with app.app_context():
        upgrade(directory=support.MIGRATIONS, revision="f1c2a3b4d5e6")  # before the balances
        with db.engine.begin() as c:
            for team_id in (1, 2, 3):
                c.execute(
                    text(
                        "INSERT INTO teams (id, name, created_at) "
                        "VALUES (:i, :n, CURRENT_TIMESTAMP)"
                    ),
                    {"i": team_id, "n": f"T{team_id}"},
                )
            c.execute(
                text(
                    "INSERT INTO credit_entries (team_id, key, delta, reason, actor, created_at) "
                    "VALUES (:t, :k, :d, 'x', 'system', CURRENT_TIMESTAMP)"
                ),
                [
                    {"t": 1, "k": "a", "d": 10},
                    {"t": 1, "k": "b", "d": -1},
                    {"t": 1, "k": "c", "d": -1},
                    {"t": 2, "k": "d", "d": 3},
                ],
            )
        upgrade(directory=support.MIGRATIONS)
        assert {t: credits.balance(t) for t in (1, 2, 3)} == {1: 8, 2: 3, 3: 0}
        assert credits.check_balances() == []
        db.session.remove()
        db.engine.dispose()


def test_the_migration_fills_the_balances_from_the_ledger_sqlite(tmp_path):
    _backfill(f"sqlite:///{tmp_path / 'm.sqlite3'}")


@pytest.mark.postgres
def test_the_migration_fills_the_balances_from_the_ledger_postgres():
    import os
    import uuid

    from sqlalchemy import create_engine

    from autoorder.config import database_url

    admin_url = database_url(os.environ["TEST_DATABASE_URL"])
    name = f"autoorder_mig_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        _backfill(admin_url.rsplit("/", 1)[0] + "/" + name)
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
