"""Poll answers share one status count per team, filters and change (load: 200 dashboards)."""

from flask_login import login_user

from autoorder.extensions import db
from autoorder.routes import sales_read_model
from tests.factories import make_order, make_user


def test_counts_are_computed_once_per_change(app, monkeypatch):
    calls = []
    real = sales_read_model.status_counts
    monkeypatch.setattr(
        sales_read_model, "status_counts", lambda filters: calls.append(1) or real(filters)
    )
    monkeypatch.setattr(sales_read_model, "_SHARED_COUNTS", {})
    with app.app_context():
        user = make_user()
        other = make_user()
        make_order(user.team, status="waiting")
        db.session.commit()
        with app.test_request_context("/sales/poll"):
            login_user(user)
            first = sales_read_model.shared_counts({}, ((1, 100),))
            again = sales_read_model.shared_counts({}, ((1, 100),))
            assert first == again == {"waiting": 1} and len(calls) == 1
            make_order(user.team, status="failed")
            db.session.commit()
            assert sales_read_model.shared_counts({}, ((2, 200),)) == {
                "waiting": 1,
                "failed": 1,
            }  # a new change
            assert sales_read_model.shared_counts({"cart": "failed"}, ((2, 200),)) == {
                "waiting": 1,
                "failed": 1,
            }
            assert len(calls) == 3  # other filters: their own count
        with app.test_request_context("/sales/poll"):
            login_user(other)  # another team never sees this team's cached counts
            assert sales_read_model.shared_counts({}, ((1, 100),)) == {}
            assert len(calls) == 4
