"""A review item's evidence, as a supervisor reads it: Chinese labels, the batch, stations
and sessions as links to their pages, each sign of a rushed issuance as a sentence.

The detectors keep their evidence as data (``ReviewItem.evidence``, a JSON object whose keys
depend on the kind); this module is the one place that turns it into text. A key it does not
know is shown under a neutral label rather than dropped."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from typing import Any

from django.db.models import Model
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from appraisals.models import ExamSession, Registration
from candidates.models import Candidate
from candidates.validators import mask_id_number
from catalog.models import Occupation, Station
from kit import conf

from . import selectors
from .models import ReviewItem

Kind = ReviewItem.Kind
Rows = list[tuple[str, SafeString | str]]


def admin_link(obj: Model | None, text: str | None = None) -> SafeString | str:
    """A link to ``obj``'s admin page (its plain name when it has none)."""
    if obj is None:
        return "—"
    label = text or str(obj)
    try:
        url = reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])
    except NoReverseMatch:
        return label
    return format_html('<a href="{}">{}</a>', url, label)


def _id(evidence: dict, key: str) -> int:
    """The primary key kept under ``key`` (0, which no row has, when it is missing)."""
    try:
        return int(evidence.get(key) or 0)
    except (TypeError, ValueError):
        return 0


def _day(value: Any) -> str:
    try:
        day = value if isinstance(value, datetime.date) else datetime.date.fromisoformat(str(value))
    except ValueError:
        return str(value)
    return f"{day.year}年{day.month}月{day.day}日"


def sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith(("。", "！", "？")) else f"{text}。"


def _sentences(lines: Iterable[str]) -> SafeString:
    items = format_html_join("", "<li>{}</li>", ((sentence(line),) for line in lines if line.strip()))
    return format_html('<ul class="evidence-list">{}</ul>', items)


def _rushed_batch(item: ReviewItem, evidence: dict) -> Rows:
    batch = selectors.batch_of(item)
    if batch is None:
        return [("发证批次", f"#{evidence.get('batch', '—')}（已不存在）")]
    rows: Rows = [
        ("发证批次", admin_link(batch, f"{batch.centre} 发证批次 #{batch.pk}（{batch.items.count()} 人）")),
        ("批次当前状态", batch.get_status_display()),
        ("制单人 / 触发暂缓的审批人", f"{_person(batch.prepared_by)} / {_person(batch.held_by)}"),
    ]
    signals = str(evidence.get("signals") or batch.rush_flags or "").splitlines()
    rows.append(("突击发证风险提示", _sentences(signals) if signals else "—"))
    if batch.reviewed_by_id:
        rows.append(("督导复核", f"{_person(batch.reviewed_by)} {_day(batch.reviewed_on)}：{batch.review_note}"))
    return rows


def _person(user: Any) -> str:
    if user is None:
        return "—"
    return user.get_full_name() or user.username


def _bunched(item: ReviewItem, evidence: dict) -> Rows:
    station = Station.objects.filter(pk=_id(evidence, "station_id")).first()
    t = conf.rush_thresholds()
    return [
        ("鉴定站", admin_link(station)),
        ("报名截止日", _day(evidence.get("cutoff"))),
        (
            "情况",
            sentence(
                f"截止前 {t['window_days']} 天内受理报名 {evidence.get('in_window')} 人，"
                f"日均 {evidence.get('daily_rate')} 人；此前 {t['baseline_days']} 天日均 "
                f"{evidence.get('usual_daily_rate')} 人（超过平时 {t['factor']:g} 倍即提示）"
            ),
        ),
    ]


def _session_rows(session: ExamSession | None) -> Rows:
    if session is None:
        return [("考试场次", "—")]
    return [("考试场次", admin_link(session)), ("鉴定站", admin_link(session.application.station))]


def _identical(item: ReviewItem, evidence: dict) -> Rows:
    session = item.session or ExamSession.objects.filter(pk=_id(evidence, "session_id")).first()
    return [
        *_session_rows(session),
        (
            "情况",
            sentence(
                f"{evidence.get('n')} 名考生首次鉴定理论知识 {evidence.get('theory_score')} 分、"
                f"操作技能 {evidence.get('practical_score')} 分，成绩完全相同"
            ),
        ),
    ]


def _several_stations(item: ReviewItem, evidence: dict) -> Rows:
    candidate = Candidate.objects.filter(pk=_id(evidence, "candidate_id")).first()
    occupation = Occupation.objects.filter(pk=_id(evidence, "announcement__occupation_id")).first()
    registrations = (
        Registration.objects.filter(candidate=candidate, announcement__occupation=occupation)
        .select_related("station", "announcement")
        .order_by("registration_date", "pk")
    )
    where = format_html_join(
        "",
        "<li>{}：{} 报名，{}</li>",
        ((admin_link(r.station), _day(r.registration_date), r.get_status_display()) for r in registrations),
    )
    label = f"{candidate.name}（{mask_id_number(candidate.id_number)}）" if candidate else "—"
    return [
        ("考生", admin_link(candidate, label) if candidate else "—"),
        ("职业（工种）", str(occupation) if occupation else "—"),
        ("情况", sentence(f"同一考生同一职业在 {evidence.get('stations')} 个鉴定站报名")),
        ("报名的鉴定站", format_html('<ul class="evidence-list">{}</ul>', where)),
    ]


def _offsite(item: ReviewItem, evidence: dict) -> Rows:
    session = item.session or ExamSession.objects.filter(pk=_id(evidence, "session")).first()
    return [
        *_session_rows(session),
        ("举行地", str(evidence.get("region", "—"))),
        ("情况", "在鉴定站所在地以外举行，未记录异地鉴定批准。"),
    ]


READERS: dict[str, Callable[[ReviewItem, dict], Rows]] = {
    Kind.RUSHED_BATCH: _rushed_batch,
    Kind.BUNCHED_REGISTRATIONS: _bunched,
    Kind.IDENTICAL_SCORES: _identical,
    Kind.SEVERAL_STATIONS: _several_stations,
    Kind.OFFSITE_UNAPPROVED: _offsite,
}


def evidence_rows(item: ReviewItem) -> Rows:
    evidence = item.evidence if isinstance(item.evidence, dict) else {}
    reader = READERS.get(item.kind)
    if reader is None:
        return [("证据", str(value)) for value in evidence.values()]
    return reader(item, evidence)


def evidence_html(item: ReviewItem) -> SafeString:
    rows = evidence_rows(item)
    if not rows:
        return mark_safe("—")
    return format_html(
        '<table class="evidence"><tbody>{}</tbody></table>',
        format_html_join("", '<tr><th scope="row">{}</th><td>{}</td></tr>', rows),
    )
