"""Reports: profit per sale, per day and per listing over a date range; the CSV export of a
range's sales (streamed). A bad date is a clear message on the page (HTTP 400), never a 500."""

from flask import Blueprint, Response, render_template, request, stream_with_context
from flask_login import current_user

from autoorder import reports

bp = Blueprint("reports", __name__, url_prefix="/reports")


@bp.get("/")
def index():
    start, end = request.args.get("start", ""), request.args.get("end", "")
    try:
        first, last = reports.day_range(start, end)
    except reports.ReportRangeError as exc:
        return render_template(
            "reports/index.html", error=str(exc), start=start[:40], end=end[:40], data=None
        ), 400
    return render_template(
        "reports/index.html",
        error=None,
        start=first.isoformat(),
        end=last.isoformat(),
        data=reports.report(current_user.team_id, first, last),
        sales=reports.orders(current_user.team_id, first, last),
        order_profit=reports.order_profit,
    )


@bp.get("/orders.csv")
def orders_csv():
    """The range's sales as CSV, streamed a page at a time (any range length)."""
    try:
        first, last = reports.day_range(
            request.args.get("start", ""), request.args.get("end", ""), max_days=None
        )
    except reports.ReportRangeError as exc:
        return Response(f"{exc}\n", status=400, mimetype="text/plain")
    team_id = current_user.team_id
    return Response(
        stream_with_context(reports.csv_lines(team_id, first, last)),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="autoorder-sales-{first}-to-{last}.csv"'
        },
    )
