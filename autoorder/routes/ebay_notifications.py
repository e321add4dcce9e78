"""eBay's Marketplace Account Deletion endpoint (public: eBay calls it, no login, no CSRF token).

GET ``?challenge_code=`` answers eBay's endpoint check; POST takes a signed notification, checks
``X-EBAY-SIGNATURE`` (see autoorder.ebay.notifications), records it, acknowledges at once and leaves
the erasing to a job. A bad signature is refused (412) and changes nothing.
"""

import json
import logging

from flask import Blueprint, current_app, jsonify, request
from sqlalchemy import select

from autoorder import jobs
from autoorder.ebay import notifications
from autoorder.ebay.client import EbayError, parse_ebay_timestamp
from autoorder.extensions import csrf, db
from autoorder.models import EbayDeletionNotice

log = logging.getLogger(__name__)

bp = Blueprint("ebay_notifications", __name__, url_prefix="/ebay")


@bp.route("/account-deletion", methods=["GET", "POST"])
@csrf.exempt
def account_deletion():
    if request.method == "GET":
        return _challenge()
    return _notification()


def _challenge():
    code = request.args.get("challenge_code", "")
    if not code or len(code) > 512:
        return jsonify({"error": "challenge_code is required"}), 400
    token = current_app.config.get("EBAY_DELETION_VERIFICATION_TOKEN")
    endpoint = notifications.endpoint_url()
    if not token or not endpoint:
        return jsonify({"error": "the deletion endpoint is not configured"}), 503
    answer = notifications.challenge_response(code, token, endpoint)
    return jsonify({"challengeResponse": answer}), 200


def _notification():
    if (request.content_length or 0) > notifications.MAX_BODY:
        return jsonify({"error": "too large"}), 413
    raw = request.get_data(cache=False)
    if len(raw) > notifications.MAX_BODY:
        return jsonify({"error": "too large"}), 413
    try:
        notifications.verify(
            raw, request.headers.get("X-EBAY-SIGNATURE"), notifications.fetch_public_key
        )
    except notifications.SignatureError as exc:
        log.warning("eBay deletion notification refused: %s", exc)
        return jsonify({"error": "signature not valid"}), 412
    except EbayError as exc:  # getPublicKey failed: let eBay send it again later
        log.warning(
            "eBay public key unavailable (%s, request id %s)", type(exc).__name__, exc.request_id
        )
        return jsonify({"error": "cannot check the signature now"}), 503
    try:
        data = notifications.deletion_data(json.loads(raw))
    except ValueError as exc:  # signed by eBay, but not a deletion we can act on
        log.warning("eBay notification ignored: %s", exc)
        return "", 204
    known = db.session.scalar(
        select(EbayDeletionNotice.id).where(
            EbayDeletionNotice.notification_id == data["notification_id"]
        )
    )
    if known is None:
        notice = EbayDeletionNotice(
            notification_id=data["notification_id"],
            username=data["username"],
            ebay_user_id=data["user_id"],
            event_date=_when(data["event_date"]),
        )
        db.session.add(notice)
        db.session.commit()
        known = notice.id
    jobs.after_commit(jobs.enqueue_erasure, known)  # Redis down: the periodic duty enqueues it
    return "", 204


def _when(value):
    try:
        return parse_ebay_timestamp(value)
    except ValueError:
        return None
