"""Encryption at rest: a MultiFernet built from FERNET_KEYS and the EncryptedText column type.

The first key encrypts; every key decrypts. Rotation re-encrypts each stored value under the
first key (see ``rotate_all``), after which old keys can be removed from FERNET_KEYS.
"""

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app, has_app_context
from sqlalchemy import Text, select, type_coerce, update
from sqlalchemy.types import TypeDecorator


class CryptoConfigError(RuntimeError):
    """FERNET_KEYS is absent or holds a value that is not a Fernet key."""


class DecryptionError(RuntimeError):
    """A stored value cannot be decrypted with any configured key."""


def make_fernet(keys):
    """Return a MultiFernet for the given keys (first encrypts); raise CryptoConfigError."""
    if not keys:
        raise CryptoConfigError("FERNET_KEYS is empty")
    try:
        return MultiFernet([Fernet(key.encode() if isinstance(key, str) else key) for key in keys])
    except (ValueError, TypeError) as exc:
        raise CryptoConfigError(
            "FERNET_KEYS must hold url-safe base64 32-byte keys "
            "(make one with: python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())')"
        ) from exc


def init_app(app):
    """Install the app's keys (from FERNET_KEYS) for the EncryptedText column type."""
    app.extensions["fernet"] = make_fernet(app.config["FERNET_KEYS"])


def fernet() -> MultiFernet:
    """Return the current app's MultiFernet (encryption needs an app context)."""
    if not has_app_context() or "fernet" not in current_app.extensions:
        raise CryptoConfigError("encryption used outside an app built by create_app()")
    return current_app.extensions["fernet"]


def encrypt(plaintext: str) -> str:
    return fernet().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise DecryptionError(
            "a stored secret cannot be decrypted with the configured FERNET_KEYS "
            "(was a key removed before `flask rotate-keys` ran?)"
        ) from exc


class EncryptedText(TypeDecorator):
    """A text column stored as a Fernet token; Python sees plaintext (or None)."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else encrypt(str(value))

    def process_result_value(self, value, dialect):
        return None if value is None else decrypt(value)


def encrypted_columns(metadata):
    """Yield (table, column) for every EncryptedText column in the metadata."""
    for table in metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, EncryptedText):
                yield table, column


def rotate_all(connection, metadata):
    """Re-encrypt every stored secret under the first key; return how many values changed."""
    rotated = 0
    for table, column in encrypted_columns(metadata):
        pk = list(table.primary_key.columns)[0]
        raw = column.type.impl  # read and write the stored token, not the plaintext
        rows = connection.execute(
            select(pk, column.cast(raw).label("token")).where(column.isnot(None))
        ).all()
        for row in rows:
            try:
                new_token = fernet().rotate(row.token.encode()).decode()
            except InvalidToken as exc:
                raise DecryptionError(
                    f"{table.name}.{column.name} id={row[0]} cannot be decrypted with any key; "
                    "nothing was changed"
                ) from exc
            connection.execute(
                update(table).where(pk == row[0]).values({column.name: type_coerce(new_token, raw)})
            )
            rotated += 1
    return rotated
