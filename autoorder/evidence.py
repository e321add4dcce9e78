"""Evidence files (screenshots, page HTML, Playwright traces) kept under EVIDENCE_DIR, one folder
per order."""

from pathlib import Path

from flask import current_app

from autoorder.extensions import db
from autoorder.models import Evidence, Order

SUFFIX = {"image/png": "png", "text/html": "html", "application/zip": "zip"}


def save(
    order: Order,
    kind: str,
    content: bytes | None,
    *,
    attempt: int | None = None,
    content_type: str = "image/png",
) -> Evidence | None:
    """Write ``content`` to disk and add an Evidence row (not committed); None if no content."""
    if not content:
        return None
    folder = Path(current_app.config["EVIDENCE_DIR"]) / str(order.id)
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{attempt or 0:04d}-{kind}.{SUFFIX.get(content_type, 'bin')}"
    (folder / name).write_bytes(content)
    row = Evidence(
        order_id=order.id, kind=kind, path=f"{order.id}/{name}", content_type=content_type
    )
    db.session.add(row)
    return row


def path_of(evidence: Evidence) -> Path:
    return Path(current_app.config["EVIDENCE_DIR"]) / evidence.path
