"""The certificate list: validity, PDF, revocation, export, grouping into upload batches."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from appraisals.admin.shared import AnnouncedOccupationFilter
from appraisals.admin_forms import ServiceForm, ServiceFormAdminMixin
from appraisals.exporting import ScopedExportAdminMixin
from candidates.validators import ID_NUMBER_SHAPE, normalise_id_number
from catalog.admin_scope import ScopedAdmin, request_user
from catalog.selectors import exit_dates
from kit import clock
from kit.admin import report_rows, whole_list_action
from kit.html import format_html

from .. import selectors, services
from ..models import Certificate
from ..resources import CertificateExportResource
from .shared import CUT, link, short_centre_name, short_level


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
    scope_station_path = "station"
    export_resource_classes = [CertificateExportResource]
    # Fits 1366 px beside the menu and the filters, one line a row: short labels, the
    # level's number only, ISO dates, the centre's place name (its code heads the
    # certificate number anyway), a long occupation cut, no ID number column (the
    # certificate's page shows it masked; a whole ID number typed in the search box finds
    # the certificates).
    list_display = [
        "number",
        "holder",
        "short_occupation",
        "short_level",
        "short_issue_date",
        "short_centre",
        "validity",
        "pdf",
    ]
    list_filter = ["status", "centre", "level", ("occupation", AnnouncedOccupationFilter), "issue_date"]
    search_fields = ["number__startswith", "holder_name__nameprefix"]
    search_help_text = "按证书编号、姓名查找（全部或开头部分），或输入完整的公民身份号码精确查找"
    list_select_related = ["occupation", "centre"]
    readonly_fields = CERTIFICATE_FIELDS
    # No date_hierarchy: a scan of the distinct dates on every page; the date filter costs nothing.
    actions = ["add_to_upload_batch"]

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        # The validity column reads exit dates: those kept between requests, not a rule book per page.
        self._exit_dates = exit_dates()
        return super().changelist_view(request, extra_context)

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str) -> Any:
        id_number = normalise_id_number(search_term)
        if ID_NUMBER_SHAPE.fullmatch(id_number):
            return queryset.filter(holder_id_number=id_number), False
        return super().get_search_results(request, queryset, search_term)

    @admin.display(description="公民身份号码")
    def masked_id(self, obj: Certificate) -> str:
        return obj.masked_id_number

    @admin.display(description="姓名", ordering="holder_name")
    def holder(self, obj: Certificate) -> str:
        return obj.holder_name

    @admin.display(description="职业（工种）", ordering="occupation__name")
    def short_occupation(self, obj: Certificate) -> str:
        # A long name is cut at seven characters (the whole name is the tooltip).
        return format_html('<span style="{}" title="{}">{}</span>', CUT, obj.occupation.name, obj.occupation.name)

    @admin.display(description="等级", ordering="level")
    def short_level(self, obj: Certificate) -> str:
        return short_level(obj.get_level_display())

    @admin.display(description="发证日期", ordering="issue_date")
    def short_issue_date(self, obj: Certificate) -> str:
        return f"{obj.issue_date:%Y-%m-%d}"

    @admin.display(description="发证机构", ordering="centre__name")
    def short_centre(self, obj: Certificate) -> str:
        return format_html('<span title="{}">{}</span>', obj.centre.name, short_centre_name(obj.centre.name))

    @admin.display(description="效力")
    def validity(self, obj: Certificate) -> str:
        validity = selectors.certificate_validity(obj, clock.today(), exit_dates=getattr(self, "_exit_dates", None))
        colour = {"valid": "#2e7d32", "valid_exited": "#8d6e00", "voided": "#c62828"}[validity.kind]
        label = "有效·已退出" if validity.kind == "valid_exited" else validity.label
        return format_html(
            '<span style="color:{};font-weight:600" title="{}">{}</span>',
            colour,
            validity.note or validity.label,
            label,
        )

    @admin.display(description="证书PDF")
    def pdf(self, obj: Certificate) -> str:
        return link(reverse("certificates:certificate_pdf", args=[obj.pk]), "下载")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # issued only by approving a batch

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        # The change form is only the revocation of a valid certificate.
        if obj is not None:
            return (
                isinstance(obj, Certificate)
                and obj.is_valid
                and self.has_revoke_permission(request)
                and self.in_scope(request, obj)
            )
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
    @whole_list_action
    def add_to_upload_batch(self, request: HttpRequest, queryset: QuerySet) -> None:
        actor = request_user(request)
        by_centre: dict[Any, list[Certificate]] = {}
        for certificate in queryset.select_related("centre"):
            by_centre.setdefault(certificate.centre, []).append(certificate)
        report_rows(
            self,
            request,
            by_centre.items(),
            lambda item: services.upload_batch_create(
                actor=actor, centre=item[0], certificates=item[1], created_on=clock.today()
            ),
            "组成上报批次",
            lambda item: f"{item[0]}（{len(item[1])}本）",
        )
