"""Failure artefacts: every adapter failure keeps a screenshot, the page's HTML and a Playwright
trace with the order, downloadable from the order page, with password and card blanked."""

import io
import zipfile

from autoorder import evidence
from autoorder.models import Evidence, User
from tests.loop.test_loop_ordering import _buy, _sell_and_detect
from tests.stand import SHOP_PASSWORD
from tests.support import login

DECLINED_CARD = "4000000000000002"  # the shop declines it at place-order (after the fill)


def _texts(kind: str, content: bytes) -> list[bytes]:
    if kind != "trace":
        return [content]
    with zipfile.ZipFile(io.BytesIO(content)) as trace:
        return [trace.read(name) for name in trace.namelist()]


def test_a_failed_checkout_keeps_screenshot_html_and_trace_without_secrets(loop, client):
    loop.setup(card=DECLINED_CARD)
    order_id = _sell_and_detect(loop)
    assert _buy(loop, order_id) == "payment_declined"
    with loop.app.app_context():
        rows = Evidence.query.filter_by(order_id=order_id).all()
        kept = {row.kind: evidence.path_of(row).read_bytes() for row in rows}
        ids = {row.kind: row.id for row in rows}
        email = User.query.filter_by(team_id=loop.team_id).first().email
    assert {"failure", "page_html", "trace"} <= set(kept)
    assert kept["failure"].startswith(b"\x89PNG")
    assert b"payment-error" in kept["page_html"]  # the page the failure was seen on
    texts = [t for kind, content in kept.items() for t in _texts(kind, content)]
    everything = b"\n".join(texts)
    assert b"login-password" in everything and b"card-number" in everything  # the steps are there
    for secret in (SHOP_PASSWORD, DECLINED_CARD, "4000 0000 0000 0002", '"123"', '\\"123\\"'):
        assert secret.encode() not in everything, secret
    login(client, email)  # downloadable from the order page
    page = client.get(f"/orders/{order_id}").get_data(as_text=True)
    for kind in ("page_html", "trace"):
        href = f"/orders/{order_id}/evidence/{ids[kind]}"
        assert href in page
        response = client.get(href)
        assert response.status_code == 200 and response.data == kept[kind]
