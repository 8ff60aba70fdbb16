"""Issuance: the work list of passed candidates awaiting a certificate, and the issuance
batches prepared from it (approval, supervisor's review, printing, handing out)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeGuard

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Model, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html_join

from appraisals.admin.shared import CaseReadOnlyInline, candidate_label, registrations_by_number
from appraisals.admin_forms import ServiceForm, ServiceFormAdminMixin
from appraisals.models import Registration
from appraisals.rules import Code, Violation
from candidates.validators import mask_id_number
from catalog.admin_scope import ScopedAdmin, request_user
from catalog.selectors import RuleBook
from kit import clock
from kit.admin import ViewOnlyMixin, report_rows, whole_list_action
from kit.html import format_html

from .. import selectors, services
from ..models import IssuanceBatch, IssuanceItem, PassedRegistration
from .shared import CUT, CentreScopedAdmin, ItemTotal, iso, link, nowrap, short_centre_name, short_level

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


def _held(obj: Model | None) -> TypeGuard[IssuanceBatch]:
    """A batch held for the supervisor's review (its only change form)."""
    return isinstance(obj, IssuanceBatch) and obj.status == IssuanceBatch.Status.HELD


class ReadOnlyInline(CaseReadOnlyInline):
    show_change_link = False


def _refusals_today(request: HttpRequest, registrations: list[Registration]) -> dict[int, list[Violation]]:
    """Why each case cannot be certified today by the officer's centre (the station's own
    centre for a system administrator): what preparing a batch today and approving it
    today would refuse. One rule book and a fixed number of queries for them all."""
    return selectors.issuance_refusals_many(
        registrations, centre=request_user(request).centre, issue_date=clock.today(), rulebook=RuleBook()
    )


# A refusal in a list cell: a few words by its code (the whole message is the tooltip,
# and the batch action's report gives it in full).
SHORT_REFUSALS: dict[Code, str] = {
    Code.REGISTRATION_BEFORE_ANNOUNCEMENT: "报名早于公告",
    Code.REGISTRATION_LATE: "报名逾期",
    Code.CATALOG_EXITED: "报名时职业已退出目录",
    Code.ELIGIBILITY_NOT_PASSED: "未通过资格审查",
    Code.CONSENT_MISSING: "未签自愿书",
    Code.CONSENT_LATE: "自愿书签署晚于考试",
    Code.CONSENT_NO_SCAN: "自愿书缺扫描件",
    Code.APPLICATION_NOT_APPROVED: "鉴定申请未获批准",
    Code.APPLICATION_LATE: "鉴定申请逾期",
    Code.SESSION_BEFORE_APPROVAL: "考试早于申请批准",
    Code.SESSION_OFFSITE_UNAPPROVED: "异地考试未经批准",
    Code.SESSION_NOT_HELD: "考试未登记举行",
    Code.EXAM_LATE: "鉴定超期",
    Code.RETAKE_LATE: "补考超期",
    Code.RESULT_NOT_PASSED: "成绩未确认合格",
    Code.PUBLICITY_NOT_PUBLISHED: "成绩未公示",
    Code.PUBLICITY_NOT_OVER: "公示期未满",
    Code.FINDING_OPEN: "督导问题未办结（暂缓）",
    Code.CERTIFICATE_ALREADY_ISSUED: "已发证",
    Code.ISSUANCE_PENDING: "已在待审批批次中",
    Code.ISSUANCE_WRONG_CENTRE: "不属本中心发证",
}


class CertifiableFilter(admin.SimpleListFilter):
    """可以发证 / 不能发证. The rules are not SQL, so this works them out for every case of
    the filtered list, 500 at a time in a fixed number of queries each: affordable on a
    work list (the centre's passed cases not yet certified, a few thousand at most), not
    on a table of a million rows. Other filters, listed before it, narrow the list first."""

    title = "能否发证"
    parameter_name = "certifiable"
    chunk = 500

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "可以发证"), ("no", "不能发证")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet | None:
        if self.value() not in ("yes", "no"):
            return None
        ids = list(queryset.order_by("pk").values_list("pk", flat=True))
        certifiable = []
        book = RuleBook()
        centre = request_user(request).centre
        for start in range(0, len(ids), self.chunk):
            refusals = selectors.issuance_refusals_many(
                ids[start : start + self.chunk], centre=centre, issue_date=clock.today(), rulebook=book
            )
            certifiable += [pk for pk, reasons in refusals.items() if not reasons]
        if self.value() == "yes":
            return queryset.filter(pk__in=certifiable)
        return queryset.exclude(pk__in=certifiable)


@admin.register(PassedRegistration)
class PassedRegistrationAdmin(ViewOnlyMixin, ScopedAdmin):
    scope_station_path = "station"
    list_display = ["candidate_name", "masked_id", "occupation", "level", "station_name", "certifiable"]
    list_filter = ["station", "announcement__level", CertifiableFilter]
    # One line a row at 1366 px: the level's number, long names cut (tooltip: the whole),
    # the refusals in a few words each (tooltip: the whole message). The publicity date
    # is a refusal while it runs.
    search_fields = ["candidate__name__nameprefix", "announcement__occupation__name"]
    list_select_related = ["candidate", "announcement__occupation", "station"]
    actions = ["prepare_batch"]
    list_per_page = 50

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return selectors.awaiting_certificate(super().get_queryset(request))

    def get_changelist_instance(self, request: HttpRequest) -> Any:
        """The page's rows carry their refusals, worked out together for the page."""
        changelist = super().get_changelist_instance(request)
        rows = list(changelist.result_list)
        refusals = _refusals_today(request, rows)
        for row in rows:
            row.refusals = refusals.get(row.pk, [])
        return changelist

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str) -> Any:
        exact = registrations_by_number(queryset, search_term)
        if exact is not None:
            return exact, False
        return super().get_search_results(request, queryset, search_term)

    @admin.display(description="姓名", ordering="candidate__name")
    def candidate_name(self, obj: PassedRegistration) -> str:
        return obj.candidate.name

    @admin.display(description="身份证号")
    def masked_id(self, obj: PassedRegistration) -> str:
        return mask_id_number(obj.candidate.id_number)

    @admin.display(description="职业（工种）", ordering="announcement__occupation__name")
    def occupation(self, obj: PassedRegistration) -> str:
        name = obj.announcement.occupation.name
        return format_html('<span style="{}" title="{}">{}</span>', CUT, name, name)

    @admin.display(description="等级", ordering="announcement__level")
    def level(self, obj: PassedRegistration) -> str:
        return short_level(obj.announcement.get_level_display())

    @admin.display(description="鉴定站", ordering="station__code")
    def station_name(self, obj: PassedRegistration) -> str:
        return format_html('<span style="{}" title="{}">{}</span>', CUT, obj.station, obj.station.name)

    @admin.display(description="能否发证")
    def certifiable(self, obj: PassedRegistration) -> str:
        reasons: list[Violation] | None = getattr(obj, "refusals", None)
        if reasons is None:  # only the changelist's page rows carry them
            return "—"
        if not reasons:
            return format_html('<span style="{}">✓ 可以发证</span>', "color:#2e7d32;font-weight:600;white-space:nowrap")
        return format_html(
            '<ul class="refusals" style="color:#c62828;margin:0;padding:0;list-style:none;white-space:nowrap">{}</ul>',
            format_html_join(
                "", '<li title="{}">{}</li>', ((str(v), SHORT_REFUSALS.get(v.code, str(v))) for v in reasons)
            ),
        )

    def has_prepare_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("certificates.add_issuancebatch")

    @admin.action(description="制作发证批次（由另一名审核员审批后核发）", permissions=["prepare"])
    @whole_list_action
    def prepare_batch(self, request: HttpRequest, queryset: QuerySet) -> None:
        """One batch per issuing centre (the officer's own centre, else the station's)."""
        try:
            done = services.batches_prepare(
                actor=request_user(request), registrations=queryset, prepared_on=clock.today()
            )
        except ValidationError as error:
            self.message_user(request, f"制作发证批次：{'；'.join(error.messages)}", messages.ERROR)
            return
        if done.refused:
            refused = [f"{candidate_label(r)}：{' '.join(map(str, reasons))}" for r, reasons in done.refused]
            self.message_user(
                request, f"未加入批次 {len(refused)} 人。" + " ".join(f"【{r}】" for r in refused), messages.WARNING
            )
        for batch in done.batches:
            self.message_user(
                request,
                f"制作发证批次：{batch.centre}（{batch.items.count()}人），待另一名审核员审批。",
                messages.SUCCESS,
            )


class IssuanceItemInline(ReadOnlyInline):
    model = IssuanceItem
    fields = ["registration", "status", "certificate", "note"]


class BatchReviewForm(ServiceForm):
    decision = forms.TypedChoiceField(
        label="复核结论", choices=[("1", "放行（按原审批核发证书）"), ("0", "不予核发")], coerce=lambda v: v == "1"
    )
    opinion = forms.CharField(label="复核意见", max_length=500, widget=forms.Textarea(attrs={"rows": 3}))

    class Meta:
        model = IssuanceBatch
        fields: list[str] = []

    def perform(self) -> IssuanceBatch:
        return services.batch_review(
            actor=self.actor,
            batch=self.instance,
            release=self.cleaned_data["decision"],
            note=self.cleaned_data["opinion"],
            reviewed_on=clock.today(),
        )


@admin.register(IssuanceBatch)
class IssuanceBatchAdmin(ServiceFormAdminMixin, CentreScopedAdmin):
    # Fits 1366 px beside the menu and the filters, one line a row (who prepared and who
    # approved are on the batch's page).
    list_display = [
        "number",
        "short_centre",
        "short_status",
        "item_total",
        "short_prepared_on",
        "short_issue_date",
        "print_status",
        "download",
    ]
    list_filter = ["status", "centre", "prepared_on", "issue_date"]
    search_fields = ["centre__name", "note", "items__registration__candidate__name__nameprefix"]
    list_select_related = ["centre", "prepared_by", "approved_by"]
    readonly_fields = [
        "centre",
        "status",
        "note",
        "prepared_by",
        "prepared_on",
        "approved_by",
        "issue_date",
        "rush_flags",
        "held_by",
        "reviewed_by",
        "reviewed_on",
        "review_note",
        "released",
        "printed_by",
        "printed_on",
        "handed_out_by",
        "handed_out_on",
    ]
    inlines = [IssuanceItemInline]
    actions = ["approve", "cancel", "mark_printed", "mark_handed_out"]

    def scope_queryset(self, request: HttpRequest, qs: QuerySet) -> QuerySet:
        return selectors.visible_batches(request.user, qs)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).annotate(_items=Count("items"))

    @admin.display(description="批次", ordering="pk")
    def number(self, obj: IssuanceBatch) -> str:
        return f"#{obj.pk}"

    @admin.display(description="发证机构", ordering="centre__name")
    def short_centre(self, obj: IssuanceBatch) -> str:
        return nowrap(short_centre_name(obj.centre.name), obj.centre.name)

    @admin.display(description="状态", ordering="status")
    def short_status(self, obj: IssuanceBatch) -> str:
        label = obj.get_status_display()
        return nowrap(label.split("（")[0], label)

    @admin.display(description="制单日期", ordering="prepared_on")
    def short_prepared_on(self, obj: IssuanceBatch) -> str:
        return iso(obj.prepared_on)

    @admin.display(description="发证日期", ordering="issue_date")
    def short_issue_date(self, obj: IssuanceBatch) -> str:
        return iso(obj.issue_date)

    @admin.display(description="人数", ordering="_items")
    def item_total(self, obj: WithAnnotations[IssuanceBatch, ItemTotal]) -> int:
        return obj._items

    @admin.display(description="打印和发放")
    def print_status(self, obj: IssuanceBatch) -> str:
        return obj.print_status

    @admin.display(description="证书PDF")
    def download(self, obj: IssuanceBatch) -> str:
        if obj.status != IssuanceBatch.Status.APPROVED:
            return "—"
        return link(reverse("certificates:batch_pdf", args=[obj.pk]), "下载打印")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # prepared from the work list of passed candidates

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        # The change form is only the supervisor's review of a held batch.
        if _held(obj):
            return self.has_review_permission(request) and self.in_scope(request, obj)
        return obj is None and super().has_change_permission(request, obj)

    def get_form(self, request: HttpRequest, obj: Model | None = None, change: bool = False, **kwargs: Any) -> Any:
        if _held(obj) and self.has_review_permission(request):
            kwargs["form"] = BatchReviewForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Model | None = None) -> Any:
        fields = list(self.readonly_fields)
        if _held(obj) and self.has_review_permission(request):
            fields += ["decision", "opinion"]
        return fields

    def has_approve_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("certificates.approve_issuancebatch")

    def has_review_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("certificates.review_issuancebatch")

    def has_print_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("certificates.change_issuancebatch")

    def _report_batch(self, request: HttpRequest, batch: IssuanceBatch) -> None:
        if batch.status == IssuanceBatch.Status.HELD:
            self.message_user(
                request, f"批次 #{batch.pk} 疑似突击发证，已暂缓核发，待督导复核：{batch.rush_flags}", messages.WARNING
            )

    @admin.action(description="审批并核发证书（发证日期为今天；须由制单人以外的审核员操作）", permissions=["approve"])
    def approve(self, request: HttpRequest, queryset: QuerySet) -> None:
        actor, today = request_user(request), clock.today()

        def act(batch: IssuanceBatch) -> None:
            self._report_batch(request, services.batch_approve(actor=actor, batch=batch, issue_date=today))

        report_rows(self, request, queryset, act, "审批发证批次", lambda b: f"批次 #{b.pk}")

    @admin.action(description="撤回待审批的批次", permissions=["print"])
    def cancel(self, request: HttpRequest, queryset: QuerySet) -> None:
        actor = request_user(request)
        report_rows(
            self,
            request,
            queryset,
            lambda b: services.batch_cancel(actor=actor, batch=b),
            "撤回批次",
            lambda b: f"批次 #{b.pk}",
        )

    @admin.action(description="登记证书已打印（今天）", permissions=["print"])
    def mark_printed(self, request: HttpRequest, queryset: QuerySet) -> None:
        actor, today = request_user(request), clock.today()
        report_rows(
            self,
            request,
            queryset,
            lambda b: services.batch_mark_printed(actor=actor, batch=b, printed_on=today),
            "登记打印",
            lambda b: f"批次 #{b.pk}",
        )

    @admin.action(description="登记证书已发放（今天）", permissions=["print"])
    def mark_handed_out(self, request: HttpRequest, queryset: QuerySet) -> None:
        actor, today = request_user(request), clock.today()
        report_rows(
            self,
            request,
            queryset,
            lambda b: services.batch_mark_handed_out(actor=actor, batch=b, handed_out_on=today),
            "登记发放",
            lambda b: f"批次 #{b.pk}",
        )
