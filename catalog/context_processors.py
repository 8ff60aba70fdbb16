from django.conf import settings

from .clock import business_today


def business_date(request):
    """Every page shows the business date it works on, and whether it is the clock's."""
    return {
        "business_today": business_today(),
        "business_date_is_set": bool(getattr(settings, "JIANDING_BUSINESS_DATE", None)),
        "supervision_hotline": settings.JIANDING_SUPERVISION_HOTLINE,
    }
