"""Registrations (报名): register by ID number, the list with its import and export, and
the bulk actions that carry the case (each row through its service, each refusal reported)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import widgets as admin_widgets
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import models, transaction
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.template.defaultfilters import date as date_filter
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html_join

from candidates.admin import RAW_INPUT_MAX_LENGTH, photo_tag
from candidates.models import Candidate
from candidates.selectors import notices_of
from candidates.validators import (
    mask_id_number,
    normalise_id_number,
    normalise_phone,
    validate_id_number,
    validate_phone,
)
from catalog.admin_scope import ScopedAdmin, request_user
from catalog.selectors import visible_stations
from kit import clock
from kit.admin import ListDisplay, report_rows
from kit.html import format_html

from .. import services
from ..admin_forms import RefundConfirmForm, ServiceForm, ServiceFormAdminMixin
from ..models import (
    ConsentForm,
    EligibilityReview,
    ExamResult,
    LateEntryApproval,
    Refund,
    Registration,
    Retake,
    SeatAssignment,
)
from ..registering import registration_accept_by_id_number
from ..views_io import RegistrationImportExportMixin, usable_approvals
from .shared import AnnouncedOccupationFilter, CaseReadOnlyInline, candidate_label, registrations_by_number


def masked_label(registration: Registration) -> str:
    """The candidate as named in a message: the name and the masked ID number, whoever
    reads it (messages are never the place for a full ID number)."""
    return str(registration.candidate)


class EligibilityReviewInline(CaseReadOnlyInline):
    model = EligibilityReview
    fields = ["review_date", "passed", "matched_route", "findings", "reviewer"]


class ConsentInline(CaseReadOnlyInline):
    model = ConsentForm
    fields = ["signed_date", "scan_state", "received_by", "archived_at"]

    @admin.display(description="自愿书扫描件")
    def scan_state(self, obj: ConsentForm) -> str:
        """Whether the scan is there: a consent recorded without it (登记已收到纸质自愿书)
        can never be certified until it is attached."""
        if obj.scan:
            return format_html(
                '已上传（<a href="{}" target="_blank" rel="noopener">查看扫描件</a>）',
                reverse("appraisals:consent_scan", args=[obj.pk]),
            )
        if obj.archived_at is not None:
            return "未上传（已归档，不能再上传）"
        return format_html(
            '<strong style="color:#c62828">未上传，不能发证</strong>（<a href="{}">上传扫描件</a>）',
            reverse("admin:appraisals_consentform_attach_scan", args=[obj.pk]),
        )


class SeatInline(CaseReadOnlyInline):
    model = SeatAssignment
    fields = ["session", "room", "seat_number", "ticket_number"]


class ResultInline(CaseReadOnlyInline):
    model = ExamResult
    fk_name = "registration"
    fields = [
        "attempt",
        "theory_score",
        "practical_score",
        "review_score",
        "passed",
        "entered_by",
        "confirmed_by",
        "published_on",
        "publicity_last_day",
    ]


class RetakeInline(CaseReadOnlyInline):
    model = Retake
    fields = ["requested_date", "parts", "session", "recorded_by"]


class RefundInline(CaseReadOnlyInline):
    model = Refund
    fields = ["amount", "refund_date", "method", "reason_kind", "reason", "recorded_by", "confirmed_by"]


def _candidate_field(name: str, **kwargs: Any) -> forms.Field:
    """The candidate model's own form field: label, help text, choices and validators."""
    field = Candidate._meta.get_field(name)
    formfield = field.formfield(**kwargs) if isinstance(field, models.Field) else None
    if formfield is None:
        raise ImproperlyConfigured(f"Candidate.{name} has no form field.")
    return formfield


# The person's fields the add form sets besides the ID number and the name.
REGISTRATION_CANDIDATE_FIELDS = [
    "phone",
    "education",
    "years_in_trade",
    "diploma",
    "prior_certificate_level",
    "prior_certificate_number",
    "prior_certificate_date",
]


class RegistrationForm(ServiceForm):
    """报名 by ID number: the clerk types the person rather than picking one among the
    people their station can see, so a person first entered at another station can be
    registered here, and a new person needs no separate page first.

    PIPL: nothing on record is shown or filled in, and the form answers the same for a
    known and an unknown ID number: the fields a new person needs are required of everyone,
    blank optional fields keep what is on record. The one exception is a name that differs
    from the record's, refused without showing it (a mistyped ID number is the likely cause).
    """

    id_number = forms.CharField(
        label="公民身份号码",
        max_length=RAW_INPUT_MAX_LENGTH["id_number"],
        help_text="18位第二代居民身份证号码；已在其他鉴定站登记过的考生也在此直接报名",
        widget=admin_widgets.AdminTextInputWidget(attrs={"autocomplete": "off"}),
    )
    name = _candidate_field("name", help_text="须与身份证上的姓名一致")
    phone = forms.CharField(
        label="手机号",
        max_length=RAW_INPUT_MAX_LENGTH["phone"],
        widget=admin_widgets.AdminTextInputWidget(attrs={"autocomplete": "off"}),
    )
    education = _candidate_field("education")
    # No initial 0: a value nobody typed would overwrite the years on record.
    years_in_trade = _candidate_field("years_in_trade", initial=None)
    diploma = forms.ChoiceField(
        label="学历证书类型",
        choices=[("", "---------"), *Candidate.Diploma.choices],
        required=False,
        help_text=Candidate._meta.get_field("diploma").help_text,
    )
    prior_certificate_level = _candidate_field("prior_certificate_level")
    prior_certificate_number = _candidate_field("prior_certificate_number")
    prior_certificate_date = _candidate_field("prior_certificate_date", widget=admin_widgets.AdminDateWidget)
    fee = forms.DecimalField(label="鉴定费（元）", required=False, help_text="留空则按公告的鉴定费")
    late_entry_approval = forms.ModelChoiceField(
        label="补录批准",
        queryset=LateEntryApproval.objects.none(),
        required=False,
        help_text="报名日期在最后受理日之内、但该日（及宽限期）已过才录入的，须选用指导中心审核员事先给出的补录批准。",
    )

    # The registration's rule on the person (the minimum age) is read from the ID number.
    service_error_fields = {"candidate": "id_number"}

    class Meta:
        model = Registration
        fields = ["announcement", "registration_date", "fee"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.actor is not None:
            approvals: forms.ModelChoiceField = self.fields["late_entry_approval"]  # type: ignore[assignment]
            approvals.queryset = usable_approvals(visible_stations(self.actor))

    def clean_id_number(self) -> str:
        id_number = normalise_id_number(self.cleaned_data["id_number"])
        validate_id_number(id_number)
        return id_number

    def clean_phone(self) -> str:
        phone = normalise_phone(self.cleaned_data["phone"])
        validate_phone(phone)
        return phone

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        # Checked on what was typed, not combined with the record, so that the answer
        # does not depend on what another station entered.
        if not data.get("prior_certificate_level") and (
            data.get("prior_certificate_number") or data.get("prior_certificate_date")
        ):
            self.add_error("prior_certificate_level", "填写了已有职业资格证书的编号或发证日期，就必须选择证书等级。")
        return data

    def perform(self) -> Registration:
        data = self.cleaned_data
        return registration_accept_by_id_number(
            actor=self.actor,
            id_number=data["id_number"],
            name=data["name"],
            announcement=data["announcement"],
            registration_date=data["registration_date"],
            fee=data.get("fee"),
            late_entry_approval=data.get("late_entry_approval"),
            **{name: data.get(name) for name in REGISTRATION_CANDIDATE_FIELDS},
        )


@admin.register(Registration)
class RegistrationAdmin(RegistrationImportExportMixin, ServiceFormAdminMixin, ScopedAdmin):
    # Import (upload → preview → confirm, large files in the background) and export (button
    # and action) need their own permissions; see appraisals.views_io and .exporting.
    scope_station_path = "station"
    add_form = RegistrationForm
    add_fieldsets = [
        (
            "考生",
            {
                "fields": ["id_number", "name", "phone"],
                "description": "按公民身份号码报名：输入考生的身份证号和信息，新考生同时登记。",
            },
        ),
        (
            "文化程度、工作年限与已有证书（选填）",
            {
                "fields": [
                    "education",
                    "years_in_trade",
                    "diploma",
                    "prior_certificate_level",
                    "prior_certificate_number",
                    "prior_certificate_date",
                ],
                "description": "报名时可以不填，留空的项不改动已登记的信息；"
                "资格审查时，申报条件需要而尚未填写的，系统会提示先补充。",
            },
        ),
        ("报名", {"fields": ["announcement", "registration_date", "fee", "late_entry_approval"]}),
    ]
    list_display = [
        "candidate_name",
        "masked_id_number",
        "occupation",
        "level",
        "station",
        "registration_date",
        "status_badge",
        "fee",
    ]
    list_filter = [
        "status",
        ("announcement__occupation", AnnouncedOccupationFilter),
        "announcement__level",
        "station",
        "registration_date",
        ("candidate__trainee_kind", admin.ChoicesFieldListFilter),
    ]
    search_fields = ["candidate__name__nameprefix"]
    search_help_text = "按姓名查找（全名或开头的字），或输入完整的公民身份号码、手机号精确查找"
    list_select_related = ["candidate", "announcement__occupation", "station"]
    autocomplete_fields = ["candidate", "announcement"]
    # No date_hierarchy: it reads the distinct dates of every listed row on each page (a
    # scan at a million registrations); the date filter on the side costs no query.
    list_per_page = 50
    inlines = [EligibilityReviewInline, ConsentInline, SeatInline, ResultInline, RetakeInline, RefundInline]
    actions = [
        "review_eligibility",
        "record_paper_consent",
        "submit_application",
        "withdraw_with_full_refund",
        "request_retake",
        "close_without_retake",
    ]

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> Any:
        if obj is not None:
            return [
                "candidate",
                "candidate_photo",
                "announcement",
                "station",
                "registration_date",
                "fee",
                "status",
                "application",
                "candidate_notices",
            ]
        return []

    def get_fieldsets(self, request: HttpRequest, obj: Model | None = None) -> Any:
        return self.add_fieldsets if obj is None else super().get_fieldsets(request, obj)

    def get_list_display(self, request: HttpRequest) -> ListDisplay:
        # A station's own clerk sees only their station: the column would repeat it on every row.
        columns = list(super().get_list_display(request))
        return [c for c in columns if c != "station"] if request_user(request).station_id else columns

    def has_add_permission(self, request: HttpRequest) -> bool:
        # The add form also enters or updates the person.
        return (
            super().has_add_permission(request)
            and request.user.has_perm("candidates.add_candidate")
            and request.user.has_perm("candidates.change_candidate")
        )

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        # A saved registration changes only through its steps (list actions, step pages):
        # its page has nothing to save, so it shows no save button.
        return obj is None and super().has_change_permission(request, obj)

    def get_inlines(self, request: HttpRequest, obj: Model | None) -> Any:
        return self.inlines if obj is not None else []  # a new registration has no case yet

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        initial: dict[str, Any] = super().get_changeform_initial_data(request)
        initial.setdefault("registration_date", clock.today())
        return initial

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str) -> tuple[QuerySet, bool]:
        """A whole ID number or mobile number matches exactly; other text searches names."""
        exact = registrations_by_number(queryset, search_term)
        if exact is not None:
            return exact, False
        return super().get_search_results(request, queryset, search_term)

    @admin.display(description="告知考生的短信")
    def candidate_notices(self, obj: Registration) -> str:
        # Read-only: the sweep and the services send them; the number is not shown here.
        rows = [
            (
                date_filter(n.created_at, "Y-m-d H:i"),
                n.get_event_display(),
                n.text,
                "已发送" if n.sent_at else "待发送",
            )
            for n in notices_of(obj.candidate)
        ]
        if not rows:
            return "尚未发送"
        return format_html(
            '<table class="candidate-notices"><thead><tr><th>时间</th><th>事项</th><th>内容</th><th>状态</th></tr>'
            "</thead><tbody>{}</tbody></table>",
            format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", rows),
        )

    @admin.display(description="考生照片")
    def candidate_photo(self, obj: Registration) -> str:
        # From the candidate's own view, which answers whoever may see this case.
        return photo_tag(obj.candidate, height=120)

    @admin.display(description="姓名", ordering="candidate__name")
    def candidate_name(self, obj: Registration) -> str:
        return obj.candidate.name

    @admin.display(description="公民身份号码")
    def masked_id_number(self, obj: Registration) -> str:
        # The list is masked for everyone; the full number is on the candidate's own page.
        return mask_id_number(obj.candidate.id_number)

    @admin.display(description="职业（工种）", ordering="announcement__occupation__name")
    def occupation(self, obj: Registration) -> str:
        return obj.announcement.occupation.name

    @admin.display(description="等级", ordering="announcement__level")
    def level(self, obj: Registration) -> str:
        return obj.announcement.get_level_display()

    @admin.display(description="状态", ordering="status")
    def status_badge(self, obj: Registration) -> str:
        colours: dict[str, str] = {
            Registration.Status.PASSED: "#2e7d32",
            Registration.Status.FAILED: "#c62828",
            Registration.Status.INELIGIBLE: "#c62828",
            Registration.Status.WITHDRAWN: "#757575",
            Registration.Status.CLOSED: "#757575",
            Registration.Status.RETAKE: "#ef6c00",
        }
        return format_html(
            '<span style="color:{};font-weight:600">{}</span>',
            colours.get(obj.status, "#1565c0"),
            obj.get_status_display(),
        )

    def _label(self, request: HttpRequest) -> Callable[[Registration], str]:
        return lambda registration: candidate_label(registration)

    @admin.action(description="资格审查（按申报条件自动判定，审查日期为今天）", permissions=["change"])
    def review_eligibility(self, request: HttpRequest, queryset: QuerySet) -> None:
        """Reports who passed and who did not (with the reason) apart: a review that finds a
        candidate ineligible has still been done, but it is not a “success” to the clerk."""
        actor = request_user(request)
        today = clock.today()
        passed: list[Registration] = []
        failed: list[str] = []
        refused: list[str] = []
        for registration in queryset.select_related("candidate"):
            try:
                with transaction.atomic():
                    review = services.eligibility_review(actor=actor, registration=registration, review_date=today)
            except ValidationError as error:
                refused.append(f"【{masked_label(registration)}：{'；'.join(error.messages)}】")
                continue
            if review.passed:
                passed.append(registration)
            else:
                failed.append(f"{masked_label(registration)}：{review.findings}")
        if passed or failed:
            summary = f"资格审查：通过 {len(passed)} 人，未通过 {len(failed)} 人"
            if failed:
                summary += "（" + "；".join(failed) + "）"
            self.message_user(request, summary + "。", messages.WARNING if failed else messages.SUCCESS)
        if refused:
            self.message_user(request, f"资格审查：拒绝 {len(refused)} 条。" + " ".join(refused), messages.ERROR)

    @admin.action(description="登记已收到纸质自愿书（签署日期为今天）", permissions=["change"])
    def record_paper_consent(self, request: HttpRequest, queryset: QuerySet) -> None:
        actor = request_user(request)
        today = clock.today()
        report_rows(
            self,
            request,
            queryset.select_related("candidate"),
            lambda r: services.consent_record(actor=actor, registration=r, signed_date=today),
            "登记自愿书",
            self._label(request),
        )

    @admin.action(description="向指导中心提交鉴定申请（按鉴定站各提交一份）", permissions=["change"])
    def submit_application(self, request: HttpRequest, queryset: QuerySet) -> None:
        actor = request_user(request)
        today = clock.today()
        by_station: dict[Any, list[Registration]] = defaultdict(list)
        for registration in queryset.select_related("station", "candidate"):
            by_station[registration.station].append(registration)
        report_rows(
            self,
            request,
            by_station.items(),
            lambda item: services.application_submit(
                actor=actor, station=item[0], registrations=item[1], submitted_date=today
            ),
            "提交鉴定申请",
            lambda item: f"{item[0]}（{len(item[1])}人）",
        )

    @admin.action(description="放弃鉴定并退费（先确认金额与原因）", permissions=["change"])
    def withdraw_with_full_refund(self, request: HttpRequest, queryset: QuerySet) -> TemplateResponse | None:
        """A confirmation page first (Django's action pattern, as for deleting): the cases
        selected, each with the amount to refund (the fee paid, editable, not above it), the
        date, method and reason. Only 确认退费 runs the service; cancelling changes nothing."""
        selected = list(queryset.select_related("candidate", "announcement__occupation").order_by("pk"))
        # Said at once rather than after the clerk has typed a reason: the service would refuse.
        too_late = [r for r in selected if r.status not in Registration.BEFORE_EXAM]
        for registration in too_late:
            self.message_user(
                request,
                f"{masked_label(registration)}的报名当前状态为“{registration.get_status_display()}”，不能放弃鉴定并退费。",
                messages.ERROR,
            )
        open_cases = [r for r in selected if r not in too_late]
        if not open_cases:
            return None
        confirming = "confirm_refund" in request.POST
        form = RefundConfirmForm(request.POST if confirming else None, registrations=open_cases, today=clock.today())
        if confirming and form.is_valid():
            actor = request_user(request)
            report_rows(
                self,
                request,
                open_cases,
                lambda r: services.registration_withdraw(actor=actor, registration=r, refund=form.terms(r)),
                "放弃并退费",
                masked_label,
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "确认放弃鉴定并退费",
            "subtitle": None,
            "opts": self.model._meta,
            "form": form,
            "rows": [(r, masked_label(r), field) for r, field in form.rows()],
            "media": self.media + form.media,
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
            "action": "withdraw_with_full_refund",
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "appraisals/refund_confirmation.html", context)

    @admin.action(description="考生自愿申请补考（只补不合格科目）", permissions=["change"])
    def request_retake(self, request: HttpRequest, queryset: QuerySet) -> None:
        actor = request_user(request)
        today = clock.today()
        report_rows(
            self,
            request,
            queryset.select_related("candidate"),
            lambda r: services.retake_request(actor=actor, registration=r, requested_date=today),
            "申请补考",
            self._label(request),
        )

    @admin.action(description="不参加补考，结案", permissions=["change"])
    def close_without_retake(self, request: HttpRequest, queryset: QuerySet) -> None:
        actor = request_user(request)
        report_rows(
            self,
            request,
            queryset.select_related("candidate"),
            lambda r: services.registration_close(actor=actor, registration=r),
            "结案",
            self._label(request),
        )
