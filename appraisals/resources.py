"""django-import-export resources for registrations.

Import: django-import-export's admin flow (upload → preview → confirm) around the engine
in ``appraisals.importing``. The library checks and saves row by row (one query per
foreign key per row, a savepoint per row); the engine checks every row first and saves
in bulk. So ``RegistrationImportResource.import_data`` hands the whole dataset to the
engine and translates its report into the library's ``Result``: refused rows become the
preview's “invalid rows” with the same Chinese (row, column, value, rule) as the command
prints; on a clean file the preview shows the first rows and what will happen to them.

Export: ``RegistrationExportResource`` writes the import template's columns first (so an
export by someone allowed to see full ID numbers imports back unchanged), then the
registration's own; every cell goes through ``escape_formula``.
"""

from __future__ import annotations

from typing import Any

import tablib
from django.core.exceptions import ValidationError
from import_export import fields, resources, widgets
from import_export.formats.base_formats import Format
from import_export.results import InvalidRow, Result, RowResult

from catalog.models import Station, User

from .exporting import PersonalDataResourceMixin
from .importing import LABELS, ImportReport, RegistrationImporter, open_table
from .models import LateEntryApproval, Registration

ACTION_HEADER = "处理"


class RegistrationFileFormat(Format):
    """One format for the import form: CSV (UTF-8, UTF-8 with BOM, GB18030/GBK) or XLSX,
    told apart by the file's first bytes, so the clerk chooses nothing."""

    def __init__(self, encoding: str | None = None) -> None:
        self.encoding = encoding  # the library passes one; the file's own is detected

    def get_title(self) -> str:
        return "CSV 或 XLSX（自动识别）"

    def create_dataset(self, in_stream: bytes) -> tablib.Dataset:
        table = open_table(in_stream)
        try:
            headers = ["" if h is None else str(h) for h in table.headers]
            dataset = tablib.Dataset(headers=headers)
            width = len(headers)
            for row in table.rows:
                row = list(row)[:width]
                dataset.append(row + [None] * (width - len(row)))
        finally:
            table.close()
        dataset.jianding_source = table.source
        return dataset

    def is_binary(self) -> bool:
        return True

    def get_read_mode(self) -> str:
        return "rb"

    def get_extension(self) -> str:
        return "csv"

    def can_import(self) -> bool:
        return True


class RegistrationImportResource(resources.Resource):
    """The import template's columns, imported by the engine for one station."""

    name = fields.Field(column_name=LABELS["name"])
    id_number = fields.Field(column_name=LABELS["id_number"])
    phone = fields.Field(column_name=LABELS["phone"])
    occupation = fields.Field(column_name=LABELS["occupation"])
    level = fields.Field(column_name=LABELS["level"])
    registration_date = fields.Field(column_name=LABELS["registration_date"])
    education = fields.Field(column_name=LABELS["education"])
    years_in_trade = fields.Field(column_name=LABELS["years_in_trade"])
    prior_certificate_level = fields.Field(column_name=LABELS["prior_certificate_level"])
    prior_certificate_number = fields.Field(column_name=LABELS["prior_certificate_number"])
    prior_certificate_date = fields.Field(column_name=LABELS["prior_certificate_date"])
    diploma = fields.Field(column_name=LABELS["diploma"])
    trainee_kind = fields.Field(column_name=LABELS["trainee_kind"])
    school_or_enterprise = fields.Field(column_name=LABELS["school_or_enterprise"])
    training_plan = fields.Field(column_name=LABELS["training_plan"])
    expected_finish_date = fields.Field(column_name=LABELS["expected_finish_date"])
    plan_occupation = fields.Field(column_name=LABELS["plan_occupation"])

    def __init__(
        self,
        station: Station | None = None,
        actor: User | None = None,
        late_entry_approval: LateEntryApproval | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.station = station
        self.actor = actor
        self.late_entry_approval = late_entry_approval

    @classmethod
    def get_display_name(cls) -> str:
        return "报名"

    def import_data(
        self,
        dataset: tablib.Dataset,
        dry_run: bool = False,
        raise_errors: bool = False,
        use_transactions: bool | None = None,
        collect_failed_rows: bool = False,
        rollback_on_validation_errors: bool = False,
        **kwargs: Any,
    ) -> Result:
        """Check (dry run: the preview) or check and save (the confirm step) with the
        engine. The engine keeps its own transaction: all rows or none."""
        if self.station is None:
            raise ValueError("导入报名必须指定鉴定站。")
        importer = RegistrationImporter(
            station=self.station,
            actor=kwargs.get("user") or self.actor,
            late_entry_approval=self.late_entry_approval,
        )
        report = importer.run(
            dataset.headers or [],
            iter(dataset),
            dry_run=dry_run,
            source=getattr(dataset, "jianding_source", ""),
            file_name=kwargs.get("file_name") or "",
        )
        return report_to_result(report)


def report_to_result(report: ImportReport) -> Result:
    """The engine's report in the shape the library's preview template shows."""
    result = Result()
    result.jianding_report = report
    result.diff_headers = [ACTION_HEADER, *report.columns]
    result.total_rows = report.rows
    problems = report.errors_by_row()
    if report.problem:
        problems.setdefault(1, [])
    for number, errors in problems.items():
        messages: dict[str, list[str]] = {}
        for error in errors:
            shown = f"“{error.value}”：" if error.value else ""
            messages.setdefault(error.column, []).append(f"{shown}{error.rule}")
        if number == 1 and report.problem:
            messages.setdefault("文件", []).append(report.problem)
        values = report.error_values.get(number, [""] * len(report.columns))
        result.invalid_rows.append(InvalidRow(number, ValidationError(messages), ("拒绝", *values)))
        result.totals[RowResult.IMPORT_TYPE_INVALID] += 1
    if not result.invalid_rows:
        for line in report.preview:
            row = RowResult()
            row.import_type = RowResult.IMPORT_TYPE_NEW if line["action"] == "新增报名" else RowResult.IMPORT_TYPE_SKIP
            row.diff = [f"第{line['row']}行 {line['action']}", *line["values"]]
            result.append_row_result(row)
        result.totals[RowResult.IMPORT_TYPE_NEW] = report.registrations_created
        result.totals[RowResult.IMPORT_TYPE_SKIP] = report.registrations_unchanged
    return result


# --- export ------------------------------------------------------------------------------------------


class RegistrationExportResource(PersonalDataResourceMixin, resources.ModelResource):
    """Registrations as the import template's columns, then the case's own."""

    name = fields.Field(column_name=LABELS["name"], attribute="candidate__name")
    id_number = fields.Field(column_name=LABELS["id_number"])
    phone = fields.Field(column_name=LABELS["phone"])
    occupation = fields.Field(column_name=LABELS["occupation"], attribute="announcement__occupation__name")
    level = fields.Field(column_name=LABELS["level"])
    registration_date = fields.Field(
        column_name=LABELS["registration_date"], attribute="registration_date", widget=widgets.DateWidget("%Y-%m-%d")
    )
    education = fields.Field(column_name=LABELS["education"])
    years_in_trade = fields.Field(column_name=LABELS["years_in_trade"], attribute="candidate__years_in_trade")
    prior_certificate_level = fields.Field(column_name=LABELS["prior_certificate_level"])
    prior_certificate_number = fields.Field(
        column_name=LABELS["prior_certificate_number"], attribute="candidate__prior_certificate_number"
    )
    prior_certificate_date = fields.Field(
        column_name=LABELS["prior_certificate_date"],
        attribute="candidate__prior_certificate_date",
        widget=widgets.DateWidget("%Y-%m-%d"),
    )
    diploma = fields.Field(column_name=LABELS["diploma"])
    trainee_kind = fields.Field(column_name=LABELS["trainee_kind"])
    school_or_enterprise = fields.Field(
        column_name=LABELS["school_or_enterprise"], attribute="candidate__school_or_enterprise"
    )
    training_plan = fields.Field(column_name=LABELS["training_plan"], attribute="candidate__training_plan")
    expected_finish_date = fields.Field(
        column_name=LABELS["expected_finish_date"],
        attribute="candidate__expected_finish_date",
        widget=widgets.DateWidget("%Y-%m-%d"),
    )
    plan_occupation = fields.Field(column_name=LABELS["plan_occupation"], attribute="candidate__plan_occupation__name")
    station = fields.Field(column_name="鉴定站")
    status = fields.Field(column_name="状态")
    fee = fields.Field(column_name="鉴定费（元）", attribute="fee", widget=widgets.DecimalWidget())
    reported_at = fields.Field(
        column_name="上报市鉴定中心时间", attribute="reported_at", widget=widgets.DateTimeWidget("%Y-%m-%d %H:%M")
    )

    class Meta:
        model = Registration
        fields = (
            "name",
            "id_number",
            "phone",
            "occupation",
            "level",
            "registration_date",
            "education",
            "years_in_trade",
            "prior_certificate_level",
            "prior_certificate_number",
            "prior_certificate_date",
            "diploma",
            "trainee_kind",
            "school_or_enterprise",
            "training_plan",
            "expected_finish_date",
            "plan_occupation",
            "station",
            "status",
            "fee",
            "reported_at",
        )
        export_order = fields

    @classmethod
    def get_display_name(cls) -> str:
        return "报名"

    def get_queryset(self) -> Any:
        return Registration.objects.select_related("candidate__plan_occupation", "announcement__occupation", "station")

    def dehydrate_id_number(self, obj: Registration) -> str:
        return self.shown_id_number(obj.candidate.id_number)

    def dehydrate_phone(self, obj: Registration) -> str:
        return self.shown_phone(obj.candidate.phone)

    def dehydrate_level(self, obj: Registration) -> str:
        return obj.announcement.get_level_display()

    def dehydrate_education(self, obj: Registration) -> str:
        return obj.candidate.get_education_display()

    def dehydrate_prior_certificate_level(self, obj: Registration) -> str:
        return obj.candidate.get_prior_certificate_level_display()

    def dehydrate_diploma(self, obj: Registration) -> str:
        # “无” is said (blank means not entered), so that the file imports back the same.
        return obj.candidate.get_diploma_display()

    def dehydrate_trainee_kind(self, obj: Registration) -> str:
        return obj.candidate.get_trainee_kind_display() if obj.candidate.trainee_kind != "none" else ""

    def dehydrate_station(self, obj: Registration) -> str:
        return str(obj.station)

    def dehydrate_status(self, obj: Registration) -> str:
        return obj.get_status_display()
