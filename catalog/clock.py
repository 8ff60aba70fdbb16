""" "Today" for the back office: the business date when one is set, else the local date."""

import datetime

from django.conf import settings
from django.utils import timezone


def business_today() -> datetime.date:
    configured = getattr(settings, "JIANDING_BUSINESS_DATE", None)
    if configured:
        return configured
    return timezone.localdate()
