"""Demo supplier web shop used to develop and test the ordering bot (not part of the autoorder
package)."""

from .app import create_app

__all__ = ["create_app"]
