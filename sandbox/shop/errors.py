"""Exceptions shared by the shop modules."""


class ShopError(Exception):
    """A business-rule failure shown to the buyer; kind is a stable machine-readable code."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind
        self.message = message
