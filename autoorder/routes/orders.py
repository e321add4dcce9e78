"""Sales & Orders: the list of sales (filters, counts, one poll per page), an order's detail,
evidence files and the actions a person can take. Views check the team, call autoorder.actions,
commit, render.
"""

import logging
from math import ceil
from pathlib import Path

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user
from sqlalchemy import select

from autoorder import actions, clock, jobs, keyset
from autoorder import evidence as evidence_files
from autoorder.auth import team_get_or_404, team_select
from autoorder.extensions import db
from autoorder.inputs import arg_ids, arg_int
from autoorder.models import Evidence, Order
from autoorder.order_index import SEARCH_MIN
from autoorder.orders import TrackingStatus as T
from autoorder.routes import is_htmx
from autoorder.routes.sales_read_model import (
    ENVELOPE_LABELS,
    PAGE_SIZE,
    SEARCH_HINT,
    apply_filters,
    by_ids,
    counts_context,
    detail_context,
    from_version,
    is_active,
    load_orders,
    new_sale_ids,
    parse_filters,
    parse_versions,
    poller,
    row_views,
    shared_counts,
    status_counts,
    team_bots,
    version,
    wants_fragment,
)

bp = Blueprint("orders", __name__)
MAX_PAGE = 1_000_000
MAX_VERSION = 10**17  # row versions are microseconds since 1970 (about 1.8e15 today)
log = logging.getLogger(__name__)

# ---------------------------------------------------------------- pages


@bp.get("/")
def index():
    """The sales table (a fragment for htmx filter/pagination requests, else the page)."""
    filters = parse_filters(request.args)
    page = arg_int(request.args, "page", default=1, minimum=1, maximum=MAX_PAGE)
    counts = status_counts(filters)
    total = counts.get(filters["cart"], 0) if "cart" in filters else sum(counts.values())
    before = keyset.parse_cursor(request.args.get("before"))
    after = keyset.parse_cursor(request.args.get("after")) if before is None else None
    listing = keyset.page(
        apply_filters(team_select(Order), filters),
        Order.sold_at,
        Order.id,
        size=PAGE_SIZE,
        before=before,
        after=after,
        offset=0 if before or after else (page - 1) * PAGE_SIZE,  # ?page=N alone: old links
    )
    if after is not None and listing.first:  # "Newer" led back to the top: page 1, as it is now
        page = 1
    orders = listing.items
    bots = team_bots()
    rows = row_views(orders, bots)
    suppliers = sorted(
        {(bot.supplier_id, bot.supplier_name) for bot in bots.values()}, key=lambda s: s[1]
    )
    poll = poller(filters, page, at=version(clock.now()), fast=any(row.active for row in rows))
    context = dict(
        rows=rows,
        total=total,
        page=page,
        pages=max(1, ceil(total / PAGE_SIZE), page),
        listing=listing,
        search_hint=SEARCH_HINT if 0 < len(filters.get("q", "")) < SEARCH_MIN else None,
        bots=sorted(bots.values(), key=lambda b: b.name),
        suppliers=suppliers,
        poll=poll,
        section="orders",
        envelopes=list(T),
        envelope_labels=ENVELOPE_LABELS,
        **counts_context(filters, counts),
    )
    template = "orders/_results.html" if wants_fragment() else "orders/index.html"
    response = make_response(render_template(template, **context))
    response.vary.add("HX-Request")
    return response


@bp.get("/sales/poll")
def poll():
    """Rows of this page that changed since the versions the page sent, and new sales (page 1).

    Answers 204 (empty) when nothing changed, 286 (htmx stops this poller) when nothing shown
    is active — the 286 body swaps in a slow poller that keeps watching for new sales.
    """
    filters = parse_filters(request.args)
    page = arg_int(request.args, "page", default=1, minimum=1, maximum=MAX_PAGE)
    slow = request.args.get("mode") == "slow"
    known = parse_versions(request.args.get("v", ""))
    active, changed = False, []
    if known:
        for order_id, updated_at, status, tracking in db.session.execute(
            by_ids(known, Order.id, Order.updated_at, Order.status, Order.tracking_status)
        ):
            active |= is_active(status, tracking)
            if version(updated_at) != known[order_id]:
                changed.append(order_id)
    rendered_at = arg_int(request.args, "at", maximum=MAX_VERSION)
    since = from_version(rendered_at) if page == 1 and rendered_at else None
    new = new_sale_ids(filters, known, since) if since else []
    rows = row_views(load_orders(changed + new), team_bots()) if changed or new else []
    by_id = {row.order.id: row for row in rows}
    active |= any(row.active for row in rows)
    swap_poller = active == slow  # the wrong speed for what is shown now
    if not rows and not swap_poller:
        return "", 204
    body = render_template(
        "orders/_poll_answer.html",
        changed=[by_id[i] for i in changed if i in by_id],
        new=[by_id[i] for i in new if i in by_id],
        poll=poller(filters, page, at=rendered_at, fast=active, oob=True) if swap_poller else None,
        **(
            counts_context(
                filters,
                shared_counts(
                    filters,
                    tuple(sorted((row.order.id, version(row.order.updated_at)) for row in rows)),
                ),
                oob=True,
            )
            if rows
            else {}
        ),
    )
    return body, (286 if not slow and not active else 200)


@bp.get("/sales/counts")
def counts():
    """The per-cart-status counts for the page's filters (refreshed after an action)."""
    filters = parse_filters(request.args)
    return render_template("orders/_counts.html", **counts_context(filters, status_counts(filters)))


@bp.get("/orders/<int:order_id>")
def detail(order_id):
    """One order: its facts, timeline, attempts, evidence, tracking checks and credit."""
    order = team_get_or_404(Order, order_id)
    if wants_fragment():
        seen = arg_int(request.args, "v", maximum=MAX_VERSION)
        if seen is not None and seen == version(order.updated_at):
            return "", 204
        return render_template("orders/_detail.html", **detail_context(order))
    return render_template("orders/detail.html", **detail_context(order))


@bp.get("/orders/<int:order_id>/row")
def row(order_id):
    """The order's row fragment (the same one the page and the poll render)."""
    order = team_get_or_404(Order, order_id)
    return render_template("orders/_row.html", row=row_views([order], team_bots())[0])


@bp.get("/orders/<int:order_id>/evidence/<int:evidence_id>")
def evidence(order_id, evidence_id):
    """An evidence file of the team's order; images inline, anything else as a sandboxed
    download."""
    order = team_get_or_404(Order, order_id)
    item = db.session.scalar(
        select(Evidence).where(Evidence.id == evidence_id, Evidence.order_id == order.id)
    )
    if item is None:
        abort(404)
    folder = (
        Path(current_app.config["EVIDENCE_DIR"]) / str(order.id)
    ).resolve()  # evidence.save writes here
    path = evidence_files.path_of(item).resolve()
    if not path.is_relative_to(folder) or not path.is_file():
        abort(404)
    image = item.content_type in ("image/png", "image/jpeg", "image/webp")
    response = send_file(
        path,
        mimetype=item.content_type if image else "application/octet-stream",
        as_attachment=not image,
        download_name=path.name,
        max_age=0,
    )
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response.headers["Cache-Control"] = "private, no-store"
    return response


# ---------------------------------------------------------------- actions


@bp.post("/orders/<int:order_id>/cancel")
def cancel(order_id):
    return act(order_id, actions.cancel, "Cancelled; nothing will be bought.")


@bp.post("/orders/<int:order_id>/order-now")
def order_now(order_id):
    return act(order_id, actions.order_now, "Ordering now.", enqueue=queue_order)


@bp.post("/orders/<int:order_id>/retry")
def retry(order_id):
    return act(order_id, actions.retry, "Retrying.", enqueue=queue_order)


@bp.post("/orders/<int:order_id>/mark-ordered")
def mark_ordered(order_id):
    form = request.form
    return act(
        order_id,
        lambda order, actor: actions.mark_ordered(
            order,
            actor,
            supplier_order_number=form.get("supplier_order_number", ""),
            cost=form.get("cost", ""),
        ),
        "Marked as ordered.",
    )


@bp.post("/orders/<int:order_id>/recheck-tracking")
def recheck_tracking(order_id):
    return act(
        order_id, actions.recheck_tracking, "Looking for tracking now.", enqueue=queue_tracking
    )


@bp.post("/orders/<int:order_id>/tracking")
def enter_tracking(order_id):
    form = request.form
    return act(
        order_id,
        lambda order, actor: actions.enter_tracking(
            order,
            actor,
            tracking_number=form.get("tracking_number", ""),
            carrier=form.get("carrier") or None,
        ),
        "Tracking saved; uploading it to eBay.",
        enqueue=queue_tracking,
    )


# After an action: wake the poller (it may be slow) and refresh the counts.
CHANGED_EVENTS = '{"ao-poll": "", "ao-counts": ""}'
BULK = {"retry": (actions.retry, "retried"), "cancel": (actions.cancel, "cancelled")}


@bp.post("/orders/bulk")
def bulk():
    """Retry or cancel the selected sales one by one; report each row's result."""
    name = request.form.get("action", "")
    if name not in BULK:
        return message_response(("error", "Choose retry or cancel."), 422)
    ids = list(dict.fromkeys(arg_ids(request.form, "ids")))[: PAGE_SIZE * 2]
    if not ids:
        return message_response(("error", "Select at least one sale first."), 422)
    found = dict(db.session.execute(by_ids(ids, Order.id, Order.ebay_order_id)).all())
    do, verb = BULK[name]
    results, done = [], []
    for order_id in ids:
        if order_id not in found:
            results.append(("error", f"#{order_id}: not found."))
            continue
        order = db.session.get(Order, order_id)
        try:
            do(order, current_user.email)
        except actions.ActionError as exc:
            db.session.rollback()
            results.append(("error", f"{found[order_id]}: {exc}"))
            continue
        db.session.commit()
        if name == "retry":
            queue_order(order_id)
        done.append(order_id)
        results.append(("success", f"{found[order_id]}: {verb}."))
    summary = (
        "success" if len(done) == len(ids) else "error",
        f"{verb.capitalize()} {len(done)} of {len(ids)}.",
    )
    return message_response(
        summary, 200, details=results, rows=row_views(load_orders(done), team_bots())
    )


def act(order_id, do, success, *, enqueue=None):
    """Run one action on the team's order; answer its updated row (or detail) or a 422 message."""
    order = team_get_or_404(Order, order_id)
    try:
        do(order, current_user.email)
    except actions.ActionError as exc:
        db.session.rollback()
        if not is_htmx():
            flash(str(exc), "error")
            return redirect(url_for("orders.detail", order_id=order_id))
        return message_response(("error", str(exc)), 422)
    db.session.commit()
    if enqueue is not None:
        enqueue(order_id)
    if not is_htmx():
        flash(success, "success")
        return redirect(url_for("orders.detail", order_id=order_id))
    order = load_orders([order_id])[0]
    if request.form.get("view") == "detail":
        response = make_response(render_template("orders/_detail.html", **detail_context(order)))
    else:
        response = make_response(
            render_template("orders/_row.html", row=row_views([order], team_bots())[0])
        )
    response.headers["HX-Trigger"] = CHANGED_EVENTS
    return response


def message_response(summary, status, *, details=(), rows=()):
    """A message for the page's message area (htmx retargets there), plus out-of-band row swaps."""
    response = make_response(
        render_template("orders/_messages.html", summary=summary, details=details, rows=rows),
        status,
    )
    response.headers["HX-Retarget"] = "#order-messages"
    response.headers["HX-Reswap"] = "innerHTML"
    if rows:
        response.headers["HX-Trigger"] = CHANGED_EVENTS
    return response


def queue_order(order_id: int) -> None:
    """Enqueue the purchase after the commit; the due-orders duty repairs a missed enqueue."""
    jobs.after_commit(jobs.enqueue_order, order_id)


def queue_tracking(order_id: int) -> None:
    """Enqueue a tracking check after the commit (the tracking duty repairs a missed one)."""
    jobs.after_commit(jobs.enqueue_tracking_check, order_id)
