"""The case's steps around the exam: eligibility reviews, consent forms, appraisal
applications to the guidance centre, retakes and refunds."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse

from catalog.admin_scope import ScopedAdmin, request_user
from kit import clock
from kit.admin import report_rows
from kit.html import format_html

from .. import services
from ..admin_forms import ConsentScanForm, ServiceForm, ServiceFormAdminMixin
from ..models import AppraisalApplication, ConsentForm, EligibilityReview, Refund, Retake

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
    search_fields = ["registration__candidate__name__nameprefix"]
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
    scope_station_path = "station"
    add_form = ConsentFormForm
    list_display = ["registration", "signed_date", "scan_state", "received_by", "archived_at"]
    list_filter = ["signed_date", ("scan", admin.EmptyFieldListFilter), "archived_at"]
    search_fields = ["registration__candidate__name__nameprefix"]
    list_select_related = ["registration__candidate", "registration__announcement__occupation", "received_by"]
    autocomplete_fields = ["registration"]

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False  # archived with the certificate materials, never deleted

    def get_urls(self) -> list[URLPattern]:
        attach = self.admin_site.admin_view(self.attach_scan_view)
        return [
            path("<int:object_id>/scan/", attach, name="appraisals_consentform_attach_scan"),
            *super().get_urls(),
        ]

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> Any:
        return ["scan_state"] if obj is not None else []

    def get_fields(self, request: HttpRequest, obj: Model | None = None) -> Any:
        if obj is None:
            return super().get_fields(request, obj)
        return ["registration", "signed_date", "scan_state", "received_by", "archived_at"]

    @admin.display(description="扫描件")
    def scan_state(self, obj: ConsentForm) -> str:
        if obj.scan:
            return format_html(
                '<a href="{}" target="_blank" rel="noopener">已上传</a>',
                reverse("appraisals:consent_scan", args=[obj.pk]),
            )
        if obj.archived_at is not None:
            return "未上传（已归档）"
        return format_html(
            '<span style="color:#c62828">未上传</span>（<a href="{}">上传</a>）',
            reverse("admin:appraisals_consentform_attach_scan", args=[obj.pk]),
        )

    def attach_scan_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        """Attach the scan to a consent recorded without one (登记已收到纸质自愿书): one file,
        through ``services.consent_attach_scan``, which refuses a second scan and an archived
        form with its own message."""
        consent = self.get_object(request, str(object_id))
        if consent is None or not self.has_view_or_change_permission(request, consent):
            return self._get_obj_does_not_exist_redirect(request, self.opts, str(object_id))
        may_attach = request.user.has_perm("appraisals.change_consentform")
        form = ConsentScanForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and may_attach and form.is_valid():
            try:
                services.consent_attach_scan(
                    actor=request_user(request), consent=consent, scan=form.cleaned_data["scan"]
                )
            except ValidationError as error:
                form.add_error(None, error.messages)
            else:
                self.message_user(request, f"已上传{consent}的扫描件。", messages.SUCCESS)
                return redirect("admin:appraisals_registration_change", consent.registration_id)
        context = {
            **self.admin_site.each_context(request),
            "title": "上传自愿书扫描件",
            "subtitle": str(consent),
            "opts": self.opts,
            "consent": consent,
            "form": form if may_attach else None,
            "media": self.media + form.media,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "appraisals/consent_attach_scan.html", context)


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
        actor = request_user(request)
        today = clock.today()
        report_rows(
            self,
            request,
            queryset,
            lambda a: services.application_decide(actor=actor, application=a, approve=True, decided_date=today),
            "批准鉴定申请",
            str,
        )

    @admin.action(description="退回（须在审批意见中写明理由）", permissions=["approve"])
    def reject(self, request: HttpRequest, queryset: QuerySet) -> None:
        actor = request_user(request)
        today = clock.today()
        report_rows(
            self,
            request,
            queryset,
            lambda a: services.application_decide(
                actor=actor, application=a, approve=False, decided_date=today, note=a.decision_note
            ),
            "退回鉴定申请",
            str,
        )


# --- retake, refund --------------------------------------------------------------------------------


@admin.register(Retake)
class RetakeAdmin(ScopedAdmin):
    scope_station_path = "registration__station"
    list_display = ["registration", "requested_date", "parts", "session", "recorded_by"]
    list_filter = ["parts", "requested_date"]
    search_fields = ["registration__candidate__name__nameprefix"]
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
            services.retake_assign_session(actor=request_user(request), retake=obj, session=obj.session)


class RefundForm(ServiceForm):
    class Meta:
        model = Refund
        fields = ["registration", "amount", "refund_date", "method", "reason_kind", "reason"]

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
                reason_kind=data["reason_kind"],
            ),
        )


@admin.register(Refund)
class RefundAdmin(ServiceFormAdminMixin, ScopedAdmin):
    scope_station_path = "registration__station"
    add_form = RefundForm
    list_display = [
        "registration",
        "amount",
        "refund_date",
        "method",
        "reason_kind",
        "reason",
        "recorded_by",
        "confirmed_by",
        "confirmed_at",
    ]
    list_filter = ["method", "reason_kind", ("confirmed_at", admin.EmptyFieldListFilter), "refund_date"]
    search_fields = ["registration__candidate__name__nameprefix"]
    list_select_related = [
        "registration__candidate",
        "registration__announcement__occupation",
        "recorded_by",
        "confirmed_by",
    ]
    autocomplete_fields = ["registration"]
    actions = ["confirm"]

    def has_verify_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("appraisals.verify_refund")

    @admin.action(description="复核确认退费（须由经办人以外的另一人确认）", permissions=["verify"])
    def confirm(self, request: HttpRequest, queryset: QuerySet) -> None:
        actor = request_user(request)
        report_rows(
            self, request, queryset, lambda r: services.refund_confirm(actor=actor, refund=r), "复核确认退费", str
        )

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)
