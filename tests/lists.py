"""Admin lists made short enough to show their cap with a handful of rows."""

from kit.admin import CappedPaginator


def cap_lists(monkeypatch, model_admin, *, cap: int, per_page: int) -> None:
    """Every list counts at most ``cap`` rows (on any page), ``model_admin``'s shows ``per_page``."""
    monkeypatch.setattr(CappedPaginator, "CAP", cap)
    monkeypatch.setattr(CappedPaginator, "PAGES_AHEAD", 0)
    monkeypatch.setattr(model_admin, "list_per_page", per_page)
