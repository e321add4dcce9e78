"""Order detail: timeline, eBay data, attempts, evidence (team-scoped, no traversal), tracking
checks, credit."""

import re
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest

from autoorder import clock, credits, orders
from autoorder.extensions import db
from autoorder.models import Evidence, Order, PurchaseAttempt, TrackingCheck
from autoorder.orders import OrderStatus as S
from tests.factories import make_bot, make_order, make_user
from tests.support import login

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
SHIP_TO = {
    "name": "Jane Buyer",
    "phone": "5125550100",
    "email": "",
    "line1": "12 Oak St",
    "line2": "Apt 4",
    "city": "Austin",
    "state": "TX",
    "postal_code": "78701",
    "country": "US",
}


@pytest.fixture
def world(app, client):
    root = Path(app.config["EVIDENCE_DIR"])
    with app.app_context():
        user = make_user(email="seller@example.com")
        bot = make_bot(user.team, name="main")
        order = make_order(
            user.team,
            title="Phone case",
            bot_id=bot.id,
            buyer_username="jane_b",
            ship_to=SHIP_TO,
            quantity=2,
            sale_price=Decimal("29.98"),
            ebay_fees=Decimal("3.90"),
        )
        orders.claim(
            order.id,
            S.WAITING,
            S.IN_PROGRESS,
            owner="host:1:job",
            reason="taken by a worker to buy",
        )
        db.session.refresh(order)
        order.supplier_order_number, order.supplier_cost, order.ordered_at = (
            "SHOP-1001",
            Decimal("9.99"),
            clock.now(),
        )
        orders.transition(order, S.SUCCEEDED, reason="placed SHOP-1001", actor="host:1:job")
        credits.spend_for_order(order.team_id, order.id)
        db.session.add(
            PurchaseAttempt(
                order_id=order.id,
                idempotency_key="k1",
                state="placed",
                supplier_order_number="SHOP-1001",
                worker="host:1:job",
            )
        )
        db.session.add(
            TrackingCheck(
                order_id=order.id, result="not_found", detail="supplier status processing"
            )
        )
        folder = root / str(order.id)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "0001-review.png").write_bytes(PNG)
        (folder / "0001-page.html").write_bytes(b"<script>alert(1)</script>")
        (root / "secret.txt").write_text("not evidence")
        review = Evidence(order_id=order.id, kind="review", path=f"{order.id}/0001-review.png")
        page = Evidence(
            order_id=order.id,
            kind="page_html",
            path=f"{order.id}/0001-page.html",
            content_type="text/html",
        )
        sneaky = Evidence(order_id=order.id, kind="review", path="../" + root.name + "/secret.txt")
        outside = Evidence(order_id=order.id, kind="review", path="/etc/passwd")
        (root.parent / "beside.txt").write_text("outside the evidence folder")
        escape = Evidence(order_id=order.id, kind="review", path=f"{order.id}/../../beside.txt")
        stranger = make_user(email="stranger@example.com")
        theirs = make_order(stranger.team, title="Their item")
        (root / str(theirs.id)).mkdir(exist_ok=True)
        (root / str(theirs.id) / "0001-review.png").write_bytes(PNG)
        their_review = Evidence(
            order_id=theirs.id, kind="review", path=f"{theirs.id}/0001-review.png"
        )
        db.session.add_all([review, page, sneaky, outside, escape, their_review])
        db.session.commit()
        ids = SimpleNamespace(
            order=order.id,
            review=review.id,
            page=page.id,
            sneaky=sneaky.id,
            outside=outside.id,
            escape=escape.id,
            theirs=theirs.id,
            their_review=their_review.id,
        )
    login(client, "seller@example.com")
    return ids


def test_detail_shows_everything_about_the_order(client, world):
    html = client.get(f"/orders/{world.order}").get_data(as_text=True)
    for text in (
        "Phone case",
        "jane_b",
        "12 Oak St",
        "Apt 4",
        "Austin",
        "78701",
        "5125550100",
        "$29.98",
        "$3.90",
        "$9.99",
        "$16.09",
        "SHOP-1001",
        "main",  # sale, fees, cost, profit, bot
        "taken by a worker to buy",
        "placed SHOP-1001",
        "host:1:job",  # timeline: why + who
        "supplier status processing",  # tracking checks
        "-1 credit",
    ):
        assert text in html, text
    assert re.search(r"<dt>Quantity</dt><dd>2</dd>", html)
    assert f'src="/orders/{world.order}/evidence/{world.review}"' in html
    assert f'href="/orders/{world.order}/evidence/{world.page}"' in html
    assert 'data-status="succeeded"' in html and "Re-check tracking" in html


def test_detail_polls_only_while_active_and_answers_204_when_unchanged(app, client, world):
    fragment = client.get(f"/orders/{world.order}", headers={"HX-Request": "true"}).get_data(
        as_text=True
    )
    assert fragment.startswith('<section id="order-detail"') and "<html" not in fragment
    version = re.search(r'data-v="(\d+)"', fragment).group(1)
    assert (
        f"v={version}" in fragment and "hx-trigger=" in fragment
    )  # bought, tracking not due: active
    unchanged = client.get(f"/orders/{world.order}?v={version}", headers={"HX-Request": "true"})
    assert unchanged.status_code == 204 and unchanged.data == b""
    with app.app_context():
        order = db.session.get(Order, world.order)
        clock.advance(1)
        orders.transition(order, orders.TrackingStatus.UPLOADED, reason="uploaded by test")
        db.session.commit()
    clock.reset()
    changed = client.get(f"/orders/{world.order}?v={version}", headers={"HX-Request": "true"})
    text = changed.get_data(as_text=True)
    assert changed.status_code == 200 and 'data-status="uploaded"' in text
    assert "hx-trigger=" not in text  # nothing left to wait for: no more polling


def test_evidence_image_is_served_inline(client, world):
    response = client.get(f"/orders/{world.order}/evidence/{world.review}")
    assert response.status_code == 200 and response.data == PNG
    assert response.mimetype == "image/png" and "attachment" not in response.headers.get(
        "Content-Disposition", ""
    )
    assert "sandbox" in response.headers["Content-Security-Policy"]


def test_evidence_html_is_a_sandboxed_download(client, world):
    response = client.get(f"/orders/{world.order}/evidence/{world.page}")
    assert response.status_code == 200 and response.mimetype == "application/octet-stream"
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert "sandbox" in response.headers["Content-Security-Policy"]


def test_evidence_outside_the_orders_folder_is_refused(client, world):
    assert client.get(f"/orders/{world.order}/evidence/{world.sneaky}").status_code == 404
    assert client.get(f"/orders/{world.order}/evidence/{world.outside}").status_code == 404
    assert client.get(f"/orders/{world.order}/evidence/{world.escape}").status_code == 404


def test_evidence_is_team_scoped(client, world):
    assert client.get(f"/orders/{world.theirs}/evidence/{world.their_review}").status_code == 404
    assert (
        client.get(f"/orders/{world.order}/evidence/{world.their_review}").status_code == 404
    )  # wrong order
    assert client.get(f"/orders/{world.order}/evidence/999999").status_code == 404


def test_missing_evidence_file_is_404(app, client, world):
    (Path(app.config["EVIDENCE_DIR"]) / str(world.order) / "0001-review.png").unlink()
    assert client.get(f"/orders/{world.order}/evidence/{world.review}").status_code == 404


@pytest.mark.parametrize("path", ["/orders/{theirs}", "/orders/{theirs}/row", "/orders/999999"])
def test_another_teams_order_is_404_as_page_and_fragment(client, world, path):
    url = path.format(theirs=world.theirs)
    page = client.get(url)
    fragment = client.get(url, headers={"HX-Request": "true"})
    assert page.status_code == 404 and fragment.status_code == 404
    assert "Their item" not in page.get_data(as_text=True) + fragment.get_data(as_text=True)


def test_every_sales_route_needs_login(app):
    client = app.test_client()
    for path in (
        "/",
        "/sales/poll",
        "/sales/counts",
        "/orders/1",
        "/orders/1/row",
        "/orders/1/evidence/1",
    ):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"], path
    app.config["WTF_CSRF_ENABLED"] = False
    try:
        for action in (
            "cancel",
            "order-now",
            "retry",
            "mark-ordered",
            "recheck-tracking",
            "tracking",
            "bulk",
        ):
            path = "/orders/bulk" if action == "bulk" else f"/orders/1/{action}"
            response = client.post(path)
            assert response.status_code == 302 and "/login" in response.headers["Location"], path
    finally:
        app.config["WTF_CSRF_ENABLED"] = True
