"""Reading a registration file: CSV in UTF-8, UTF-8 with BOM or GB18030/GBK (told apart
without asking), or XLSX read streaming through defusedxml; the header row mapped to the
template's columns (姓名, 身份证号, …, with the usual other spellings)."""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import IO, Any
from xml.etree import ElementTree

from defusedxml import DefusedXmlException

from .report import HEADER, ImportRefused, RowError

# --- columns -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    key: str
    label: str  # the header in the template and in exports
    aliases: tuple[str, ...] = ()
    required: bool = True


COLUMNS: tuple[Column, ...] = (
    Column("name", "姓名", ("考生姓名",)),
    Column("id_number", "身份证号", ("身份证号码", "公民身份号码", "身份证", "证件号码")),
    Column("phone", "联系电话", ("手机号", "手机号码", "手机", "电话")),
    Column("occupation", "职业", ("职业（工种）", "工种", "申报职业", "申报职业（工种）")),
    Column("level", "等级", ("申报等级", "级别", "鉴定等级")),
    Column("registration_date", "报名日期", ()),
    Column("education", "文化程度", ("学历",), required=False),
    Column("years_in_trade", "工作年限", ("本职业工作年限", "本职业（工种）工作年限", "从业年限"), required=False),
    # What the eligibility review reads (申报条件): an earlier certificate, a diploma.
    Column(
        "prior_certificate_level",
        "已有证书等级",
        ("已有职业资格证书等级", "原证书等级", "现有证书等级", "已取得证书等级"),
        required=False,
    ),
    Column("prior_certificate_number", "已有证书编号", ("已有职业资格证书编号", "原证书编号"), required=False),
    Column(
        "prior_certificate_date",
        "已有证书发证日期",
        ("已有职业资格证书发证日期", "原证书发证日期", "已有证书日期"),
        required=False,
    ),
    Column("diploma", "毕业证书", ("学历证书类型", "学历证书", "毕业证书类型"), required=False),
    # Students and apprentices trained under a certificate plan (the routing list reads them).
    Column("trainee_kind", "培养类型", ("考生类型", "是否在培学生或学徒"), required=False),
    Column("school_or_enterprise", "学校或企业", ("学校", "企业", "就读学校", "培养单位"), required=False),
    Column("training_plan", "培养计划", ("培养计划名称",), required=False),
    Column(
        "expected_finish_date",
        "预计毕业日期",
        ("预计毕（结）业日期", "预计结业日期", "预计毕结业日期"),
        required=False,
    ),
    Column(
        "plan_occupation",
        "培养职业",
        ("培养计划对应职业（工种）", "培养计划对应职业", "培养计划职业"),
        required=False,
    ),
)
LABELS = {column.key: column.label for column in COLUMNS}


def _key(text: Any) -> str:
    """Compare headers and names the way a clerk means them: full-width forms folded,
    spaces and the “required” asterisk ignored."""
    return re.sub(r"[\s*]+", "", unicodedata.normalize("NFKC", str(text or "")))


_HEADER_KEYS = {_key(name): column for column in COLUMNS for name in (column.label, *column.aliases)}


REQUIRED_LABELS = tuple(column.label for column in COLUMNS if column.required)
OPTIONAL_LABELS = tuple(column.label for column in COLUMNS if not column.required)


def map_headers(headers: Sequence[Any]) -> tuple[dict[str, int], list[RowError]]:
    """Which position holds which field; unknown columns (序号, 备注, …) are ignored.

    The header's problems, each said once: first the required columns that are missing
    (one message naming them all: without them no row can be checked), then a column
    given twice. An optional column that is absent is no problem: its cells are blank."""
    positions: dict[str, int] = {}
    twice = []
    for index, header in enumerate(headers):
        column = _HEADER_KEYS.get(_key(header))
        if column is None:
            continue
        if column.key in positions:
            twice.append(RowError(1, column.label, str(header), f"“{column.label}”列出现了两次，请只保留一列。"))
        positions[column.key] = index
    missing = [column.label for column in COLUMNS if column.required and column.key not in positions]
    errors = []
    if missing:
        errors.append(
            RowError(
                1,
                HEADER,
                "",
                f"缺少必需的列：{'、'.join(missing)}。请使用导入模板的表头（第1行）；"
                f"必需的列为{'、'.join(REQUIRED_LABELS)}，其余的列可以不要。",
            )
        )
    return positions, errors + twice


# --- reading files ---------------------------------------------------------------------------


@dataclass
class Table:
    headers: list[Any]
    rows: Iterator[Sequence[Any]]
    source: str
    estimated_rows: int | None = None
    close: Callable[[], None] = lambda: None


XLSX_SIGNATURE = b"PK\x03\x04"
CSV_ENCODINGS = ("utf-8-sig", "gb18030")  # UTF-8 (with or without BOM) first: GB18030 decodes almost anything
_ENCODING_NAMES = {"utf-8-sig": "UTF-8", "gb18030": "GB18030/GBK"}
_CHUNK = 1 << 20


def _binary(source: str | os.PathLike | bytes | IO[bytes]) -> IO[bytes]:
    if isinstance(source, bytes | bytearray):
        return io.BytesIO(source)
    if isinstance(source, str | os.PathLike):
        return open(source, "rb")
    return source


def detect_encoding(stream: IO[bytes]) -> tuple[str, int]:
    """The encoding of a CSV file, and its number of lines. The whole file is decoded as
    UTF-8 in chunks (a GBK file almost always fails within the first Chinese character);
    if that fails it is GB18030, a superset of GBK and GB2312."""
    for encoding in CSV_ENCODINGS:
        stream.seek(0)
        decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
        lines = 0
        try:
            while chunk := stream.read(_CHUNK):
                decoder.decode(chunk)
                lines += chunk.count(b"\n")
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        stream.seek(0)
        return encoding, lines
    raise ImportRefused("无法识别文件编码：请另存为“CSV UTF-8（逗号分隔）”或 Excel 工作簿（.xlsx）后重新导入。")


def open_table(source: str | os.PathLike | bytes | IO[bytes]) -> Table:
    """Open a registration file of either kind, told apart by its first bytes."""
    stream = _binary(source)
    owned = stream is not source
    head = stream.read(4)
    stream.seek(0)
    if not head:
        raise ImportRefused("文件是空的。")
    if head == XLSX_SIGNATURE:
        return _open_xlsx(stream, owned)
    if head[:2] == b"\xd0\xcf":
        raise ImportRefused("不支持旧版 Excel 97-2003 工作簿（.xls），请另存为 .xlsx 或 CSV 后重新导入。")
    return _open_csv(stream, owned)


def _open_csv(stream: IO[bytes], owned: bool) -> Table:
    encoding, lines = detect_encoding(stream)
    text = io.TextIOWrapper(stream, encoding=encoding, newline="")
    first = text.readline()
    text.seek(0)
    delimiter = "\t" if first.count("\t") > first.count(",") else ","
    reader = csv.reader(text, delimiter=delimiter)
    rows = _csv_rows(reader)
    headers = next(rows, [])

    def close() -> None:
        text.detach()
        if owned:
            stream.close()

    return Table(headers, rows, f"CSV（{_ENCODING_NAMES[encoding]}）", max(lines - 1, 0), close)


def _csv_rows(reader: Any) -> Iterator[list[str]]:
    """The reader's rows; a line the csv module cannot take (a cell over its 128 K
    characters, a NUL byte) refuses the file, naming the line."""
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise ImportRefused(
                f"第{reader.line_num}行无法按 CSV 读取（单元格内容过长、含有空字符或引号不成对），"
                "请检查该行后重新导入。"
            ) from error
        yield row


def _open_xlsx(stream: IO[bytes], owned: bool) -> Table:
    import openpyxl

    try:
        book = openpyxl.load_workbook(stream, read_only=True, data_only=True)
    except Exception as error:  # a damaged or disguised file
        if _caused_by(error, DefusedXmlException):  # openpyxl wraps it in its own ValueError
            raise ImportRefused(UNSAFE_XLSX_MESSAGE) from error
        raise ImportRefused("无法读取该 XLSX 文件，请确认它是 Excel 工作簿（.xlsx）。") from error
    sheet = book.worksheets[0]  # the template's first sheet; “填写说明” comes after it
    rows = _sheet_rows(sheet.iter_rows(values_only=True))
    headers = list(next(rows, ()))
    estimated = sheet.max_row - 1 if sheet.max_row else None

    def close() -> None:
        book.close()
        if owned:
            stream.close()

    return Table(headers, rows, "XLSX", estimated, close)


UNSAFE_XLSX_MESSAGE = (
    "无法读取该 XLSX 文件的工作表（文件已损坏，或含有不允许的 XML 内容），"
    "请在 Excel 中打开并另存为新的 .xlsx 后重新导入。"
)


def _caused_by(error: BaseException | None, kind: type[BaseException]) -> bool:
    while error is not None:
        if isinstance(error, kind):
            return True
        error = error.__cause__ or error.__context__
    return False


def _sheet_rows(rows: Iterator[Sequence[Any]]) -> Iterator[Sequence[Any]]:
    """The sheet's rows, parsed as they are read (read-only mode). openpyxl parses with
    defusedxml when it is installed (it is a requirement): a sheet declaring XML entities
    (“billion laughs”) or a broken sheet is refused as a file, not a crash."""
    try:
        yield from rows
    except (DefusedXmlException, ElementTree.ParseError) as error:
        raise ImportRefused(UNSAFE_XLSX_MESSAGE) from error
