"""Build an EbayClient for a stored account; tokens are read from and saved to its row."""

from flask import current_app

from autoorder.ebay.client import EbayClient, ReauthorizationNeededError, Tokens, TokenStore
from autoorder.extensions import db
from autoorder.models import EbayAccount

RECONNECT_NEEDED = "reconnect_needed"
CONNECTED = "connected"


class AccountTokenStore(TokenStore):
    """Tokens live encrypted on the EbayAccount row; a refresh is committed at once."""

    def __init__(self, account: EbayAccount):
        self.account = account

    def load(self) -> Tokens:
        a = self.account
        if not a.access_token and not a.refresh_token:
            raise ReauthorizationNeededError("the eBay account has no tokens; connect it")
        return Tokens(
            a.access_token or "",
            a.access_token_expires_at or _epoch(),
            a.refresh_token,
            a.refresh_token_expires_at,
        )

    def save(self, tokens: Tokens) -> None:
        a = self.account
        a.access_token, a.access_token_expires_at = (
            tokens.access_token,
            tokens.access_token_expires_at,
        )
        a.refresh_token = tokens.refresh_token or a.refresh_token
        a.refresh_token_expires_at = tokens.refresh_token_expires_at or a.refresh_token_expires_at
        db.session.commit()


def _epoch():
    from datetime import UTC, datetime

    return datetime(1970, 1, 1, tzinfo=UTC)


def client_for(account: EbayAccount | None = None) -> EbayClient:
    """Return a client configured from the app settings (and the account's tokens, if given)."""
    from autoorder.ebay.budget import record_call

    config = current_app.config
    return EbayClient(
        api_base=config["EBAY_API_BASE_URL"],
        auth_base=config["EBAY_AUTH_BASE_URL"],
        client_id=config["EBAY_CLIENT_ID"] or "",
        client_secret=config["EBAY_CLIENT_SECRET"] or "",
        redirect_uri=config["EBAY_REDIRECT_URI"] or "",
        token_store=AccountTokenStore(account) if account is not None else None,
        on_call=record_call,
    )


def mark_reconnect_needed(account: EbayAccount, error: Exception) -> None:
    """Stop using the account's tokens until a person connects it again; tell the team (once a
    day). Does not commit."""
    from autoorder import notifications

    account.status = RECONNECT_NEEDED
    account.last_error = f"eBay refused the stored login: {error}. Connect the account again."
    notifications.ebay_reconnect_needed(account)
