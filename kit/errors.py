"""Errors every app raises."""

from django.core.exceptions import ValidationError


class RuleError(ValidationError):
    """A rule of the notices refused the act; the message says which, in Chinese."""
