"""Home page, category listing, search and product pages."""

from __future__ import annotations

import json

from flask import Blueprint, abort, render_template, request

from . import pricing
from .seed_data import CATEGORIES, OPTION_LABELS
from .store import variant_label
from .web import get_store, render_layout

bp = Blueprint("catalog", __name__)


def _card(product: dict) -> dict:
    store = get_store()
    prices = [v["price"] for v in product["variants"]]
    in_stock = any(store.stock(product, v) > 0 for v in product["variants"])
    return {
        "product": product,
        "min_price": min(prices),
        "max_price": max(prices),
        "in_stock": in_stock,
    }


@bp.route("/")
def home():
    products = list(get_store().products.values())
    return render_template(
        "home.html",
        cards=[_card(p) for p in products],
        heading="Today's deals",
        category=None,
        query="",
    )


@bp.route("/category/<slug>")
def category(slug: str):
    cat = next((c for c in CATEGORIES if c["slug"] == slug), None)
    if cat is None:
        abort(404)
    products = [p for p in get_store().products.values() if p["category"] == slug]
    return render_template(
        "home.html", cards=[_card(p) for p in products], heading=cat["name"], category=cat, query=""
    )


@bp.route("/search")
def search():
    query = request.args.get("q", "").strip()
    words = query.lower().split()
    products = [
        p
        for p in get_store().products.values()
        if words and all(w in (p["title"] + " " + p["slug"]).lower() for w in words)
    ]
    return render_template(
        "home.html",
        cards=[_card(p) for p in products],
        heading=f'Results for "{query}"',
        category=None,
        query=query,
    )


def option_groups(product: dict) -> list[dict]:
    groups = []
    for name in product["option_names"]:
        values = []
        for v in product["variants"]:
            if v["options"][name] not in values:
                values.append(v["options"][name])
        groups.append(
            {"name": name, "label": OPTION_LABELS.get(name, name.title()), "choices": values}
        )
    return groups


def stock_text(stock: int) -> str:
    if stock <= 0:
        return "Out of stock"
    if stock <= 10:
        return f"Only {stock} left in stock"
    return "In stock"


@bp.route("/products/<slug>")
def product(slug: str):
    store = get_store()
    prod = store.product(slug)
    if prod is None:
        abort(404)
    variants = [
        {
            "id": v["id"],
            "options": v["options"],
            "label": variant_label(v),
            "price": v["price"],
            "price_text": pricing.money(v["price"]),
            "stock": store.stock(prod, v),
            "stock_text": stock_text(store.stock(prod, v)),
        }
        for v in prod["variants"]
    ]
    wanted = request.args.get("variant")
    if len(variants) == 1:
        wanted = variants[0]["id"]
    selected = next((v for v in variants if v["id"] == wanted), None)
    prices = [v["price"] for v in variants]
    return render_layout(
        "product.html",
        [slug],
        product=prod,
        variants=variants,
        selected=selected,
        variants_json=json.dumps(variants),
        groups=option_groups(prod),
        min_price=min(prices),
        max_price=max(prices),
        category=next(c for c in CATEGORIES if c["slug"] == prod["category"]),
    )
