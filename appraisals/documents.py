"""Printed documents of an appraisal case: the admission ticket (准考证).

A ticket is handed to the candidate and shown at the door, so it carries only what the
exam day needs: the ID number is masked (PIPL: the full number is not needed to match a
person to an ID card) and the question-bank paper number is never printed (it is
confidential until the exam). The QR code holds the ticket number and nothing else.

Font, colours, styles and the QR image: ``kit.pdf`` (the embedded font renders without
system fonts)."""

from __future__ import annotations

import io
from collections.abc import Iterable
from xml.sax.saxutils import escape

from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph, Table, TableStyle

from candidates.validators import mask_id_number
from kit.pdf import (
    FONT,
    INK,
    PHOTO_HEIGHT_MM,
    RULE,
    SHADE,
    draw_photo,
    long_date_with_weekday,
    paragraph_style,
    qr_png,
    register_cjk_font,
    stored_image,
)

from .models import SeatAssignment

TITLE = "职业技能鉴定准考证"
QR_PREFIX = "JIANDING-TICKET:"

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 20 * mm
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN
QR_SIZE = 32 * mm

NOTICE = [
    "考生须持本准考证和本人有效居民身份证原件参加考试，证件不全者不得进入考场。",
    "请于考试开始前30分钟到达考点，凭证入场，按考场和座位号对号入座。",
    "严禁携带手机、智能手表、耳机等电子通讯设备进入考场；除规定的考试用品外，其他物品放在指定位置。",
    "遵守考场纪律，服从考评人员和督导人员的管理；违纪、作弊者按有关规定处理。",
    "请妥善保管本准考证，不得涂改、转借；本准考证仅限本场次使用。",
]


def qr_payload(seat: SeatAssignment) -> str:
    """What the QR code holds: the ticket number only, never personal data."""
    return f"{QR_PREFIX}{seat.ticket_number}"


def _details_table(seat: SeatAssignment) -> Table:
    registration = seat.registration
    session = seat.session
    announcement = registration.announcement
    label, value, big = paragraph_style(10.5, alignment=TA_CENTER), paragraph_style(11), paragraph_style(15)
    # The ticket number is plain ASCII: Helvetica keeps its letters evenly spaced.
    ticket = paragraph_style(15, fontName="Helvetica")

    def cell(text: str, style: ParagraphStyle = value) -> Paragraph:
        # Names and places come from the database: escape them for Paragraph's markup.
        return Paragraph(escape(str(text)), style)

    def row(*pairs: tuple[str, str] | tuple[str, str, ParagraphStyle]) -> list:
        cells: list = []
        for name, text, *style in pairs:
            cells += [cell(name, label), cell(text, *style)]
        return cells + [""] * (4 - len(cells))

    rows = [
        row(("准考证号", seat.ticket_number, ticket)),
        row(("姓　　名", registration.candidate.name, big)),
        row(("身份证号", mask_id_number(registration.candidate.id_number))),
        row(("职业（工种）", str(announcement.occupation)), ("等　　级", announcement.get_level_display())),
        row(("鉴定站", registration.station.name)),
        row(
            ("考试日期", long_date_with_weekday(session.date)),
            ("考试时间", f"{session.start_time:%H:%M} 至 {session.end_time:%H:%M}"),
        ),
        row(("考试地点", session.place)),
        row(("考　　场", seat.room.name, big), ("座 位 号", f"{seat.seat_number}号", big)),
    ]
    # Rows with a single pair let the value run across the three remaining columns.
    spans = [("SPAN", (1, i), (3, i)) for i, r in enumerate(rows) if r[2] == ""]
    second_labels = [("BACKGROUND", (2, i), (2, i), SHADE) for i, r in enumerate(rows) if r[2] != ""]
    table = Table(rows, colWidths=[28 * mm, 57 * mm, 28 * mm, 57 * mm])
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.6, RULE),
                ("BOX", (0, 0), (-1, -1), 1.2, INK),
                ("BACKGROUND", (0, 0), (0, -1), SHADE),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("TOPPADDING", (0, 0), (-1, -1), 3 * mm),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3 * mm),
                ("LEFTPADDING", (0, 0), (-1, -1), 3 * mm),
                *spans,
                *second_labels,
            ]
        )
    )
    return table


def _draw_ticket(canvas: Canvas, seat: SeatAssignment) -> None:
    """One ticket on the current page, top to bottom: title and QR code, the details
    table, the candidate's instructions, the footer."""
    session = seat.session
    top = PAGE_HEIGHT - MARGIN

    qr_x, qr_y = PAGE_WIDTH - MARGIN - QR_SIZE, top - QR_SIZE
    canvas.drawImage(ImageReader(qr_png(qr_payload(seat))), qr_x, qr_y, QR_SIZE, QR_SIZE)
    canvas.setFillColor(INK)
    canvas.setFont(FONT, 8)
    canvas.drawCentredString(qr_x + QR_SIZE / 2, qr_y - 4 * mm, "扫码核验准考证")

    # The photo, when there is one, mirrors the QR code on the left; no more height
    # than the code, so the rest of the page is laid out the same without it.
    photo = stored_image(seat.registration.candidate.photo)
    if photo is not None:
        draw_photo(canvas, photo, MARGIN, top - PHOTO_HEIGHT_MM * mm)

    canvas.setFont(FONT, 24)
    canvas.drawCentredString(PAGE_WIDTH / 2, top - 14 * mm, TITLE)
    canvas.setFont(FONT, 12)
    canvas.drawCentredString(PAGE_WIDTH / 2, top - 23 * mm, f"（{session.get_kind_display()}）")

    y = qr_y - 10 * mm
    table = _details_table(seat)
    _, height = table.wrapOn(canvas, CONTENT_WIDTH, y - MARGIN)
    table.drawOn(canvas, MARGIN, y - height)
    y -= height + 10 * mm

    canvas.setFont(FONT, 13)
    canvas.drawString(MARGIN, y - 5 * mm, "考生须知")
    canvas.setStrokeColor(RULE)
    canvas.setLineWidth(0.6)
    canvas.line(MARGIN, y - 7.5 * mm, PAGE_WIDTH - MARGIN, y - 7.5 * mm)
    y -= 10 * mm
    item = paragraph_style(10.5, leftIndent=6 * mm, firstLineIndent=-6 * mm, spaceAfter=1.5 * mm)
    for number, text in enumerate(NOTICE, start=1):
        paragraph = Paragraph(f"{number}．{text}", item)
        _, height = paragraph.wrapOn(canvas, CONTENT_WIDTH, y - MARGIN)
        paragraph.drawOn(canvas, MARGIN, y - height)
        y -= height + 1.5 * mm

    canvas.setFont(FONT, 9)
    canvas.setFillColor(RULE)
    canvas.drawCentredString(
        PAGE_WIDTH / 2,
        MARGIN - 6 * mm,
        f"{seat.registration.station.name}　　身份证号已作脱敏处理，入场时以身份证原件核验。",
    )


def _render(seats: Iterable[SeatAssignment], title: str) -> bytes:
    register_cjk_font()
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, pageCompression=1)
    # Metadata is visible to anyone who gets the file: a title, no personal data.
    canvas.setTitle(title)
    canvas.setCreator("鉴定：职业技能鉴定业务后台")
    for seat in seats:
        _draw_ticket(canvas, seat)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def admission_ticket_pdf(seat: SeatAssignment) -> bytes:
    """One candidate's admission ticket: one A4 page."""
    return _render([seat], f"{TITLE} {seat.ticket_number}")


def admission_tickets_pdf(seats: Iterable[SeatAssignment]) -> bytes:
    """The tickets of many seats (a whole session), one A4 page each, in the given order.
    Pass a queryset with ``select_related`` (see ``views.ticket_seats``) to avoid a
    query per page."""
    return _render(seats, TITLE)
