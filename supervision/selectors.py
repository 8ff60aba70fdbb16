"""The reads that the supervision screens share, scoped to the user."""

from __future__ import annotations

from django.db.models import CharField, Q, QuerySet, Value
from django.db.models.functions import Cast, Concat

from catalog import roles
from catalog.models import Region, Station, User
from catalog.selectors import Viewer, station_scope, visible_stations
from certificates.models import IssuanceBatch

from .models import Complaint, ReviewItem


def review_items_for(user: Viewer, items: QuerySet[ReviewItem] | None = None) -> QuerySet[ReviewItem]:
    """Items (of ``items``, or all) about the user's stations, items about the issuance batches
    the user sees, and items tied to nothing of the kind (a person registered at several
    stations): those are everyone's with a view of the queue."""
    items = ReviewItem.objects.all() if items is None else items
    scope = station_scope(user)
    if scope is None:
        return items
    stations = Station.objects.filter(scope)
    # A rushed batch's item is keyed "batch:<pk>": the batches holding cases of the user's stations.
    batch_keys = (
        IssuanceBatch.objects.filter(items__registration__station__in=stations)
        .annotate(item_key=Concat(Value("batch:"), Cast("pk", CharField())))
        .values("item_key")
    )
    rushed = Q(kind=ReviewItem.Kind.RUSHED_BATCH)
    return items.filter(
        Q(station__in=stations)
        | (rushed & Q(key__in=batch_keys))
        | (~rushed & Q(station__isnull=True, session__isnull=True))
    )


def batch_of(item: ReviewItem) -> IssuanceBatch | None:
    """The issuance batch a rushed-batch item is about (its key is ``batch:<pk>``)."""
    if item.kind != ReviewItem.Kind.RUSHED_BATCH or not item.key.startswith("batch:"):
        return None
    return IssuanceBatch.objects.select_related("centre").filter(pk=item.key.removeprefix("batch:")).first()


def item_for_batch(batch: IssuanceBatch) -> ReviewItem | None:
    return ReviewItem.objects.filter(kind=ReviewItem.Kind.RUSHED_BATCH, key=f"batch:{batch.pk}").first()


# --- who may handle a complaint -------------------------------------------------------------

HANDLER_ROLES = (roles.SUPERVISOR, roles.CENTRE_OFFICER)


def receiving_region(actor: User | None) -> Region | None:
    """The region of the centre that handles a complaint naming no station: the centre of the
    person who assigns it (complaints reach centres and supervisors, never stations)."""
    if actor is None or actor.centre_id is None:
        return None
    return Region.objects.get(centres__pk=actor.centre_id)


def complaint_assign_refusal(*, complaint: Complaint, assignee: User, actor: User | None) -> str | None:
    """Why ``assignee`` may not handle ``complaint`` (None: they may).

    A handler is an active supervisor or guidance-centre officer whose scope covers the
    accused station (for a complaint naming none: the region of the receiving centre); never
    a station's clerk or examiner, least of all of the accused station."""
    name = assignee.get_full_name() or assignee.username
    if not assignee.is_active:
        return f"{name}的账号已停用，不能承办举报。"
    if assignee.station_id is not None:
        if assignee.station_id == complaint.station_id:
            return f"{name}是被举报鉴定站的人员，不能承办对本站的举报。"
        return f"{name}是鉴定站人员（考务员或考评员），不能承办举报；请交督导员或指导中心审核员。"
    if assignee.centre_id is None or not set(assignee.groups.values_list("name", flat=True)) & set(HANDLER_ROLES):
        return f"{name}不是督导员或指导中心审核员，不能承办举报。"
    if complaint.station_id is not None:
        if not visible_stations(assignee).filter(pk=complaint.station_id).exists():
            return f"{name}的工作范围不包括被举报的鉴定站，不能承办。"
        return None
    region = receiving_region(actor)
    if region is not None:
        centre_region = Region.objects.get(centres__pk=assignee.centre_id)
        covered = {centre_region.pk, *centre_region.children.values_list("pk", flat=True)}
        if region.pk not in covered:
            return f"{name}的工作范围不包括受理该举报的{region.name}，不能承办。"
    return None


def complaint_assignees(complaint: Complaint, actor: User | None) -> QuerySet[User]:
    """The people ``complaint`` may be handed to (the admin's choices): every one for whom
    ``complaint_assign_refusal`` has nothing to say."""
    possible = (
        User.objects.filter(is_active=True, station__isnull=True, centre__isnull=False, groups__name__in=HANDLER_ROLES)
        .distinct()
        .select_related("centre")
    )
    allowed = [u.pk for u in possible if complaint_assign_refusal(complaint=complaint, assignee=u, actor=actor) is None]
    return User.objects.filter(pk__in=allowed).select_related("centre").order_by("centre__code", "username")


def review_items_pending(items: QuerySet[ReviewItem]) -> QuerySet[ReviewItem]:
    """督导复核事项 not yet closed (待处理 and 处理中)."""
    return items.exclude(status=ReviewItem.Status.CLOSED)


def complaints_open(complaints: QuerySet[Complaint]) -> QuerySet[Complaint]:
    """未办结举报."""
    return complaints.exclude(status=Complaint.Status.CLOSED)
