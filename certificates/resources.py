"""Certificates out as CSV or XLSX: the same machinery, headers and formula escaping as the
registration export (appraisals.exporting), scoped by the admin's queryset."""

from __future__ import annotations

from typing import Any

from import_export import fields, resources, widgets

from appraisals.exporting import EscapingResourceMixin, PersonalDataResourceMixin
from kit import clock

from .models import Certificate, ConsentArchive


class CertificateExportResource(PersonalDataResourceMixin, resources.ModelResource):
    number = fields.Field(column_name="证书编号", attribute="number")
    name = fields.Field(column_name="姓名", attribute="holder_name")
    id_number = fields.Field(column_name="身份证号")
    occupation = fields.Field(column_name="职业", attribute="occupation__name")
    level = fields.Field(column_name="等级")
    issue_date = fields.Field(column_name="发证日期", attribute="issue_date", widget=widgets.DateWidget("%Y-%m-%d"))
    centre = fields.Field(column_name="发证机构", attribute="centre__name")
    station = fields.Field(column_name="鉴定站", attribute="registration__station__name")
    status = fields.Field(column_name="状态")

    class Meta:
        model = Certificate
        fields = ("number", "name", "id_number", "occupation", "level", "issue_date", "centre", "station", "status")
        export_order = fields

    @classmethod
    def get_display_name(cls) -> str:
        return "证书"

    def get_queryset(self) -> Any:
        return Certificate.objects.select_related("occupation", "centre", "registration__station")

    def dehydrate_id_number(self, obj: Certificate) -> str:
        return self.shown_id_number(obj.holder_id_number)

    def dehydrate_level(self, obj: Certificate) -> str:
        return obj.get_level_display()

    def dehydrate_status(self, obj: Certificate) -> str:
        return obj.get_status_display()


class ConsentArchiveExportResource(EscapingResourceMixin, resources.ModelResource):
    """The consent archive register as CSV/XLSX: one row per signed form, by centre. No ID
    or phone column: the register identifies the case by registration number and name."""

    centre = fields.Field(column_name="指导中心", attribute="registration__station__centre__name")
    station = fields.Field(column_name="鉴定站", attribute="registration__station__name")
    registration = fields.Field(column_name="报名编号", attribute="registration_id")
    name = fields.Field(column_name="姓名", attribute="registration__candidate__name")
    occupation = fields.Field(column_name="职业", attribute="registration__announcement__occupation__name")
    case_status = fields.Field(column_name="案件状态")
    signed_date = fields.Field(column_name="签署日期", attribute="signed_date", widget=widgets.DateWidget("%Y-%m-%d"))
    scan = fields.Field(column_name="扫描件")
    archived = fields.Field(column_name="归档状态")
    archived_at = fields.Field(column_name="归档日期")
    archived_by = fields.Field(column_name="归档人", attribute="archived_by__username")
    scan_sha256 = fields.Field(column_name="扫描件SHA-256", attribute="scan_sha256")

    class Meta:
        model = ConsentArchive
        fields = (
            "centre",
            "station",
            "registration",
            "name",
            "occupation",
            "case_status",
            "signed_date",
            "scan",
            "archived",
            "archived_at",
            "archived_by",
            "scan_sha256",
        )
        export_order = fields

    def __init__(self, user: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)  # the register has no personal numbers: the user changes nothing

    @classmethod
    def get_display_name(cls) -> str:
        return "自愿书归档登记簿"

    def get_queryset(self) -> Any:
        return ConsentArchive.objects.select_related(
            "registration__station__centre", "registration__candidate", "registration__announcement__occupation"
        )

    def dehydrate_case_status(self, obj: ConsentArchive) -> str:
        return obj.registration.get_status_display()

    def dehydrate_scan(self, obj: ConsentArchive) -> str:
        return "有" if obj.scan else "无"

    def dehydrate_archived(self, obj: ConsentArchive) -> str:
        return "已归档" if obj.archived_at else "未归档"

    def dehydrate_archived_at(self, obj: ConsentArchive) -> str:
        return f"{clock.local_day(obj.archived_at):%Y-%m-%d}" if obj.archived_at else ""
