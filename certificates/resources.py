"""Certificates out as CSV or XLSX: the same machinery, headers and formula escaping as the
registration export (appraisals.exporting), scoped by the admin's queryset."""

from __future__ import annotations

from typing import Any

from import_export import fields, resources, widgets

from appraisals.exporting import PersonalDataResourceMixin

from .models import Certificate


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
