"""The guidance centre's screens for certificates. Importing this package registers every
admin class."""

from . import issuance

__all__ = ["issuance"]
