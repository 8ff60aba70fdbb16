from django.conf import settings

from kit import clock

from .models import Notification


def business_date(request):
    """Every page shows the business date it works on, and whether it is the clock's."""
    return {
        "business_today": clock.today(),
        "business_date_is_set": bool(getattr(settings, "JIANDING_BUSINESS_DATE", None)),
        "supervision_hotline": settings.JIANDING_SUPERVISION_HOTLINE,
        "unread_notifications": _unread(request),
    }


def _unread(request) -> int:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not request.path.startswith("/admin/"):
        return 0
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()
