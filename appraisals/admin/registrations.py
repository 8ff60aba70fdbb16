"""The clerk's screens. Display only: every change goes through ``appraisals.services``,
from add forms (``ServiceForm``) and from bulk actions that report each row."""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import widgets as admin_widgets
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html

from candidates.admin import RAW_INPUT_MAX_LENGTH, CandidateAdmin
from candidates.models import Candidate
from candidates.services import candidate_upsert
from candidates.validators import (
    ID_NUMBER_SHAPE,
    PHONE_SHAPE,
    mask_id_number,
    normalise_id_number,
    normalise_phone,
    validate_id_number,
    validate_phone,
)
from catalog.admin_scope import ScopedAdmin, ScopedAdminMixin
from catalog.selectors import visible_stations
from kit import clock
from kit.permissions import FULL_ID_PERMISSION

from .. import services
from ..admin_forms import ServiceForm, ServiceFormAdminMixin
from ..importing import job_with_live_progress
from ..models import (
    AppraisalApplication,
    ConsentForm,
    EligibilityReview,
    ExamAnnouncement,
    ExamResult,
    ExamRoom,
    ExamSession,
    ImportJob,
    Refund,
    Registration,
    Retake,
    ScoreAmendment,
    SeatAssignment,
    SkillLevelReferral,
    TraineeToRoute,
)
from ..selectors import trainees_to_route
from ..views_io import RegistrationImportExportMixin, import_job_link, progress_bar


def candidate_label(registration: Registration, request: HttpRequest | None = None) -> str:
    candidate = registration.candidate
    if request is not None and request.user.has_perm(FULL_ID_PERMISSION):
        return f"{candidate.name}（{candidate.id_number}）"
    return f"{candidate.name}（{mask_id_number(candidate.id_number)}）"


def report_rows(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    rows: Iterable[Any],
    act: Callable[[Any], Any],
    verb: str,
    label: Callable[[Any], str],
) -> None:
    """Run ``act`` on each row in its own transaction and tell the clerk, in Chinese,
    which rows succeeded and which were refused and why."""
    done, refused = 0, []
    for row in rows:
        try:
            with transaction.atomic():
                act(row)
            done += 1
        except ValidationError as error:
            refused.append(f"{label(row)}：{'；'.join(error.messages)}")
    if done:
        modeladmin.message_user(request, f"{verb}：成功 {done} 条。", messages.SUCCESS)
    if refused:
        modeladmin.message_user(
            request, f"{verb}：拒绝 {len(refused)} 条。" + " ".join(f"【{r}】" for r in refused), messages.ERROR
        )


class CaseReadOnlyInline(admin.TabularInline):
    """One part of the case shown on the registration's page; changed only by services."""

    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = True

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> Any:
        return self.fields

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class EligibilityReviewInline(CaseReadOnlyInline):
    model = EligibilityReview
    fields = ["review_date", "passed", "matched_route", "findings", "reviewer"]


class ConsentInline(CaseReadOnlyInline):
    model = ConsentForm
    fields = ["signed_date", "scan", "received_by", "archived_at"]


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
    fields = ["amount", "refund_date", "method", "reason", "recorded_by"]


# --- announcements -------------------------------------------------------------------------


class AnnouncementForm(ServiceForm):
    class Meta:
        model = ExamAnnouncement
        fields = ["station", "occupation", "level", "title", "publish_date", "fee"]

    def perform(self) -> ExamAnnouncement:
        data = self.cleaned_data
        return services.announcement_publish(
            actor=self.actor,
            station=data["station"],
            occupation=data["occupation"],
            level=data["level"],
            publish_date=data["publish_date"],
            title=data["title"],
            fee=data["fee"],
        )


@admin.register(ExamAnnouncement)
class ExamAnnouncementAdmin(ServiceFormAdminMixin, ScopedAdmin):
    scope_station_path = "station"
    add_form = AnnouncementForm
    list_display = ["occupation", "level", "station", "publish_date", "fee", "registration_count"]
    list_filter = ["level", "station", ("occupation", admin.RelatedOnlyFieldListFilter), "publish_date"]
    search_fields = ["occupation__name", "title", "station__name"]
    list_select_related = ["occupation", "station"]
    autocomplete_fields = ["station", "occupation"]
    date_hierarchy = "publish_date"

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> Any:
        # Once published, what the rules were checked against stays as it was.
        if obj is not None:
            return ["station", "occupation", "level", "publish_date", "published_by"]
        return []

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        initial = super().get_changeform_initial_data(request)
        initial.setdefault("publish_date", clock.today())
        if request.user.station_id:
            initial.setdefault("station", request.user.station_id)
        return initial

    @admin.display(description="报名人数")
    def registration_count(self, obj: ExamAnnouncement) -> int:
        return obj.registrations.count()


# --- registrations ---------------------------------------------------------------------------


class AnnouncedOccupationFilter(admin.RelatedFieldListFilter):
    """The occupations announced at the user's stations, read from the announcements (a
    few thousand rows) rather than from the rows listed (registrations, certificates: a
    million)."""

    def field_choices(self, field: Any, request: HttpRequest, model_admin: Any) -> Any:
        announced = ExamAnnouncement.objects.filter(station__in=visible_stations(request.user).values("pk"))
        ordering = self.field_admin_ordering(field, request, model_admin)
        return field.get_choices(
            include_blank=False, limit_choices_to={"pk__in": announced.values("occupation")}, ordering=ordering
        )


def _candidate_field(name: str, **kwargs: Any) -> forms.Field:
    """The candidate model's own form field: label, help text, choices and validators."""
    return Candidate._meta.get_field(name).formfield(**kwargs)


def _name_key(name: str) -> str:
    """A name as compared with the record: full-width forms and spaces do not count."""
    return "".join(unicodedata.normalize("NFKC", name).split())


NAME_MISMATCH = "姓名与该公民身份号码已登记的姓名不一致，请核对公民身份号码和姓名。"
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

    # The registration's rule on the person (the minimum age) is read from the ID number.
    service_error_fields = {"candidate": "id_number"}

    class Meta:
        model = Registration
        fields = ["announcement", "registration_date", "fee"]

    def clean_id_number(self) -> str:
        id_number = normalise_id_number(self.cleaned_data["id_number"])
        validate_id_number(id_number)
        return id_number

    def clean_phone(self) -> str:
        phone = normalise_phone(self.cleaned_data["phone"])
        validate_phone(phone)
        return phone

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        # Checked on what was typed, not combined with the record, so that the answer
        # does not depend on what another station entered.
        if not data.get("prior_certificate_level") and (
            data.get("prior_certificate_number") or data.get("prior_certificate_date")
        ):
            self.add_error("prior_certificate_level", "填写了已有职业资格证书的编号或发证日期，就必须选择证书等级。")
        return data

    def perform(self) -> Registration:
        """Save the person (new, or brought up to date) and register them, together: a
        refused registration leaves the person as they were."""
        data = self.cleaned_data
        with transaction.atomic():
            candidate = self._save_candidate(data)
            return services.registration_accept(
                actor=self.actor,
                candidate=candidate,
                announcement=data["announcement"],
                registration_date=data["registration_date"],
                fee=data.get("fee"),
            )

    def _save_candidate(self, data: dict[str, Any]) -> Candidate:
        # Only what was typed: a blank optional field keeps the value on record (a new
        # person gets the model's default).
        fields = {name: data[name] for name in REGISTRATION_CANDIDATE_FIELDS if data.get(name) not in (None, "")}
        name = data["name"]
        known = Candidate.objects.select_for_update().filter(id_number=data["id_number"]).first()
        if known is not None:
            if _name_key(known.name) != _name_key(name):
                raise ValidationError({"name": NAME_MISMATCH})
            name = known.name  # the record's spelling stays
        return candidate_upsert(actor=self.actor, id_number=data["id_number"], name=name, **fields)


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
                "fields": ["id_number", "name", "phone", "education", "years_in_trade"],
                "description": "按公民身份号码报名：输入考生的身份证号和信息，新考生同时登记。",
            },
        ),
        (
            "学历与已有证书（选填）",
            {
                "fields": ["diploma", "prior_certificate_level", "prior_certificate_number", "prior_certificate_date"],
                "description": "留空的项不改动已登记的信息。",
            },
        ),
        ("报名", {"fields": ["announcement", "registration_date", "fee"]}),
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
    search_fields = ["candidate__name"]
    search_help_text = "按姓名查找，或输入完整的公民身份号码、手机号精确查找"
    list_select_related = ["candidate", "announcement__occupation", "station"]
    autocomplete_fields = ["candidate", "announcement"]
    # No date_hierarchy: it reads the distinct dates of every listed row on each page (a
    # scan at a million registrations); the date filter on the side costs no query.
    # A filtered page counts its rows once, not also the whole scope (a second scan).
    show_full_result_count = False
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
            return ["candidate", "announcement", "station", "registration_date", "fee", "status", "application"]
        return []

    def get_fieldsets(self, request: HttpRequest, obj: Model | None = None) -> Any:
        return self.add_fieldsets if obj is None else super().get_fieldsets(request, obj)

    def get_list_display(self, request: HttpRequest) -> list[str]:
        # A station's own clerk sees only their station: the column would repeat it on every row.
        columns = list(super().get_list_display(request))
        return [c for c in columns if c != "station"] if request.user.station_id else columns

    def has_add_permission(self, request: HttpRequest) -> bool:
        # The add form also enters or updates the person.
        return (
            super().has_add_permission(request)
            and request.user.has_perm("candidates.add_candidate")
            and request.user.has_perm("candidates.change_candidate")
        )

    def get_inlines(self, request: HttpRequest, obj: Model | None) -> Any:
        return self.inlines if obj is not None else []  # a new registration has no case yet

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        initial = super().get_changeform_initial_data(request)
        initial.setdefault("registration_date", clock.today())
        return initial

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str) -> tuple[QuerySet, bool]:
        """A whole ID number or mobile number matches exactly; other text searches names."""
        id_number = normalise_id_number(search_term)
        if ID_NUMBER_SHAPE.fullmatch(id_number):
            return queryset.filter(candidate__id_number=id_number), False
        phone = normalise_phone(search_term)
        if PHONE_SHAPE.fullmatch(phone):
            return queryset.filter(candidate__phone=phone), False
        return super().get_search_results(request, queryset, search_term)

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
        colours = {
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
        return lambda registration: candidate_label(registration, request)

    @admin.action(description="资格审查（按申报条件自动判定，审查日期为今天）", permissions=["change"])
    def review_eligibility(self, request: HttpRequest, queryset: QuerySet) -> None:
        today = clock.today()
        report_rows(
            self,
            request,
            queryset.select_related("candidate"),
            lambda r: services.eligibility_review(actor=request.user, registration=r, review_date=today),
            "资格审查",
            self._label(request),
        )

    @admin.action(description="登记已收到纸质自愿书（签署日期为今天）", permissions=["change"])
    def record_paper_consent(self, request: HttpRequest, queryset: QuerySet) -> None:
        today = clock.today()
        report_rows(
            self,
            request,
            queryset.select_related("candidate"),
            lambda r: services.consent_record(actor=request.user, registration=r, signed_date=today),
            "登记自愿书",
            self._label(request),
        )

    @admin.action(description="向指导中心提交鉴定申请（按鉴定站各提交一份）", permissions=["change"])
    def submit_application(self, request: HttpRequest, queryset: QuerySet) -> None:
        today = clock.today()
        by_station: dict[Any, list[Registration]] = defaultdict(list)
        for registration in queryset.select_related("station", "candidate"):
            by_station[registration.station].append(registration)
        report_rows(
            self,
            request,
            by_station.items(),
            lambda item: services.application_submit(
                actor=request.user, station=item[0], registrations=item[1], submitted_date=today
            ),
            "提交鉴定申请",
            lambda item: f"{item[0]}（{len(item[1])}人）",
        )

    @admin.action(description="放弃鉴定并全额退费（原路退回）", permissions=["change"])
    def withdraw_with_full_refund(self, request: HttpRequest, queryset: QuerySet) -> None:
        today = clock.today()
        report_rows(
            self,
            request,
            queryset.select_related("candidate"),
            lambda r: services.registration_withdraw(
                actor=request.user,
                registration=r,
                refund=services.RefundTerms(
                    amount=r.fee, refund_date=today, method=Refund.Method.ORIGINAL, reason="考生自愿放弃"
                ),
            ),
            "放弃并退费",
            self._label(request),
        )

    @admin.action(description="考生自愿申请补考（只补不合格科目）", permissions=["change"])
    def request_retake(self, request: HttpRequest, queryset: QuerySet) -> None:
        today = clock.today()
        report_rows(
            self,
            request,
            queryset.select_related("candidate"),
            lambda r: services.retake_request(actor=request.user, registration=r, requested_date=today),
            "申请补考",
            self._label(request),
        )

    @admin.action(description="不参加补考，结案", permissions=["change"])
    def close_without_retake(self, request: HttpRequest, queryset: QuerySet) -> None:
        report_rows(
            self,
            request,
            queryset.select_related("candidate"),
            lambda r: services.registration_close(actor=request.user, registration=r),
            "结案",
            self._label(request),
        )


# --- eligibility, consent ---------------------------------------------------------------------


class EligibilityReviewForm(ServiceForm):
    class Meta:
        model = EligibilityReview
        fields = ["registration", "review_date", "findings"]

    def perform(self) -> EligibilityReview:
        data = self.cleaned_data
        return services.eligibility_review(
            actor=self.actor,
            registration=data["registration"],
            review_date=data["review_date"],
            findings=data["findings"],
        )


@admin.register(EligibilityReview)
class EligibilityReviewAdmin(ServiceFormAdminMixin, ScopedAdmin):
    scope_station_path = "registration__station"
    add_form = EligibilityReviewForm
    list_display = ["registration", "review_date", "passed", "matched_route", "reviewer"]
    list_filter = ["passed", "review_date"]
    search_fields = ["registration__candidate__name"]
    list_select_related = [
        "registration__candidate",
        "registration__announcement__occupation",
        "matched_route",
        "reviewer",
    ]
    autocomplete_fields = ["registration"]

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)


class ConsentFormForm(ServiceForm):
    class Meta:
        model = ConsentForm
        fields = ["registration", "signed_date", "scan"]

    def perform(self) -> ConsentForm:
        data = self.cleaned_data
        return services.consent_record(
            actor=self.actor, registration=data["registration"], signed_date=data["signed_date"], scan=data.get("scan")
        )


@admin.register(ConsentForm)
class ConsentFormAdmin(ServiceFormAdminMixin, ScopedAdmin):
    scope_station_path = "registration__station"
    add_form = ConsentFormForm
    list_display = ["registration", "signed_date", "received_by", "archived_at"]
    list_filter = ["signed_date", "archived_at"]
    search_fields = ["registration__candidate__name"]
    list_select_related = ["registration__candidate", "registration__announcement__occupation", "received_by"]
    autocomplete_fields = ["registration"]

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False  # archived with the certificate materials, never deleted


# --- applications -------------------------------------------------------------------------------


@admin.register(AppraisalApplication)
class AppraisalApplicationAdmin(ScopedAdmin):
    scope_station_path = "station"
    list_display = ["station", "centre", "submitted_date", "status", "registration_total", "decided_date", "decided_by"]
    list_filter = ["status", "station", "centre", "submitted_date"]
    search_fields = ["station__name", "station__code"]
    list_select_related = ["station", "centre", "decided_by"]
    readonly_fields = ["station", "centre", "submitted_date", "submitted_by", "status", "decided_date", "decided_by"]
    actions = ["approve", "reject"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # submitted from the registration list, through the service

    def has_approve_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("appraisals.approve_appraisalapplication")

    @admin.display(description="报名人数")
    def registration_total(self, obj: AppraisalApplication) -> int:
        return obj.registrations.count()

    @admin.action(description="批准（审批日期为今天）", permissions=["approve"])
    def approve(self, request: HttpRequest, queryset: QuerySet) -> None:
        today = clock.today()
        report_rows(
            self,
            request,
            queryset,
            lambda a: services.application_decide(actor=request.user, application=a, approve=True, decided_date=today),
            "批准鉴定申请",
            str,
        )

    @admin.action(description="退回（须在审批意见中写明理由）", permissions=["approve"])
    def reject(self, request: HttpRequest, queryset: QuerySet) -> None:
        today = clock.today()
        report_rows(
            self,
            request,
            queryset,
            lambda a: services.application_decide(
                actor=request.user, application=a, approve=False, decided_date=today, note=a.decision_note
            ),
            "退回鉴定申请",
            str,
        )


# --- sessions, seats ---------------------------------------------------------------------------


class RoomInline(admin.TabularInline):
    model = ExamRoom
    extra = 1


class ExamSessionForm(ServiceForm):
    class Meta:
        model = ExamSession
        fields = [
            "application",
            "kind",
            "occupation",
            "level",
            "date",
            "start_time",
            "end_time",
            "place",
            "region",
            "paper_id",
            "examiners",
            "supervisor",
            "offsite_approval",
            "offsite_approved_by",
        ]

    def perform(self) -> ExamSession:
        data = dict(self.cleaned_data)
        return services.session_schedule(actor=self.actor, rooms=(), **data)


@admin.register(ExamSession)
class ExamSessionAdmin(ServiceFormAdminMixin, ScopedAdmin):
    scope_station_path = "application__station"
    add_form = ExamSessionForm
    list_display = [
        "occupation",
        "level",
        "kind",
        "date",
        "start_time",
        "place",
        "station",
        "held",
        "seat_total",
        "tickets",
    ]
    list_filter = ["kind", "held", "level", ("occupation", admin.RelatedOnlyFieldListFilter), "date"]
    search_fields = ["place", "occupation__name", "paper_id"]
    list_select_related = ["occupation", "application__station"]
    autocomplete_fields = ["application", "occupation", "region", "supervisor"]
    filter_horizontal = ["examiners"]
    inlines = [RoomInline]
    actions = ["assign_seats", "hold", "publish_results"]
    date_hierarchy = "date"

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> Any:
        if obj is not None:  # what the rules were checked against stays as it was
            return [
                "application",
                "kind",
                "occupation",
                "level",
                "date",
                "start_time",
                "end_time",
                "region",
                "examiners",
                "supervisor",
                "offsite_approval",
                "offsite_approved_by",
                "held",
            ]
        return []

    @admin.display(description="鉴定站")
    def station(self, obj: ExamSession) -> str:
        return str(obj.application.station)

    @admin.display(description="已编排")
    def seat_total(self, obj: ExamSession) -> int:
        return obj.seats.count()

    @admin.display(description="准考证")
    def tickets(self, obj: ExamSession) -> str:
        try:
            url = reverse("appraisals:session_tickets", args=[obj.pk])
        except NoReverseMatch:
            return "—"
        return format_html('<a href="{}">下载</a>', url)

    @admin.action(description="自动编排考场座位", permissions=["change"])
    def assign_seats(self, request: HttpRequest, queryset: QuerySet) -> None:
        report_rows(
            self, request, queryset, lambda s: services.seats_assign(actor=request.user, session=s), "编排座位", str
        )

    @admin.action(description="登记考试已举行", permissions=["change"])
    def hold(self, request: HttpRequest, queryset: QuerySet) -> None:
        report_rows(
            self, request, queryset, lambda s: services.session_hold(actor=request.user, session=s), "登记举行", str
        )

    @admin.action(description="公示已复核的成绩（公示日期为今天）", permissions=["change"])
    def publish_results(self, request: HttpRequest, queryset: QuerySet) -> None:
        today = clock.today()
        report_rows(
            self,
            request,
            queryset,
            lambda s: services.results_publish(actor=request.user, session=s, published_on=today),
            "公示成绩",
            str,
        )


@admin.register(SeatAssignment)
class SeatAssignmentAdmin(ScopedAdmin):
    scope_station_path = "registration__station"
    list_display = ["ticket_number", "registration", "session", "room", "seat_number"]
    search_fields = ["ticket_number", "registration__candidate__name"]
    list_select_related = [
        "registration__candidate",
        "registration__announcement__occupation",
        "session__occupation",
        "room",
    ]
    list_filter = ["session__date"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # seats are assigned by the session's action

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


# --- results --------------------------------------------------------------------------------------


class ExamResultForm(ServiceForm):
    class Meta:
        model = ExamResult
        fields = ["registration", "theory_score", "practical_score", "review_score"]

    def perform(self) -> ExamResult:
        data = self.cleaned_data
        return services.result_enter(
            actor=self.actor,
            registration=data["registration"],
            theory_score=data["theory_score"],
            practical_score=data["practical_score"],
            review_score=data["review_score"],
        )


@admin.register(ExamResult)
class ExamResultAdmin(ServiceFormAdminMixin, ScopedAdmin):
    scope_station_path = "registration__station"
    add_form = ExamResultForm
    list_display = [
        "registration",
        "attempt",
        "theory_score",
        "practical_score",
        "review_score",
        "passed",
        "entered_by",
        "confirmed_by",
        "publicity_last_day",
    ]
    list_filter = ["attempt", "passed", ("confirmed_at", admin.EmptyFieldListFilter), "published_on"]
    search_fields = ["registration__candidate__name"]
    list_select_related = [
        "registration__candidate",
        "registration__announcement__occupation",
        "entered_by",
        "confirmed_by",
    ]
    autocomplete_fields = ["registration"]
    actions = ["confirm"]

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        # Scores change only through a new entry before confirmation or an amendment after.
        return obj is None and super().has_change_permission(request, obj)

    def has_confirm_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("appraisals.confirm_examresult")

    @admin.action(description="复核确认成绩（须由录入人以外的人操作）", permissions=["confirm"])
    def confirm(self, request: HttpRequest, queryset: QuerySet) -> None:
        report_rows(
            self,
            request,
            queryset.select_related("registration__candidate"),
            lambda r: services.result_confirm(actor=request.user, result=r),
            "复核确认",
            lambda r: candidate_label(r.registration, request),
        )


class ScoreAmendmentForm(ServiceForm):
    field = forms.ChoiceField(label="更正项目", choices=list(services.SCORE_FIELDS.items()))

    class Meta:
        model = ScoreAmendment
        fields = ["result", "field", "new_value", "reason"]

    def perform(self) -> ScoreAmendment:
        data = self.cleaned_data
        return services.result_amend(
            actor=self.actor,
            result=data["result"],
            field=data["field"],
            new_value=data["new_value"],
            reason=data["reason"],
        )


@admin.register(ScoreAmendment)
class ScoreAmendmentAdmin(ServiceFormAdminMixin, ScopedAdmin):
    scope_station_path = "result__registration__station"
    add_form = ScoreAmendmentForm
    list_display = ["result", "field", "old_value", "new_value", "reason", "amended_by", "amended_at"]
    search_fields = ["result__registration__candidate__name", "reason"]
    list_select_related = ["result__registration__candidate", "amended_by"]
    autocomplete_fields = ["result"]

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)


# --- retake, refund --------------------------------------------------------------------------------


@admin.register(Retake)
class RetakeAdmin(ScopedAdmin):
    scope_station_path = "registration__station"
    list_display = ["registration", "requested_date", "parts", "session", "recorded_by"]
    list_filter = ["parts", "requested_date"]
    search_fields = ["registration__candidate__name"]
    list_select_related = [
        "registration__candidate",
        "registration__announcement__occupation",
        "session",
        "recorded_by",
    ]
    autocomplete_fields = ["session"]
    readonly_fields = ["registration", "requested_date", "parts", "recorded_by"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # requested from the registration list

    def save_model(self, request: HttpRequest, obj: Retake, form: forms.ModelForm, change: bool) -> None:
        if "session" in form.changed_data and obj.session is not None:
            services.retake_assign_session(actor=request.user, retake=obj, session=obj.session)


class RefundForm(ServiceForm):
    class Meta:
        model = Refund
        fields = ["registration", "amount", "refund_date", "method", "reason"]

    def perform(self) -> Refund:
        data = self.cleaned_data
        return services.registration_withdraw(
            actor=self.actor,
            registration=data["registration"],
            refund=services.RefundTerms(
                amount=data["amount"] or Decimal("0"),
                refund_date=data["refund_date"],
                method=data["method"],
                reason=data["reason"],
            ),
        )


@admin.register(Refund)
class RefundAdmin(ServiceFormAdminMixin, ScopedAdmin):
    scope_station_path = "registration__station"
    add_form = RefundForm
    list_display = ["registration", "amount", "refund_date", "method", "reason", "recorded_by"]
    list_filter = ["method", "refund_date"]
    search_fields = ["registration__candidate__name"]
    list_select_related = ["registration__candidate", "registration__announcement__occupation", "recorded_by"]
    autocomplete_fields = ["registration"]

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)


# --- students and apprentices to route to skill level recognition ----------------------------


@admin.register(TraineeToRoute)
class TraineeToRouteAdmin(CandidateAdmin):
    """A work list: trainees whose occupation exits before they can finish."""

    list_display = ["name", "masked_id_number", "trainee_kind", "school_or_enterprise", "routing", "refer_link"]
    list_filter = ["trainee_kind"]
    actions = None

    def get_list_display(self, request: HttpRequest) -> list[str]:
        return self.list_display  # masked columns only, whatever the user's permissions

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        scoped = super().get_queryset(request)
        pending = {item.candidate.pk for item in trainees_to_route(scoped)}
        return scoped.filter(pk__in=pending)

    def _routing(self, obj: Candidate) -> list[Any]:
        return trainees_to_route(Candidate.objects.filter(pk=obj.pk))

    @admin.display(description="职业与时限")
    def routing(self, obj: Candidate) -> str:
        return "；".join(
            f"{item.occupation}：鉴定须于 {item.completion_deadline:%Y-%m-%d} 前完成，"
            f"预计 {item.expected_finish_date:%Y-%m-%d} 毕（结）业"
            for item in self._routing(obj)
        )

    @admin.display(description="办理")
    def refer_link(self, obj: Candidate) -> str:
        items = self._routing(obj)
        if not items:
            return "—"
        url = reverse("admin:appraisals_skilllevelreferral_add")
        return format_html(
            '<a href="{}?candidate={}&occupation={}&referred_on={}">登记转介</a>',
            url,
            obj.pk,
            items[0].occupation.pk,
            clock.today().isoformat(),
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class ReferralForm(ServiceForm):
    class Meta:
        model = SkillLevelReferral
        fields = ["candidate", "occupation", "referred_on", "referred_to", "note"]

    def perform(self) -> SkillLevelReferral:
        return services.referral_record(actor=self.actor, **self.cleaned_data)


@admin.register(SkillLevelReferral)
class SkillLevelReferralAdmin(ServiceFormAdminMixin, ScopedAdmin):
    add_form = ReferralForm
    list_display = ["candidate", "occupation", "referred_on", "referred_to", "referred_by"]
    list_filter = ["referred_on", ("occupation", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["candidate__name", "referred_to"]
    list_select_related = ["candidate", "occupation", "referred_by"]
    autocomplete_fields = ["candidate", "occupation"]

    def scope_queryset(self, request: HttpRequest, qs: QuerySet) -> QuerySet:
        candidates = self.admin_site._registry[Candidate].get_queryset(request)
        return qs.filter(candidate__in=candidates.values("pk"))

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)


# --- registration imports ----------------------------------------------------------------------------


@admin.register(ImportJob)
class ImportJobAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """Background imports of registration files: who, which station, progress, outcome.
    Created by the registration list's import; read here, never edited."""

    scope_station_path = "station"
    list_display = ["created_at", "file_name", "station", "user", "status", "progress", "outcome"]
    list_filter = ["status", "created_at"]
    list_select_related = ["station", "user"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False  # the record of an upload; its file is removed when the job ends

    @admin.display(description="文件", ordering="original_name")
    def file_name(self, obj: ImportJob) -> str:
        return import_job_link(obj)

    @admin.display(description="进度")
    def progress(self, obj: ImportJob) -> str:
        return progress_bar(job_with_live_progress(obj))

    @admin.display(description="结果")
    def outcome(self, obj: ImportJob) -> str:
        report = obj.report or {}
        if report.get("problem"):
            return report["problem"]
        if obj.status == ImportJob.Status.REFUSED:
            return f"{report.get('error_total', 0)} 处错误，未保存"
        if obj.status == ImportJob.Status.DONE:
            verb = "可新增" if report.get("dry_run") else "新增"
            created, unchanged = report.get("registrations_created", 0), report.get("registrations_unchanged", 0)
            return f"{verb}报名 {created} 条，未变更 {unchanged} 条"
        return "—"
