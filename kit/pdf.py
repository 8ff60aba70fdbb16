"""What every PDF of Jianding shares: the embedded CJK font, the colours, paragraph
styles, QR code images and dates written out in Chinese.

Font: WenQuanYi Micro Hei (Apache 2.0, see kit/fonts/), embedded as a subset: the Chinese
text renders in any viewer, Chromium's included, on a machine without CJK fonts, and
survives text extraction. reportlab's built-in CID font STSong-Light is not embedded and
draws nothing where the viewer has no CJK font. Nothing is downloaded at run time."""

from __future__ import annotations

import datetime
import io
import logging
from pathlib import Path
from typing import Any

import qrcode
from qrcode.image.pil import PilImage
from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

FONT = "WenQuanYiMicroHei"
FONT_FILE = Path(__file__).resolve().parent / "fonts" / "wqy-microhei.ttc"

INK = colors.HexColor("#222222")  # text and outer borders
RULE = colors.HexColor("#555555")  # inner rules, small print
SHADE = colors.HexColor("#F0F0F0")  # label cells

WEEKDAYS = "一二三四五六日"


def register_cjk_font() -> str:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(FONT, str(FONT_FILE), subfontIndex=0))
    return FONT


def paragraph_style(size: float, *, leading: float = 1.4, **extra: Any) -> ParagraphStyle:
    """A paragraph in the embedded font and in ink, ``leading`` times the size apart;
    ``extra`` sets any other ParagraphStyle option (a font, an alignment, indents)."""
    # wordWrap="CJK" breaks Chinese text between any two characters.
    options = {"fontName": FONT, "leading": size * leading, "textColor": INK, "wordWrap": "CJK", **extra}
    return ParagraphStyle(f"jianding-{size}-{leading}-{sorted(extra)}", fontSize=size, **options)


def qr_png(payload: str) -> io.BytesIO:
    """A QR code (error correction M) as a PNG, ready for ``ImageReader``."""
    # PilImage is what qrcode picks anyway (reportlab brings Pillow); named, save() takes format=.
    image = qrcode.make(
        payload,
        box_size=10,
        border=1,
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        image_factory=PilImage,
    )
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    buffer.seek(0)
    return buffer


def long_date(day: datetime.date) -> str:
    """2020年9月20日"""
    return f"{day.year}年{day.month}月{day.day}日"


def long_date_with_weekday(day: datetime.date) -> str:
    """2020年9月20日（星期日）"""
    return f"{long_date(day)}（星期{WEEKDAYS[day.weekday()]}）"


# A candidate's photo: 一寸 proportions (3:4), 24 × 32 mm on printed documents.
PHOTO_WIDTH_MM, PHOTO_HEIGHT_MM = 24, 32


def stored_image(file: Any) -> Any:
    """A stored image (a model's FieldFile) as a reportlab ``ImageReader``; None when
    there is none, or when the file cannot be read: the document then prints without it
    (as it does for someone without a photo) rather than failing at the counter."""
    if not file:
        return None
    try:
        with file.open("rb") as stored:
            return ImageReader(io.BytesIO(stored.read()))
    except OSError:
        logging.getLogger(__name__).warning("Stored image %s could not be read.", file.name)
        return None


def draw_photo(canvas: Any, image: Any, x: float, y: float) -> None:
    """The photo in a thin frame, its lower left corner at (x, y), scaled into the frame
    keeping its proportions (centred)."""
    width, height = PHOTO_WIDTH_MM * mm, PHOTO_HEIGHT_MM * mm
    canvas.drawImage(image, x, y, width, height, preserveAspectRatio=True, anchor="c")
    canvas.saveState()
    canvas.setStrokeColor(RULE)
    canvas.setLineWidth(0.6)
    canvas.rect(x, y, width, height)
    canvas.restoreState()
