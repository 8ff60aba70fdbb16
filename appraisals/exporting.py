"""Files out: lists as CSV or XLSX with the same headers, limited to the user's stations,
and the municipal report that Xiamen's stations send to the municipal appraisal centre
(厦人社〔2020〕141号).

The pieces are generic so that other apps reuse them (certificates will):

- ``escape_formula``: the one function every export path passes its text cells through;
- ``EscapingResourceMixin``: a django-import-export resource whose every cell is escaped;
- ``ScopedExportAdminMixin``: an admin's export button and action, allowed only to holders
  of ``<app>.export_<model>``, rows from the admin's scoped queryset, CSV (UTF-8 with BOM,
  which Excel opens correctly) and XLSX.

To export certificates: add ``("export_certificate", "导出证书")`` to the model's
``Meta.permissions``, write a ``CertificateExportResource(EscapingResourceMixin,
ModelResource)`` and put ``ScopedExportAdminMixin`` first in the admin's bases with
``export_resource_classes = [CertificateExportResource]``.
"""

from __future__ import annotations

import datetime
import io
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_permission_codename
from django.db.models import Count, Q, QuerySet, Sum
from django.http import HttpRequest
from import_export.admin import ExportActionMixin
from import_export.formats import base_formats
from import_export.forms import ExportForm
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from candidates.validators import mask_id_number, mask_phone
from catalog.models import SkillLevel, Station, User
from catalog.selectors import visible_stations
from kit import audit, clock
from kit.permissions import FULL_ID_PERMISSION

from .models import Refund, Registration

# What a spreadsheet takes for the start of a formula (OWASP “CSV injection”): = + - @,
# and a tab or carriage return, which some programs skip before looking for one.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def escape_formula(value: Any) -> Any:
    """A text cell that a spreadsheet would run as a formula gets a leading single quote,
    so Excel and WPS show it as text. Numbers and dates are left as they are. Every
    export path (admin exports, the municipal report) passes its cells through here;
    django-import-export's own setting only strips a leading “=”, and only in the admin."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def unescape_formula(value: Any) -> Any:
    """The reverse, for files coming back in: an exported list imports unchanged."""
    if isinstance(value, str) and value.startswith("'") and value[1:2] and value[1] in FORMULA_TRIGGERS:
        return value[1:]
    return value


if TYPE_CHECKING:
    # For the type checker the mixin is a Resource (it is only ever mixed into one).
    from import_export.resources import Resource as _ResourceBase
else:
    _ResourceBase = object


class EscapingResourceMixin(_ResourceBase):
    """For a django-import-export resource: every exported cell and header is escaped."""

    def export_field(self, field: Any, instance: Any, **kwargs: Any) -> Any:
        return escape_formula(super().export_field(field, instance, **kwargs))

    def get_export_headers(self, selected_fields: Any = None) -> list[str]:
        return [escape_formula(h) for h in super().get_export_headers(selected_fields)]


class PersonalDataResourceMixin(EscapingResourceMixin):
    """An escaped export of personal data: full ID and phone numbers only for holders of
    the full-number permission (PIPL: sensitive personal information); everyone else gets
    the masked forms the admin shows them."""

    def __init__(self, user: User | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.full_numbers = bool(user is not None and user.has_perm(FULL_ID_PERMISSION))

    def shown_id_number(self, number: str) -> str:
        return number if self.full_numbers else mask_id_number(number)

    def shown_phone(self, phone: str) -> str:
        return phone if self.full_numbers else mask_phone(phone)


class ScopedExportAdminMixin(ExportActionMixin):
    """Export button and action for a ``ScopedAdmin``: only for holders of the model's
    ``export`` permission (django-import-export lets every admin user in by default), rows
    from the admin's own queryset (so scoped to the user's stations, with the list's
    filters and search), CSV and XLSX with the same headers."""

    export_resource_classes: list[type] = []
    to_encoding = "utf-8-sig"  # Excel on a Chinese Windows reads a CSV without BOM as GBK
    show_change_form_export = False
    # The same columns every time (the library's field picker labels fields in English).
    export_form_class = ExportForm

    def has_export_permission(self, request: HttpRequest) -> bool:
        opts = self.opts
        return request.user.has_perm(f"{opts.app_label}.{get_permission_codename('export', opts)}")

    def get_export_resource_classes(self, request: HttpRequest) -> list[type]:
        return self.export_resource_classes

    def get_export_formats(self) -> list[type]:
        return [base_formats.CSV, base_formats.XLSX]

    def get_export_resource_kwargs(self, request: HttpRequest, **kwargs: Any) -> dict[str, Any]:
        return {"user": request.user}

    def get_export_filename(self, request: HttpRequest, queryset: QuerySet, file_format: Any) -> str:
        # ASCII: the header carries it unencoded; the date tells the copies apart.
        return f"{self.opts.model_name}-{clock.today():%Y%m%d}.{file_format.get_extension()}"

    def get_export_data(self, file_format: Any, request: HttpRequest, queryset: QuerySet, **kwargs: Any) -> Any:
        data = super().get_export_data(file_format, request, queryset, **kwargs)
        resources = self.get_export_resource_classes(request)
        personal = any(issubclass(resource, PersonalDataResourceMixin) for resource in resources)
        if personal and request.user.has_perm(FULL_ID_PERMISSION):
            audit.record(
                request,
                action=audit.EXPORT,
                subject=f"{self.opts.verbose_name_plural}导出 {queryset.count()} 条（{file_format.get_title()}）",
                reason="导出含完整身份证号和手机号的数据",
            )
        return data

    def get_valid_export_item_pks(self, request: HttpRequest) -> Any:
        # Selected rows are re-read through the scoped queryset; the library's default
        # (every row of the table, deprecated) would also load other stations' ids.
        return self.get_queryset(request).values_list("pk", flat=True)


# --- the municipal report ------------------------------------------------------------------------


@dataclass(frozen=True)
class MunicipalLine:
    station_code: str
    station_name: str
    occupation: str
    level: str
    registrations: int
    withdrawn: int
    unreported: int
    refunds: int = 0
    refunded: Decimal = Decimal("0")
    refunds_unconfirmed: int = 0

    @property
    def level_label(self) -> str:
        return SkillLevel(self.level).label


def municipal_registrations(
    user: User, start: datetime.date, end: datetime.date, station: Station | None = None
) -> QuerySet[Registration]:
    """The registrations of the user's stations (or of one of them) dated in the range,
    both days included."""
    stations = visible_stations(user)
    if station is not None:
        stations = stations.filter(pk=station.pk)
    return Registration.objects.filter(station__in=stations.values("pk"), registration_date__range=(start, end))


def municipal_lines(registrations: QuerySet[Registration]) -> list[MunicipalLine]:
    """Counts per station, occupation and level, in catalog order (one query)."""
    rows = (
        registrations.values(
            "station__code",
            "station__name",
            "announcement__occupation__name",
            "announcement__occupation__annex_position",
            "announcement__level",
        )
        .annotate(
            total=Count("pk"),
            withdrawn=Count("pk", filter=Q(status=Registration.Status.WITHDRAWN)),
            unreported=Count("pk", filter=Q(reported_at__isnull=True)),
            refunds=Count("refund"),
            refunded=Sum("refund__amount"),
            refunds_unconfirmed=Count("refund", filter=Q(refund__confirmed_at__isnull=True)),
        )
        .order_by(
            "station__code",
            "announcement__occupation__annex_position",
            "announcement__occupation__name",
            "-announcement__level",
        )
    )
    return [
        MunicipalLine(
            row["station__code"],
            row["station__name"],
            row["announcement__occupation__name"],
            row["announcement__level"],
            row["total"],
            row["withdrawn"],
            row["unreported"],
            row["refunds"],
            row["refunded"] or Decimal("0"),
            row["refunds_unconfirmed"],
        )
        for row in rows
    ]


MUNICIPAL_HEADERS = [
    "序号",
    "鉴定站编码",
    "鉴定站（所）",
    "职业（工种）",
    "等级",
    "报名人数",
    "其中已放弃（退费）",
    "其中首次上报",
    "退费笔数",
    "退费金额（元）",
    "其中待复核确认",
]

REFUND_HEADERS = [
    "序号",
    "鉴定站（所）",
    "报名编号",
    "姓名",
    "职业（工种）",
    "退费日期",
    "退费金额（元）",
    "退费方式",
    "退费原因",
    "原因说明",
    "经办人",
    "复核确认人",
]


def municipal_report_xlsx(
    lines: list[MunicipalLine],
    *,
    start: datetime.date,
    end: datetime.date,
    prepared_by: User,
    prepared_at: datetime.datetime,
    refunds: Iterable[Refund] | None = None,
) -> bytes:
    """The report as an XLSX workbook: title, period, who prepared it, one row per
    station, occupation and level (with its refunds), and the totals; a second sheet
    lists each refund of those registrations."""
    book = Workbook()
    sheet = book.worksheets[0]  # a new workbook has one sheet, its active one
    sheet.title = "报名数据上报"
    width = len(MUNICIPAL_HEADERS)
    sheet.append(["鉴定站报名数据上报表（报市职业技能鉴定指导中心，厦人社〔2020〕141号）"])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A1"].alignment = Alignment(horizontal="center")
    prepared = prepared_by.get_full_name() or prepared_by.get_username()
    period = f"报名日期：{start:%Y-%m-%d} 至 {end:%Y-%m-%d}"
    sheet.append([escape_formula(f"{period}　制表人：{prepared}　制表时间：{prepared_at:%Y-%m-%d %H:%M}")])
    sheet.merge_cells(start_row=2, start_column=1, end_row=2, end_column=width)
    sheet.append(MUNICIPAL_HEADERS)
    for cell in sheet[3]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", wrap_text=True)
    for number, line in enumerate(lines, start=1):
        sheet.append(
            [
                number,
                escape_formula(line.station_code),
                escape_formula(line.station_name),
                escape_formula(line.occupation),
                escape_formula(line.level_label),
                line.registrations,
                line.withdrawn,
                line.unreported,
                line.refunds,
                line.refunded,
                line.refunds_unconfirmed,
            ]
        )
    sheet.append(
        [
            "合计",
            "",
            "",
            "",
            "",
            sum(line.registrations for line in lines),
            sum(line.withdrawn for line in lines),
            sum(line.unreported for line in lines),
            sum(line.refunds for line in lines),
            sum((line.refunded for line in lines), Decimal("0")),
            sum(line.refunds_unconfirmed for line in lines),
        ]
    )
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    for index, column_width in enumerate([6, 12, 24, 20, 14, 10, 14, 12, 10, 14, 14], start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column_width
    sheet.freeze_panes = "A4"
    if refunds is not None:
        _refund_sheet(book, refunds)
    stream = io.BytesIO()
    book.save(stream)
    return stream.getvalue()


def municipal_refunds(registrations: QuerySet[Registration]) -> QuerySet[Refund]:
    """The refunds of the report's registrations, for its second sheet."""
    return (
        Refund.objects.filter(registration__in=registrations.values("pk"))
        .select_related("registration__station", "registration__candidate", "registration__announcement__occupation")
        .select_related("recorded_by", "confirmed_by")
        .order_by("registration__station__code", "refund_date", "pk")
    )


def _person(user: User | None) -> str:
    return (user.get_full_name() or user.get_username()) if user is not None else ""


def _refund_sheet(book: Workbook, refunds: Iterable[Refund]) -> None:
    sheet = book.create_sheet("退费明细")
    sheet.append(REFUND_HEADERS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for number, refund in enumerate(refunds, start=1):
        registration = refund.registration
        sheet.append(
            [
                number,
                escape_formula(registration.station.name),
                registration.pk,
                escape_formula(registration.candidate.name),
                escape_formula(registration.announcement.occupation.name),
                f"{refund.refund_date:%Y-%m-%d}",
                refund.amount,
                refund.get_method_display(),
                refund.get_reason_kind_display(),
                escape_formula(refund.reason),
                escape_formula(_person(refund.recorded_by)),
                escape_formula(_person(refund.confirmed_by)) or "待复核",
            ]
        )
    for index, column_width in enumerate([6, 24, 10, 12, 20, 12, 12, 10, 24, 30, 12, 12], start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column_width
    sheet.freeze_panes = "A2"
