"""The reads that the supervision screens share, scoped to the user."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from catalog.models import Station
from catalog.selectors import Viewer, station_scope

from .models import ReviewItem


def review_items_for(user: Viewer, items: QuerySet[ReviewItem] | None = None) -> QuerySet[ReviewItem]:
    """Items (of ``items``, or all) about the user's stations, and items tied to no station or
    session (a person registered at several stations): those are everyone's with a view of
    the queue."""
    items = ReviewItem.objects.all() if items is None else items
    scope = station_scope(user)
    if scope is None:
        return items
    return items.filter(Q(station__in=Station.objects.filter(scope)) | Q(station__isnull=True, session__isnull=True))
