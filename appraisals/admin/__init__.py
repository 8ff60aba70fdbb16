"""The clerk's screens (split into modules by area in the next commit)."""

from .registrations import *  # noqa: F403
