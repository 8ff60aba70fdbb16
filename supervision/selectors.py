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


# --- work queues: the home's counts and the lists' 待办 filter read the same selector ---------


def review_items_pending(items: QuerySet[ReviewItem]) -> QuerySet[ReviewItem]:
    """督导复核事项 not yet closed (待处理 and 处理中)."""
    return items.exclude(status=ReviewItem.Status.CLOSED)


def complaints_open(complaints: QuerySet) -> QuerySet:
    """未办结举报."""
    from .models import Complaint

    return complaints.exclude(status=Complaint.Status.CLOSED)
