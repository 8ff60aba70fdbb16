"""Files that leave the back office: the audit confirmation form as XLSX, the data file
for the national database, and archive records as a ZIP."""

from __future__ import annotations

import csv
import datetime
import io
import json
import os
import zipfile
from collections.abc import Iterable

from django.core.serializers.json import DjangoJSONEncoder
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side

from kit.pdf import long_date

from .documents import AUDIT_CHECKS, AUDIT_TITLE, certificate_pdf, confirmation
from .models import ArchiveRecord, UploadBatch
from .selectors import batch_counts

# The national database's import layout is not in the notices; these columns carry what
# every certificate record needs and can be re-mapped here in one place.
DATA_COLUMNS = [
    ("number", "证书编号"),
    ("holder_name", "姓名"),
    ("sex", "性别"),
    ("id_type", "证件类型"),
    ("id_number", "证件号码"),
    ("occupation", "职业（工种）"),
    ("level_code", "等级代码"),
    ("level", "等级"),
    ("theory_score", "理论知识考试成绩"),
    ("practical_score", "操作技能考核成绩"),
    ("review_score", "综合评审成绩"),
    ("issue_date", "发证日期"),
    ("centre", "发证机构"),
    ("station", "鉴定站（所）"),
]


CONFIRM_FIRST = "上报批次确认后才能导出。"


def _require_confirmed(batch: UploadBatch) -> None:
    if batch.status != UploadBatch.Status.CONFIRMED:
        raise ValueError(CONFIRM_FIRST)


def audit_form_xlsx(batch: UploadBatch) -> bytes:
    auditor, confirmed_on = confirmation(batch, CONFIRM_FIRST)
    counts = batch_counts(batch)
    total = sum(c.count for c in counts)
    book = Workbook()
    sheet = book.worksheets[0]  # a new workbook has one sheet
    sheet.title = "审核确认表"
    thin = Side(style="thin")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    sheet.merge_cells("A1:D1")
    sheet["A1"] = AUDIT_TITLE
    sheet["A1"].font = Font(size=14, bold=True)
    sheet["A1"].alignment = Alignment(horizontal="center")
    sheet.append(["填报单位", batch.centre.name, "上报批次", f"#{batch.pk}"])
    sheet.append(["审核人", auditor, "审核日期", long_date(confirmed_on)])
    sheet.append([])
    header_row = sheet.max_row + 1
    sheet.append(["序号", "职业（工种）", "等级", "证书数量（本）"])
    for index, row in enumerate(counts, start=1):
        sheet.append([index, row.occupation, row.level, row.count])
    sheet.append(["合计", "", "", total])
    for cells in sheet.iter_rows(min_row=header_row, max_row=sheet.max_row, max_col=4):
        for cell in cells:
            cell.border = border
    sheet.append([])
    sheet.append([f"审核情况：经逐条审核（{AUDIT_CHECKS}），本批次 {total} 本证书数据准确可靠、真实有效，无问题数据。"])
    sheet.append(["审核人（签字）", auditor, "单位负责人（签字）", ""])
    for column, width in zip("ABCD", (14, 30, 20, 18), strict=True):
        sheet.column_dimensions[column].width = width
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def upload_data_csv(batch: UploadBatch) -> bytes:
    """The data file for upload: one row per certificate, from the confirmed snapshots.
    UTF-8 with a BOM so that spreadsheet programs read the Chinese correctly."""
    _require_confirmed(batch)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([label for _, label in DATA_COLUMNS])
    for item in batch.items.order_by("certificate__number"):
        row = item.snapshot
        writer.writerow(["" if row.get(key) is None else _text(row[key]) for key, _ in DATA_COLUMNS])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _text(value) -> str:
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def archive_zip(records: Iterable[ArchiveRecord]) -> bytes:
    """Each record as it was bound: its contents (JSON), the consent scan with its SHA-256,
    and the certificate as PDF."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for record in records:
            folder = f"{record.certificate.number}/档案{record.pk}"
            meta = {
                "archive_id": record.pk,
                "centre": record.centre.name,
                "created_at": record.created_at,
                "created_by": record.created_by.get_full_name() or record.created_by.username,
                "corrects": record.corrects_id,
                "correction_reason": record.correction_reason,
                "consent_sha256": record.consent_sha256,
                "contents": record.contents,
            }
            archive.writestr(
                f"{folder}/档案.json", json.dumps(meta, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
            )
            with record.consent_scan.open("rb") as scan:
                name = "自愿书扫描件" + os.path.splitext(record.consent_scan.name)[1]
                archive.writestr(f"{folder}/{name}", scan.read())
            archive.writestr(f"{folder}/自愿书扫描件.sha256", f"{record.consent_sha256}  {name}\n")
            archive.writestr(f"{folder}/证书.pdf", certificate_pdf(record.certificate))
    return buffer.getvalue()
