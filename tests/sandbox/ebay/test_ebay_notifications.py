"""The emulator's Notification API (getPublicKey) against eBay's vendored contract, its application
tokens, and the signature it puts on notifications (checked with `cryptography` alone)."""

from __future__ import annotations

import base64
import json

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from flask.testing import FlaskClient
from openapi_schema_validator import OAS30Validator
from openapi_schema_validator import validate as schema_validate

from sandbox.ebay.contract import load_notification_spec
from sandbox.ebay.signing import SigningKey, challenge_response
from tests.sandbox.ebay.ebay_helpers import basic

PUBLIC = "https://api.ebay.com/oauth/api_scope"


def strict(schema_name: str) -> dict:
    components = load_notification_spec()["components"]
    for schema in components["schemas"].values():
        if schema.get("type") == "object" and "properties" in schema:
            schema["additionalProperties"] = False
    return {"$ref": f"#/components/schemas/{schema_name}", "components": components}


def documented(status: int) -> dict:
    op = load_notification_spec()["paths"]["/public_key/{public_key_id}"]["get"]
    return op["responses"][str(status)].get("x-response-codes", {}).get("errors", {})


@pytest.fixture
def plain(ebay_app):
    return FlaskClient(ebay_app)


def app_token(client, scope=PUBLIC):
    resp = client.post(
        "/identity/v1/oauth2/token",
        headers=basic(),
        data={"grant_type": "client_credentials", "scope": scope},
    )
    return resp


def test_client_credentials_give_an_application_token(plain):
    resp = app_token(plain)
    body = resp.get_json()
    assert resp.status_code == 200
    assert body["token_type"] == "Application Access Token" and "refresh_token" not in body
    wider = app_token(plain, "https://api.ebay.com/oauth/api_scope/sell.fulfillment")
    assert wider.status_code == 400 and wider.get_json()["error"] == "invalid_scope"


def test_get_public_key_follows_the_contract(plain, ebay_app):
    token = app_token(plain).get_json()["access_token"]
    kid = ebay_app.extensions["ebay_sandbox"].signing_key.kid
    auth = {"Authorization": f"Bearer {token}"}
    resp = plain.get(f"/commerce/notification/v1/public_key/{kid}", headers=auth)
    assert resp.status_code == 200
    schema_validate(resp.get_json(), strict("PublicKey"), cls=OAS30Validator)
    key = load_pem_public_key(resp.get_json()["key"].encode())
    assert isinstance(key, ec.EllipticCurvePublicKey)

    unknown = plain.get("/commerce/notification/v1/public_key/nope", headers=auth)
    assert unknown.status_code == 404
    (error,) = unknown.get_json()["errors"]
    schema_validate(error, strict("Error"), cls=OAS30Validator)
    info = documented(404)[str(error["errorId"])]
    assert (error["domain"], error["category"]) == (info["domain"], info["category"])
    assert plain.get(f"/commerce/notification/v1/public_key/{kid}").status_code == 401


def test_the_signature_header_verifies_over_the_raw_body():
    key = SigningKey.from_seed(7)
    assert key == SigningKey.from_seed(7) or key.kid == SigningKey.from_seed(7).kid
    body = json.dumps({"notification": {"data": {"username": "x"}}}).encode()
    header = json.loads(base64.b64decode(key.signature_header(body)))
    assert set(header) == {"alg", "kid", "signature", "digest"}
    assert (header["alg"], header["digest"], header["kid"]) == ("ecdsa", "SHA1", key.kid)
    public = load_pem_public_key(key.public_pem().encode())
    signature = base64.b64decode(header["signature"])
    public.verify(signature, body, ec.ECDSA(hashes.SHA1()))  # noqa: S303


def test_challenge_hash_is_sha256_of_code_token_endpoint():
    import hashlib

    expected = hashlib.sha256(b"abc" + b"tok" + b"https://x.test/e").hexdigest()
    assert challenge_response("abc", "tok", "https://x.test/e") == expected
