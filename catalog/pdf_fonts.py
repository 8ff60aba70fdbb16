"""The one CJK font every PDF of Jianding uses.

WenQuanYi Micro Hei (Apache 2.0, see catalog/fonts/), embedded as a subset: the Chinese text
renders in any viewer, Chromium's included, on a machine without CJK fonts, and survives
text extraction. reportlab's built-in CID font STSong-Light is not embedded and draws
nothing where the viewer has no CJK font. Nothing is downloaded at run time."""

from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

FONT = "WenQuanYiMicroHei"
FONT_FILE = Path(__file__).resolve().parent / "fonts" / "wqy-microhei.ttc"


def register_cjk_font() -> str:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(FONT, str(FONT_FILE), subfontIndex=0))
    return FONT
