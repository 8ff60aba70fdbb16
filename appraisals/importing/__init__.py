"""The registration importer (split into modules in the next commit)."""

from .checking import *  # noqa: F403
from .checking import _progress_key  # noqa: F401
