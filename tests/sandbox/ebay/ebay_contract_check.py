"""Checks every emulator response against eBay's official contract (the repo copy in
sandbox/ebay/contract).

Sell Fulfillment responses are validated with openapi-core against the OpenAPI document, after
``servers`` is replaced with the concrete base URL (see contract/SOURCE.md). Every object schema is
made strict (``additionalProperties: false``) in memory, so a misspelled or invented field fails
too. Error bodies (statuses the contract lists without a schema, and the platform statuses
401/403/429) are validated against the contract's ``Error`` schema. Their errorId must be one that
the contract lists for that operation, with the same domain and category, or one of eBay's platform
errors. The OAuth token endpoint is not in this contract. Its bodies are checked against the fields
eBay documents for it.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from urllib.parse import parse_qs, urlsplit

from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse
from openapi_schema_validator import OAS30Validator
from openapi_schema_validator import validate as schema_validate

from sandbox.ebay.contract import BASE_PATH, HTTP_METHODS, documented_error_ids, load_spec

# eBay platform errors (not in the contract): errorId -> (HTTP status, domain, category)
PLATFORM_ERRORS = {
    1001: (401, "OAuth", "REQUEST"),
    1100: (403, "ACCESS", "REQUEST"),
    2001: (429, "ACCESS", "REQUEST"),
    2002: (404, "ACCESS", "REQUEST"),
    2003: (500, "ACCESS", "APPLICATION"),
}
TOKEN_OK_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["access_token", "expires_in", "token_type"],
    "properties": {
        "access_token": {"type": "string", "minLength": 1},
        "expires_in": {"type": "integer"},
        "token_type": {
            "type": "string",
            "enum": ["User Access Token", "Application Access Token"],
        },
        "refresh_token": {"type": "string", "minLength": 1},
        "refresh_token_expires_in": {"type": "integer"},
    },
}
TOKEN_ERROR_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["error", "error_description"],
    "properties": {
        "error": {
            "type": "string",
            "enum": [
                "invalid_request",
                "invalid_client",
                "invalid_grant",
                "unauthorized_client",
                "unsupported_grant_type",
                "invalid_scope",
            ],
        },
        "error_description": {"type": "string"},
    },
}


class ContractViolation(AssertionError):
    pass


def strict_spec() -> dict:
    """The contract with ``additionalProperties: false`` on every object schema that lists
    properties."""
    spec = load_spec()

    def walk(node):
        if isinstance(node, dict):
            if node.get("type") == "object" and "properties" in node:
                node.setdefault("additionalProperties", False)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(spec["components"]["schemas"])
    return spec


@lru_cache(maxsize=1)
def _strict_components() -> dict:
    return strict_spec()["components"]


@lru_cache(maxsize=8)
def openapi_for(base_url: str) -> OpenAPI:
    spec = strict_spec()
    spec["servers"] = [{"url": base_url.rstrip("/") + BASE_PATH}]
    return OpenAPI.from_dict(spec)


def validate_schema(instance, schema_name: str) -> None:
    """Validate ``instance`` against ``#/components/schemas/<schema_name>`` (strict)."""
    schema = {"$ref": f"#/components/schemas/{schema_name}", "components": _strict_components()}
    try:
        schema_validate(instance, schema, cls=OAS30Validator)
    except Exception as exc:  # jsonschema.ValidationError
        raise ContractViolation(f"not a valid {schema_name}: {exc}") from exc


@lru_cache(maxsize=1)
def _operation_patterns() -> list[tuple[str, re.Pattern, str]]:
    out = []
    for path, item in load_spec()["paths"].items():
        regex = re.compile("^" + BASE_PATH + re.sub(r"\{[^}]+\}", "[^/]+", path) + "$")
        for method, op in item.items():
            if method in HTTP_METHODS:
                out.append((method.upper(), regex, op["operationId"]))
    return out


@lru_cache(maxsize=16)
def _documented_statuses(op_id: str) -> frozenset[str]:
    for item in load_spec()["paths"].values():
        for method, op in item.items():
            if method in HTTP_METHODS and op["operationId"] == op_id:
                return frozenset(op["responses"])
    return frozenset()


def operation_id(method: str, path: str) -> str | None:
    for op_method, regex, op_id in _operation_patterns():
        if op_method == method.upper() and regex.match(path):
            return op_id
    return None


def _json_body(data: bytes, content_type: str, where: str):
    if not (content_type or "").startswith("application/json"):
        raise ContractViolation(f"{where}: Content-Type {content_type!r} is not application/json")
    try:
        return json.loads(data)
    except ValueError as exc:
        raise ContractViolation(f"{where}: body is not JSON: {data[:200]!r}") from exc


def check_errors(op_id: str | None, status: int, body, where: str) -> None:
    if not isinstance(body, dict) or set(body) != {"errors"} or not body["errors"]:
        raise ContractViolation(f"{where}: error body must be {{'errors': [...]}}: {body}")
    documented = documented_error_ids().get(op_id or "", {})
    for err in body["errors"]:
        validate_schema(err, "Error")
        for key in ("errorId", "domain", "category", "message"):
            if key not in err:
                raise ContractViolation(f"{where}: error without {key}: {err}")
        eid = err["errorId"]
        if eid in documented:
            info = documented[eid]
            if (err["domain"], err["category"]) != (info["domain"], info["category"]):
                raise ContractViolation(
                    f"{where}: {eid} has domain/category {err['domain']}/{err['category']}, "
                    f"contract says {info['domain']}/{info['category']}"
                )
        elif eid in PLATFORM_ERRORS:
            expected = PLATFORM_ERRORS[eid]
            if (status, err["domain"], err["category"]) != expected:
                raise ContractViolation(
                    f"{where}: platform error {eid} should be {expected}, got "
                    f"{(status, err['domain'], err['category'])}"
                )
        else:
            raise ContractViolation(f"{where}: errorId {eid} is not documented for {op_id}")


def _check_api(
    method, path, status, where, body, base_url, openapi_request, openapi_response
) -> None:
    op_id = operation_id(method, path)
    if status < 400 and op_id is None:
        raise ContractViolation(f"{where}: success on a path the contract does not have")
    if status >= 400:
        check_errors(op_id, status, body, where)
        if not op_id or str(status) not in _documented_statuses(op_id):
            return  # platform statuses (401, 403, 429, unknown paths) are not in the contract
    try:  # for documented error statuses (no schema) this checks the status and the headers
        openapi_for(base_url).validate_response(openapi_request, openapi_response)
    except Exception as exc:
        raise ContractViolation(f"{where}: {exc!r} {getattr(exc, '__cause__', '')}") from exc


def _check_sandbox(method, path, status, where, body) -> None:
    """Control endpoints that return eBay objects must return valid ones."""
    if status not in (200, 201):
        return
    if path == "/sandbox/orders":
        for order in body["orders"] if method == "GET" else [body]:
            validate_schema(order, "Order")
    elif re.match(r"^/sandbox/orders/[^/]+/[a-z-]+$", path):
        validate_schema(body, "Order")
    elif path == "/sandbox/fulfillments":
        for entry in body["fulfillments"]:
            validate_schema(
                {k: v for k, v in entry.items() if k not in ("orderId", "receivedAt")},
                "ShippingFulfillment",
            )


def check_response(
    method: str,
    url: str,
    status: int,
    headers,
    data: bytes,
    openapi_request=None,
    openapi_response=None,
) -> None:
    """Raise ContractViolation if the response (to ``method url``) drifts from eBay's contract.

    ``openapi_request``/``openapi_response`` are openapi-core adapters (werkzeug, requests). A
    request adapter is optional, because the Flask test client has consumed the request body by now
    and only method, URL and query matter for response validation.
    """
    parts = urlsplit(url)
    path, host_url = parts.path, f"{parts.scheme}://{parts.netloc}"
    content_type = headers.get("Content-Type", "")
    where = f"{method} {path} -> {status}"
    if not headers.get("X-EBAY-C-REQUEST-ID"):
        raise ContractViolation(f"{where}: no X-EBAY-C-REQUEST-ID header")
    if path.startswith(BASE_PATH + "/"):
        if openapi_request is None:
            openapi_request = MockRequest(host_url, method, path, args=parse_qs(parts.query))
        if openapi_response is None:
            openapi_response = MockResponse(data, status, dict(headers), content_type.split(";")[0])
        body = _json_body(data, content_type, where)
        _check_api(method, path, status, where, body, host_url, openapi_request, openapi_response)
    elif path == "/identity/v1/oauth2/token":
        body = _json_body(data, content_type, where)
        try:
            schema_validate(
                body, TOKEN_OK_SCHEMA if status == 200 else TOKEN_ERROR_SCHEMA, cls=OAS30Validator
            )
        except Exception as exc:
            raise ContractViolation(f"{where}: {exc}") from exc
    elif path.startswith("/sandbox/") and status in (200, 201):
        _check_sandbox(method, path, status, where, _json_body(data, content_type, where))
