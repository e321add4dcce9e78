"""Seed catalogue and accounts for the demo supplier shop.

Slugs, product ids and variant ids (SKUs) are stable: tests and the demo rely on them.
Prices are integer cents.
"""

from __future__ import annotations

CATEGORIES = [
    {"slug": "phone-accessories", "name": "Phone Accessories"},
    {"slug": "clothing", "name": "Clothing"},
    {"slug": "home-lighting", "name": "Home & Lighting"},
    {"slug": "electronics", "name": "Electronics"},
    {"slug": "sports-fitness", "name": "Sports & Fitness"},
]

OPTION_LABELS = {"color": "Color", "size": "Size"}

DEMO_PASSWORD = "demo-password"

ACCOUNTS = [
    {"email": "buyer@demo.test", "password": DEMO_PASSWORD, "gift_card_balance": 50000},
    {
        "email": "2fa@demo.test",
        "password": DEMO_PASSWORD,
        "gift_card_balance": 50000,
        "two_factor": True,
    },
    {
        "email": "captcha@demo.test",
        "password": DEMO_PASSWORD,
        "gift_card_balance": 50000,
        "captcha": True,
    },
    {"email": "lowbalance@demo.test", "password": DEMO_PASSWORD, "gift_card_balance": 500},
]


def _variant(vid, price, stock, **options):
    return {"id": vid, "price": price, "stock": stock, "options": options}


def _tshirt_variants():
    colors = [("BLK", "Black"), ("WHT", "White"), ("GRY", "Heather Grey")]
    sizes = ["S", "M", "L", "XL"]
    out = []
    for i, (code, color) in enumerate(colors):
        for j, size in enumerate(sizes):
            stock = 0 if (code, size) == ("WHT", "XL") else 18 + 7 * i + 5 * j
            price = 1449 if size == "XL" else 1299
            out.append(_variant(f"TS-{code}-{size}", price, stock, color=color, size=size))
    return out


PRODUCTS = [
    {
        "id": 1001,
        "slug": "phone-case",
        "title": "Shockproof Clear Case for iPhone 15 - Slim TPU Bumper Cover",
        "category": "phone-accessories",
        "rating": 4.6,
        "reviews": 2318,
        "sold": 10452,
        "description": "Crystal-clear anti-yellowing TPU with reinforced air-cushion corners. "
        "Raised bezels protect screen and camera. Wireless-charging compatible.",
        "specs": {"Material": "TPU + PC", "Compatible model": "iPhone 15", "Thickness": "1.5 mm"},
        "option_names": ["color"],
        "variants": [
            _variant("PC-CLR", 799, 120, color="Clear"),
            _variant("PC-BLK", 799, 85, color="Black"),
            _variant("PC-NVY", 849, 40, color="Navy Blue"),
            _variant("PC-PNK", 849, 3, color="Rose Pink"),
        ],
    },
    {
        "id": 1002,
        "slug": "cotton-tshirt",
        "title": "Unisex Heavyweight Cotton T-Shirt - Relaxed Fit Crew Neck",
        "category": "clothing",
        "rating": 4.4,
        "reviews": 987,
        "sold": 4120,
        "description": "220 gsm combed ring-spun cotton, pre-shrunk, double-stitched hems. "
        "True to size; size up for an oversized look.",
        "specs": {"Material": "100% cotton", "Weight": "220 gsm", "Care": "Machine wash cold"},
        "option_names": ["color", "size"],
        "variants": _tshirt_variants(),
    },
    {
        "id": 1003,
        "slug": "led-desk-lamp",
        "title": "Dimmable LED Desk Lamp with USB Charging Port, 5 Color Modes",
        "category": "home-lighting",
        "rating": 4.7,
        "reviews": 641,
        "sold": 2290,
        "description": "Eye-caring flicker-free LEDs, 5 colour temperatures x 7 brightness levels, "
        "touch control, 45-minute auto-off timer and a 5V/1A USB-A charging port.",
        "specs": {"Power": "10 W", "Input": "DC 12V / 1A", "Arm": "Foldable, 3 joints"},
        "option_names": [],
        "variants": [_variant("LAMP-STD", 2490, 35)],
    },
    {
        "id": 1004,
        "slug": "wireless-earbuds",
        "title": "Bluetooth 5.3 Wireless Earbuds with Charging Case, IPX5",
        "category": "electronics",
        "rating": 4.3,
        "reviews": 3502,
        "sold": 15877,
        "description": (
            "13 mm dynamic drivers, touch controls, 6 h playback plus 24 h from the case, USB-C."
        ),
        "specs": {"Bluetooth": "5.3", "Battery": "40 mAh x 2 + 400 mAh case", "Waterproof": "IPX5"},
        "option_names": ["color"],
        "variants": [
            _variant("EB-WHT", 1999, 60, color="White"),
            _variant("EB-BLK", 1999, 44, color="Black"),
        ],
    },
    {
        "id": 1005,
        "slug": "yoga-mat",
        "title": "Non-Slip TPE Yoga Mat 6 mm with Carrying Strap",
        "category": "sports-fitness",
        "rating": 4.5,
        "reviews": 412,
        "sold": 1733,
        "description": "Double-layer TPE, textured non-slip surface on both sides, 183 x 61 cm.",
        "specs": {"Material": "TPE", "Size": "183 x 61 cm", "Thickness": "6 mm"},
        "option_names": ["color"],
        "variants": [
            _variant("YM-PRP", 1650, 25, color="Purple"),
            _variant("YM-TEA", 1650, 19, color="Teal"),
            _variant("YM-BLK", 1650, 31, color="Black"),
        ],
    },
    {
        "id": 1006,
        "slug": "watch-band",
        "title": "Silicone Sport Band for Apple Watch, Soft Breathable Strap",
        "category": "phone-accessories",
        "rating": 4.2,
        "reviews": 276,
        "sold": 958,
        "description": (
            "Soft fluoroelastomer-feel silicone with a pin-and-tuck closure. Fits Series 4-9, SE "
            "and Ultra."
        ),
        "specs": {"Material": "Silicone", "Closure": "Pin-and-tuck"},
        "option_names": ["color", "size"],
        "variants": [
            _variant(f"WB-{c[:3].upper()}-{s[:2]}", 599, 50, color=c, size=s)
            for c in ("Black", "Red", "Olive")
            for s in ("41mm", "45mm")
        ],
    },
]
