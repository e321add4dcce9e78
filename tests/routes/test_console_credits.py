"""Auto Order console: packages, balance, ledger; the server operator records purchases
(idempotent), team admins manage their own packages but grant no credits, members only look."""

import re
from decimal import Decimal
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from autoorder import credits, payments
from autoorder.extensions import db
from autoorder.models import CreditEntry, CreditPackage, Order, OrderEvent
from tests.factories import make_order, make_team, make_user
from tests.support import csrf_token, login, post

KEY_RE = re.compile(r'name="idempotency_key" value="([0-9a-f]{32})"')


@pytest.fixture
def world(app):
    with app.app_context():
        admin = make_user(email="admin@example.com", role="admin")
        make_user(admin.team, email="member@example.com")
        make_user(admin.team, email="op@example.com", role="admin", is_operator=True)
        stranger = make_user(email="stranger@example.com", role="admin")
        package = CreditPackage(name="Starter 100", credits=100, price=Decimal("29.00"))
        retired = CreditPackage(name="Old 10", credits=10, price=Decimal("5.00"), active=False)
        db.session.add_all([package, retired])
        db.session.flush()
        db.session.add(
            CreditEntry(
                team_id=stranger.team_id,
                key="adjust:stranger",
                delta=7,
                reason="adjustment",
                note="their secret bonus",
            )
        )
        db.session.commit()
        return SimpleNamespace(
            team_id=admin.team_id,
            other_team_id=stranger.team_id,
            package_id=package.id,
            retired_id=retired.id,
        )


def _key(client):
    match = KEY_RE.search(client.get("/console/").get_data(as_text=True))
    assert match, "no purchase form on the console"
    return match.group(1)


def _buy(client, package_id, key, confirmed=True):
    data = {"idempotency_key": key}
    if confirmed:
        data["confirmed"] = "y"
    return post(
        client,
        f"/console/packages/{package_id}/purchase",
        data,
        page="/console/",
        follow_redirects=True,
    )


def _entries(app, team_id):
    with app.app_context():
        return db.session.scalars(select(CreditEntry).where(CreditEntry.team_id == team_id)).all()


def test_off_until_a_package_is_bought(client, world):
    login(client, "admin@example.com")
    page = client.get("/console/").get_data(as_text=True)
    assert "Auto Order is off" in page and "Starter 100" in page
    assert 'id="credit-balance">0<' in page
    assert "their secret bonus" not in page  # another team's ledger


def test_purchase_adds_credits_once_per_payment(app, client, world):
    login(client, "op@example.com")
    key = _key(client)
    response = _buy(client, world.package_id, key)
    body = response.get_data(as_text=True)
    assert "100 credits added" in body and "Auto Order is on" in body
    again = _buy(client, world.package_id, key).get_data(as_text=True)  # a resubmitted form
    assert "already recorded" in again
    entries = _entries(app, world.team_id)
    assert [(e.delta, e.reason, e.actor) for e in entries] == [(100, "purchase", "op@example.com")]
    assert entries[0].key == f"purchase:manual-{world.team_id}-{key}"
    _buy(client, world.package_id, _key(client))  # a second purchase is a new payment
    with app.app_context():
        assert credits.balance(world.team_id) == 200
        assert credits.balance(world.other_team_id) == 7


def test_purchase_needs_the_operators_confirmation(app, client, world):
    login(client, "op@example.com")
    body = _buy(client, world.package_id, _key(client), confirmed=False).get_data(as_text=True)
    assert "Confirm that the payment of 29.00 USD was received" in body
    assert _entries(app, world.team_id) == []


def test_purchase_rejects_a_forged_reference(app, client, world):
    login(client, "op@example.com")
    body = _buy(client, world.package_id, "x" * 32).get_data(as_text=True)
    assert "Reload the page" in body
    assert _entries(app, world.team_id) == []


def test_purchase_resumes_sales_held_for_credits(app, client, world):
    with app.app_context():
        from autoorder.models import Team

        mine = make_order(
            db.session.get(Team, world.team_id),
            status="needs_attention",
            failure_code="out_of_credits",
            failure_message="No credits",
        )
        theirs = make_order(
            db.session.get(Team, world.other_team_id),
            status="needs_attention",
            failure_code="out_of_credits",
            failure_message="No credits",
        )
        db.session.add(
            CreditEntry(team_id=world.other_team_id, key="spent", delta=-7, reason="adjustment")
        )
        db.session.commit()
        mine_id, theirs_id = mine.id, theirs.id
    login(client, "op@example.com")
    assert "1 held now" in client.get("/console/").get_data(as_text=True)
    body = _buy(client, world.package_id, _key(client)).get_data(as_text=True)
    assert "now back in line: 1" in body
    with app.app_context():
        assert db.session.get(Order, mine_id).status == "waiting"
        assert db.session.get(Order, mine_id).failure_code is None
        assert db.session.scalar(
            select(OrderEvent.reason).where(
                OrderEvent.order_id == mine_id, OrderEvent.to_status == "waiting"
            )
        )
        assert (
            db.session.get(Order, theirs_id).status == "needs_attention"
        )  # that team has no credits


def test_member_sees_balance_and_ledger_but_cannot_buy_or_manage(app, client, world):
    with app.app_context():
        db.session.add(
            CreditEntry(
                team_id=world.team_id,
                key="gift",
                delta=5,
                reason="adjustment",
                note="welcome credits",
            )
        )
        db.session.commit()
    login(client, "member@example.com")
    page = client.get("/console/").get_data(as_text=True)
    assert "welcome credits" in page and 'id="credit-balance">5<' in page
    assert "Record purchase" not in page and "New credit package" not in page
    assert "Old 10" not in page  # deactivated packages are hidden from members
    token = csrf_token(client, "/console/")
    for path, data in [
        (
            f"/console/packages/{world.package_id}/purchase",
            {"idempotency_key": "a" * 32, "confirmed": "y"},
        ),
        ("/console/packages", {"name": "Free", "credits": "1000", "price": "0", "currency": "USD"}),
        (f"/console/packages/{world.package_id}/deactivate", {}),
        (f"/console/packages/{world.retired_id}/activate", {}),
    ]:
        response = client.post(path, data={**data, "csrf_token": token})
        assert response.status_code == 403, path
    with app.app_context():
        assert credits.balance(world.team_id) == 5
        assert db.session.scalar(select(CreditPackage).where(CreditPackage.name == "Free")) is None
        assert db.session.get(CreditPackage, world.package_id).active


def test_admin_creates_and_deactivates_packages(app, client, world):
    login(client, "admin@example.com")
    bad = post(
        client,
        "/console/packages",
        {"name": "", "credits": "0", "price": "-1", "currency": "dollars"},
        page="/console/",
    )
    assert bad.status_code == 422
    text = bad.get_data(as_text=True)
    assert "This field is required" in text and "Number must be between 1 and 1000000" in text
    assert "three-letter currency code" in text
    ok = post(
        client,
        "/console/packages",
        {"name": "Pro 500", "credits": "500", "price": "99.50", "currency": "eur"},
        page="/console/",
        follow_redirects=True,
    )
    assert "Package Pro 500 created" in ok.get_data(as_text=True)
    with app.app_context():
        package = db.session.scalar(select(CreditPackage).where(CreditPackage.name == "Pro 500"))
        assert (package.credits, package.price, package.currency) == (500, Decimal("99.50"), "EUR")
        own_id = package.id
        assert package.team_id is not None  # a team admin's package is that team's own
    # The server operator's package (no team) is not a team admin's to switch off.
    assert (
        post(
            client, f"/console/packages/{world.package_id}/deactivate", page="/console/"
        ).status_code
        == 404
    )
    post(client, f"/console/packages/{own_id}/deactivate", page="/console/")
    with app.app_context():
        assert db.session.get(CreditPackage, world.package_id).active
        assert not db.session.get(CreditPackage, own_id).active
    assert _buy(client, own_id, "b" * 32).status_code == 403  # a team admin grants no credits
    client.post("/logout", data={"csrf_token": csrf_token(client, "/console/")})
    login(client, "op@example.com")
    response = _buy(client, own_id, "b" * 32)
    assert response.status_code == 404  # a deactivated package is not for sale
    assert _entries(app, world.team_id) == []


def test_another_teams_package_is_invisible(app, client, world):
    with app.app_context():
        other = make_team()
        theirs = CreditPackage(
            team_id=other.id, name="Their secret deal", credits=7, price=Decimal("1.00")
        )
        db.session.add(theirs)
        db.session.commit()
        theirs_id = theirs.id
    login(client, "admin@example.com")
    assert "Their secret deal" not in client.get("/console/").get_data(as_text=True)
    assert _buy(client, theirs_id, "c" * 32).status_code == 403  # no admin grants credits
    assert (
        post(client, f"/console/packages/{theirs_id}/deactivate", page="/console/").status_code
        == 404
    )


def test_ledger_is_paginated_and_served_as_a_fragment(app, client, world):
    with app.app_context():
        for n in range(30):
            db.session.add(
                CreditEntry(
                    team_id=world.team_id,
                    key=f"adj:{n}",
                    delta=1,
                    reason="adjustment",
                    note=f"entry number {n:02d}",
                )
            )
        db.session.commit()
    login(client, "member@example.com")
    first = client.get("/console/").get_data(as_text=True)
    # No "of N": counting a long ledger would scan it; the pages are keyset pages (#19).
    assert first.count('id="entry-') == 25 and "Page 1<" in first and 'rel="next"' in first
    fragment = client.get("/console/?page=2", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert fragment.lstrip().startswith('<div id="ledger">') and "<html" not in fragment
    assert fragment.count('id="entry-') == 5 and "Page 2<" in fragment
    assert 'rel="next"' not in fragment
    assert "their secret bonus" not in fragment


def test_navigation_shows_the_balance(app, client, world):
    with app.app_context():
        db.session.add(CreditEntry(team_id=world.team_id, key="nav", delta=42, reason="adjustment"))
        db.session.commit()
    login(client, "member@example.com")
    page = client.get("/bots/").get_data(as_text=True)
    assert re.search(r'id="nav-credits"[^>]*>42<', page)
    assert "/team/" not in page and "/rq/" not in page  # admin-only links hidden from members


def test_manual_payment_is_stable_per_key(app):
    request = payments.PaymentRequest(
        team_id=3,
        package_id=1,
        amount=Decimal("9"),
        currency="USD",
        idempotency_key="c" * 32,
        actor="a@example.com",
        confirmed=True,
    )
    provider = payments.ManualPayment()
    assert (
        provider.charge(request).reference
        == provider.charge(request).reference
        == f"manual-3-{'c' * 32}"
    )
    with pytest.raises(payments.PaymentError):
        provider.charge(payments.PaymentRequest(**{**request.__dict__, "confirmed": False}))
    with app.app_context():
        assert isinstance(payments.provider(), payments.ManualPayment)
        app.config["PAYMENT_PROVIDER"] = "stripe"
        try:
            with pytest.raises(payments.PaymentError, match="unknown payment provider"):
                payments.provider()
        finally:
            app.config.pop("PAYMENT_PROVIDER")


def test_a_team_admin_cannot_grant_their_team_credits(app, client, world):
    """Finding 8: any team admin could tick "payment received" and grant their own team credits."""
    login(client, "admin@example.com")
    page = client.get("/console/").get_data(as_text=True)
    assert "Record purchase" not in page and "server operator records" in page
    token = csrf_token(client, "/console/")
    response = client.post(
        f"/console/packages/{world.package_id}/purchase",
        data={"idempotency_key": "d" * 32, "confirmed": "y", "csrf_token": token},
    )
    assert response.status_code == 403
    with app.app_context():
        assert credits.balance(world.team_id) == 0


def test_the_operator_records_a_payment_for_another_team(app, client, world):
    login(client, "op@example.com")
    page = client.get("/console/").get_data(as_text=True)
    assert f'<option value="{world.other_team_id}"' in page  # the team chooser
    response = post(
        client,
        f"/console/packages/{world.package_id}/purchase",
        {"idempotency_key": _key(client), "confirmed": "y", "team_id": world.other_team_id},
        page="/console/",
        follow_redirects=True,
    )
    assert "100 credits added for team" in response.get_data(as_text=True)
    with app.app_context():
        assert credits.balance(world.other_team_id) == 107
        assert credits.balance(world.team_id) == 0
    unknown = post(
        client,
        f"/console/packages/{world.package_id}/purchase",
        {"idempotency_key": _key(client), "confirmed": "y", "team_id": 987654},
        page="/console/",
    )
    assert unknown.status_code == 404


def test_only_the_operator_offers_a_package_to_every_team(app, client, world):
    login(client, "admin@example.com")
    post(
        client,
        "/console/packages",
        {"name": "Mine", "credits": "5", "price": "1", "currency": "USD", "every_team": "y"},
        page="/console/",
    )
    client.post("/logout", data={"csrf_token": csrf_token(client, "/console/")})
    login(client, "op@example.com")
    post(
        client,
        "/console/packages",
        {"name": "For all", "credits": "5", "price": "1", "currency": "USD", "every_team": "y"},
        page="/console/",
    )
    with app.app_context():
        mine = db.session.scalar(select(CreditPackage).where(CreditPackage.name == "Mine"))
        every = db.session.scalar(select(CreditPackage).where(CreditPackage.name == "For all"))
        assert mine.team_id == world.team_id and every.team_id is None


ENTRY_RE = re.compile(r'<tr id="entry-(\d+)"')
OLDER_RE = re.compile(r'<a href="([^"]*)"[^>]*rel="next"')
NEWER_RE = re.compile(r'<a href="([^"]*)"[^>]*rel="prev"')


def test_ledger_pages_by_keyset_neither_skip_nor_repeat_when_entries_arrive(app, client, world):
    from datetime import timedelta

    from autoorder import clock

    def book(count, start, base):
        with app.app_context():
            for n in range(count):
                db.session.add(
                    CreditEntry(
                        team_id=world.team_id,
                        key=f"adjust:{start + n}",
                        delta=1,
                        reason="adjustment",
                        created_at=base + timedelta(seconds=start + n),
                    )
                )
            db.session.commit()

    now = clock.now()
    book(60, 0, now - timedelta(days=1))
    login(client, "member@example.com")
    first = client.get("/console/").get_data(as_text=True)
    assert len(ENTRY_RE.findall(first)) == 25 and "Page 1" in first
    book(10, 100, now)  # booked while the first page is read: newest first, they push rows down
    link = OLDER_RE.search(first).group(1).replace("&amp;", "&")
    second = client.get(link).get_data(as_text=True)
    link = OLDER_RE.search(second).group(1).replace("&amp;", "&")
    third = client.get(link, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert third.startswith('<div id="ledger">') and OLDER_RE.search(third) is None
    seen = [int(i) for page in (first, second, third) for i in ENTRY_RE.findall(page)]
    assert len(seen) == 60 and len(set(seen)) == 60
    back = NEWER_RE.search(third).group(1).replace("&amp;", "&")
    assert ENTRY_RE.findall(client.get(back).get_data(as_text=True)) == ENTRY_RE.findall(second)
    assert client.get("/console/?page=3").status_code == 200  # old links still answer
