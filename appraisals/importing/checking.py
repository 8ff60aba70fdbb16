"""Registration files in: CSV (UTF-8, UTF-8 with BOM, GB18030/GBK, told apart without
asking) or XLSX (streamed), checked row by row against the same rules as the admin,
then saved all together in one short transaction, or not at all.

``RegistrationImporter.run`` takes the header row and an iterable of rows:

1. Map the clerk's headers (姓名, 身份证号, 联系电话, 职业, 等级, 报名日期, …) to fields; a
   missing required column refuses the whole file.
2. Load what every row is checked against, once: the occupations, the station's
   announcements, one shared ``RuleBook``.
3. Read the rows in chunks of ``batch_size``. For each chunk, load the candidates already
   known by ID number (one query) and their registrations at this station (one query),
   then check every row in memory with the models' own rules: for a new person
   ``parse_id_number`` and each model field's ``clean()`` (a changed known person: the
   model's ``clean_fields()`` and ``clean()``); for the registration the checks of
   ``Registration.clean()`` (not before the announcement, ``check_registration_window``
   with the shared rule book, ``check_minimum_age``) and its unique constraint.
4. If any row was refused, or on a dry run: return the report; nothing is saved.
5. Otherwise, in one transaction and as the acting user: create the new candidates,
   update the changed ones, create the registrations, batch by batch, each batch with
   its trace (history rows naming the user and the file).

A row whose registration already exists with the same date is left alone, so importing
the same file again changes nothing. Every refusal is reported as (row, column, value,
rule); ID numbers and phone numbers in the report are masked (see ``shown_value``).
"""

from __future__ import annotations

import codecs
import csv
import datetime
import io
import logging
import os
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import IO, Any
from xml.etree import ElementTree

from defusedxml import DefusedXmlException
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from candidates.models import Candidate, candidate_field_rules
from candidates.validators import (
    EXCEL_NUMBER_MESSAGE,
    ID_NUMBER_SHAPE,
    check_minimum_age,
    mask_id_number,
    mask_phone,
    normalise_id_number,
    normalise_phone,
    parse_id_number,
)
from catalog.models import Occupation, SkillLevel, Station, User
from catalog.selectors import RuleBook
from catalog.trace import acting_as, current_reason
from kit import clock

from ..exporting import unescape_formula
from ..models import ExamAnnouncement, ImportJob, Registration, check_registration_window

logger = logging.getLogger(__name__)

BATCH_SIZE = 1000
PREVIEW_ROWS = 100  # rows shown in the admin's preview
STORED_ERRORS = 10_000  # errors kept in an ImportJob's report (the total is always kept)
FIRST_DATA_ROW = 2  # row 1 holds the headers, as the clerk sees it in Excel

Progress = Callable[[str, int, int | None], None]


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
# The candidate's fields a file may set; every other field keeps its value (or default).
CANDIDATE_FIELDS = tuple(
    column.key for column in COLUMNS if column.key not in ("id_number", "occupation", "level", "registration_date")
)
CANDIDATE_MODEL_FIELDS = {name: Candidate._meta.get_field(name) for name in CANDIDATE_FIELDS}
_ATTNAMES = {name: field.attname for name, field in CANDIDATE_MODEL_FIELDS.items()}
_FIELD_NAMES = {attname: name for name, attname in _ATTNAMES.items()}
# Every new person's values pass these fields' own ``clean()`` (blank ones too: a missing
# name or phone is an error); the others only when a cell sets them.
_ALWAYS_CHECKED = {"name": "", "phone": "", "education": "", "years_in_trade": 0}
_ALL_CANDIDATE_FIELDS = [f.name for f in Candidate._meta.concrete_fields]


def _key(text: Any) -> str:
    """Compare headers and names the way a clerk means them: full-width forms folded,
    spaces and the “required” asterisk ignored."""
    return re.sub(r"[\s*]+", "", unicodedata.normalize("NFKC", str(text or "")))


_HEADER_KEYS = {_key(name): column for column in COLUMNS for name in (column.label, *column.aliases)}


def map_headers(headers: Sequence[Any]) -> tuple[dict[str, int], list[RowError]]:
    """Which position holds which field; unknown columns (序号, 备注, …) are ignored."""
    positions: dict[str, int] = {}
    errors = []
    for index, header in enumerate(headers):
        column = _HEADER_KEYS.get(_key(header))
        if column is None:
            continue
        if column.key in positions:
            errors.append(RowError(1, column.label, str(header), f"“{column.label}”列出现了两次，请只保留一列。"))
        positions[column.key] = index
    for column in COLUMNS:
        if column.required and column.key not in positions:
            errors.append(RowError(1, column.label, "", f"缺少必填列“{column.label}”，请使用导入模板的表头（第1行）。"))
    return positions, errors


# --- values --------------------------------------------------------------------------------


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime):
        return value.strftime("%Y-%m-%d" if value.time() == datetime.time() else "%Y-%m-%d %H:%M:%S")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value).strip()


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


_LEVEL_WORDS = {
    "5": ("五级", "五", "初级工", "初级"),
    "4": ("四级", "四", "中级工", "中级"),
    "3": ("三级", "三", "高级工", "高级"),
    "2": ("二级", "二", "技师"),
    "1": ("一级", "一", "高级技师"),
}


def _words(choices: Sequence[tuple[str, str]], words: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """A choice field's value for each way a clerk writes it: the stored value, the label,
    each part of a label like “高中/中专/技校”, and the usual other words."""
    found = {}
    for value, label in choices:
        for word in (value, label, *label.split("/"), *words.get(value, ())):
            found[_key(word)] = value
    return found


LEVELS = _words(SkillLevel.choices, {value: (f"{value}级", *words) for value, words in _LEVEL_WORDS.items()})

_EDUCATION_WORDS = {
    "junior": ("初中", "小学", "初中以下"),
    "senior": ("高中", "中专", "技校", "职高", "中技", "高中及以下"),
    "college": ("专科", "大学专科", "高职"),
    "bachelor": ("大学本科", "大学", "学士"),
    "postgraduate": ("硕士", "博士", "硕士研究生", "博士研究生"),
}


EDUCATIONS = _words(Candidate.Education.choices, _EDUCATION_WORDS)

_DIPLOMA_WORDS = {
    "none": ("否", "没有"),
    "technical_school": ("技工学校", "技校", "技工学校毕业"),
    "secondary_vocational": ("中职", "中专", "中等职业学校", "中职毕业"),
    "senior_technical_school": ("高级技工学校", "技师学院", "高级技工学校毕业", "技师学院毕业"),
    "higher_vocational": ("高职", "高等职业学校", "高职毕业"),
    "college_in_trade": ("大专及以上", "大专", "本科", "本专业大专及以上"),
    "preparatory_technician": ("预备技师班", "预备技师", "预备技师班毕业"),
}
DIPLOMAS = _words(Candidate.Diploma.choices, _DIPLOMA_WORDS)

_TRAINEE_WORDS = {
    "none": ("否", "不是", "社会考生", "社会人员"),
    "school_student": ("职业院校学生", "技工院校学生", "院校学生", "在校生", "学生"),
    "new_apprentice": ("新型学徒", "企业学徒", "学徒"),
}
TRAINEE_KINDS = _words(Candidate.TraineeKind.choices, _TRAINEE_WORDS)

LEVEL_HELP = "、".join(label for _, label in SkillLevel.choices)
EDUCATION_HELP = "、".join(label for _, label in Candidate.Education.choices)
DIPLOMA_HELP = "、".join(label for _, label in Candidate.Diploma.choices)
TRAINEE_HELP = "“无”“职业院校学生”或“企业新型学徒”"
_CHOICE_CELLS = {
    "education": (EDUCATIONS, f"文化程度应为{EDUCATION_HELP}之一。"),
    "prior_certificate_level": (LEVELS, f"已有证书等级应为{LEVEL_HELP}之一（也可填5、4、3、2、1）。"),
    "diploma": (DIPLOMAS, f"毕业证书应为{DIPLOMA_HELP}之一。"),
    "trainee_kind": (TRAINEE_KINDS, f"培养类型应为{TRAINEE_HELP}。"),
}
_DATE_CELLS = ("prior_certificate_date", "expected_finish_date")

_DATE_TEXT = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?")
_DATE_DIGITS = re.compile(r"(\d{4})(\d{2})(\d{2})")
_EXCEL_EPOCH = datetime.date(1899, 12, 30)


def parse_date(value: Any) -> datetime.date | None:
    """A date cell, or the ways a clerk types one (2020-09-10, 2020/9/10, 2020.9.10,
    2020年9月10日, 20200910); an Excel date serial number from a cell formatted as number."""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if _is_number(value):
        if 20000 < value < 80000 and float(value).is_integer():  # 1954 … 2119
            return _EXCEL_EPOCH + datetime.timedelta(days=int(value))
        value = _text(value)
    text = str(value or "").strip()
    match = _DATE_TEXT.fullmatch(text) or _DATE_DIGITS.fullmatch(text)
    if match is None:
        return None
    try:
        return datetime.date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


NOT_IN_CATALOG = "不是国家职业资格目录中的职业（工种），请按目录中的名称填写。"


def _read_years(value: Any) -> int | _Refusal:
    text = _text(value).removesuffix("年")
    return int(text) if text.isdigit() else _Refusal("工作年限应为整年数，例如 3。")


def shown_value(key: str, value: Any) -> str:
    """What the report repeats of a cell. ID and phone numbers are masked: the report is
    stored (ImportJob), printed to terminals and logs, and seen by people who may not see
    full numbers; the row number finds the cell in the clerk's own file."""
    text = _text(value)
    if key == "id_number":
        return mask_id_number(text)
    if key == "phone":
        return mask_phone(text)
    return text[:60]


# --- the report ----------------------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    row: int  # the row number in the spreadsheet (the header is row 1)
    column: str
    value: str
    rule: str

    def line(self) -> str:
        shown = f"“{self.value}”" if self.value else "（空）"
        return f"第{self.row}行 【{self.column}】{shown}：{self.rule}"


@dataclass
class ImportReport:
    station: str = ""
    source: str = ""  # what was read: “CSV（GB18030）”, “XLSX”
    rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    error_total: int = 0  # all errors, also when ``errors`` was cut short for storage
    candidates_created: int = 0
    candidates_updated: int = 0
    registrations_created: int = 0
    registrations_unchanged: int = 0
    dry_run: bool = False
    saved: bool = False
    problem: str = ""  # a refusal of the whole file that is not one row's (a conflict on saving)
    preview: list[dict[str, Any]] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)  # the file's known columns, as preview values are
    error_values: dict[int, list[str]] = field(default_factory=dict)  # refused rows' values, masked

    @property
    def ok(self) -> bool:
        return not self.errors and not self.problem

    @property
    def error_rows(self) -> int:
        return len({error.row for error in self.errors})

    def errors_by_row(self) -> dict[int, list[RowError]]:
        grouped: dict[int, list[RowError]] = defaultdict(list)
        for error in self.errors:
            grouped[error.row].append(error)
        return dict(sorted(grouped.items()))

    def summary(self) -> str:
        if self.problem:
            return f"导入被拒绝：{self.problem}"
        if self.errors:
            return (
                f"导入被拒绝：{self.rows} 行中有 {self.error_rows} 行不符合规则（共 {self.error_total} 处），"
                "整个文件未保存任何数据。请按下列行号改正后重新导入。"
            )
        done = "检查通过（仅检查，未保存）" if not self.saved else "导入完成"
        return (
            f"{done}：共 {self.rows} 行；新增报名 {self.registrations_created} 条，"
            f"已存在未变更 {self.registrations_unchanged} 条；新增考生 {self.candidates_created} 人，"
            f"更新考生信息 {self.candidates_updated} 人。"
        )

    def lines(self) -> list[str]:
        lines = [self.summary()]
        lines += [error.line() for error in self.errors]
        if self.error_total > len(self.errors):
            lines.append(f"……另有 {self.error_total - len(self.errors)} 处错误未列出。")
        return lines

    def to_dict(self, max_errors: int | None = None) -> dict[str, Any]:
        errors = self.errors if max_errors is None else self.errors[:max_errors]
        return {
            "station": self.station,
            "source": self.source,
            "rows": self.rows,
            "errors": [[e.row, e.column, e.value, e.rule] for e in errors],
            "error_total": self.error_total,
            "candidates_created": self.candidates_created,
            "candidates_updated": self.candidates_updated,
            "registrations_created": self.registrations_created,
            "registrations_unchanged": self.registrations_unchanged,
            "dry_run": self.dry_run,
            "saved": self.saved,
            "problem": self.problem,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ImportReport:
        report = cls(**{k: v for k, v in data.items() if k != "errors"})
        report.errors = [RowError(*e) for e in data.get("errors", [])]
        return report


class ImportRefused(Exception):
    """The file cannot be read at all (not CSV or XLSX, unknown encoding, empty)."""


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
    headers = next(reader, [])

    def close() -> None:
        text.detach()
        if owned:
            stream.close()

    return Table(headers, reader, f"CSV（{_ENCODING_NAMES[encoding]}）", max(lines - 1, 0), close)


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


# --- what rows are checked against --------------------------------------------------------------


class _Reference:
    """Everything the rows are checked against, loaded once per import."""

    def __init__(self, station: Station) -> None:
        self.station = Station.objects.select_related("region__parent").get(pk=station.pk)
        self.rulebook = RuleBook()
        self.occupations = {_key(o.name): o for o in Occupation.objects.all()}
        announcements: dict[tuple[int, str], list[ExamAnnouncement]] = defaultdict(list)
        for announcement in ExamAnnouncement.objects.filter(station=self.station).select_related("occupation"):
            announcement.station = self.station  # same object: its region is loaded once
            announcements[(announcement.occupation_id, announcement.level)].append(announcement)
        for found in announcements.values():
            found.sort(key=lambda a: (a.publish_date, a.pk))
        self.announcements = dict(announcements)
        self._window: dict[tuple[int, datetime.date], list[str]] = {}
        unique = next(
            c for c in Registration._meta.constraints if c.name == "registration_one_per_candidate_and_announcement"
        )
        self.duplicate_message = str(unique.violation_error_message)

    def announcement_for(self, occupation: Occupation, level: str, day: datetime.date) -> ExamAnnouncement | None:
        """The latest announcement published on or before the day; if there is none yet,
        the first one after it (so the rule “not before the announcement” explains why)."""
        found = self.announcements.get((occupation.pk, level))
        if not found:
            return None
        published = [a for a in found if a.publish_date <= day]
        return published[-1] if published else found[0]

    def registration_rules(self, announcement: ExamAnnouncement, day: datetime.date) -> list[str]:
        """The date rules of ``Registration.clean()`` for one announcement and day, with the
        shared rule book: rows with the same announcement and day are checked once."""
        key = (announcement.pk, day)
        if key not in self._window:
            messages = []
            if day < announcement.publish_date:
                # Same rule and words as Registration.clean().
                messages.append(f"报名日期 {day:%Y-%m-%d} 早于公告发布日期 {announcement.publish_date:%Y-%m-%d}。")
            try:
                check_registration_window(
                    announcement.occupation, self.station.region, day, "受理报名", rulebook=self.rulebook
                )
            except ValidationError as error:
                messages.extend(error.messages)
            self._window[key] = messages
        return self._window[key]


@dataclass(slots=True)
class _Person:
    """One ID number met in the file: the first row's values, and what becomes of them."""

    row: int
    id_number: str
    values: dict[str, Any]  # the candidate's fields set by the row (non-blank cells), by attname
    pk: int | None = None  # an existing candidate
    birth_date: datetime.date | None = None
    valid: bool = True


@dataclass(frozen=True)
class _Refusal:
    """A cell that cannot be read as its field's value; remembered like a good one."""

    rule: str


@dataclass
class _Plan:
    new_candidates: list[dict[str, Any]] = field(default_factory=list)  # field values by attname
    changed_candidates: list[Candidate] = field(default_factory=list)
    changed_fields: set[str] = field(default_factory=set)
    registrations: list[tuple] = field(default_factory=list)  # (id_number, announcement_id, day, fee)


def _verbose(name: str) -> str:
    try:
        return str(Candidate._meta.get_field(name).verbose_name)
    except Exception:
        return "考生信息"


# --- the importer ------------------------------------------------------------------------------


class RegistrationImporter:
    """Check a registration file for one station and, if every row passes, save it."""

    def __init__(
        self,
        *,
        station: Station,
        actor: User | None,
        batch_size: int = BATCH_SIZE,
        progress: Progress | None = None,
        writer: str = "auto",
    ) -> None:
        self.station = station
        self.actor = actor
        self.batch_size = batch_size
        self.progress = progress or (lambda phase, done, total: None)
        self.writer = writer

    # -- public -------------------------------------------------------------------------

    def run(
        self,
        headers: Sequence[Any],
        rows: Iterable[Sequence[Any]],
        *,
        dry_run: bool = False,
        source: str = "",
        file_name: str = "",
        estimated_rows: int | None = None,
    ) -> ImportReport:
        report = ImportReport(station=self.station.code, source=source, dry_run=dry_run)
        positions, header_errors = map_headers(headers)
        if header_errors:
            report.errors, report.error_total = header_errors, len(header_errors)
            return report
        self._reference = _Reference(self.station)
        self._positions = positions
        self.today = clock.today()
        self._memo_occupation: dict[Any, Any] = {}
        self._memo_level: dict[Any, Any] = {}
        self._memo_date: dict[Any, Any] = {}
        self._memos: dict[str, dict[Any, Any]] = defaultdict(dict)  # per candidate column
        self._candidate_keys = [key for key in CANDIDATE_FIELDS if key in positions]
        self._shown_keys = [column.key for column in COLUMNS if column.key in positions]
        report.columns = [LABELS[key] for key in self._shown_keys]
        self._people: dict[str, _Person] = {}
        self._pairs: dict[tuple[str, int], int] = {}  # (ID number, announcement) → first row
        self._existing: dict[tuple[int, int], datetime.date] = {}  # (candidate, announcement) → date
        plan = _Plan()
        chunk: list[tuple[int, Sequence[Any]]] = []
        for number, row in enumerate(rows, start=FIRST_DATA_ROW):
            if not any(cell not in (None, "") and str(cell).strip() for cell in row):
                continue  # blank lines: Excel leaves formatted empty rows at the end
            chunk.append((number, row))
            if len(chunk) == self.batch_size:
                self._check_chunk(chunk, plan, report)
                self.progress("检查", report.rows, estimated_rows)
                chunk = []
        if chunk:
            self._check_chunk(chunk, plan, report)
        self.progress("检查", report.rows, report.rows)
        report.error_total = len(report.errors)
        if report.rows == 0 and not report.errors:
            report.problem = "文件中没有数据行（第2行起）。"
        if not report.ok or dry_run:
            self._count(plan, report)
            return report
        try:
            self._write(plan, report, file_name)
        except IntegrityError:
            logger.warning("报名导入在保存时遇到冲突（鉴定站 %s），已整体回滚", self.station.code, exc_info=True)
            report.problem = (
                "保存时发现数据已被他人改动（例如同一考生或报名刚由另一位考务员录入），"
                "为保证整体一致，本次未保存任何数据，请重新导入。"
            )
            return report
        report.saved = True
        return report

    # -- checking ------------------------------------------------------------------------

    def _cells(self, row: Sequence[Any]) -> dict[str, Any]:
        width = len(row)
        # A cell our own export escaped (“'=…”) reads back as what was exported.
        return {key: unescape_formula(row[i]) if i < width else None for key, i in self._positions.items()}

    def _check_chunk(self, chunk: list[tuple[int, Sequence[Any]]], plan: _Plan, report: ImportReport) -> None:
        """Load the chunk's known candidates and their registrations (two queries), then
        check each row in memory."""
        cells = [(number, self._cells(row)) for number, row in chunk]
        wanted = set()
        for _, row in cells:
            raw = row["id_number"]
            if not _is_number(raw):
                normalised = normalise_id_number(raw)
                if ID_NUMBER_SHAPE.fullmatch(normalised) and normalised not in self._people:
                    wanted.add(normalised)
        known = {c.id_number: c for c in Candidate.objects.filter(id_number__in=wanted)} if wanted else {}
        if known:
            for candidate_id, announcement_id, day in Registration.objects.filter(
                candidate_id__in=[c.pk for c in known.values()], station_id=self.station.pk
            ).values_list("candidate_id", "announcement_id", "registration_date"):
                self._existing[(candidate_id, announcement_id)] = day
        for number, row in cells:
            report.rows += 1
            errors = self._check_row(number, row, known, plan, report)
            if errors:
                report.errors.extend(errors)
                report.error_values[number] = [shown_value(key, row.get(key)) for key in self._shown_keys]

    def _error(self, number: int, key: str, value: Any, rule: str) -> RowError:
        return RowError(number, LABELS[key], shown_value(key, value), rule)

    def _lookup(self, memo: dict[Any, Any], raw: Any, find: Callable[[Any], Any]) -> Any:
        # The same few texts (occupations, levels, dates) repeat on every row: look each up once.
        try:
            return memo[raw]
        except KeyError:
            memo[raw] = found = find(raw)
            return found
        except TypeError:  # an unhashable cell value
            return find(raw)

    def _check_row(
        self, number: int, row: dict[str, Any], known: dict[str, Candidate], plan: _Plan, report: ImportReport
    ) -> list[RowError]:
        errors: list[RowError] = []
        person = self._check_person(number, row, known, plan, errors)
        reference = self._reference

        occupation_raw = row["occupation"]
        occupation = self._lookup(self._memo_occupation, occupation_raw, lambda v: reference.occupations.get(_key(v)))
        if occupation is None:
            rule = "请填写职业（工种）。" if not _text(occupation_raw) else NOT_IN_CATALOG
            errors.append(self._error(number, "occupation", occupation_raw, rule))
        level_raw = row["level"]
        level = self._lookup(self._memo_level, level_raw, lambda v: LEVELS.get(_key(v)))
        if level is None:
            errors.append(self._error(number, "level", level_raw, f"等级应为{LEVEL_HELP}之一（也可填5、4、3、2、1）。"))
        day_raw = row["registration_date"]
        day = self._lookup(self._memo_date, day_raw, parse_date)
        if day is None:
            errors.append(self._error(number, "registration_date", day_raw, "报名日期应为日期，例如 2020-09-10。"))

        announcement = None
        if occupation is not None and level is not None and day is not None:
            announcement = reference.announcement_for(occupation, level, day)
            if announcement is None:
                errors.append(
                    self._error(
                        number,
                        "occupation",
                        occupation_raw,
                        f"本站没有“{occupation.name}（{SkillLevel(level).label}）”的鉴定考试公告，请先发布公告再导入报名。",
                    )
                )
            else:
                for message in reference.registration_rules(announcement, day):
                    errors.append(self._error(number, "registration_date", day_raw, message))
        if person is not None and day is not None:
            try:
                check_minimum_age(person, day)
            except ValidationError as error:
                errors.extend(self._error(number, "id_number", row["id_number"], m) for m in error.messages)
        if announcement is None or person is None or errors:
            return errors

        id_number = person.id_number
        duplicate = reference.duplicate_message.rstrip("。")
        first = self._pairs.setdefault((id_number, announcement.pk), number)
        if first != number:
            errors.append(self._error(number, "id_number", id_number, f"{duplicate}（与第{first}行重复）。"))
            return errors
        if person.pk is not None and (person.pk, announcement.pk) in self._existing:
            registered_on = self._existing[(person.pk, announcement.pk)]
            if registered_on == day:
                report.registrations_unchanged += 1  # imported before: nothing to do
                self._preview(report, number, row, "已存在，不变")
                return errors
            errors.append(
                self._error(number, "id_number", id_number, f"{duplicate}（已于 {registered_on:%Y-%m-%d} 报名）。")
            )
            return errors
        plan.registrations.append((id_number, announcement.pk, day, announcement.fee))
        self._preview(report, number, row, "新增报名")
        return errors

    def _read(self, key: str, raw: Any) -> Any:
        """The value a non-blank cell gives the candidate's field, or a ``_Refusal``."""
        memo = self._memos[key]
        if key in _CHOICE_CELLS:
            words, rule = _CHOICE_CELLS[key]
            return self._lookup(memo, raw, lambda v: words.get(_key(v)) or _Refusal(rule))
        if key in _DATE_CELLS:
            rule = f"{LABELS[key]}应为日期，例如 2021-07-01。"
            return self._lookup(memo, raw, lambda v: parse_date(v) or _Refusal(rule))
        if key == "plan_occupation":
            occupations = self._reference.occupations
            return self._lookup(
                memo, raw, lambda v: getattr(occupations.get(_key(v)), "pk", None) or _Refusal(NOT_IN_CATALOG)
            )
        if key == "years_in_trade":
            return self._lookup(memo, raw, _read_years)
        if key == "phone":
            return normalise_phone(_text(raw))
        return _text(raw)

    def _check_person(
        self, number: int, row: dict[str, Any], known: dict[str, Candidate], plan: _Plan, errors: list[RowError]
    ) -> _Person | None:
        """The candidate of the row, checked the first time its ID number appears; later
        rows with the same ID number must agree with the first."""
        raw_id = row["id_number"]
        if _is_number(raw_id):
            # A number cell: Excel kept 15 significant digits; the rest is gone.
            errors.append(self._error(number, "id_number", raw_id, EXCEL_NUMBER_MESSAGE))
            return None
        id_number = normalise_id_number(raw_id)
        values = {}
        refused = False
        for key in self._candidate_keys:
            raw = row[key]
            if raw is None or raw == "" or not _text(raw):
                continue  # blank: a new person gets the default, a known one keeps the value
            value = self._read(key, raw)
            if isinstance(value, _Refusal):
                errors.append(self._error(number, key, raw, value.rule))
                refused = True
            else:
                values[_ATTNAMES[key]] = value
        if refused:
            return None
        person = _Person(number, id_number, values)
        first = self._people.get(id_number) if id_number else None
        if first is not None:
            return self._same_person(number, row, first, person, errors)
        existing = known.get(id_number)
        if existing is not None:
            person.valid = self._check_existing(number, row, existing, person, plan, errors)
        else:
            person.valid = self._check_new(number, row, person, plan, errors)
        if id_number:
            self._people[id_number] = person
        return person if person.valid else None

    def _same_person(
        self, number: int, row: dict[str, Any], first: _Person, person: _Person, errors: list[RowError]
    ) -> _Person | None:
        if not first.valid:
            errors.append(self._error(number, "id_number", row["id_number"], f"该考生的信息有误，见第{first.row}行。"))
            return None
        for attname, value in person.values.items():
            if value != first.values.get(attname):
                key = _FIELD_NAMES[attname]
                rule = f"与第{first.row}行同一身份证号的考生“{LABELS[key]}”不一致。"
                errors.append(self._error(number, key, row.get(key), rule))
        return first

    def _field_errors(self, number: int, row: dict[str, Any], error: ValidationError) -> list[RowError]:
        found = []
        for name, messages in error.message_dict.items():
            key = name if name in LABELS else "id_number"
            prefix = "" if name in LABELS or name in ("birth_date", "sex") else f"{_verbose(name)}："
            found += [self._error(number, key, row.get(key), prefix + message) for message in messages]
        return found

    def _check_new(
        self, number: int, row: dict[str, Any], person: _Person, plan: _Plan, errors: list[RowError]
    ) -> bool:
        """A person not yet known. The ID number goes through ``parse_id_number`` (what
        ``Candidate.clean()`` runs to derive birth date and sex, and the field's own
        validator), the other fields through their model fields' ``clean()`` (validators,
        choices, lengths), then the rules between fields (``candidate_field_rules``, which
        ``Candidate.clean()`` runs). Fields a file does not set keep their defaults; the
        database holds the constraints."""
        found: dict[str, list[str]] = {}
        try:
            birth_date, sex = parse_id_number(person.id_number, today=self.today)
        except ValidationError as error:
            found["id_number"] = error.messages
        values = {}
        for attname, raw in {**_ALWAYS_CHECKED, **person.values}.items():
            name = _FIELD_NAMES[attname]
            if name == "plan_occupation":
                values[attname] = raw  # found among the catalog's occupations
                continue
            try:
                values[attname] = CANDIDATE_MODEL_FIELDS[name].clean(raw, None)
            except ValidationError as error:
                found[name] = error.messages
        if not found:
            found = {name: [message] for name, message in candidate_field_rules(values).items()}
        if found:
            errors.extend(self._field_errors(number, row, ValidationError(found)))
            return False
        person.birth_date = birth_date
        values.update(id_number=person.id_number, birth_date=birth_date, sex=sex)
        person.values = values  # one dict per person: what later rows are compared with, and what is saved
        plan.new_candidates.append(values)
        return True

    def _check_existing(
        self,
        number: int,
        row: dict[str, Any],
        candidate: Candidate,
        person: _Person,
        plan: _Plan,
        errors: list[RowError],
    ) -> bool:
        """Blank cells keep what is known. A changed value is checked with the whole
        model's rules (``clean_fields`` on the changed fields, then ``clean()``): updates
        are few, and the saved person may carry other fields those rules read."""
        person.pk, person.birth_date = candidate.pk, candidate.birth_date
        changed = []
        for attname, value in person.values.items():
            if getattr(candidate, attname) != value:
                setattr(candidate, attname, value)
                changed.append(_FIELD_NAMES[attname])
        if not changed:
            return True
        try:
            # The plan occupation was found in the catalog: no query to check it again.
            candidate.clean_fields(
                exclude=[n for n in _ALL_CANDIDATE_FIELDS if n not in changed or n == "plan_occupation"]
            )
            candidate.clean()
        except ValidationError as error:
            errors.extend(self._field_errors(number, row, error))
            return False
        plan.changed_candidates.append(candidate)
        plan.changed_fields.update(changed)
        return True

    def _preview(self, report: ImportReport, number: int, row: dict[str, Any], action: str) -> None:
        if len(report.preview) < PREVIEW_ROWS:
            values = [shown_value(key, row.get(key)) for key in self._shown_keys]
            report.preview.append({"row": number, "action": action, "values": values})

    def _count(self, plan: _Plan, report: ImportReport) -> None:
        """On a dry run (or a refused file) the report says what a real import would do."""
        report.candidates_created = len(plan.new_candidates)
        report.candidates_updated = len(plan.changed_candidates)
        report.registrations_created = len(plan.registrations)

    # -- writing --------------------------------------------------------------------------

    def _write(self, plan: _Plan, report: ImportReport, file_name: str) -> None:
        """One transaction, batch by batch, every change attributed to the actor."""
        use_copy = self.writer == "copy" or (self.writer == "auto" and connection.vendor == "postgresql")
        reason = f"批量导入报名：{file_name}" if file_name else "批量导入报名"
        # Progress in rows of the file, whatever is being written.
        total = len(plan.new_candidates) + len(plan.registrations)
        done = 0

        def saved(count: int) -> None:
            nonlocal done
            done += count
            self.progress("保存", report.rows * done // max(total, 1), report.rows)

        # Said before the transaction, so that a job's page shows it; the counts written
        # inside it become visible when it commits (the saving is the short part).
        self.progress("保存", 0, report.rows)
        with transaction.atomic(), acting_as(self.actor, reason=reason):
            writer = CopyWriter(self.actor) if use_copy else OrmWriter(self.actor)
            pks = {person_id: person.pk for person_id, person in self._people.items() if person.pk is not None}
            for start in range(0, len(plan.new_candidates), self.batch_size):
                batch = plan.new_candidates[start : start + self.batch_size]
                pks.update(writer.create_candidates(batch))
                saved(len(batch))
            if plan.changed_candidates:
                # Updates are few (a re-import with corrections): the ORM path, with its trace.
                Candidate.objects.bulk_update(
                    plan.changed_candidates, sorted(plan.changed_fields), batch_size=self.batch_size
                )
            station_id = self.station.pk
            for start in range(0, len(plan.registrations), self.batch_size):
                batch = plan.registrations[start : start + self.batch_size]
                writer.create_registrations(
                    [
                        (pks[id_number], announcement_id, station_id, day, fee)
                        for id_number, announcement_id, day, fee in batch
                    ]
                )
                saved(len(batch))
        report.candidates_created = len(plan.new_candidates)
        report.candidates_updated = len(plan.changed_candidates)
        report.registrations_created = len(plan.registrations)
        self.statements = writer.statements


# --- writers -------------------------------------------------------------------------------------


class OrmWriter:
    """``bulk_create`` through the models' ``TracedQuerySet``: each batch writes its rows
    and their history rows (who, when, why) in two statements per table."""

    def __init__(self, actor: User | None) -> None:
        self.actor = actor
        self.statements = 0  # statements Django's query counting does not see

    def create_candidates(self, batch: list[dict[str, Any]]) -> dict[str, int]:
        created = Candidate.objects.bulk_create([Candidate(**values, created_by=self.actor) for values in batch])
        return {c.id_number: c.pk for c in created}

    def create_registrations(self, batch: list[tuple]) -> None:
        Registration.objects.bulk_create(
            [
                Registration(
                    candidate_id=candidate_id,
                    announcement_id=announcement_id,
                    station_id=station_id,
                    registration_date=day,
                    fee=fee,
                    registered_by=self.actor,
                )
                for candidate_id, announcement_id, station_id, day, fee in batch
            ]
        )


class CopyWriter(OrmWriter):
    """PostgreSQL ``COPY`` for the rows and for their history rows.

    Django's ``bulk_create`` spends most of an import's time building and quoting
    parameters (about 0.35 ms a row with history, here). ``COPY`` writes the same rows:
    ids reserved from the table's sequence, every column from the model's own defaults,
    and one history row per row with the values ``bulk_history_create`` would write
    (history_type “+”, the actor, the reason, the time). Used only where the historical
    model has exactly the fields this knows; otherwise the ORM path is taken."""

    HISTORY_FIELDS = {"history_id", "history_date", "history_change_reason", "history_type", "history_user_id"}

    def __init__(self, actor: User | None) -> None:
        super().__init__(actor)
        self.now = clock.now()
        self.reason = current_reason()
        self._tables = {model: _CopyTable(model) for model in (Candidate, Registration)}
        self.usable = all(t.usable for t in self._tables.values())

    def _copy(self, model: type, rows: list[dict[str, Any]]) -> list[int]:
        table = self._tables[model]
        with connection.cursor() as cursor, connection.wrap_database_errors:  # psycopg's errors as Django's
            cursor.execute(f"SELECT nextval(%s) FROM generate_series(1, {len(rows)})", [table.sequence])
            ids = [row[0] for row in cursor.fetchall()]
            with cursor.copy(table.copy_sql) as copy:
                for pk, row in zip(ids, rows, strict=True):
                    row["id"] = pk
                    copy.write_row([row[name] for name in table.columns])
            history = [
                self.now,
                self.reason,
                "+",
                getattr(self.actor, "pk", None),
            ]
            with cursor.copy(table.history_copy_sql) as copy:
                for row in rows:
                    copy.write_row([row[name] for name in table.columns] + history)
        self.statements += 2  # the COPYs (Django does not see them)
        return ids

    def create_candidates(self, batch: list[dict[str, Any]]) -> dict[str, int]:
        if not self.usable:
            return super().create_candidates(batch)
        defaults = self._tables[Candidate].defaults
        actor_id = getattr(self.actor, "pk", None)
        ids = self._copy(Candidate, [{**defaults, **values, "created_by_id": actor_id} for values in batch])
        return {values["id_number"]: pk for values, pk in zip(batch, ids, strict=True)}

    def create_registrations(self, batch: list[tuple]) -> None:
        if not self.usable:
            super().create_registrations(batch)
            return
        defaults = self._tables[Registration].defaults
        actor_id = getattr(self.actor, "pk", None)
        self._copy(
            Registration,
            [
                {
                    **defaults,
                    "candidate_id": candidate_id,
                    "announcement_id": announcement_id,
                    "station_id": station_id,
                    "registration_date": day,
                    "fee": fee,
                    "registered_by_id": actor_id,
                }
                for candidate_id, announcement_id, station_id, day, fee in batch
            ],
        )


# Column types whose Python values psycopg writes exactly as Django would.
_COPYABLE = {
    "AutoField",
    "BigAutoField",
    "BigIntegerField",
    "BooleanField",
    "CharField",
    "DateField",
    "DateTimeField",
    "DecimalField",
    "ForeignKey",
    "IntegerField",
    "PositiveIntegerField",
    "PositiveSmallIntegerField",
    "SmallIntegerField",
    "TextField",
}


class _CopyTable:
    def __init__(self, model: type) -> None:
        qn = connection.ops.quote_name
        fields = model._meta.concrete_fields
        history_model = model.history.model
        tracked = [f.attname for f in history_model.tracked_fields]
        history_fields = {f.attname for f in history_model._meta.concrete_fields}
        self.columns = [f.attname for f in fields]
        self.usable = (
            connection.vendor == "postgresql"
            and all((f.get_internal_type() in _COPYABLE and not f.db_returning) or f.primary_key for f in fields)
            and tracked == self.columns
            and history_fields == set(tracked) | CopyWriter.HISTORY_FIELDS
        )
        self.defaults = {f.attname: f.get_default() for f in fields if not f.primary_key}
        table = qn(model._meta.db_table)
        self.copy_sql = f"COPY {table} ({', '.join(qn(f.column) for f in fields)}) FROM STDIN"
        history_columns = [history_model._meta.get_field(name).column for name in self.columns] + [
            "history_date",
            "history_change_reason",
            "history_type",
            "history_user_id",
        ]
        self.history_copy_sql = (
            f"COPY {qn(history_model._meta.db_table)} ({', '.join(qn(c) for c in history_columns)}) FROM STDIN"
        )
        self.sequence = f"{model._meta.db_table}_id_seq"
        if self.usable:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [model._meta.db_table, fields[0].column])
                self.sequence = cursor.fetchone()[0]


# --- files, jobs ---------------------------------------------------------------------------------


def import_file(
    source: str | Path | bytes | IO[bytes],
    *,
    station: Station,
    actor: User | None,
    dry_run: bool = False,
    file_name: str = "",
    batch_size: int = BATCH_SIZE,
    progress: Progress | None = None,
    writer: str = "auto",
) -> ImportReport:
    """Read a file (CSV in any of the three encodings, or XLSX) and import it."""
    try:
        table = open_table(source)
    except ImportRefused as refusal:
        return ImportReport(station=station.code, dry_run=dry_run, problem=str(refusal))
    try:
        importer = RegistrationImporter(
            station=station, actor=actor, batch_size=batch_size, progress=progress, writer=writer
        )
        return importer.run(
            table.headers,
            table.rows,
            dry_run=dry_run,
            source=table.source,
            file_name=file_name or (Path(source).name if isinstance(source, str | os.PathLike) else ""),
            estimated_rows=table.estimated_rows,
        )
    except ImportRefused as refusal:  # found while reading the rows
        return ImportReport(station=station.code, dry_run=dry_run, problem=str(refusal))
    finally:
        table.close()


def run_import_job(job_id: int, user_id: int) -> ImportReport | None:
    """Run one queued ImportJob (the Celery task calls this).

    1. Claim the job: a conditional update from “queued” to “running”; a job already
       claimed (a redelivered task) is left alone.
    2. Import its file as the user, recording progress on the job as it goes.
    3. Store the report and the outcome; remove the uploaded file, which holds personal
       data and is no longer needed."""
    claimed = ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.QUEUED).update(
        status=ImportJob.Status.RUNNING, phase="检查"
    )
    if not claimed:
        return None
    job = ImportJob.objects.select_related("station").get(pk=job_id)
    actor = User.objects.get(pk=user_id)

    def progress(phase: str, done: int, total: int | None) -> None:
        live = {"phase": phase, "processed_rows": done, "total_rows": total or done}
        # The saving runs in one transaction, so the job row's progress shows only at its
        # commit; the cache (Redis, shared with the web processes) shows it meanwhile.
        cache.set(_progress_key(job_id), live, timeout=PROGRESS_TTL)
        ImportJob.objects.filter(pk=job_id).update(**live)

    report = None
    try:
        with job.file.open("rb") as stream:
            report = import_file(
                stream,
                station=job.station,
                actor=actor,
                dry_run=job.dry_run,
                file_name=job.original_name,
                progress=progress,
            )
        status = ImportJob.Status.DONE if report.ok else ImportJob.Status.REFUSED
        stored = report.to_dict(max_errors=STORED_ERRORS)
    except Exception:
        logger.exception("报名导入任务 %s 出错", job_id)
        status = ImportJob.Status.FAILED
        stored = {"problem": "处理文件时出错，未保存任何数据。请检查文件后重新导入，或联系系统管理员。"}
    finally:
        if job.file:
            job.file.delete(save=False)
    ImportJob.objects.filter(pk=job_id).update(status=status, report=stored, file="", finished_at=clock.now())
    cache.delete(_progress_key(job_id))
    return report


PROGRESS_TTL = 6 * 3600  # longer than any import; a crashed worker's entry expires


def _progress_key(job_id: int) -> str:
    return f"jianding:import-job-progress:{job_id}"


def job_with_live_progress(job: ImportJob) -> ImportJob:
    """The job as its page shows it: while it runs, with the progress its worker reported
    last, also from inside the saving transaction."""
    if not job.is_finished:
        live = cache.get(_progress_key(job.pk))
        if live:
            for name, value in live.items():
                setattr(job, name, value)
    return job


# --- files left behind ---------------------------------------------------------------------------

PREVIEW_FOLDER = "imports/preview"  # under MEDIA_ROOT: uploads waiting at the preview step
PREVIEW_MAX_AGE = datetime.timedelta(hours=1)


def preview_dir() -> Path:
    from django.conf import settings

    return Path(settings.MEDIA_ROOT) / PREVIEW_FOLDER


def purge_import_files(*, now: datetime.datetime | None = None, max_age: datetime.timedelta = PREVIEW_MAX_AGE) -> int:
    """Remove uploads that nobody will confirm: files left at the preview step longer
    than ``max_age`` (an hour), and files of finished import jobs (normally removed when
    the job ends; a crashed worker may leave one). They hold personal data. Returns how
    many files were removed."""
    now = now or clock.now()
    removed = 0
    folder = preview_dir()
    if folder.is_dir():
        cutoff = (now - max_age).timestamp()
        for path in folder.iterdir():
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
                removed += 1
    for job in ImportJob.objects.filter(status__in=ImportJob.FINISHED).exclude(file=""):
        job.file.delete(save=False)
        ImportJob.objects.filter(pk=job.pk).update(file="")
        removed += 1
    return removed
