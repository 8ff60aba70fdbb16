from kit import clock, conf

from .selectors import unread_notifications


def business_date(request):
    """Every page shows the business date it works on, and whether it is the clock's."""
    return {
        "business_today": clock.today(),
        "business_date_is_set": conf.business_date() is not None,
        "supervision_hotline": conf.supervision_hotline(),
        "unread_notifications": _unread(request),
    }


def _unread(request) -> int:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not request.path.startswith("/admin/"):
        return 0
    return unread_notifications(user)
