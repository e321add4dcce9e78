"""The emulator's notification signing key (ECDSA P-256, derived from the seed) and the
account-deletion challenge hash. See notification.py."""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private: ec.EllipticCurvePrivateKey

    @classmethod
    def from_seed(cls, seed: int, label: str = "notification-key") -> SigningKey:
        secret = int.from_bytes(hashlib.sha256(f"{seed}:{label}".encode()).digest(), "big")
        order = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551  # P-256
        private = ec.derive_private_key(secret % (order - 1) + 1, ec.SECP256R1())
        kid = str(uuid.UUID(bytes=hashlib.sha256(f"{seed}:{label}:kid".encode()).digest()[:16]))
        return cls(kid, private)

    def public_pem(self) -> str:
        pem = self.private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return pem.decode("ascii")

    def signature_header(self, body: bytes) -> str:
        signature = self.private.sign(body, ec.ECDSA(hashes.SHA1()))  # noqa: S303 - eBay's digest
        header = {
            "alg": "ecdsa",
            "kid": self.kid,
            "signature": base64.b64encode(signature).decode("ascii"),
            "digest": "SHA1",
        }
        return base64.b64encode(json.dumps(header).encode()).decode("ascii")


def challenge_response(code: str, token: str, endpoint: str) -> str:
    return hashlib.sha256((code + token + endpoint).encode("utf-8")).hexdigest()
