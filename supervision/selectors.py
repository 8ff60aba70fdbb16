"""The reads that the supervision screens share, scoped to the user."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from catalog.models import User
from catalog.selectors import station_scope, visible_stations

from .models import ReviewItem


def review_items_for(user: User, items: QuerySet[ReviewItem] | None = None) -> QuerySet[ReviewItem]:
    """Items (of ``items``, or all) about the user's stations, and items tied to no station or
    session (a person registered at several stations): those are everyone's with a view of
    the queue."""
    items = ReviewItem.objects.all() if items is None else items
    if station_scope(user) is None:
        return items
    return items.filter(Q(station__in=visible_stations(user)) | Q(station__isnull=True, session__isnull=True))
