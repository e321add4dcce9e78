"""Benchmark the CSV import of listings (#17.4): 5,000 rows through the real route.

    .venv/bin/python bench/listings_import.py                 # throwaway SQLite
    TEST_DATABASE_URL=postgresql://… .venv/bin/python bench/listings_import.py
    # + PostgreSQL (own schema)

Everything goes through the Flask test client with a logged-in admin: upload (multipart), decode,
csv.reader, every check of every row (item id, bot, supplier URL on the supplier or product id →
URL, money, quantity, duplicates, existing mappings), the writes in one transaction, the commit,
and the redirect. Compared with a baseline measured in the same run, in turn with it (ABAB): a
bare ``csv.reader`` of the same text + one ``executemany`` INSERT of the same rows (no checks).
Also timed: the same file with one bad row (every row checked, nothing written, errors shown).
Target: the import of 5,000 rows ≤ 5 s. BENCH_ROWS (5000) and BENCH_RUNS (3) change the size.
"""

import csv
import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import delete, func, insert, select  # noqa: E402

from autoorder import create_app  # noqa: E402
from autoorder.config import TestConfig  # noqa: E402
from autoorder.extensions import db  # noqa: E402
from autoorder.listings_csv import COLUMNS  # noqa: E402
from autoorder.models import Listing  # noqa: E402
from bench._pg import on_each_database  # noqa: E402
from tests import support  # noqa: E402
from tests.factories import make_bot, make_listing, make_supplier, make_user  # noqa: E402

ROWS = int(os.environ.get("BENCH_ROWS", 5000))
RUNS = int(os.environ.get("BENCH_RUNS", 3))
TARGET_SECONDS = 5.0
SHOP = "http://127.0.0.1:8802"
EXISTING = max(1, ROWS // 10)  # a tenth of the file updates mappings that exist


def csv_text(bad_line: int | None = None) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for i in range(ROWS):
        product = f"{SHOP}/products/item-{i}" if i % 2 else f"item-{i}"  # URL or product id
        bot = "main" if i % 3 else "spare"
        item = "12" if i == bad_line else str(325400000000 + i)
        writer.writerow([item, f"SKU-{i}" if i % 4 == 0 else "", product, "Black", bot, "19.99", 1])
    return out.getvalue()


def fill(app):
    with app.app_context():
        support.reset_schema()
        user = make_user(email="bench@example.com", role="admin")
        supplier = make_supplier(key="demo_shop", name="Demo Shop", base_url=SHOP)
        main = make_bot(user.team, supplier, name="main")
        make_bot(user.team, supplier, name="spare")
        for i in range(EXISTING):
            make_listing(
                user.team,
                main,
                ebay_item_id=str(325400000000 + i),
                ebay_variation_key=f"SKU-{i}" if i % 4 == 0 else "",
            )
        db.session.commit()
        return user.team_id, db.session.scalar(select(func.max(Listing.id))), main.id


def forget_imported(app, keep_up_to):
    with app.app_context():
        db.session.execute(delete(Listing).where(Listing.id > keep_up_to))
        db.session.commit()


def import_once(app, client, body) -> tuple[float, int]:
    token = support.csrf_token(client, "/listings/import")
    started = time.perf_counter()
    response = client.post(
        "/listings/import",
        data={"csrf_token": token, "file": (io.BytesIO(body.encode()), "listings.csv")},
        content_type="multipart/form-data",
    )
    return time.perf_counter() - started, response.status_code


def baseline_once(app, team_id, bot_id, body) -> float:
    with app.app_context():
        started = time.perf_counter()
        reader = csv.reader(io.StringIO(body))
        next(reader)
        rows = [
            {
                "team_id": team_id,
                "ebay_item_id": r[0],
                "ebay_variation_key": r[1] + "-b",  # never clashes with an existing mapping
                "supplier_product_url": r[2],
                "supplier_variant": r[3],
                "bot_id": bot_id,
                "max_buy_price": r[5],
                "quantity_per_sale": int(r[6]),
                "created_at": support_now(),
            }
            for r in reader
        ]
        db.session.execute(insert(Listing.__table__), rows)  # Core executemany
        db.session.commit()
        return time.perf_counter() - started


def support_now():
    from autoorder import clock

    return clock.now()


def run(label: str, url: str) -> list[str]:
    with tempfile.TemporaryDirectory(prefix="bench-evidence-") as evidence:
        app = create_app(TestConfig(SQLALCHEMY_DATABASE_URI=url, EVIDENCE_DIR=evidence))
        team_id, keep, bot_id = fill(app)
        client = app.test_client()
        support.login(client, "bench@example.com")
        good, bad = csv_text(), csv_text(bad_line=ROWS // 2)
        imports, baselines, rejects = [], [], []
        for _ in range(RUNS):
            seconds, status = import_once(app, client, good)
            assert status == 302, status
            with app.app_context():
                count = db.session.scalar(
                    select(func.count(Listing.id)).where(Listing.team_id == team_id)
                )
            assert count == ROWS, count  # every row, the existing tenth updated in place
            imports.append(seconds)
            forget_imported(app, keep)
            baselines.append(baseline_once(app, team_id, bot_id, good))
            forget_imported(app, keep)
            seconds, status = import_once(app, client, bad)
            assert status == 422, status
            with app.app_context():
                assert db.session.scalar(select(func.count(Listing.id))) == EXISTING
            rejects.append(seconds)
    imp, base, rej = (statistics.median(x) for x in (imports, baselines, rejects))
    ok = "≤ 5 s ✓" if imp <= TARGET_SECONDS else "≤ 5 s ✗"
    return [
        f"| {label} | import {ROWS} rows (302) | {imp:.2f} s | {base:.2f} s | {imp / base:.1f}× | "
        f"{ok} |",
        f"| {label} | same file, one bad row (422, nothing written) | {rej:.2f} s | {base:.2f} s | "
        f"{rej / base:.1f}× | — |",
    ]


def main():
    results = on_each_database(run, "bench_import")
    if any("✗" in line for line in results):
        sys.exit(1)


if __name__ == "__main__":
    main()
