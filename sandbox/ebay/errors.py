"""eBay's error shapes.

REST APIs answer ``{"errors": [{"errorId", "domain", "category", "message", "longMessage"?,
"parameters"?}]}``. The ``API_FULFILLMENT`` ids and texts come from the contract's
``x-response-codes``. The platform ids (1001, 1100, 2001, 2002, 2003) are eBay's common errors,
which the contract does not list. The OAuth token endpoint answers
``{"error", "error_description"}`` instead.
"""

from __future__ import annotations

from flask import Response, jsonify

FULFILLMENT = "API_FULFILLMENT"

# errorId -> (domain, category, message template, long message or None)
CATALOG: dict[int, tuple[str, str, str, str | None]] = {
    # platform / gateway errors (common to all eBay REST APIs)
    1001: (
        "OAuth",
        "REQUEST",
        "Invalid access token",
        "Invalid access token. Check the value of the Authorization HTTP request header.",
    ),
    1100: (
        "ACCESS",
        "REQUEST",
        "Access denied",
        "Insufficient permissions to fulfill the request.",
    ),
    2001: (
        "ACCESS",
        "REQUEST",
        "Too many requests",
        "The request limit has been reached for the resource.",
    ),
    2002: ("ACCESS", "REQUEST", "Resource not found", None),
    2003: (
        "ACCESS",
        "APPLICATION",
        "Internal error",
        "There was a problem with an eBay internal system or process. "
        "Contact eBay developer support for assistance.",
    ),
    # Notification API (commerce_notification_v1_oas3.json x-response-codes of getPublicKey)
    195000: (
        "API_NOTIFICATION",
        "APPLICATION",
        "There was a problem with an eBay internal system or process. Contact eBay developer "
        "support for assistance.",
        None,
    ),
    195001: ("API_NOTIFICATION", "REQUEST", "The specified key id is invalid.", None),
    # Sell Fulfillment API (contract x-response-codes)
    30500: (FULFILLMENT, "APPLICATION", "System error", None),
    30700: (FULFILLMENT, "REQUEST", "Invalid filter name: {fieldname}", None),
    30800: (
        FULFILLMENT,
        "REQUEST",
        "Invalid filter value {fieldvalue} for filter {fieldname}",
        None,
    ),
    30810: (FULFILLMENT, "REQUEST", "Invalid date format", None),
    30820: (FULFILLMENT, "REQUEST", "Start date is missing", None),
    30830: (
        FULFILLMENT,
        "REQUEST",
        "Time range between start date and end date must be within '{allowedTime}' years.",
        None,
    ),
    30840: (FULFILLMENT, "REQUEST", "Start date should be before end date", None),
    30850: (FULFILLMENT, "REQUEST", "Start and end dates can't be in the future", None),
    30900: (
        FULFILLMENT,
        "REQUEST",
        "Exceeded maximum number of order IDs (the current limit is 50)",
        None,
    ),
    31000: (FULFILLMENT, "REQUEST", "Invalid offset: {offsetvalue}", None),
    31100: (FULFILLMENT, "REQUEST", "Invalid limit: {limitvalue}", None),
    32100: (FULFILLMENT, "REQUEST", "Invalid order ID: {orderId}", None),
    32110: (FULFILLMENT, "REQUEST", "Invalid shipping fulfillment ID: {fulfillmentId}", None),
    32200: (FULFILLMENT, "REQUEST", "Invalid line item id: {lineItemId}", None),
    32210: (FULFILLMENT, "REQUEST", "Duplicate line item in the request", None),
    32300: (FULFILLMENT, "REQUEST", "Invalid shipment tracking number or carrier", None),
    32500: (FULFILLMENT, "REQUEST", "Invalid shipped date", None),
    32600: (FULFILLMENT, "REQUEST", "Invalid input data", None),
    32800: (FULFILLMENT, "REQUEST", "Invalid field group: {fieldGroup}", None),
    34100: (FULFILLMENT, "REQUEST", "Maximum tracking number for order is exceeded", None),
    34300: (
        FULFILLMENT,
        "REQUEST",
        "Mark As Shipped for multiple Global Shipping Program line items is not supported",
        None,
    ),
    34500: (
        FULFILLMENT,
        "REQUEST",
        "Please use PUT operation for updating shipping fulfillment",
        None,
    ),
}


class ApiError(Exception):
    """An eBay REST error: raise it from a handler and the app answers with eBay's error body."""

    def __init__(self, status: int, error_id: int, long_message: str | None = None, **params: str):
        self.status = status
        self.error_id = error_id
        self.long_message = long_message
        self.params = {k: str(v) for k, v in params.items()}
        super().__init__(f"{status} {error_id} {self.params}")

    def body(self) -> dict:
        return {"errors": [error_entry(self.error_id, self.long_message, **self.params)]}


def error_entry(error_id: int, long_message: str | None = None, **params: str) -> dict:
    domain, category, template, default_long = CATALOG[error_id]
    try:
        message = template.format(**params)
    except KeyError:
        message = template
    entry: dict = {"errorId": error_id, "domain": domain, "category": category, "message": message}
    long_text = long_message or default_long
    if long_text:
        entry["longMessage"] = long_text
    if params:
        entry["parameters"] = [{"name": k, "value": str(v)} for k, v in params.items()]
    return entry


def error_response(err: ApiError) -> Response:
    resp = jsonify(err.body())
    resp.status_code = err.status
    return resp


class OAuthError(Exception):
    """An error of eBay's OAuth token endpoint (RFC 6749 shape)."""

    def __init__(self, status: int, error: str, description: str):
        self.status = status
        self.error = error
        self.description = description
        super().__init__(f"{status} {error}: {description}")

    def response(self) -> Response:
        resp = jsonify({"error": self.error, "error_description": self.description})
        resp.status_code = self.status
        if self.status == 401:
            resp.headers["WWW-Authenticate"] = 'Basic realm="eBay"'
        return resp
