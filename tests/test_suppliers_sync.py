"""Suppliers come from code: `flask suppliers sync` makes one row per registered adapter."""

from sqlalchemy import select

from autoorder.extensions import db
from autoorder.models import Supplier
from autoorder.scrapers import ADAPTERS
from tests.factories import make_user
from tests.support import login


def _rows(app):
    with app.app_context():
        return {s.key: (s.name, s.base_url) for s in db.session.scalars(select(Supplier))}


def test_sync_creates_every_adapter_and_keeps_a_chosen_base_url(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["suppliers", "sync"])
    assert first.exit_code == 0, first.output
    rows = _rows(app)
    assert set(rows) == set(ADAPTERS)
    for key, adapter in ADAPTERS.items():
        assert rows[key] == (adapter.display_name, adapter.default_base_url)
        assert f"{key}: created" in first.output
    moved = runner.invoke(args=["suppliers", "sync", "--base-url", "demo_shop=http://replica:9/"])
    assert moved.exit_code == 0 and "demo_shop: updated" in moved.output
    again = runner.invoke(args=["suppliers", "sync"])
    assert "demo_shop: unchanged" in again.output
    assert _rows(app)["demo_shop"][1] == "http://replica:9/"  # a later sync keeps it


def test_sync_refuses_an_unknown_key_or_a_bad_url(app):
    runner = app.test_cli_runner()
    for arg in ("nosuch=http://x/", "demo_shop=ftp://x/", "demo_shop=not a url"):
        result = runner.invoke(args=["suppliers", "sync", "--base-url", arg])
        assert result.exit_code == 2, result.output
    assert _rows(app) == {}


def test_the_bot_form_lists_every_registered_adapter(app, client):
    with app.app_context():
        make_user(email="a@example.com", role="admin")
        db.session.commit()
    login(client, "a@example.com")
    html = client.get("/bots/new").get_data(as_text=True)
    for adapter in ADAPTERS.values():
        assert f">{adapter.display_name}</option>" in html


def test_release_runs_the_sync():
    from pathlib import Path

    release = next(
        line for line in Path("Procfile").read_text().splitlines() if line.startswith("release:")
    )
    assert "db upgrade" in release and "suppliers sync" in release
