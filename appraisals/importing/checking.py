"""Checking a registration file's rows: every cell read the way a clerk writes it, every
row against the models' own rules, without a query per row; then, if every row passed,
saving them all through a writer (``writing``), in one transaction.

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
   with the shared rule book, ``check_authorised`` with the station's authorisations
   loaded once, ``check_minimum_age``) and its unique constraint.
4. If any row was refused, or on a dry run: return the report; nothing is saved.
5. Otherwise, in one transaction and as the acting user: create the new candidates,
   update the changed ones, create the registrations, batch by batch, each batch with
   its trace (history rows naming the user and the file).

A row whose registration already exists with the same date is left alone, so importing
the same file again changes nothing. Every refusal is reported as (row, column, value,
rule); ID numbers and phone numbers in the report are masked (see ``shown_value``).
"""

from __future__ import annotations

import datetime
import logging
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured, ValidationError
from django.db import DatabaseError, IntegrityError, connection, models, transaction

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
from catalog.selectors import RuleBook, StationAuthority
from catalog.trace import acting_as
from kit import clock, conf

from .. import rules
from ..exporting import unescape_formula
from ..models import ExamAnnouncement, LateEntryApproval, Registration, check_authorised, check_registration_window
from .compact import IntMap
from .reading import COLUMNS, LABELS, _key, map_headers
from .report import ImportReport, RowError
from .writing import CopyWriter, OrmWriter

logger = logging.getLogger(__name__)

BATCH_SIZE = 1000
PREVIEW_ROWS = 100  # rows shown in the admin's preview
FIRST_DATA_ROW = 2  # row 1 holds the headers, as the clerk sees it in Excel

Progress = Callable[[str, int, int | None], None]

# The candidate's fields a file may set; every other field keeps its value (or default).
CANDIDATE_FIELDS = tuple(
    column.key for column in COLUMNS if column.key not in ("id_number", "occupation", "level", "registration_date")
)


def _candidate_model_field(name: str) -> models.Field:
    model_field = Candidate._meta.get_field(name)
    if not isinstance(model_field, models.Field):
        raise ImproperlyConfigured(f"Candidate.{name} is not a field of its own.")
    return model_field


CANDIDATE_MODEL_FIELDS = {name: _candidate_model_field(name) for name in CANDIDATE_FIELDS}
_ATTNAMES = {name: field.attname for name, field in CANDIDATE_MODEL_FIELDS.items()}
_FIELD_NAMES = {attname: name for name, attname in _ATTNAMES.items()}
# A known person the file leaves as they are is remembered by which fields its first row set.
_FIELD_BITS = {attname: 1 << i for i, attname in enumerate(_ATTNAMES.values())}
if len(_FIELD_BITS) > 32:
    raise ImproperlyConfigured("An unchanged person's fields must fit in 32 bits.")
# Every new person's values pass these fields' own ``clean()`` (blank ones too: a missing
# name or phone is an error); the others only when a cell sets them. A blank education,
# years in the trade or diploma is “not entered yet” (the model's blank), asked for by the
# eligibility review when a route needs it: a station's plain six-column list imports.
_ALWAYS_CHECKED = {"name": "", "phone": ""}
_PER_PERSON = {"name", "phone", "prior_certificate_number"}  # values hardly two people share
_ALL_CANDIDATE_FIELDS = [f.name for f in Candidate._meta.concrete_fields]


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
    return int(text) if text.isdecimal() else _Refusal("工作年限应为整年数，例如 3。")


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


# --- what rows are checked against --------------------------------------------------------------


class _Reference:
    """Everything the rows are checked against, loaded once per import."""

    def __init__(self, station: Station) -> None:
        self.station = Station.objects.select_related("region__parent").get(pk=station.pk)
        self.rulebook = RuleBook()
        self.authority = StationAuthority(self.station)
        self.occupations = {_key(o.name): o for o in Occupation.objects.all()}
        announcements: dict[tuple[int, str], list[ExamAnnouncement]] = defaultdict(list)
        for announcement in ExamAnnouncement.objects.filter(station=self.station).select_related("occupation"):
            announcement.station = self.station  # same object: its region is loaded once
            announcements[(announcement.occupation_id, announcement.level)].append(announcement)
        for found in announcements.values():
            found.sort(key=lambda a: (a.publish_date, a.pk))
        self.announcements = dict(announcements)
        self._window: dict[tuple[int, datetime.date], list[str]] = {}
        self._late: dict[tuple[int, datetime.date], tuple[rules.Violation, datetime.date, str] | None] = {}
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
            try:
                check_authorised(
                    self.station, announcement.occupation, announcement.level, day, "受理报名", self.authority
                )
            except ValidationError as error:
                messages.extend(error.messages)
            self._window[key] = messages
        return self._window[key]

    def late_entry(
        self, announcement: ExamAnnouncement, day: datetime.date, now: datetime.datetime
    ) -> tuple[rules.Violation, datetime.date, str] | None:
        """``rules.late_entry`` for a registration dated ``day`` entered ``now`` (the same
        rule and words as ``services.registration_accept``), with the deadline and its notice."""
        key = (announcement.pk, day)
        if key not in self._late:
            deadlines = self.rulebook.deadlines_for(announcement.occupation, self.station.region)
            deadline, notice = rules.entry_deadline(deadlines, rules.REGISTRATION)
            late = rules.late_entry(
                act=rules.REGISTRATION, act_date=day, deadline=deadline, source=notice, entered_at=now
            )
            self._late[key] = (late, deadline, notice) if late is not None and deadline is not None else None
        return self._late[key]


class LateEntryRefused(Exception):
    """The file's late-entry approval was used or expired while it was being checked."""


@dataclass(slots=True)
class _Person:
    """One ID number met in the file: the first row's values, and what becomes of them."""

    row: int
    id_number: str
    values: dict[str, Any]  # the candidate's fields set by the row (non-blank cells), by attname
    pk: int | None = None  # an existing candidate
    birth_date: datetime.date | None = None
    valid: bool = True
    unchanged: bool = False  # an existing candidate the row leaves as it is


def _id_key(id_number: str) -> int:
    """A well-formed ID number as one integer (below 2**61), for ``IntMap``."""
    return int(id_number[:17]) * 11 + (10 if id_number[17] == "X" else int(id_number[17]))


@dataclass(frozen=True)
class _Refusal:
    """A cell that cannot be read as its field's value; remembered like a good one."""

    rule: str


@dataclass(frozen=True)
class _FieldRefused:
    """What a model field's ``clean()`` said of a value; remembered like a good one."""

    messages: tuple[str, ...]


@dataclass
class _Plan:
    new_candidates: list[dict[str, Any]] = field(default_factory=list)  # field values by attname
    changed_candidates: list[Candidate] = field(default_factory=list)
    changed_fields: set[str] = field(default_factory=set)
    registrations: list[tuple] = field(default_factory=list)  # (id_number, announcement_id, day, fee)
    # Late entries (补录) among them: (id_number, announcement_id) → (day, deadline, notice).
    late: dict[tuple[str, int], tuple[datetime.date, datetime.date, str]] = field(default_factory=dict)


def _verbose(name: str) -> str:
    try:
        model_field = Candidate._meta.get_field(name)
    except FieldDoesNotExist:  # a rule between fields, or on the whole person
        return "考生信息"
    return str(model_field.verbose_name) if isinstance(model_field, models.Field) else "考生信息"


# --- the importer ------------------------------------------------------------------------------


IMPORT_IN_PROGRESS = (
    "本站点的另一份报名名单正在导入（例如同一文件刚刚已提交过一次），为免重复登记，本次未导入任何数据。"
    "请等那一次完成后查看结果；如仍需导入，再导入一次即可：已登记的行不会重复登记。"
)
_IMPORT_LOCK_CLASS = 0x4A44  # “JD”: the advisory-lock namespace of registration imports


@contextmanager
def station_import_lock(station_id: int) -> Iterator[bool]:
    """Hold PostgreSQL's session advisory lock of one station's imports while a file is
    checked and saved; yields False at once if another import of the station holds it.
    The lock goes with the session, so an import whose connection dies releases it. SQLite
    (development) serialises its writers anyway: no lock there."""
    if connection.vendor != "postgresql":
        yield True
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [_IMPORT_LOCK_CLASS, station_id])
        held = bool(cursor.fetchone()[0])
    try:
        yield held
    finally:
        if held:
            try:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [_IMPORT_LOCK_CLASS, station_id])
            except DatabaseError:  # the connection is gone, and the lock with it
                logger.warning("导入锁释放时数据库连接已断开（鉴定站 %s）", station_id)


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
        late_entry_approval: LateEntryApproval | None = None,
    ) -> None:
        self.station = station
        self.actor = actor
        # A file of late entries (补录) is taken only under a guidance-centre officer's approval.
        self.late_entry_approval = late_entry_approval
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
        if dry_run:
            return self._run(report, positions, rows, dry_run=True, file_name=file_name, estimated_rows=estimated_rows)
        # One import per station at a time, checking and saving: a second one (the same file
        # sent twice at once, two clerks) is refused at once instead of checked against rows
        # the first is about to save.
        with station_import_lock(self.station.pk) as held:
            if not held:
                report.problem = IMPORT_IN_PROGRESS
                return report
            return self._run(report, positions, rows, dry_run=False, file_name=file_name, estimated_rows=estimated_rows)

    def _run(
        self,
        report: ImportReport,
        positions: dict[str, int],
        rows: Iterable[Sequence[Any]],
        *,
        dry_run: bool,
        file_name: str,
        estimated_rows: int | None,
    ) -> ImportReport:
        self._reference = _Reference(self.station)
        self._positions = positions
        self.today = clock.today()
        self.now = clock.now()
        self._approved_ids: set[str] | None = None  # ID numbers an approval lists (None: the whole file)
        if self.late_entry_approval is not None:
            approval = LateEntryApproval.objects.get(pk=self.late_entry_approval.pk)
            refused = approval.refusal(
                actor=self.actor, station_id=self.station.pk, act=rules.REGISTRATION, candidate_ids=set(), now=self.now
            )
            if refused:
                report.problem = refused
                return report
            listed = set(approval.candidates.values_list("id_number", flat=True))
            self._approved_ids = listed or None
        self._kept_errors = conf.import_kept_errors()
        self._memo_occupation: dict[Any, Any] = {}
        self._memo_level: dict[Any, Any] = {}
        self._memo_date: dict[Any, Any] = {}
        self._memos: dict[str, dict[Any, Any]] = defaultdict(dict)  # per candidate column
        self._candidate_keys = [key for key in CANDIDATE_FIELDS if key in positions]
        self._shown_keys = [column.key for column in COLUMNS if column.key in positions]
        report.columns = [LABELS[key] for key in self._shown_keys]
        # What a re-import keeps must not grow with the file (issue #15): a known person the
        # file leaves as they are, and a registration already saved, are remembered as
        # integers; the rest (new or changed people, new registrations) is saved anyway.
        self._people: dict[str, _Person] = {}  # new, changed or refused: the first row
        self._unchanged = IntMap(estimated_rows or 0)  # ID number → first row << 32 | fields it set
        self._pairs: dict[tuple[str, int], int] = {}  # (ID number, announcement) → first row
        self._saved_pairs = IntMap(estimated_rows or 0)  # registration → first row
        self._planned_pks: dict[str, int] = {}  # known people with a new registration
        # The chunk's known people's registrations here: (candidate, announcement) → (date, pk).
        self._existing: dict[tuple[int, int], tuple[datetime.date, int]] = {}
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
        if report.rows == 0 and not report.errors:
            report.problem = "文件中没有数据行（第2行起）。"
        if not report.ok or dry_run:
            self._count(plan, report)
            return report
        try:
            self._write(plan, report, file_name)
        except LateEntryRefused as refusal:
            report.problem = f"{refusal}本次未保存任何数据。"
            return report
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
                first = self._people.get(normalised)
                if ID_NUMBER_SHAPE.fullmatch(normalised) and (first is None or first.pk is not None):
                    wanted.add(normalised)  # not a person this file adds
        known = {c.id_number: c for c in Candidate.objects.filter(id_number__anyof=wanted)} if wanted else {}
        self._existing = {}
        if known:
            for candidate_id, announcement_id, day, pk in Registration.objects.filter(
                candidate_id__anyof=[c.pk for c in known.values()], station_id=self.station.pk
            ).values_list("candidate_id", "announcement_id", "registration_date", "pk"):
                self._existing[(candidate_id, announcement_id)] = (day, pk)
        for number, row in cells:
            report.rows += 1
            errors = self._check_row(number, row, known, plan, report)
            if errors:
                report.error_total += len(errors)
                report.error_row_total += 1
                room = self._kept_errors - len(report.errors)
                if room > 0:
                    report.errors.extend(errors[:room])
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
        late = None
        if announcement is not None and day is not None and not errors:
            late = reference.late_entry(announcement, day, self.now)
            if late is not None and (
                self.late_entry_approval is None
                or (
                    person is not None and self._approved_ids is not None and person.id_number not in self._approved_ids
                )
            ):
                rule = late[0].message
                if self.late_entry_approval is not None:
                    rule = f"{rule}所选补录批准 #{self.late_entry_approval.pk} 没有列入这位考生。"
                errors.append(self._error(number, "registration_date", day_raw, rule))
        if person is not None and day is not None:
            try:
                check_minimum_age(person, day)
            except ValidationError as error:
                errors.extend(self._error(number, "id_number", row["id_number"], m) for m in error.messages)
        if announcement is None or person is None or errors:
            return errors

        id_number = person.id_number
        duplicate = reference.duplicate_message.rstrip("。")
        saved = self._existing.get((person.pk, announcement.pk)) if person.pk is not None else None
        if saved is not None:
            first = self._saved_pairs.setdefault(saved[1], number)
        else:
            first = self._pairs.setdefault((id_number, announcement.pk), number)
        if first != number:
            errors.append(self._error(number, "id_number", id_number, f"{duplicate}（与第{first}行重复）。"))
            return errors
        if saved is not None:
            registered_on = saved[0]
            if registered_on == day:
                report.registrations_unchanged += 1  # imported before: nothing to do
                self._preview(report, number, row, "已存在，不变")
                return errors
            errors.append(
                self._error(number, "id_number", id_number, f"{duplicate}（已于 {registered_on:%Y-%m-%d} 报名）。")
            )
            return errors
        plan.registrations.append((id_number, announcement.pk, day, announcement.fee))
        if person.pk is not None:
            self._planned_pks[id_number] = person.pk
        if late is not None:
            plan.late[(id_number, announcement.pk)] = (day, late[1], late[2])
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
            unchanged = self._unchanged.get(_id_key(id_number))
            if unchanged is not None:
                return self._same_as_unchanged(number, row, unchanged, existing, person, errors)
            person.valid = self._check_existing(number, row, existing, person, plan, errors)
            if person.unchanged:
                fields = sum(_FIELD_BITS[attname] for attname in values)
                self._unchanged.setdefault(_id_key(id_number), number << 32 | fields)
                return person
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

    def _same_as_unchanged(
        self,
        number: int,
        row: dict[str, Any],
        unchanged: int,
        candidate: Candidate,
        person: _Person,
        errors: list[RowError],
    ) -> _Person:
        """A later row of a known person whose first row changed nothing: the fields that
        row set are the saved ones, so this row must set the same fields to the saved values."""
        first_row, fields = unchanged >> 32, unchanged & 0xFFFFFFFF
        for attname, value in person.values.items():
            if not fields & _FIELD_BITS[attname] or value != getattr(candidate, attname):
                key = _FIELD_NAMES[attname]
                rule = f"与第{first_row}行同一身份证号的考生“{LABELS[key]}”不一致。"
                errors.append(self._error(number, key, row.get(key), rule))
        return _Person(first_row, person.id_number, {}, pk=candidate.pk, birth_date=candidate.birth_date)

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
            cleaned = self._clean_field(name, raw)
            if isinstance(cleaned, _FieldRefused):
                found[name] = list(cleaned.messages)
            else:
                values[attname] = cleaned
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

    def _clean_field(self, name: str, raw: Any) -> Any:
        """The model field's ``clean()`` of a value, or a ``_FieldRefused`` with its messages. A
        value many people share (a level of education, a training type, years in the trade)
        is cleaned once per file; a name or a phone, once per person."""
        if name not in _PER_PERSON:
            memo = self._memos[f"clean:{name}"]
            if raw in memo:
                return memo[raw]
        try:
            cleaned = CANDIDATE_MODEL_FIELDS[name].clean(raw, None)
        except ValidationError as error:
            cleaned = _FieldRefused(tuple(error.messages))
        if name not in _PER_PERSON:
            memo[raw] = cleaned
        return cleaned

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
            person.unchanged = True
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

    def _record_late(self, plan: _Plan, pks: dict[str, int]) -> None:
        """The file's late entries, under its approval (used up by this file), each flagged
        for supervision (``services.late_entries_record``). Inside the saving transaction:
        an approval used meanwhile by someone else refuses the whole file."""
        from ..services import LateRecord, late_entries_record

        approval = LateEntryApproval.objects.select_for_update(of=("self",)).get(pk=self.late_entry_approval.pk)  # type: ignore[union-attr]
        refused = approval.refusal(
            actor=self.actor, station_id=self.station.pk, act=rules.REGISTRATION, candidate_ids=set(), now=self.now
        )
        if refused:
            raise LateEntryRefused(refused)
        wanted = {
            (pks[id_number], announcement_id): (id_number, announcement_id) for id_number, announcement_id in plan.late
        }
        found = Registration.objects.filter(
            station_id=self.station.pk, candidate_id__anyof={c for c, _ in wanted}
        ).values_list("pk", "candidate_id", "announcement_id")
        records = []
        for pk, candidate_id, announcement_id in found:
            key = wanted.get((candidate_id, announcement_id))
            if key is not None:
                day, deadline, notice = plan.late[key]
                records.append(LateRecord(pk, candidate_id, day, deadline, notice))
        late_entries_record(
            actor=self.actor,
            station=self.station,
            approval=approval,
            act=rules.REGISTRATION,
            entered_at=self.now,
            records=records,
        )

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
            pks = dict(self._planned_pks)
            for start in range(0, len(plan.new_candidates), self.batch_size):
                new_candidates = plan.new_candidates[start : start + self.batch_size]
                pks.update(writer.create_candidates(new_candidates))
                saved(len(new_candidates))
            if plan.changed_candidates:
                # Updates are few (a re-import with corrections): the ORM path, with its trace.
                Candidate.objects.bulk_update(
                    plan.changed_candidates, sorted(plan.changed_fields), batch_size=self.batch_size
                )
            station_id = self.station.pk
            for start in range(0, len(plan.registrations), self.batch_size):
                registrations = plan.registrations[start : start + self.batch_size]
                writer.create_registrations(
                    [
                        (pks[id_number], announcement_id, station_id, day, fee)
                        for id_number, announcement_id, day, fee in registrations
                    ]
                )
                saved(len(registrations))
            if plan.late:
                self._record_late(plan, pks)
        report.candidates_created = len(plan.new_candidates)
        report.candidates_updated = len(plan.changed_candidates)
        report.registrations_created = len(plan.registrations)
        self.statements = writer.statements
