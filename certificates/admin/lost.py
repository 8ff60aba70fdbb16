"""Lost-certificate requests: recorded, then processed (reissue or a proof of the certificate)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.urls import reverse

from appraisals.admin_forms import ServiceForm, ServiceFormAdminMixin
from catalog.admin_scope import ScopedAdmin, request_user
from kit import clock
from kit.admin import report_rows
from kit.html import format_html

from .. import services
from ..models import LostCertificateRequest
from .shared import link


class LostRequestForm(ServiceForm):
    class Meta:
        model = LostCertificateRequest
        fields = ["certificate", "applicant_name", "applicant_relation", "reason", "received_on"]

    def perform(self) -> LostCertificateRequest:
        return services.lost_request_record(actor=self.actor, **self.cleaned_data)


@admin.register(LostCertificateRequest)
class LostCertificateRequestAdmin(ServiceFormAdminMixin, ScopedAdmin):
    scope_station_path = "certificate__station"
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
    search_fields = ["certificate__number", "certificate__holder_name__nameprefix", "applicant_name"]
    list_select_related = ["certificate", "recorded_by", "new_certificate"]
    autocomplete_fields = ["certificate"]
    actions = ["process"]

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        initial: dict[str, Any] = super().get_changeform_initial_data(request)
        initial.setdefault("received_on", clock.today())
        return initial

    @admin.display(description="办理结果")
    def outcome(self, obj: LostCertificateRequest) -> str:
        # A reissued request always has its new certificate (constraint lost_request_outcome_recorded).
        if obj.status == LostCertificateRequest.Status.REISSUED and obj.new_certificate is not None:
            return format_html("补发新证书 {}", obj.new_certificate.number)
        if obj.status == LostCertificateRequest.Status.PROOF:
            return link(reverse("certificates:proof_pdf", args=[obj.pk]), f"证书信息证明 {obj.proof_number}")
        return "—"

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_process_permission(self, request: HttpRequest) -> bool:
        user = request_user(request)
        return user.has_perm("certificates.change_lostcertificaterequest") and not user.station_id

    @admin.action(description="办理：目录内补发新证书，已退出目录的开具证书信息证明（今天）", permissions=["process"])
    def process(self, request: HttpRequest, queryset: QuerySet) -> None:
        actor, today = request_user(request), clock.today()
        report_rows(
            self,
            request,
            queryset.select_related("certificate"),
            lambda r: services.lost_request_process(actor=actor, request=r, processed_on=today),
            "办理遗失补办",
            lambda r: r.certificate.number,
        )
