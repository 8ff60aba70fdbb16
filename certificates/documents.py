"""Printed documents around certificates: the certificate (职业资格证书), the consent form
template (职业技能鉴定自愿书), the certificate information proof (证书信息证明) and the data
audit confirmation form (全国集中管理监管库职业资格证书数据审核确认表).

Font: WenQuanYi Micro Hei (Apache 2.0), shipped in ``kit/fonts`` and embedded as a
subset through ``kit.pdf`` (with the colours, styles and QR images every PDF shares), so
the Chinese renders the same in every viewer, also Chromium's on a machine without any
CJK font, and text extraction works (ToUnicode maps). Nothing is downloaded at run time.

The QR code of a certificate and of a proof opens the public lookup page for that
certificate: its number and its verification code, no personal data. The certificate and
the proof carry the full ID number (they are the holder's own documents); the PDF metadata
carries none."""

from __future__ import annotations

import datetime
import io
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlencode
from xml.sax.saxutils import escape

from django.urls import reverse
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph, Table, TableStyle

from appraisals.models import Registration
from catalog.models import SkillLevel
from catalog.selectors import RuleBook
from kit import conf
from kit.pdf import (
    FONT,
    INK,
    PHOTO_HEIGHT_MM,
    PHOTO_WIDTH_MM,
    RULE,
    SHADE,
    draw_photo,
    long_date,
    paragraph_style,
    qr_png,
    register_cjk_font,
    stored_image,
)

from .models import Certificate, LostCertificateRequest, UploadBatch
from .selectors import AuditCount, batch_counts

# A table cell: a paragraph, or "" under a span.
Cell = Paragraph | str

CREATOR = "鉴定：职业技能鉴定业务后台"
RED = colors.HexColor("#9b1c1c")
GOLD = colors.HexColor("#b08d3c")
LEADING = 1.55  # the certificate's and the forms' paragraphs: roomier than the ticket's


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(str(text)), style)


def _bold_title(canvas: Canvas, text: str, x: float, y: float, size: float, colour=INK) -> None:
    """The font has one weight: a thin stroke around the fill makes the title bold."""
    canvas.saveState()
    canvas.setFillColor(colour)
    canvas.setStrokeColor(colour)
    canvas.setLineWidth(size / 40)
    text_object = canvas.beginText()
    text_object.setTextRenderMode(2)
    text_object.setFont(FONT, size)
    width = pdfmetrics.stringWidth(text, FONT, size)
    text_object.setTextOrigin(x - width / 2, y)
    text_object.textLine(text)
    canvas.drawText(text_object)
    canvas.restoreState()


def _new_canvas(buffer: io.BytesIO, title: str, pagesize=A4) -> Canvas:
    register_cjk_font()
    canvas = Canvas(buffer, pagesize=pagesize, pageCompression=1)
    canvas.setTitle(title)  # no personal data in the metadata: anyone who gets the file sees it
    canvas.setCreator(CREATOR)
    return canvas


def _table(rows: list[list[Any]], widths: list[float], extra: list | None = None) -> Table:
    table = Table(rows, colWidths=widths)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.6, RULE),
                ("BOX", (0, 0), (-1, -1), 1.1, INK),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("TOPPADDING", (0, 0), (-1, -1), 2.2 * mm),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2.2 * mm),
                ("LEFTPADDING", (0, 0), (-1, -1), 2.5 * mm),
                *(extra or []),
            ]
        )
    )
    return table


def _draw_flowable(canvas: Canvas, flowable, x: float, top: float, width: float) -> float:
    """Draw below ``top``; return the new top."""
    _, height = flowable.wrapOn(canvas, width, top)
    flowable.drawOn(canvas, x, top - height)
    return top - height


# --- the lookup link ---------------------------------------------------------------------------


def lookup_url(certificate: Certificate) -> str:
    """The public lookup page for this certificate (what its QR code opens)."""
    base = conf.public_url()
    query = urlencode({"no": certificate.number, "code": certificate.verification_code})
    return f"{base}{reverse('verify')}?{query}"


def grouped_code(code: str) -> str:
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def _draw_qr(canvas: Canvas, certificate: Certificate, x: float, y: float, size: float, caption: str) -> None:
    canvas.drawImage(ImageReader(qr_png(lookup_url(certificate))), x, y, size, size)
    canvas.setFillColor(INK)
    canvas.setFont(FONT, 8)
    canvas.drawCentredString(x + size / 2, y - 4 * mm, caption)


# --- the certificate ----------------------------------------------------------------------------


def _scores(certificate: Certificate) -> str:
    result = certificate.result
    parts = []
    if result.theory_score is not None:
        parts.append(f"理论知识 {result.theory_score}")
    if result.practical_score is not None:
        parts.append(f"操作技能 {result.practical_score}")
    if result.review_score is not None:
        parts.append(f"综合评审 {result.review_score}")
    return "，".join(parts) + ("（补考）" if result.attempt == 2 else "")


def _draw_certificate(canvas: Canvas, certificate: Certificate) -> None:
    """One certificate on an A4 landscape page: frame, title, the holder's details, the
    statement, the issuing centre and date on the left of the seal space, the QR code."""
    width, height = landscape(A4)
    canvas.setStrokeColor(GOLD)
    canvas.setLineWidth(3)
    canvas.rect(10 * mm, 10 * mm, width - 20 * mm, height - 20 * mm)
    canvas.setLineWidth(0.8)
    canvas.rect(13 * mm, 13 * mm, width - 26 * mm, height - 26 * mm)

    _bold_title(canvas, "职业资格证书", width / 2, height - 38 * mm, 30, RED)
    canvas.setFont("Helvetica", 10)
    canvas.setFillColor(RULE)
    canvas.drawCentredString(width / 2, height - 46 * mm, "VOCATIONAL QUALIFICATION CERTIFICATE")

    label, value = paragraph_style(11, leading=LEADING, alignment=TA_CENTER), paragraph_style(12, leading=LEADING)
    candidate = certificate.candidate
    rows: list[list[Cell]] = [
        [
            _p("姓　　名", label),
            _p(certificate.holder_name, paragraph_style(15, leading=LEADING)),
            _p("性　　别", label),
            _p(candidate.get_sex_display(), value),
        ],
        [_p("公民身份号码", label), _p(certificate.holder_id_number, value), "", ""],
        [
            _p("职业（工种）", label),
            _p(certificate.occupation.name, paragraph_style(14, leading=LEADING)),
            _p("等　　级", label),
            _p(certificate.get_level_display(), value),
        ],
        [_p("鉴定成绩", label), _p(_scores(certificate), value), "", ""],
        [
            _p("证书编号", label),
            _p(certificate.number, value),
            _p("发证日期", label),
            _p(long_date(certificate.issue_date), value),
        ],
    ]
    spans = [("SPAN", (1, 1), (3, 1)), ("SPAN", (1, 3), (3, 3))]
    shade = [("BACKGROUND", (0, 0), (0, -1), SHADE), ("BACKGROUND", (2, 0), (2, 0), SHADE)]
    shade += [("BACKGROUND", (2, i), (2, i), SHADE) for i in (2, 4)]
    table = _table(rows, [32 * mm, 78 * mm, 28 * mm, 52 * mm], spans + shade)
    left = 30 * mm
    top = _draw_flowable(canvas, table, left, height - 56 * mm, 190 * mm)

    statement = paragraph_style(13, leading=LEADING, firstLineIndent=26)
    text = (
        f"{certificate.holder_name}经职业技能鉴定，{certificate.occupation.name}"
        f"（{certificate.get_level_display()}）鉴定成绩合格，特发此证。"
    )
    top = _draw_flowable(canvas, Paragraph(escape(text), statement), left, top - 8 * mm, 190 * mm)

    canvas.setFillColor(INK)
    canvas.setFont(FONT, 12)
    canvas.drawString(left + 95 * mm, 40 * mm, f"发证机构（盖章）：{certificate.centre.name}")
    canvas.drawString(left + 95 * mm, 32 * mm, f"发证日期：{long_date(certificate.issue_date)}")

    qr = 36 * mm
    qr_x, qr_y = width - 30 * mm - qr, height - 56 * mm - qr
    _draw_qr(canvas, certificate, qr_x, qr_y, qr, "扫码查询证书")
    canvas.setFont(FONT, 8.5)
    canvas.setFillColor(RULE)
    canvas.drawCentredString(qr_x + qr / 2, qr_y - 9 * mm, f"核验码 {grouped_code(certificate.verification_code)}")
    # The holder's photo, when there is one, under the QR code: a column of its own, so
    # the table and the statement stand where they do without it.
    photo = stored_image(candidate.photo)
    if photo is not None:
        photo_x = qr_x + (qr - PHOTO_WIDTH_MM * mm) / 2
        draw_photo(canvas, photo, photo_x, qr_y - 14 * mm - PHOTO_HEIGHT_MM * mm)
    canvas.setFont(FONT, 8.5)
    canvas.drawString(
        left, 20 * mm, f"证书查询：{lookup_url(certificate).split('?')[0]}（证书编号＋姓名，或公民身份号码＋姓名）"
    )
    if certificate.reissue_of is not None:
        canvas.drawString(left, 24.5 * mm, f"遗失补发，原证书编号 {certificate.reissue_of.number} 作废。")


def certificates_pdf(certificates: Iterable[Certificate], title: str = "职业资格证书") -> bytes:
    """Certificates, one A4 landscape page each, in the given order (a batch prints as one file)."""
    buffer = io.BytesIO()
    canvas = _new_canvas(buffer, title, landscape(A4))
    for certificate in certificates:
        _draw_certificate(canvas, certificate)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def certificate_pdf(certificate: Certificate) -> bytes:
    return certificates_pdf([certificate], f"职业资格证书 {certificate.number}")


# --- the consent form template --------------------------------------------------------------------


CONSENT_TEXT = [
    "根据《人力资源社会保障部办公厅关于做好水平评价类技能人员职业资格退出目录有关工作的通知》"
    "（人社厅发〔2020〕80号）和本省有关通知，本人报考的职业（工种）属于水平评价类技能人员职业资格，"
    "将按规定退出国家职业资格目录。鉴定机构已向本人告知以下事项：",
    "一、报名截止后，对已发布鉴定考试公告或已受理报名的，考生可自愿选择继续参加鉴定，也可以放弃鉴定并退回有关费用。",
    "二、鉴定须在规定期限内完成；成绩不合格的，可按本人意愿参加一次补考，补考仍不合格的不再办理鉴定事宜。",
    "三、鉴定合格的，由职业技能鉴定指导中心核发相应职业资格证书；退出目录前已发放的职业资格证书继续有效，"
    "可作为持证者职业能力水平的证明。",
    "四、本自愿书由职业技能鉴定指导中心连同证书核发资料一并存档。",
    "本人已知悉上述事项，自愿继续参加本次职业技能鉴定。",
]


def consent_form_pdf(registration: Registration | None = None) -> bytes:
    """职业技能鉴定自愿书: blank, or filled in with one registration's details."""
    width, height = A4
    buffer = io.BytesIO()
    canvas = _new_canvas(buffer, "职业技能鉴定自愿书")
    margin = 22 * mm
    _bold_title(canvas, "职业技能鉴定自愿书", width / 2, height - 32 * mm, 22)

    label, value = paragraph_style(11, leading=LEADING, alignment=TA_CENTER), paragraph_style(11.5, leading=LEADING)
    if registration is not None:
        candidate, announcement = registration.candidate, registration.announcement
        filled = {
            "name": candidate.name,
            "id": candidate.id_number,
            "occupation": announcement.occupation.name,
            "level": announcement.get_level_display(),
            "station": registration.station.name,
            "date": long_date(registration.registration_date),
        }
    else:
        filled = dict.fromkeys(("name", "id", "occupation", "level", "station", "date"), "")
    rows = [
        [_p("姓　　名", label), _p(filled["name"], value), _p("公民身份号码", label), _p(filled["id"], value)],
        [
            _p("报考职业（工种）", label),
            _p(filled["occupation"], value),
            _p("等　　级", label),
            _p(filled["level"], value),
        ],
        [_p("鉴定站（所）", label), _p(filled["station"], value), _p("报名日期", label), _p(filled["date"], value)],
    ]
    shade = [("BACKGROUND", (0, 0), (0, -1), SHADE), ("BACKGROUND", (2, 0), (2, -1), SHADE)]
    top = _draw_flowable(
        canvas, _table(rows, [30 * mm, 55 * mm, 28 * mm, 53 * mm], shade), margin, height - 44 * mm, 166 * mm
    )

    body = paragraph_style(11.5, leading=LEADING, firstLineIndent=23, spaceAfter=2 * mm)
    top -= 8 * mm
    for paragraph in CONSENT_TEXT:
        top = _draw_flowable(canvas, Paragraph(escape(paragraph), body), margin, top, width - 2 * margin) - 2 * mm

    canvas.setFont(FONT, 12)
    canvas.setFillColor(INK)
    lines = [
        ("考生签名：", "日期：　　　　年　　月　　日"),
        ("鉴定站经办人：", "日期：　　　　年　　月　　日"),
    ]
    y = top - 16 * mm
    for left_text, right_text in lines:
        canvas.drawString(margin, y, left_text)
        canvas.line(margin + 32 * mm, y - 1.5 * mm, margin + 85 * mm, y - 1.5 * mm)
        canvas.drawString(margin + 95 * mm, y, right_text)
        y -= 14 * mm
    canvas.setFont(FONT, 9)
    canvas.setFillColor(RULE)
    hotline = conf.supervision_hotline()
    canvas.drawCentredString(
        width / 2,
        16 * mm,
        f"本自愿书一式两份，考生和鉴定站各执一份；签署后扫描上传。全国职业技能鉴定质量监督举报电话：{hotline}",
    )
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


# --- the certificate information proof --------------------------------------------------------------


def proof_pdf(request: LostCertificateRequest, rulebook: RuleBook | None = None) -> bytes:
    """证书信息证明 for a lost certificate whose occupation has left the catalog."""
    processed_on = request.processed_on  # set when processed (constraint lost_request_outcome_recorded)
    if request.status != LostCertificateRequest.Status.PROOF or processed_on is None:
        raise ValueError("只有已开具证书信息证明的申请才能打印证明。")
    certificate = request.certificate
    exit_day = (rulebook or RuleBook()).exit_date(certificate.occupation_id)
    width, height = A4
    margin = 24 * mm
    buffer = io.BytesIO()
    canvas = _new_canvas(buffer, f"证书信息证明 {request.proof_number}")
    _bold_title(canvas, "证书信息证明", width / 2, height - 34 * mm, 24)
    canvas.setFont(FONT, 10.5)
    canvas.setFillColor(INK)
    canvas.drawRightString(width - margin, height - 46 * mm, f"编号：{request.proof_number}")

    body = paragraph_style(12.5, leading=LEADING, firstLineIndent=25)
    opening = (
        f"兹证明{certificate.holder_name}（公民身份号码：{certificate.holder_id_number}）"
        f"持有{certificate.centre.name}核发的职业资格证书，证书信息如下："
    )
    top = _draw_flowable(canvas, Paragraph(escape(opening), body), margin, height - 54 * mm, width - 2 * margin)

    label, value = paragraph_style(11, leading=LEADING, alignment=TA_CENTER), paragraph_style(11.5, leading=LEADING)
    rows = [
        [_p("证书编号", label), _p(certificate.number, value)],
        [_p("职业（工种）", label), _p(certificate.occupation.name, value)],
        [_p("等　　级", label), _p(certificate.get_level_display(), value)],
        [_p("发证日期", label), _p(long_date(certificate.issue_date), value)],
        [_p("发证机构", label), _p(certificate.centre.name, value)],
        [_p("证书状态", label), _p("有效", value)],
    ]
    table = _table(rows, [40 * mm, width - 2 * margin - 40 * mm], [("BACKGROUND", (0, 0), (0, -1), SHADE)])
    top = _draw_flowable(canvas, table, margin, top - 6 * mm, width - 2 * margin)

    exited = f"“{certificate.occupation.name}”已于{long_date(exit_day)}退出国家职业资格目录，" if exit_day else ""
    paragraphs = [
        f"持证人申报该证书遗失（申请人：{request.applicant_name}，{request.applicant_relation}；"
        f"受理日期：{long_date(request.received_on)}）。{exited}不再补发职业资格证书，特出具本证明。",
        "根据《人力资源社会保障部办公厅关于做好水平评价类技能人员职业资格退出目录有关工作的通知》"
        "（人社厅发〔2020〕80号），退出目录前已发放的职业资格证书继续有效，可作为持证者职业能力水平的证明。",
        "本证明所载证书信息可扫描右下方二维码，或登录证书查询页面以证书编号和姓名核验。",
    ]
    top -= 8 * mm
    for paragraph in paragraphs:
        top = _draw_flowable(canvas, Paragraph(escape(paragraph), body), margin, top, width - 2 * margin) - 3 * mm

    canvas.setFont(FONT, 12)
    canvas.setFillColor(INK)
    canvas.drawString(margin, 58 * mm, f"出具单位（盖章）：{certificate.centre.name}")
    canvas.drawString(margin, 48 * mm, f"出具日期：{long_date(processed_on)}")
    qr = 32 * mm
    _draw_qr(canvas, certificate, width - margin - qr, 40 * mm, qr, "扫码核验证书信息")
    canvas.setFont(FONT, 8.5)
    canvas.setFillColor(RULE)
    canvas.drawCentredString(width - margin - qr / 2, 31 * mm, f"核验码 {grouped_code(certificate.verification_code)}")
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


# --- the data audit confirmation form ---------------------------------------------------------------


AUDIT_TITLE = "全国集中管理监管库职业资格证书数据审核确认表"
AUDIT_CHECKS = "公民身份号码校验码、姓名、职业（工种）和等级是否在目录内、各环节日期先后、各项时限、跨批次和跨中心重复"


def confirmation(batch: UploadBatch, refusal: str) -> tuple[str, datetime.date]:
    """The auditor's name and the date of a confirmed upload batch (confirming sets both:
    constraint upload_batch_confirmed_has_auditor); ``ValueError(refusal)`` for any other."""
    auditor, confirmed_on = batch.confirmed_by, batch.confirmed_on
    if batch.status != UploadBatch.Status.CONFIRMED or auditor is None or confirmed_on is None:
        raise ValueError(refusal)
    return auditor.get_full_name() or auditor.username, confirmed_on


def audit_form_pdf(batch: UploadBatch) -> bytes:
    """The confirmation form of a confirmed upload batch: counts by occupation and level,
    the auditor and the date."""
    auditor, confirmed_on = confirmation(batch, "上报批次确认后才能生成审核确认表。")
    counts: list[AuditCount] = batch_counts(batch)
    total = sum(c.count for c in counts)
    width, height = A4
    margin = 20 * mm
    buffer = io.BytesIO()
    canvas = _new_canvas(buffer, f"{AUDIT_TITLE} 批次{batch.pk}")
    _bold_title(canvas, AUDIT_TITLE, width / 2, height - 30 * mm, 16)

    label, value = paragraph_style(10.5, leading=LEADING, alignment=TA_CENTER), paragraph_style(10.5, leading=LEADING)
    head = [
        [_p("填报单位", label), _p(batch.centre.name, value), _p("上报批次", label), _p(f"#{batch.pk}", value)],
        [_p("审核人", label), _p(auditor, value), _p("审核日期", label), _p(long_date(confirmed_on), value)],
    ]
    shade = [("BACKGROUND", (0, 0), (0, -1), SHADE), ("BACKGROUND", (2, 0), (2, -1), SHADE)]
    top = _draw_flowable(
        canvas, _table(head, [28 * mm, 62 * mm, 28 * mm, 52 * mm], shade), margin, height - 40 * mm, 170 * mm
    )

    levels = {label: i for i, label in enumerate(SkillLevel.labels)}
    rows: list[list[Cell]] = [[_p(h, label) for h in ("序号", "职业（工种）", "等级", "证书数量（本）")]]
    for index, row in enumerate(sorted(counts, key=lambda c: (c.occupation, levels.get(c.level, 9))), start=1):
        rows.append([_p(str(index), label), _p(row.occupation, value), _p(row.level, value), _p(str(row.count), label)])
    rows.append([_p("合计", label), "", "", _p(str(total), label)])
    extra = [("BACKGROUND", (0, 0), (-1, 0), SHADE), ("SPAN", (0, len(rows) - 1), (2, len(rows) - 1))]
    top = _draw_flowable(
        canvas, _table(rows, [18 * mm, 72 * mm, 45 * mm, 35 * mm], extra), margin, top - 6 * mm, 170 * mm
    )

    body = paragraph_style(11, leading=LEADING, firstLineIndent=22)
    statement = (
        f"审核情况：经逐条审核（{AUDIT_CHECKS}），本批次 {total} 本职业资格证书数据准确可靠、真实有效，"
        "无问题数据，同意上报全国集中管理监管库。"
    )
    top = _draw_flowable(canvas, Paragraph(escape(statement), body), margin, top - 8 * mm, 170 * mm)
    canvas.setFont(FONT, 11.5)
    canvas.setFillColor(INK)
    y = max(top - 22 * mm, 40 * mm)
    canvas.drawString(margin, y, f"审核人（签字）：{auditor}")
    canvas.drawString(margin + 95 * mm, y, "单位负责人（签字）：")
    canvas.drawString(margin, y - 12 * mm, f"填报单位（盖章）：{batch.centre.name}")
    canvas.drawString(margin + 95 * mm, y - 12 * mm, f"日期：{long_date(confirmed_on)}")
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
