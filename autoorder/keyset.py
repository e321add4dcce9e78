"""Keyset pagination for lists shown newest first (sales, the credit ledger) (#19).

A page is "the ``size`` rows just older (or newer) than this row": ``(at, id) < (cursor)``
through a ``(team_id, at, id)`` index, so page 10,000 costs what page 2 costs, and sales that
arrive between two page loads neither repeat a row nor skip one (OFFSET would shift by them).
A cursor is ``"<at in microseconds since 1970>.<id>"``; bad cursors are ignored (page 1).
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import literal, tuple_

from autoorder.extensions import db
from autoorder.inputs import bounded_int

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICRO = timedelta(microseconds=1)
MAX_MICROS = 10**17


def cursor_of(at: datetime, row_id: int) -> str:
    return f"{(at - EPOCH) // MICRO}.{row_id}"


def parse_cursor(text) -> tuple[datetime, int] | None:
    if not isinstance(text, str):
        return None
    micros, _, row_id = text.partition(".")
    micros = bounded_int(micros, minimum=0, maximum=MAX_MICROS)
    row_id = bounded_int(row_id, minimum=1)
    if micros is None or row_id is None:
        return None
    try:
        return EPOCH + micros * MICRO, row_id
    except OverflowError:
        return None


@dataclass
class Page:
    items: list
    has_newer: bool  # rows newer than the first one exist (a "Newer" link)
    has_older: bool
    newer: str | None  # the cursor for the newer page (None: the first page)
    older: str | None

    @property
    def first(self) -> bool:
        return not self.has_newer


def page(query, at_column, id_column, *, size: int, before=None, after=None, offset: int = 0):
    """One page of ``query`` (already filtered) newest first.

    ``before``/``after``: a cursor (parse_cursor) — the rows just older / just newer than it.
    Neither: the first page, or ``offset`` rows down (old ``?page=N`` links).
    """
    key = tuple_(at_column, id_column)
    if after is not None:
        rows = db.session.scalars(
            query.where(key > tuple_(literal(after[0], at_column.type), literal(after[1])))
            .order_by(at_column.asc(), id_column.asc())
            .limit(size + 1)
        ).all()
        if len(rows) <= size:  # back at the top: the first page, as it is now
            return page(query, at_column, id_column, size=size)
        rows = list(reversed(rows[:size]))
        has_newer, has_older = True, True
    else:
        if before is not None:
            query = query.where(
                key < tuple_(literal(before[0], at_column.type), literal(before[1]))
            )
        elif offset:
            query = query.offset(offset)
        rows = db.session.scalars(
            query.order_by(at_column.desc(), id_column.desc()).limit(size + 1)
        ).all()
        has_older = len(rows) > size
        rows = rows[:size]
        has_newer = before is not None or offset > 0
    at_name, id_name = at_column.key, id_column.key
    return Page(
        items=rows,
        has_newer=has_newer and bool(rows),
        has_older=has_older,
        newer=cursor_of(getattr(rows[0], at_name), getattr(rows[0], id_name))
        if rows and has_newer
        else None,
        older=cursor_of(getattr(rows[-1], at_name), getattr(rows[-1], id_name))
        if rows and has_older
        else None,
    )
