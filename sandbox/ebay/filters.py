"""getOrders query parameters: ``filter``, ``limit``, ``offset``, ``orderIds``, ``fieldGroups``.

The rules come from the parameter descriptions in the contract. Flask has already percent-decoded
the query string, so ``%5B``/``%5D``/``%7B``/``%7C``/``%7D`` arrive as ``[ ] { | }``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sandbox.ebay.clock import parse_iso
from sandbox.ebay.errors import ApiError

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
MAX_ORDER_IDS = 50
DEFAULT_WINDOW = timedelta(
    days=90
)  # "when no filters are used this call returns all orders created within the last 90 days"
MAX_RANGE = timedelta(days=365 * 2 + 1)  # "must be within '2' years"
# "only the combinations shown here are currently supported"
STATUS_SETS = (frozenset({"NOT_STARTED", "IN_PROGRESS"}), frozenset({"FULFILLED", "IN_PROGRESS"}))


@dataclass
class OrderQuery:
    limit: int = DEFAULT_LIMIT
    offset: int = 0
    order_ids: list[str] | None = None
    date_field: str | None = None  # "creationDate" or "lastModifiedDate"
    start: datetime | None = None
    end: datetime | None = None
    statuses: frozenset[str] | None = None


def _bad_value(name: str, value: str) -> ApiError:
    return ApiError(400, 30800, fieldvalue=value, fieldname=name)


def _date_range(name: str, value: str, now: datetime) -> tuple[datetime, datetime | None]:
    if not (value.startswith("[") and value.endswith("]")) or ".." not in value:
        raise _bad_value(name, value)
    start_text, end_text = value[1:-1].split("..", 1)
    if not start_text.strip():
        raise ApiError(400, 30820)
    try:
        start = parse_iso(start_text)
        end = parse_iso(end_text) if end_text.strip() else None
    except ValueError as exc:
        raise ApiError(400, 30810, f"Invalid date format in filter {name}: {value}") from exc
    if start > now or (end is not None and end > now):
        raise ApiError(400, 30850)
    if end is not None and start > end:
        raise ApiError(400, 30840)
    if (end or now) - start > MAX_RANGE:
        raise ApiError(400, 30830, allowedTime="2")
    return start, end


def _statuses(value: str) -> frozenset[str]:
    if not (value.startswith("{") and value.endswith("}")):
        raise _bad_value("orderfulfillmentstatus", value)
    wanted = frozenset(v.strip().upper() for v in value[1:-1].split("|"))
    if wanted not in STATUS_SETS:
        raise _bad_value("orderfulfillmentstatus", value)
    return wanted


def _int_param(
    args, name: str, default: int, error_id: int, key: str, low: int, high: int | None
) -> int:
    raw = args.get(name)
    if raw is None:
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise ApiError(400, error_id, **{key: raw}) from None
    if value < low or (high is not None and value > high):
        raise ApiError(400, error_id, **{key: raw})
    return value


def parse_order_query(args, now: datetime) -> OrderQuery:
    """Raise ApiError with the contract's error id for anything invalid."""
    field_groups = args.get("fieldGroups")
    if field_groups is not None:
        for group in field_groups.split(","):
            if group.strip() != "TAX_BREAKDOWN":
                raise ApiError(400, 32800, fieldGroup=group)
    raw_ids = args.get("orderIds")
    if raw_ids is not None and raw_ids.strip():
        # "If one or more order ID values are specified ... all other query parameters will be
        # ignored."
        ids = list(dict.fromkeys(i.strip() for i in raw_ids.split(",") if i.strip()))
        if len(ids) > MAX_ORDER_IDS:
            raise ApiError(400, 30900)
        return OrderQuery(order_ids=ids)
    query = OrderQuery(
        limit=_int_param(args, "limit", DEFAULT_LIMIT, 31100, "limitvalue", 1, MAX_LIMIT),
        offset=_int_param(args, "offset", 0, 31000, "offsetvalue", 0, None),
    )
    ranges: dict[str, tuple[datetime, datetime | None]] = {}
    for criterion in (args.get("filter") or "").split(","):
        criterion = criterion.strip()
        if not criterion:
            continue
        name, sep, value = criterion.partition(":")
        key = name.strip().lower()
        if not sep:
            raise ApiError(400, 30700, fieldname=name)
        value = value.strip()
        if key in ("creationdate", "lastmodifieddate"):
            ranges[key] = _date_range(key, value, now)
        elif key == "orderfulfillmentstatus":
            query.statuses = _statuses(value)
        else:
            raise ApiError(400, 30700, fieldname=name)
    # "If creationdate and lastmodifieddate are both included, only creationdate is used."
    if "creationdate" in ranges:
        query.date_field = "creationDate"
        query.start, query.end = ranges["creationdate"]
    elif "lastmodifieddate" in ranges:
        query.date_field = "lastModifiedDate"
        query.start, query.end = ranges["lastmodifieddate"]
    else:
        query.date_field, query.start = "creationDate", now - DEFAULT_WINDOW
    return query


def matches(record, query: OrderQuery) -> bool:
    stamp = record.created if query.date_field == "creationDate" else record.modified
    if query.start is not None and stamp < query.start:
        return False
    if query.end is not None and stamp > query.end:
        return False
    if query.statuses is not None and record.data["orderFulfillmentStatus"] not in query.statuses:
        return False
    return True
