"""Listings in bulk: a CSV file in, the same columns out (stdlib ``csv``).

Columns (a header row, in any order; names as below):

    ebay_item_id, variation_or_sku, supplier_product, variant, bot, max_price, quantity_per_sale

``supplier_product`` is the product page URL on the bot's supplier, or the supplier's product id
(the adapter turns it into the URL); ``bot`` is the bot's name (or id). A row whose eBay item and
variation is already mapped updates that mapping. Every row is checked first; one bad row imports
nothing (one transaction), and every error is reported with its line number.
"""

import csv
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import insert, select, update

from autoorder import clock, netguard, sku_rules
from autoorder.extensions import db
from autoorder.inputs import money, text_problem
from autoorder.models import Listing, OrderBot
from autoorder.scrapers import ADAPTERS

COLUMNS = (
    "ebay_item_id",
    "variation_or_sku",
    "supplier_product",
    "variant",
    "bot",
    "max_price",
    "quantity_per_sale",
)
REQUIRED = ("ebay_item_id", "supplier_product", "bot")
MAX_ROWS = 20000
MAX_BYTES = 5 * 1024 * 1024
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
ITEM_ID = re.compile(r"\d{6,20}")


@dataclass
class Row:
    line: int
    ebay_item_id: str = ""
    variation_key: str = ""
    product_url: str = ""
    variant: str | None = None
    bot: OrderBot | None = None
    max_price: Decimal | None = None
    quantity_per_sale: int = 1
    existing: Listing | None = None
    errors: list = field(default_factory=list)


@dataclass
class Parsed:
    rows: list
    errors: list  # (line, message), line 0 for the file itself

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def new_count(self) -> int:
        return sum(1 for r in self.rows if r.existing is None)


def decode(data: bytes) -> str:
    """The file's text (UTF-8, with or without a BOM; else Windows-1252, as Excel saves)."""
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def _unquote(value: str) -> str:
    """Undo the export's formula guard ('=… → =…) and trim."""
    value = (value or "").strip()
    if len(value) > 1 and value[0] == "'" and value[1] in FORMULA_START:
        return value[1:]
    return value


class _Bots:
    """The team's bots by name and id, and the supplier facts each row needs (loaded once)."""

    def __init__(self, team_id: int):
        bots = db.session.scalars(select(OrderBot).where(OrderBot.team_id == team_id)).all()
        self.by_id = {str(b.id): b for b in bots}
        self.by_name: dict[str, list] = {}
        for b in bots:
            self.by_name.setdefault(b.name.strip().lower(), []).append(b)
        self.adapters = {b.id: ADAPTERS.get(b.supplier.key) for b in bots}  # classes: their hosts

    def find(self, text: str):
        found = self.by_name.get(text.lower())
        if found and len(found) == 1:
            return found[0], None
        if found:
            return (
                None,
                f"several bots are called {text!r}: use the bot id "
                f"({', '.join(str(b.id) for b in found)})",
            )
        if text in self.by_id:
            return self.by_id[text], None
        return None, f"no bot {text!r} in this team"


def parse(text: str, team_id: int) -> Parsed:
    """Read and check every row; nothing is written."""
    if len(text) > MAX_BYTES:
        return Parsed([], [(0, f"The file is larger than {MAX_BYTES // 1024 // 1024} MB.")])
    if problem := text_problem(text.replace("\t", " "), multiline=True):
        return Parsed([], [(0, f"The file has characters it cannot hold: {problem}")])
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
    except csv.Error as exc:
        return Parsed([], [(1, f"not a CSV file: {exc}")])
    if not header:
        return Parsed(
            [], [(0, "The file is empty: it needs a header row and one row per listing.")]
        )
    names = [h.strip().lower().lstrip("\ufeff") for h in header]
    missing = [c for c in REQUIRED if c not in names]
    unknown = [h for h in names if h and h not in COLUMNS]
    if missing or unknown:
        message = "The header row must name the columns " + ", ".join(COLUMNS) + "."
        if missing:
            message += f" Missing: {', '.join(missing)}."
        if unknown:
            message += f" Unknown: {', '.join(unknown[:5])}."
        return Parsed([], [(1, message)])
    index = {name: names.index(name) for name in COLUMNS if name in names}
    bots = _Bots(team_id)
    existing = {
        (x.ebay_item_id, x.ebay_variation_key or ""): x
        for x in db.session.scalars(select(Listing).where(Listing.team_id == team_id))
    }
    rows, errors, seen = [], [], {}
    try:
        for values in reader:
            line = reader.line_num
            if not any(v.strip() for v in values):
                continue
            if len(rows) >= MAX_ROWS:
                errors.append((line, f"more than {MAX_ROWS} rows: split the file"))
                break
            cell = {
                name: _unquote(values[i]) if i < len(values) else "" for name, i in index.items()
            }
            row = _check(Row(line=line), cell, bots)
            key = (row.ebay_item_id, row.variation_key)
            if not row.errors:
                if key in seen:
                    row.errors.append(f"the same eBay item and variation as line {seen[key]}")
                seen.setdefault(key, line)
                row.existing = existing.get(key)
            rows.append(row)
            errors += [(line, message) for message in row.errors]
    except csv.Error as exc:
        errors.append((reader.line_num, f"not readable as CSV: {exc}"))
    if not rows and not errors:
        errors.append((0, "The file has a header row but no listings."))
    return Parsed(rows, errors)


def _check(row: Row, cell: dict, bots: _Bots) -> Row:
    err = row.errors.append
    for name, limit in (
        ("ebay_item_id", 20),
        ("variation_or_sku", 128),
        ("supplier_product", 1000),
        ("variant", 255),
        ("bot", 120),
    ):
        value = cell.get(name, "")
        if problem := text_problem(value, max_length=limit):
            err(f"{name}: {problem}")
            cell[name] = ""
    row.ebay_item_id = cell["ebay_item_id"]
    if not ITEM_ID.fullmatch(row.ebay_item_id):
        err("ebay_item_id: enter the eBay item number (6 to 20 digits)")
    row.variation_key = cell.get("variation_or_sku", "")
    row.variant = cell.get("variant") or None
    bot_text = cell.get("bot", "")
    if not bot_text:
        err("bot: enter the order bot's name")
    else:
        row.bot, problem = bots.find(bot_text)
        if problem:
            err(f"bot: {problem}")
    product = cell.get("supplier_product", "")
    if not product:
        err("supplier_product: enter the product URL or the supplier's product id")
    elif row.bot is not None:
        row.product_url = _product_url(product, row.bot, bots, err)
    price = cell.get("max_price", "")
    if price:
        try:
            row.max_price = money(price)
        except ValueError as exc:
            err(f"max_price: {exc}")
    quantity = cell.get("quantity_per_sale", "")
    if quantity:
        if not re.fullmatch(r"\d{1,3}", quantity) or not 1 <= int(quantity) <= 100:
            err("quantity_per_sale: a whole number from 1 to 100")
        else:
            row.quantity_per_sale = int(quantity)
    return row


def _product_url(product: str, bot: OrderBot, bots: _Bots, err) -> str:
    cls = bots.adapters[bot.id]
    if "://" not in product:
        url = sku_rules.product_url(bot, product)
        if url is None:
            err(f"supplier_product: {bot.supplier.name} needs the full product URL here")
            return ""
        return url
    try:
        return netguard.check_supplier_url(
            product, hosts=cls.hosts if cls else (), base_url=bot.supplier.base_url
        )
    except netguard.UnsafeURLError as exc:
        err(f"supplier_product: {exc}")
        return ""


def apply(parsed: Parsed, team_id: int) -> tuple[int, int]:
    """Write every row (the caller commits once: all or nothing); return (created, updated).

    One Core executemany INSERT for the new mappings (compiled once; measured faster here than
    multi-row VALUES, which compile slowly, and than RETURNING batches on PostgreSQL) and one
    executemany UPDATE (by primary key) for the existing ones — not 5,000 ORM flushes."""
    if not parsed.ok:
        raise ValueError("a file with errors is never imported")
    now = clock.now()
    new, changed = [], []
    for row in parsed.rows:
        values = {
            "supplier_product_url": row.product_url,
            "supplier_variant": row.variant,
            "bot_id": row.bot.id,
            "max_buy_price": row.max_price,
            "quantity_per_sale": row.quantity_per_sale,
        }
        sku = row.variation_key if row.variation_key and not row.variation_key.isdigit() else None
        if row.existing is None:
            new.append(
                values
                | {
                    "team_id": team_id,
                    "ebay_item_id": row.ebay_item_id,
                    "ebay_variation_key": row.variation_key,
                    "sku": sku,  # a SKU: later sales find the mapping by SKU too
                    "created_at": now,
                }
            )
        else:
            changed.append(values | {"id": row.existing.id, "sku": row.existing.sku or sku})
    if new:  # one Core executemany (psycopg pipelines it; sqlite3 loops in C)
        db.session.execute(insert(Listing.__table__), new)
    if changed:
        db.session.execute(update(Listing), changed)
    return len(new), len(changed)


def safe_cell(value) -> str:
    """A cell a spreadsheet shows as text: one that would start a formula gets a leading '."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def export(team_id: int) -> str:
    """Every listing of the team in the import's columns."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    listings = db.session.scalars(
        select(Listing).where(Listing.team_id == team_id).order_by(Listing.id)
    ).all()
    names = {
        b.id: b.name
        for b in db.session.scalars(select(OrderBot).where(OrderBot.team_id == team_id))
    }
    for x in listings:
        writer.writerow(
            safe_cell(v)
            for v in (
                x.ebay_item_id,
                x.ebay_variation_key,
                x.supplier_product_url,
                x.supplier_variant,
                names.get(x.bot_id, ""),
                x.max_buy_price,
                x.quantity_per_sale,
            )
        )
    return out.getvalue()
