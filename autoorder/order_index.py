"""What keeps the sales page fast at a million orders (#19): search and per-status counts.

Search. Each order keeps ``search_text``: its buyer username and name, title and ship-to address,
lower-cased, one per line. Every ORM write of an order sets it (``before_insert``/``before_update``
below). Substring search looks in it through a trigram index: ``pg_trgm`` (GIN, gin_trgm_ops) on
PostgreSQL, and on SQLite the FTS5 trigram table ``orders_search`` that the same ORM writes keep in
step (``after_insert``/``after_update``). Both answer ``search_text LIKE '%q%'`` (SQLite checks the
FTS candidates with that same LIKE), so both databases return the same rows. Exact matches on
order, supplier-order and tracking numbers and usernames use b-tree indexes (sales_read_model).

Counts. ``order_status_counts`` holds signed deltas per (team, cart status, envelope status): +1
when an order is inserted, -1/+1 when a status changes (the ORM writes below, and orders.claim's
conditional UPDATE), in the same transaction. Inserts only: concurrent workers never wait on a
counter row. ``compact_counts`` (a periodic duty) folds each team's rows into one per status
pair; ``rebuild`` (``flask orders reindex``) recomputes counts and the search index from the orders.
"""

import logging

from sqlalchemy import delete, event, func, insert, inspect, select, text

from autoorder.extensions import db
from autoorder.models import Order, OrderStatusCount

log = logging.getLogger(__name__)

SEARCH_MIN = 3  # a trigram: shorter queries match whole numbers and usernames only
SEARCH_FIELDS = ("buyer_username", "buyer_name", "title", "ship_to")
ADDRESS_KEYS = ("name", "line1", "line2", "city", "state", "postal_code", "country")
FTS_TABLE = "orders_search"
COMPACT_ABOVE = 64  # a team's count rows beyond which compact_counts folds them

# Objects the migrations create that the models do not describe (dialect-specific):
# the migrations test and env.py leave them out of the model comparison.
DATABASE_ONLY = frozenset(
    {
        FTS_TABLE,
        *(f"{FTS_TABLE}_{shadow}" for shadow in ("data", "idx", "content", "docsize", "config")),
        "ix_orders_search_trgm",
        "ix_orders_ship_by_open",
    }
)


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Alembic's include_object: skip DATABASE_ONLY objects."""
    return name not in DATABASE_ONLY


def search_text(username, name, title, ship_to) -> str | None:
    """The text substring search looks in: one field per line, lower-cased."""
    ship = ship_to if isinstance(ship_to, dict) else {}
    parts = [username, name, title, *(ship.get(key) for key in ADDRESS_KEYS)]
    lines = []
    for part in parts:
        if isinstance(part, str) and part.strip() and part.strip().lower() not in lines:
            lines.append(part.strip().lower())
    return "\n".join(lines) or None


def normalise_query(query: str) -> str:
    return query.strip().lower()


def fts_phrase(query: str) -> str:
    """An FTS5 MATCH string for ``query`` as one literal phrase (a substring, with trigrams)."""
    return '"' + query.replace('"', '""') + '"'


def is_sqlite(bind=None) -> bool:
    return (bind or db.session.get_bind()).dialect.name == "sqlite"


# ---------------------------------------------------------------- kept in step on every ORM write


def _search_changed(state) -> bool:
    return any(state.attrs[name].history.has_changes() for name in SEARCH_FIELDS)


@event.listens_for(Order, "before_insert")
def _set_search_text_insert(mapper, connection, target):
    target.search_text = search_text(
        target.buyer_username, target.buyer_name, target.title, target.ship_to
    )


@event.listens_for(Order, "before_update")
def _set_search_text_update(mapper, connection, target):
    if _search_changed(inspect(target)):
        target.search_text = search_text(
            target.buyer_username, target.buyer_name, target.title, target.ship_to
        )


def _count_rows(team_id, pairs) -> list[dict]:
    return [
        {"team_id": team_id, "status": status, "tracking_status": tracking, "n": n}
        for (status, tracking), n in pairs.items()
        if n
    ]


def _fts_write(connection, order_id, text_value, *, remove=True):
    if remove:
        connection.execute(text(f"DELETE FROM {FTS_TABLE} WHERE rowid = :id"), {"id": order_id})
    if text_value:
        connection.execute(
            text(f"INSERT INTO {FTS_TABLE} (rowid, search_text) VALUES (:id, :t)"),
            {"id": order_id, "t": text_value},
        )


@event.listens_for(Order, "after_insert")
def _after_insert(mapper, connection, target):
    connection.execute(
        insert(OrderStatusCount),
        _count_rows(target.team_id, {(target.status, target.tracking_status): 1}),
    )
    if connection.dialect.name == "sqlite":
        _fts_write(connection, target.id, target.search_text)


def _old_and_new(state, name):
    """(value before this flush, value now) of a loaded attribute; (None, None) if not loaded."""
    history = state.attrs[name].history
    current = history.added or history.unchanged
    new = current[0] if current else None
    old = history.deleted[0] if history.deleted else new
    return old, new


def _row_values(connection, target, state) -> dict:
    """team_id, status and tracking_status before and after this flush; read from the row
    (already updated) for any that the session has not loaded."""
    values = {name: _old_and_new(state, name) for name in ("team_id", "status", "tracking_status")}
    if any(new is None for _, new in values.values()):
        row = connection.execute(
            select(Order.team_id, Order.status, Order.tracking_status).where(
                Order.id == state.identity[0]
            )
        ).one()
        for name, value in zip(("team_id", "status", "tracking_status"), row, strict=True):
            old, new = values[name]
            values[name] = (value if old is None else old, value)
    return values


@event.listens_for(Order, "after_update")
def _after_update(mapper, connection, target):
    state = inspect(target)
    if state.attrs.status.history.has_changes() or (
        state.attrs.tracking_status.history.has_changes()
    ):
        values = _row_values(connection, target, state)
        old = (values["status"][0], values["tracking_status"][0])
        new = (values["status"][1], values["tracking_status"][1])
        if old != new:
            pairs = {old: -1, new: 1}
            connection.execute(insert(OrderStatusCount), _count_rows(values["team_id"][1], pairs))
    if connection.dialect.name == "sqlite" and state.attrs.search_text.history.has_changes():
        _fts_write(connection, target.id, target.search_text)


@event.listens_for(Order, "after_delete")
def _after_delete(mapper, connection, target):
    state = inspect(target)
    team_id, status, tracking = (
        _old_and_new(state, name)[0] for name in ("team_id", "status", "tracking_status")
    )
    if None not in (team_id, status, tracking):
        connection.execute(insert(OrderStatusCount), _count_rows(team_id, {(status, tracking): -1}))
    if connection.dialect.name == "sqlite":
        _fts_write(connection, state.identity[0], None)


def count_status_change(team_id: int, tracking_status: str, old: str, new: str) -> None:
    """The count deltas of a cart status change made by a Core UPDATE (orders.claim)."""
    db.session.execute(
        insert(OrderStatusCount),
        _count_rows(team_id, {(old, tracking_status): -1, (new, tracking_status): 1}),
    )


# ---------------------------------------------------------------- reading, folding, rebuilding


def team_counts(team_id: int, tracking_status: str | None = None) -> dict[str, int]:
    """{cart status: number of the team's sales} (with this envelope status): a sum of the
    team's few count rows, whatever the number of orders."""
    query = (
        select(OrderStatusCount.status, func.sum(OrderStatusCount.n))
        .where(OrderStatusCount.team_id == team_id)
        .group_by(OrderStatusCount.status)
    )
    if tracking_status is not None:
        query = query.where(OrderStatusCount.tracking_status == tracking_status)
    return {status: int(n) for status, n in db.session.execute(query) if n}


def compact_counts(limit: int = COMPACT_ABOVE) -> int:
    """Fold each team's count rows into one per status pair, for teams with more than ``limit``
    rows. ``DELETE … RETURNING`` takes exactly the rows it folds, so deltas committed meanwhile
    stay and nothing is counted twice or lost. Commits; returns the teams folded."""
    teams = db.session.scalars(
        select(OrderStatusCount.team_id)
        .group_by(OrderStatusCount.team_id)
        .having(func.count() > limit)
    ).all()
    for team_id in teams:
        taken = db.session.execute(
            delete(OrderStatusCount)
            .where(OrderStatusCount.team_id == team_id)
            .returning(
                OrderStatusCount.status, OrderStatusCount.tracking_status, OrderStatusCount.n
            )
        ).all()
        pairs: dict = {}
        for status, tracking, n in taken:
            pairs[(status, tracking)] = pairs.get((status, tracking), 0) + n
        rows = _count_rows(team_id, pairs)
        if rows:
            db.session.execute(insert(OrderStatusCount), rows)
        db.session.commit()
    return len(teams)


def rebuild(batch: int = 5000, *, texts: bool = True) -> dict:
    """Recompute every order's search_text, the SQLite search table and the status counts from
    the orders (after a bulk import, or to repair). Counts are rebuilt under a table lock on
    PostgreSQL so status changes wait rather than interleave. Commits."""
    session = db.session
    fields = (Order.id, *(getattr(Order, name) for name in SEARCH_FIELDS), Order.search_text)
    changed, last = 0, 0
    while texts:  # False: the texts are known to be right (a bulk import that computed them)
        rows = session.execute(
            select(*fields).where(Order.id > last).order_by(Order.id).limit(batch)
        ).all()
        if not rows:
            break
        updates = []
        for order_id, username, name, title, ship_to, current in rows:
            wanted = search_text(username, name, title, ship_to)
            if wanted != current:
                updates.append({"oid": order_id, "t": wanted})
        if updates:
            session.execute(text("UPDATE orders SET search_text = :t WHERE id = :oid"), updates)
            changed += len(updates)
        last = rows[-1][0]
        session.commit()
    if is_sqlite():
        session.execute(text(f"DELETE FROM {FTS_TABLE}"))
        session.execute(
            text(
                f"INSERT INTO {FTS_TABLE} (rowid, search_text) "
                "SELECT id, search_text FROM orders WHERE search_text IS NOT NULL"
            )
        )
        session.commit()
    rebuild_counts()
    log.info("orders reindexed: %d search texts updated", changed)
    return {"search_text_updated": changed}


def rebuild_counts() -> None:
    """Recompute the status counts from the orders. On PostgreSQL under a table lock, so status
    changes wait for it rather than interleave. Commits."""
    session = db.session
    if not is_sqlite():
        session.execute(text("LOCK TABLE order_status_counts IN EXCLUSIVE MODE"))
    session.execute(delete(OrderStatusCount))
    session.execute(
        text(
            "INSERT INTO order_status_counts (team_id, status, tracking_status, n) "
            "SELECT team_id, status, tracking_status, count(*) FROM orders "
            "GROUP BY team_id, status, tracking_status"
        )
    )
    session.commit()


def check_counts() -> list[tuple]:
    """(team, status, tracking status, counted, actual) for each pair where the count rows
    disagree with the orders (a scan: for the repair command and tests)."""
    counted: dict = {}
    for team_id, status, tracking, n in db.session.execute(
        select(
            OrderStatusCount.team_id,
            OrderStatusCount.status,
            OrderStatusCount.tracking_status,
            func.sum(OrderStatusCount.n),
        ).group_by(
            OrderStatusCount.team_id, OrderStatusCount.status, OrderStatusCount.tracking_status
        )
    ):
        counted[(team_id, status, tracking)] = int(n)
    actual = {
        (team_id, status, tracking): int(n)
        for team_id, status, tracking, n in db.session.execute(
            select(Order.team_id, Order.status, Order.tracking_status, func.count()).group_by(
                Order.team_id, Order.status, Order.tracking_status
            )
        )
    }
    return [
        (*key, counted.get(key, 0), actual.get(key, 0))
        for key in sorted(set(counted) | set(actual), key=str)
        if counted.get(key, 0) != actual.get(key, 0)
    ]
