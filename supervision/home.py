"""The admin's home (/admin/): each role's day first — counts of the work waiting, each
linking to the admin list filtered to exactly that work — then the models the role uses.

The home reads every app, so it lives here, in the top app. The work queues are
registered with ``catalog.admin_scope`` at import (``config.urls`` imports this module),
which also gives each list its 待办 filter; a tile counts ``queue.select`` over the list's
own scoped queryset, so the count is the list's count."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import admin
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from appraisals import selectors as appraisal_selectors
from appraisals.models import AppraisalApplication, ExamResult, Registration, Retake
from catalog import roles
from catalog.admin_scope import WorkQueue, register_work_queue
from catalog.selectors import has_full_scope
from certificates import selectors as certificate_selectors
from certificates.models import IssuanceBatch, PassedRegistration, UploadBatch

from . import selectors
from .models import Complaint, ReviewItem


def _queue(model: type[Model], key: str, title: str, select: Callable[[QuerySet], QuerySet]) -> WorkQueue:
    return register_work_queue(model, key, title, select)


# The station's day, in the order a case moves.
TO_REVIEW = _queue(Registration, "review", "待资格审查", appraisal_selectors.registrations_awaiting_review)
NO_CONSENT = _queue(Registration, "consent", "缺自愿书", appraisal_selectors.registrations_without_consent)
NO_SCAN = _queue(Registration, "scan", "自愿书缺扫描件", appraisal_selectors.registrations_without_consent_scan)
TO_APPLY = _queue(Registration, "apply", "待申请鉴定", appraisal_selectors.registrations_awaiting_application)
TO_SCORE = _queue(Registration, "scores", "待录入成绩", appraisal_selectors.registrations_awaiting_scores)
TO_CONFIRM = _queue(ExamResult, "confirm", "待复核成绩", appraisal_selectors.results_awaiting_confirmation)
RETAKE_UNSCHEDULED = _queue(Retake, "schedule", "补考待安排", appraisal_selectors.retakes_awaiting_session)
# The guidance centre's.
TO_DECIDE = _queue(
    AppraisalApplication, "decide", "待审批的鉴定申请", appraisal_selectors.applications_awaiting_decision
)
BATCH_TO_APPROVE = _queue(IssuanceBatch, "approve", "待审批的发证批次", certificate_selectors.batches_awaiting_approval)
UPLOAD_IN_AUDIT = _queue(UploadBatch, "audit", "审核中的上报批次", certificate_selectors.upload_batches_in_audit)
# The supervisor's.
REVIEW_PENDING = _queue(ReviewItem, "pending", "待处理督导复核事项", selectors.review_items_pending)
COMPLAINT_OPEN = _queue(Complaint, "open", "未办结举报", selectors.complaints_open)
BATCH_HELD = _queue(IssuanceBatch, "held", "暂缓核发待复核的批次", certificate_selectors.batches_held_for_review)


@dataclass(frozen=True)
class WorkList:
    """A whole work list (its model's list is the work: 待发证的合格考生)."""

    model: type[Model]
    title: str


@dataclass(frozen=True)
class Link:
    """A screen with no count (the dashboard)."""

    url_name: str
    title: str
    permission: str


Entry = WorkQueue | WorkList | Link

ROLE_WORK: dict[str, tuple[str, list[Entry]]] = {
    roles.STATION_CLERK: (
        "鉴定站考务",
        [TO_REVIEW, NO_CONSENT, NO_SCAN, TO_APPLY, TO_SCORE, TO_CONFIRM, RETAKE_UNSCHEDULED],
    ),
    roles.EXAMINER: ("考评", [TO_SCORE, TO_CONFIRM]),
    roles.CENTRE_OFFICER: (
        "指导中心审核",
        [
            TO_DECIDE,
            WorkList(PassedRegistration, "待制作发证批次（合格考生）"),
            BATCH_TO_APPROVE,
            UPLOAD_IN_AUDIT,
        ],
    ),
    roles.SUPERVISOR: (
        "督导",
        [
            REVIEW_PENDING,
            COMPLAINT_OPEN,
            BATCH_HELD,
            Link("supervision_dashboard", "督导看板（报名、合格率、自愿书、发证）", "appraisals.view_registration"),
        ],
    ),
}
# The system administrator sees the station's, the centre's and the supervisor's day.
ADMIN_ROLES = [roles.STATION_CLERK, roles.CENTRE_OFFICER, roles.SUPERVISOR]


@dataclass(frozen=True)
class Tile:
    title: str
    url: str
    count: int | None  # None: a link with no count


@dataclass(frozen=True)
class Section:
    title: str
    tiles: list[Tile]


def _tile(request: HttpRequest, entry: Entry) -> Tile | None:
    if isinstance(entry, Link):
        if not request.user.has_perm(entry.permission):
            return None
        return Tile(entry.title, reverse(entry.url_name), None)
    model_admin = admin.site._registry.get(entry.model)
    if model_admin is None or not model_admin.has_view_permission(request):
        return None
    rows = model_admin.get_queryset(request)
    if isinstance(entry, WorkQueue):
        return Tile(entry.title, entry.changelist_url(), entry.select(rows).count())
    opts = entry.model._meta
    return Tile(entry.title, reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"), rows.count())


def work_sections(request: HttpRequest) -> list[Section]:
    """The day's work of each of the user's roles that has any, in a fixed order."""
    user = request.user
    names = set(user.groups.values_list("name", flat=True))
    wanted = ADMIN_ROLES if has_full_scope(user) else [role for role in ROLE_WORK if role in names]
    sections = []
    seen: set[str] = set()
    for role in wanted:
        title, entries = ROLE_WORK[role]
        tiles = []
        for entry in entries:
            tile = _tile(request, entry)
            if tile is not None and tile.url not in seen:
                seen.add(tile.url)
                tiles.append(tile)
        if tiles:
            sections.append(Section(title, tiles))
    return sections


def menu_in_role_order(request: HttpRequest) -> list[dict]:
    """The admin's app list with the models in the order of the user's role menu (the day's
    order: 报名 before 退费), the apps in the order of their first model; the rest after."""
    names = set(request.user.groups.values_list("name", flat=True))
    order = [label for role in ROLE_WORK if role in names for label in roles.ROLE_MENUS.get(role, [])]
    rank = {label: index for index, label in reversed(list(enumerate(order)))}
    last = len(rank)

    def model_rank(app: dict, model: dict) -> int:
        return rank.get(f"{app['app_label']}.{model['object_name'].lower()}", last)

    apps = admin.site.get_app_list(request)
    for app in apps:
        app["models"].sort(key=lambda model: model_rank(app, model))
    apps.sort(key=lambda app: min((model_rank(app, model) for model in app["models"]), default=last))
    return apps


def admin_home(request: HttpRequest) -> HttpResponse:
    """The admin's index with the day's work on top (wrapped by ``admin_view`` in the URLs)."""
    context = {"work_sections": work_sections(request), "app_list": menu_in_role_order(request)}
    return admin.site.index(request, extra_context=context)
