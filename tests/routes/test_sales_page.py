"""Sales & Orders page: team scoping, the row, filters, search, counts (one GROUP BY),
pagination."""

import html
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from sqlalchemy import event, select

from autoorder.extensions import db
from tests.factories import make_bot, make_order, make_supplier, make_user
from tests.support import login

ROW_RE = re.compile(r'<tr id="order-(\d+)"')
DAY = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)


def row_ids(html: str) -> list[int]:
    return [int(i) for i in ROW_RE.findall(html)]


@pytest.fixture
def world(app, client):
    with app.app_context():
        user = make_user(email="seller@example.com")
        team = user.team
        acme, globex = make_supplier(name="Acme Tools"), make_supplier(name="Globex")
        main, spare = make_bot(team, acme, name="main"), make_bot(team, globex, name="spare")
        stranger = make_user(email="stranger@example.com")
        theirs = make_order(
            stranger.team,
            title="Their secret item",
            ebay_order_id="99-99999-99999",
            buyer_username="their_buyer",
            status="failed",
        )
        o = SimpleNamespace(
            waiting=make_order(
                team,
                title="Phone case",
                variant_label="Black",
                bot_id=main.id,
                ebay_order_id="11-11111-11111",
                buyer_name="Jane Buyer",
                buyer_username="jane_b",
                sale_price=Decimal("19.99"),
                ebay_fees=Decimal("2.00"),
                sold_at=DAY,
            ),
            bought=make_order(
                team,
                title="Desk lamp",
                bot_id=main.id,
                status="succeeded",
                tracking_status="uploaded",
                tracking_number="9400111201080805483016",
                tracking_carrier="USPS",
                supplier_order_number="SHOP-7781",
                supplier_cost=Decimal("8.50"),
                sale_price=Decimal("20.00"),
                ebay_fees=Decimal("2.50"),
                sold_at=DAY - timedelta(days=1),
                buyer_username="bob",
            ),
            failed=make_order(
                team,
                title="Garden hose",
                bot_id=spare.id,
                status="failed",
                failure_code="out_of_stock",
                failure_message="The supplier is out of stock.",
                sold_at=DAY - timedelta(days=2),
                buyer_username="carol",
            ),
            attention=make_order(
                team,
                title="Unmapped thing",
                status="needs_attention",
                failure_code="no_mapping",
                failure_message="Map this listing first.",
                sold_at=DAY - timedelta(days=3),
            ),
            cancelled=make_order(
                team,
                title="Mug",
                status="cancelled",
                sold_at=DAY - timedelta(days=4),
                bot_id=spare.id,
            ),
        )
        db.session.commit()
        ids = SimpleNamespace(
            **{k: v.id for k, v in vars(o).items()},
            theirs=theirs.id,
            acme=acme.id,
            globex=globex.id,
            main=main.id,
            spare=spare.id,
            team=team.id,
        )
    login(client, "seller@example.com")
    return ids


def test_page_lists_only_the_teams_sales_newest_first(client, world):
    html = client.get("/").get_data(as_text=True)
    assert row_ids(html) == [
        world.waiting,
        world.bought,
        world.failed,
        world.attention,
        world.cancelled,
    ]
    assert "Their secret item" not in html and "their_buyer" not in html


def test_a_row_shows_the_sale_the_purchase_and_both_icons(client, world):
    html = client.get(f"/orders/{world.bought}/row").get_data(as_text=True)
    assert html.startswith(f'<tr id="order-{world.bought}"') and 'data-v="' in html
    for text in ("Desk lamp", "bob", "$20.00", "$8.50", "$9.00", "Acme Tools", "main", "SHOP-7781"):
        assert text in html, text
    assert 'class="icon cart st-succeeded"' in html and 'class="icon envelope st-uploaded"' in html
    assert (
        'aria-label="Tracking: Uploaded" title="Uploaded to eBay: USPS 9400111201080805483016"'
        in html
    )
    assert "<svg" in html and "<img" not in html

    waiting = client.get(f"/orders/{world.waiting}/row").get_data(as_text=True)
    assert "Phone case" in waiting and "Black" in waiting and "Jane Buyer" in waiting
    assert 'class="countdown" data-until="' in waiting  # the JS countdown reads this
    assert "Order now" in waiting and "Cancel" in waiting and "Retry" not in waiting

    failed = client.get(f"/orders/{world.failed}/row").get_data(as_text=True)
    assert 'title="The supplier is out of stock."' in failed  # the tooltip gives the reason
    assert "Retry" in failed and "Mark ordered" in failed and "Order now" not in failed


def test_cancelled_tooltip_is_the_event_reason(app, client, world):
    from autoorder import orders

    with app.app_context():
        order = make_order(_team(world), status="waiting")
        orders.transition(
            order, orders.OrderStatus.CANCELLED, reason="buyer asked to cancel on eBay"
        )
        db.session.commit()
        order_id = order.id
    html = client.get(f"/orders/{order_id}/row").get_data(as_text=True)
    assert 'title="buyer asked to cancel on eBay"' in html


def _team(world):
    from autoorder.models import Team

    return db.session.get(Team, world.team)


@pytest.mark.parametrize(
    "query,expected",
    [
        ("cart=failed", ["failed"]),
        ("cart=succeeded", ["bought"]),
        ("envelope=uploaded", ["bought"]),
        ("envelope=not_due", ["waiting", "failed", "attention", "cancelled"]),
        ("supplier={globex}", ["failed", "cancelled"]),
        ("bot={main}", ["waiting", "bought"]),
        ("sold_from=2025-03-08&sold_to=2025-03-09", ["bought", "failed"]),
        ("sold_from=2025-03-10", ["waiting"]),
        ("q=11-11111-11111", ["waiting"]),  # a whole eBay order number
        ("q=11-11111", []),  # numbers match whole (an index lookup), not in part
        ("q=9400111201080805483016", ["bought"]),  # a whole tracking number
        ("q=ane bu", ["waiting"]),  # a part of the buyer's name (the trigram index)
        ("q=hose", ["failed"]),  # a part of the title
        ("q=bo", []),  # under 3 characters: whole usernames only…
        ("q=bob", ["bought"]),  # …and a whole one matches
        ("q=JANE", ["waiting"]),
        ("q=carol", ["failed"]),
        ("q=shop-7781", ["bought"]),
        ("q=99-99999-99999", []),  # another team's order is never found
        ("q=%25", []),  # LIKE wildcards are escaped
        (
            "cart=nonsense&bot=x&sold_from=never",
            ["waiting", "bought", "failed", "attention", "cancelled"],
        ),
        ("cart=failed&supplier={acme}", []),
    ],
)
def test_filters_and_search(client, world, query, expected):
    html = client.get("/?" + query.format(**vars(world))).get_data(as_text=True)
    assert row_ids(html) == [getattr(world, name) for name in expected]


def test_supplier_filter_ignores_another_teams_supplier_bots(app, client, world):
    with app.app_context():
        from autoorder.models import Supplier, Team

        stranger_team = db.session.scalars(select(Team).where(Team.id != world.team)).first()
        their_bot = make_bot(stranger_team, db.session.get(Supplier, world.acme), name="theirs")
        make_order(stranger_team, bot_id=their_bot.id, title="Stranger acme sale")
        db.session.commit()
    html = client.get(f"/?supplier={world.acme}").get_data(as_text=True)
    assert row_ids(html) == [world.waiting, world.bought]


def _counts(html):
    return {
        status: int(n)
        for status, n in re.findall(r'data-count="(\w+)">(\d+)<', html)
        if status != "all"
    }


def test_counts_per_cart_status_come_from_one_group_by(app, client, world):
    statements = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", record)
        try:
            html = client.get(f"/?supplier={world.acme}").get_data(as_text=True)
        finally:
            event.remove(db.engine, "before_cursor_execute", record)
    group_bys = [s for s in statements if "GROUP BY orders.status" in s]
    assert len(group_bys) == 1
    assert not [
        s
        for s in statements
        if "count(" in s.lower() and "GROUP BY orders.status" not in s and "FROM orders" in s
    ]
    assert _counts(html) == {
        "waiting": 1,
        "in_progress": 0,
        "succeeded": 1,
        "failed": 0,
        "needs_attention": 0,
        "needs_you": 0,
        "cancelled": 0,
    }
    everything = _counts(
        client.get("/?cart=failed").get_data(as_text=True)
    )  # counts ignore the cart filter
    assert everything == {
        "waiting": 1,
        "in_progress": 0,
        "succeeded": 1,
        "failed": 1,
        "needs_attention": 1,
        "needs_you": 0,
        "cancelled": 1,
    }


def test_pagination_50_per_page(app, client, world):
    with app.app_context():
        team = _team(world)
        for n in range(115):
            make_order(team, title=f"bulk {n}", sold_at=DAY - timedelta(days=10, minutes=n))
        db.session.commit()
    first = client.get("/").get_data(as_text=True)
    assert len(row_ids(first)) == 50 and "Page 1 of 3" in first and 'rel="next"' in first
    assert row_ids(first)[:5] == [
        world.waiting,
        world.bought,
        world.failed,
        world.attention,
        world.cancelled,
    ]
    third = client.get("/?page=3").get_data(as_text=True)
    assert len(row_ids(third)) == 20 and "Page 3 of 3" in third and 'rel="next"' not in third
    all_ids = (
        row_ids(first) + row_ids(client.get("/?page=2").get_data(as_text=True)) + row_ids(third)
    )
    assert len(set(all_ids)) == 120
    filtered = client.get("/?cart=waiting&page=2").get_data(as_text=True)
    assert "Page 2 of 3" in filtered and "cart=waiting" in filtered  # links keep the filters
    assert client.get("/?page=99").status_code == 200


def test_htmx_filter_request_gets_the_fragment_and_history_restore_the_page(client, world):
    fragment = client.get("/?cart=failed", headers={"HX-Request": "true"})
    text = fragment.get_data(as_text=True)
    assert "<html" not in text and 'id="sales-rows"' in text and row_ids(text) == [world.failed]
    assert "HX-Request" in fragment.headers.get("Vary", "")
    restored = client.get(
        "/?cart=failed", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
    )
    assert "<html" in restored.get_data(as_text=True)


def test_page_has_one_poller_and_no_per_row_polling(client, world):
    html = client.get("/").get_data(as_text=True)
    main = html[html.index("<main") :]
    assert len(re.findall(r'hx-trigger="every', main)) == 1 and html.count('id="sales-poll"') == 1
    # besides it, only the navigation's notification badge polls, and slowly
    assert re.findall(r'hx-trigger="every (\d+)s', html[: html.index("<main")]) == ["30"]
    assert not re.search(r'<tr id="order-\d+"[^>]*hx-', html)  # rows themselves never poll
    assert 'hx-trigger="every 5s, ao-poll from:body"' in html and 'data-mode="fast"' in html
    assert "orders.css" in html and "orders.js" in html


def test_poller_starts_slow_when_nothing_shown_is_active(client, world):
    html = client.get("/?cart=failed").get_data(as_text=True)
    assert 'data-mode="slow"' in html and 'hx-trigger="every 30s, ao-poll from:body"' in html


def test_empty_page_explains_itself(app, client):
    with app.app_context():
        make_user(email="new@example.com")
        db.session.commit()
    login(client, "new@example.com")
    html = client.get("/").get_data(as_text=True)
    assert "No sales yet" in html and row_ids(html) == []


def test_counts_fragment_follows_the_filters(client, world):
    response = client.get(
        f"/sales/counts?supplier={world.globex}&cart=failed", headers={"HX-Request": "true"}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and html.startswith('<div id="status-counts"')
    assert _counts(html) == {
        "waiting": 0,
        "in_progress": 0,
        "succeeded": 0,
        "failed": 1,
        "needs_attention": 0,
        "needs_you": 0,
        "cancelled": 1,
    }
    assert 'data-count="all">2<' in html and "hx-swap-oob" not in html


NEXT_RE = re.compile(r'<a href="([^"]*)" rel="next"')
PREV_RE = re.compile(r'<a href="([^"]*)" rel="prev"')


def _link(regex, html_text):
    found = regex.search(html_text)
    return html.unescape(found.group(1)) if found else None


def test_keyset_pages_neither_skip_nor_repeat_when_sales_arrive(app, client, world):
    """Older → follows the last row shown (a keyset cursor), so sales that arrive between page
    loads (newest first: they push every row down) do not shift the next page as OFFSET would."""
    with app.app_context():
        team = _team(world)
        for n in range(115):
            make_order(team, title=f"bulk {n}", sold_at=DAY - timedelta(days=10, minutes=n))
        db.session.commit()

    def arrive(count, start):
        with app.app_context():
            team = _team(world)
            for n in range(count):
                make_order(
                    team, title=f"new {start + n}", sold_at=DAY + timedelta(minutes=start + n)
                )
            db.session.commit()

    first = client.get("/").get_data(as_text=True)
    arrive(30, 0)  # 30 new sales while the seller reads page 1
    second = client.get(_link(NEXT_RE, first)).get_data(as_text=True)
    assert "Page 2 of 3" in second
    arrive(70, 30)
    third = client.get(_link(NEXT_RE, second)).get_data(as_text=True)
    assert "Page 3 of" in third and _link(NEXT_RE, third) is None
    seen = row_ids(first) + row_ids(second) + row_ids(third)
    assert len(seen) == 120 and len(set(seen)) == 120  # every original sale exactly once
    back = client.get(_link(PREV_RE, third)).get_data(as_text=True)
    assert row_ids(back) == row_ids(second)  # ← Newer shows the same page again
    # Page 1 (no cursor) is the newest sales, new ones included.
    newest = client.get(_link(PREV_RE, second)).get_data(as_text=True)
    assert "Page 1 of" in newest and len(row_ids(newest)) == 50
    assert client.get("/?before=nonsense.x&after=-1").status_code == 200
