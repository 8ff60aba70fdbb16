"""The guidance centre's screens for certificates. Display only: every change goes through
``certificates.services``, from ServiceForms and from actions that report each row."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from appraisals.admin.shared import AnnouncedOccupationFilter, CaseReadOnlyInline, candidate_label
from appraisals.admin_forms import ServiceForm, ServiceFormAdminMixin
from appraisals.exporting import ScopedExportAdminMixin
from candidates.validators import ID_NUMBER_SHAPE, mask_id_number, normalise_id_number
from catalog.admin_scope import ScopedAdmin, request_user
from catalog.selectors import RuleBook, station_scope, visible_centres
from kit import clock
from kit.admin import report_rows
from kit.responses import ZIP, file_response

from .. import exports, selectors, services
from ..models import (
    ArchiveRecord,
    Certificate,
    IssuanceBatch,
    IssuanceItem,
    LostCertificateRequest,
    PassedRegistration,
    SupervisionFinding,
    UploadBatch,
    UploadItem,
)
from ..resources import CertificateExportResource


def _link(url: str, text: str) -> str:
    return format_html('<a href="{}">{}</a>', url, text)


class ReadOnlyInline(CaseReadOnlyInline):
    show_change_link = False


class CentreScopedAdmin(ScopedAdmin):
    """Rows kept by a guidance centre: centre users see their centres' rows, station users none."""

    def scope_queryset(self, request: HttpRequest, qs: QuerySet) -> QuerySet:
        if station_scope(request.user) is None:
            return qs
        if request.user.station_id:
            return qs.none()
        return qs.filter(centre__in=visible_centres(request.user).values("pk"))


# --- supervision findings -----------------------------------------------------------------------


class FindingOpenForm(ServiceForm):
    class Meta:
        model = SupervisionFinding
        fields = ["session", "summary"]

    def perform(self) -> SupervisionFinding:
        return services.finding_open(
            actor=self.actor,
            session=self.cleaned_data["session"],
            summary=self.cleaned_data["summary"],
            opened_at=clock.now(),
        )


class FindingCloseForm(ServiceForm):
    class Meta:
        model = SupervisionFinding
        fields = ["conclusion"]

    def perform(self) -> SupervisionFinding:
        return services.finding_close(
            actor=self.actor,
            finding=self.instance,
            conclusion=self.cleaned_data["conclusion"],
            closed_at=clock.now(),
        )


@admin.register(SupervisionFinding)
class SupervisionFindingAdmin(ServiceFormAdminMixin, ScopedAdmin):
    scope_station_path = "session__application__station"
    add_form = FindingOpenForm
    list_display = ["session", "summary", "opened_by", "opened_at", "is_open_display", "closed_at"]
    list_filter = [("closed_at", admin.EmptyFieldListFilter), "opened_at"]
    search_fields = ["summary", "session__occupation__name", "session__place"]
    list_select_related = ["session__occupation", "opened_by"]
    autocomplete_fields = ["session"]

    @admin.display(description="未办结", boolean=True)
    def is_open_display(self, obj: SupervisionFinding) -> bool:
        return obj.is_open

    def get_form(self, request: HttpRequest, obj: Model | None = None, change: bool = False, **kwargs: Any) -> Any:
        if obj is not None and obj.is_open:
            kwargs["form"] = FindingCloseForm
            kwargs["fields"] = ["conclusion"]
        return super().get_form(request, obj, change=change, **kwargs)

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> Any:
        if obj is None:
            return []
        fields = ["session", "summary", "opened_by", "opened_at", "closed_by", "closed_at"]
        return fields if obj.is_open else [*fields, "conclusion"]

    def get_fields(self, request: HttpRequest, obj: Model | None = None) -> Any:
        if obj is None:
            return ["session", "summary"]
        return ["session", "summary", "opened_by", "opened_at", "conclusion", "closed_by", "closed_at"]

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return super().has_change_permission(request, obj) and (obj is None or obj.is_open)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


# --- the work list: passed registrations awaiting a certificate -----------------------------------


@admin.register(PassedRegistration)
class PassedRegistrationAdmin(ScopedAdmin):
    scope_station_path = "station"
    list_display = ["candidate_name", "candidate_id", "occupation", "level", "station", "publicity_end"]
    list_filter = ["station", "announcement__level"]
    search_fields = ["candidate__name", "announcement__occupation__name"]
    list_select_related = ["candidate", "announcement__occupation", "station"]
    actions = ["prepare_batch"]
    list_per_page = 50

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return selectors.awaiting_certificate(super().get_queryset(request)).prefetch_related("results")

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str) -> Any:
        id_number = normalise_id_number(search_term)
        if ID_NUMBER_SHAPE.fullmatch(id_number):
            return queryset.filter(candidate__id_number=id_number), False
        return super().get_search_results(request, queryset, search_term)

    @admin.display(description="姓名", ordering="candidate__name")
    def candidate_name(self, obj: PassedRegistration) -> str:
        return obj.candidate.name

    @admin.display(description="公民身份号码")
    def candidate_id(self, obj: PassedRegistration) -> str:
        return mask_id_number(obj.candidate.id_number)

    @admin.display(description="职业（工种）")
    def occupation(self, obj: PassedRegistration) -> str:
        return obj.announcement.occupation.name

    @admin.display(description="等级")
    def level(self, obj: PassedRegistration) -> str:
        return obj.announcement.get_level_display()

    @admin.display(description="公示期至")
    def publicity_end(self, obj: PassedRegistration) -> Any:
        days = [r.publicity_last_day for r in obj.results.all() if r.passed and r.publicity_last_day]
        return max(days) if days else "未公示"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_prepare_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("certificates.add_issuancebatch")

    @admin.action(description="制作发证批次（由另一名审核员审批后核发）", permissions=["prepare"])
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
            refused = [f"{candidate_label(r, request)}：{' '.join(map(str, reasons))}" for r, reasons in done.refused]
            self.message_user(
                request, f"未加入批次 {len(refused)} 人。" + " ".join(f"【{r}】" for r in refused), messages.WARNING
            )
        for batch in done.batches:
            self.message_user(
                request,
                f"制作发证批次：{batch.centre}（{batch.items.count()}人），待另一名审核员审批。",
                messages.SUCCESS,
            )


# --- issuance batches ---------------------------------------------------------------------------


class IssuanceItemInline(ReadOnlyInline):
    model = IssuanceItem
    fields = ["registration", "status", "certificate", "note"]


class BatchReviewForm(ServiceForm):
    decision = forms.TypedChoiceField(
        label="复核结论", choices=[("1", "放行（退回审批人核发）"), ("0", "不予核发")], coerce=lambda v: v == "1"
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
    list_display = [
        "pk",
        "centre",
        "status",
        "item_total",
        "prepared_by",
        "prepared_on",
        "approved_by",
        "issue_date",
        "print_status",
        "download",
    ]
    list_filter = ["status", "centre", "prepared_on", "issue_date"]
    search_fields = ["centre__name", "note", "items__registration__candidate__name"]
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
        from django.db.models import Count

        return super().get_queryset(request).annotate(_items=Count("items"))

    @admin.display(description="人数", ordering="_items")
    def item_total(self, obj: IssuanceBatch) -> int:
        return obj._items

    @admin.display(description="打印和发放")
    def print_status(self, obj: IssuanceBatch) -> str:
        return obj.print_status

    @admin.display(description="证书PDF")
    def download(self, obj: IssuanceBatch) -> str:
        if obj.status != IssuanceBatch.Status.APPROVED:
            return "—"
        return _link(reverse("certificates:batch_pdf", args=[obj.pk]), "下载打印")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # prepared from the work list of passed candidates

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        # The change form is only the supervisor's review of a held batch.
        if obj is not None and obj.status == IssuanceBatch.Status.HELD:
            return self.has_review_permission(request) and self.in_scope(request, obj)
        return obj is None and super().has_change_permission(request, obj)

    def get_form(self, request: HttpRequest, obj: Model | None = None, change: bool = False, **kwargs: Any) -> Any:
        if obj is not None and obj.status == IssuanceBatch.Status.HELD and self.has_review_permission(request):
            kwargs["form"] = BatchReviewForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Model | None = None) -> Any:
        fields = list(self.readonly_fields)
        if obj is not None and obj.status == IssuanceBatch.Status.HELD and self.has_review_permission(request):
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
        today = clock.today()

        def act(batch: IssuanceBatch) -> None:
            self._report_batch(request, services.batch_approve(actor=request.user, batch=batch, issue_date=today))

        report_rows(self, request, queryset, act, "审批发证批次", lambda b: f"批次 #{b.pk}")

    @admin.action(description="撤回待审批的批次", permissions=["print"])
    def cancel(self, request: HttpRequest, queryset: QuerySet) -> None:
        report_rows(
            self,
            request,
            queryset,
            lambda b: services.batch_cancel(actor=request.user, batch=b),
            "撤回批次",
            lambda b: f"批次 #{b.pk}",
        )

    @admin.action(description="登记证书已打印（今天）", permissions=["print"])
    def mark_printed(self, request: HttpRequest, queryset: QuerySet) -> None:
        today = clock.today()
        report_rows(
            self,
            request,
            queryset,
            lambda b: services.batch_mark_printed(actor=request.user, batch=b, printed_on=today),
            "登记打印",
            lambda b: f"批次 #{b.pk}",
        )

    @admin.action(description="登记证书已发放（今天）", permissions=["print"])
    def mark_handed_out(self, request: HttpRequest, queryset: QuerySet) -> None:
        today = clock.today()
        report_rows(
            self,
            request,
            queryset,
            lambda b: services.batch_mark_handed_out(actor=request.user, batch=b, handed_out_on=today),
            "登记发放",
            lambda b: f"批次 #{b.pk}",
        )


# --- certificates -------------------------------------------------------------------------------


class CertificateRevokeForm(ServiceForm):
    reason = forms.CharField(label="撤销原因", max_length=300)

    class Meta:
        model = Certificate
        fields: list[str] = []

    def perform(self) -> Certificate:
        return services.certificate_revoke(
            actor=self.actor, certificate=self.instance, reason=self.cleaned_data["reason"], revoked_on=clock.today()
        )


CERTIFICATE_FIELDS = [
    "number",
    "holder_name",
    "masked_id",
    "occupation",
    "level",
    "issue_date",
    "centre",
    "issued_by",
    "batch",
    "status",
    "validity",
    "reissue_of",
    "voided_on",
    "voided_by",
    "void_reason",
    "pdf",
]


@admin.register(Certificate)
class CertificateAdmin(ScopedExportAdminMixin, ServiceFormAdminMixin, ScopedAdmin):
    scope_station_path = "registration__station"
    export_resource_classes = [CertificateExportResource]
    list_display = [
        "number",
        "holder_name",
        "masked_id",
        "occupation",
        "level",
        "issue_date",
        "centre",
        "validity",
        "pdf",
    ]
    list_filter = ["status", "centre", "level", ("occupation", AnnouncedOccupationFilter), "issue_date"]
    search_fields = ["number", "holder_name"]
    search_help_text = "按证书编号、姓名查找，或输入完整的公民身份号码精确查找"
    # A filtered page counts its rows once, not also the whole scope (a second scan).
    show_full_result_count = False
    list_select_related = ["occupation", "centre"]
    readonly_fields = CERTIFICATE_FIELDS
    # No date_hierarchy: a scan of the distinct dates on every page; the date filter costs nothing.
    actions = ["add_to_upload_batch"]

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        self._rulebook = RuleBook()  # one per page: the validity column reads exit dates
        return super().changelist_view(request, extra_context)

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str) -> Any:
        id_number = normalise_id_number(search_term)
        if ID_NUMBER_SHAPE.fullmatch(id_number):
            return queryset.filter(holder_id_number=id_number), False
        return super().get_search_results(request, queryset, search_term)

    @admin.display(description="公民身份号码")
    def masked_id(self, obj: Certificate) -> str:
        return obj.masked_id_number

    @admin.display(description="效力")
    def validity(self, obj: Certificate) -> str:
        validity = selectors.certificate_validity(obj, clock.today(), getattr(self, "_rulebook", None))
        colour = {"valid": "#2e7d32", "valid_exited": "#8d6e00", "voided": "#c62828"}[validity.kind]
        return format_html(
            '<span style="color:{};font-weight:600" title="{}">{}</span>', colour, validity.note, validity.label
        )

    @admin.display(description="证书PDF")
    def pdf(self, obj: Certificate) -> str:
        return _link(reverse("certificates:certificate_pdf", args=[obj.pk]), "下载")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # issued only by approving a batch

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        # The change form is only the revocation of a valid certificate.
        if obj is not None:
            return obj.is_valid and self.has_revoke_permission(request) and self.in_scope(request, obj)
        return False

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("certificates.revoke_certificate")

    def get_form(self, request: HttpRequest, obj: Model | None = None, change: bool = False, **kwargs: Any) -> Any:
        if obj is not None and self.has_change_permission(request, obj):
            kwargs["form"] = CertificateRevokeForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Model | None = None) -> Any:
        if obj is not None and self.has_change_permission(request, obj):
            return [*CERTIFICATE_FIELDS, "reason"]
        return CERTIFICATE_FIELDS

    def has_upload_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("certificates.add_uploadbatch")

    @admin.action(description="组成数据上报批次（逐条审核）", permissions=["upload"])
    def add_to_upload_batch(self, request: HttpRequest, queryset: QuerySet) -> None:
        by_centre: dict[Any, list[Certificate]] = {}
        for certificate in queryset.select_related("centre"):
            by_centre.setdefault(certificate.centre, []).append(certificate)
        report_rows(
            self,
            request,
            by_centre.items(),
            lambda item: services.upload_batch_create(
                actor=request.user, centre=item[0], certificates=item[1], created_on=clock.today()
            ),
            "组成上报批次",
            lambda item: f"{item[0]}（{len(item[1])}本）",
        )


# --- the archive --------------------------------------------------------------------------------


class ArchiveCorrectForm(ServiceForm):
    class Meta:
        model = ArchiveRecord
        fields = ["corrects", "correction_reason"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["corrects"].required = True
        self.fields["correction_reason"].required = True

    def perform(self) -> ArchiveRecord:
        return services.archive_correct(
            actor=self.actor,
            record=self.cleaned_data["corrects"],
            reason=self.cleaned_data["correction_reason"],
            now=clock.now(),
        )


@admin.register(ArchiveRecord)
class ArchiveRecordAdmin(ServiceFormAdminMixin, ScopedAdmin):
    """View and export only. A correction is a new record (the add form), never an edit."""

    scope_station_path = "registration__station"
    add_form = ArchiveCorrectForm
    list_display = ["certificate", "centre", "created_at", "created_by", "consent_sha256", "corrects", "superseded"]
    list_filter = ["centre", "created_at"]
    search_fields = ["certificate__number", "certificate__holder_name"]
    list_select_related = ["certificate", "centre", "created_by", "corrects__certificate", "corrected_by"]
    autocomplete_fields = ["corrects"]
    readonly_fields = [
        "certificate",
        "centre",
        "registration",
        "consent_scan",
        "consent_sha256",
        "created_at",
        "created_by",
        "corrects",
        "correction_reason",
        "contents_display",
    ]
    actions = ["export_zip"]

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> Any:
        return self.readonly_fields if obj is not None else []

    def get_fields(self, request: HttpRequest, obj: Model | None = None) -> Any:
        return self.readonly_fields if obj is not None else ["corrects", "correction_reason"]

    @admin.display(description="已被更正", boolean=True)
    def superseded(self, obj: ArchiveRecord) -> bool:
        return hasattr(obj, "corrected_by")

    @admin.display(description="归档内容")
    def contents_display(self, obj: ArchiveRecord) -> str:
        rows = _flatten(obj.contents)
        return format_html("<table>{}</table>", format_html_join("", "<tr><th>{}</th><td>{}</td></tr>", rows))

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False  # 档案只能新增

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("certificates.add_archiverecord") and not request.user.station_id

    def has_export_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("certificates.view_archiverecord")

    @admin.action(description="导出档案（ZIP：归档内容、自愿书扫描件及其SHA-256、证书PDF）", permissions=["export"])
    def export_zip(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse:
        records = queryset.select_related(
            "certificate__candidate",
            "certificate__occupation",
            "certificate__centre",
            "certificate__result",
            "centre",
            "created_by",
        )
        return file_response(exports.archive_zip(records), f"档案导出-{clock.today():%Y%m%d}.zip", ZIP)


LABELS = {
    "certificate": "证书",
    "registration": "报名",
    "eligibility_review": "资格审查",
    "consent": "自愿书",
    "application": "鉴定申请",
    "results": "鉴定成绩",
}


def _flatten(contents: dict) -> list[tuple[str, str]]:
    rows = []
    for section, value in contents.items():
        title = LABELS.get(section, section)
        items = value if isinstance(value, list) else [value]
        for index, item in enumerate(items, start=1):
            prefix = f"{title}{index}" if isinstance(value, list) else title
            if not item:
                rows.append((prefix, "无"))
                continue
            rows.append((prefix, "；".join(f"{k}：{v}" for k, v in item.items())))
    return rows


# --- lost certificates --------------------------------------------------------------------------


class LostRequestForm(ServiceForm):
    class Meta:
        model = LostCertificateRequest
        fields = ["certificate", "applicant_name", "applicant_relation", "reason", "received_on"]

    def perform(self) -> LostCertificateRequest:
        return services.lost_request_record(actor=self.actor, **self.cleaned_data)


@admin.register(LostCertificateRequest)
class LostCertificateRequestAdmin(ServiceFormAdminMixin, ScopedAdmin):
    scope_station_path = "certificate__registration__station"
    add_form = LostRequestForm
    list_display = [
        "certificate",
        "applicant_name",
        "reason",
        "received_on",
        "recorded_by",
        "status",
        "processed_on",
        "outcome",
    ]
    list_filter = ["status", "received_on"]
    search_fields = ["certificate__number", "certificate__holder_name", "applicant_name"]
    list_select_related = ["certificate", "recorded_by", "new_certificate"]
    autocomplete_fields = ["certificate"]
    actions = ["process"]

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        initial = super().get_changeform_initial_data(request)
        initial.setdefault("received_on", clock.today())
        return initial

    @admin.display(description="办理结果")
    def outcome(self, obj: LostCertificateRequest) -> str:
        if obj.status == LostCertificateRequest.Status.REISSUED:
            return format_html("补发新证书 {}", obj.new_certificate.number)
        if obj.status == LostCertificateRequest.Status.PROOF:
            return _link(reverse("certificates:proof_pdf", args=[obj.pk]), f"证书信息证明 {obj.proof_number}")
        return "—"

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_process_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("certificates.change_lostcertificaterequest") and not request.user.station_id

    @admin.action(description="办理：目录内补发新证书，已退出目录的开具证书信息证明（今天）", permissions=["process"])
    def process(self, request: HttpRequest, queryset: QuerySet) -> None:
        today = clock.today()
        report_rows(
            self,
            request,
            queryset.select_related("certificate"),
            lambda r: services.lost_request_process(actor=request.user, request=r, processed_on=today),
            "办理遗失补办",
            lambda r: r.certificate.number,
        )


# --- the data audit before upload ---------------------------------------------------------------


class UploadItemInline(admin.TabularInline):
    model = UploadItem
    fields = ["certificate", "problems"]
    readonly_fields = ["certificate", "problems"]
    extra = 0
    max_num = 0
    can_delete = False

    def get_formset(self, request: HttpRequest, obj: Model | None = None, **kwargs: Any) -> Any:
        self._report = (
            selectors.audit_batch(obj) if obj is not None and obj.status == UploadBatch.Status.DRAFT else None
        )
        return super().get_formset(request, obj, **kwargs)

    @admin.display(description="审核发现的问题")
    def problems(self, obj: UploadItem) -> str:
        if self._report is None:
            return "已确认"
        found = self._report.problems.get(obj.pk, [])
        if not found:
            return "无"
        return format_html(
            '<ul style="color:#c62828;margin:0">{}</ul>', format_html_join("", "<li>{}</li>", ((p,) for p in found))
        )

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(UploadBatch)
class UploadBatchAdmin(CentreScopedAdmin):
    list_display = [
        "pk",
        "centre",
        "status",
        "item_total",
        "created_by",
        "created_on",
        "confirmed_by",
        "confirmed_on",
        "files",
    ]
    list_filter = ["status", "centre", "created_on"]
    search_fields = ["centre__name", "note", "items__certificate__number"]
    list_select_related = ["centre", "created_by", "confirmed_by"]
    readonly_fields = ["centre", "note", "created_by", "created_on", "status", "confirmed_by", "confirmed_on", "files"]
    inlines = [UploadItemInline]
    actions = ["confirm", "remove_problem_records"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        from django.db.models import Count

        return super().get_queryset(request).annotate(_items=Count("items"))

    @admin.display(description="证书数", ordering="_items")
    def item_total(self, obj: UploadBatch) -> int:
        return obj._items

    @admin.display(description="审核确认表与数据文件")
    def files(self, obj: UploadBatch) -> str:
        if obj.status != UploadBatch.Status.CONFIRMED:
            return "确认后生成"
        links = [
            (reverse("certificates:audit_form_pdf", args=[obj.pk]), "确认表PDF"),
            (reverse("certificates:audit_form_xlsx", args=[obj.pk]), "确认表XLSX"),
            (reverse("certificates:upload_data_file", args=[obj.pk]), "上报数据文件"),
        ]
        return format_html_join(" · ", '<a href="{}">{}</a>', links)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # grouped from the certificate list

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_confirm_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("certificates.confirm_uploadbatch")

    def has_remove_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("certificates.change_uploadbatch")

    @admin.action(description="审核确认（仅无问题数据的批次；确认后冻结）", permissions=["confirm"])
    def confirm(self, request: HttpRequest, queryset: QuerySet) -> None:
        today = clock.today()
        report_rows(
            self,
            request,
            queryset,
            lambda b: services.upload_batch_confirm(actor=request.user, batch=b, confirmed_on=today),
            "审核确认",
            lambda b: f"上报批次 #{b.pk}",
        )

    @admin.action(description="移出有问题的记录（更正后另行上报）", permissions=["remove"])
    def remove_problem_records(self, request: HttpRequest, queryset: QuerySet) -> None:
        report_rows(
            self,
            request,
            queryset,
            lambda b: services.upload_batch_remove_problems(actor=request_user(request), batch=b),
            "移出问题记录",
            lambda b: f"上报批次 #{b.pk}",
        )
