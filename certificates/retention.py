"""Retention (PIPL art. 19 and 47: kept no longer than needed, then deleted or de-identified)
of the personal data of ended cases.

A person's cases have ended when every registration of theirs has: closed (a retake failed
or not taken) or given up with a refund (``Registration.ENDED``, dated from the trace), or
passed with a certificate issued (dated by the certificate). ``JIANDING_RETENTION_DAYS``
after the last of them ended (the day after the last day of the period), the person is
de-identified, in one of two ways:

- **holding a certificate or an archive record**: the certificate, the archive and the
  public lookup rest on the name, the ID number and the photo printed on the certificate, so
  those stay (the notices keep certificates valid and archives for good); the mobile number,
  which none of them needs, goes;
- **everyone else**: the name becomes 已去标识化, the ID number a placeholder that is not
  one (D and the row number), the birth date its year (statistics by age still work), the
  mobile number, the photo, the number of a prior certificate and the consent forms' scans
  go. Sex, education, years in the trade, the training route and every case record (the
  registrations, results, refunds, the fact and date of consent) stay: they are the
  statistics and the trace, no longer anyone's.

The person's earlier history rows are rewritten the same way (otherwise the trace would keep
what the row no longer has), and the change itself is a history row with the reason. One
person per transaction, locked and re-checked: safe to run twice at once (two beats) and
again and again (what is done is not done twice)."""

from __future__ import annotations

import datetime
import functools
import logging
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef, Q

from appraisals.models import ConsentForm, Registration
from appraisals.selectors import registrations_ended_on
from candidates.models import Candidate, CandidateNotice
from catalog.models import User
from catalog.trace import acting_as
from kit import conf

from .models import ArchiveRecord, Certificate

logger = logging.getLogger(__name__)

DEIDENTIFIED_NAME = "已去标识化"


def placeholder_id_number(pk: int) -> str:
    """Unique (the column is), 18 characters, and never a resident ID number (a letter first)."""
    return f"D{pk:017d}"


@dataclass
class RetentionReport:
    today: datetime.date
    days: int
    dry_run: bool
    deidentified: list[int] = field(default_factory=list)  # candidates, fully
    contact_removed: list[int] = field(default_factory=list)  # certificate or archive holders
    photos: int = 0
    consent_scans: int = 0

    def lines(self) -> list[str]:
        verb = "将" if self.dry_run else "已"
        cutoff = self.today - datetime.timedelta(days=self.days)
        return [
            f"保存期限 {self.days} 天：结案日期在 {cutoff:%Y-%m-%d} 之前的考生（业务日期 {self.today:%Y-%m-%d}）",
            f"{verb}去标识化考生（无证书、无档案）：{len(self.deidentified)} 人",
            f"{verb}清除手机号（持有证书或档案，保留证书所需信息）：{len(self.contact_removed)} 人",
            f"{verb}删除考生照片：{self.photos} 张",
            f"{verb}删除自愿书扫描件：{self.consent_scans} 份",
        ]


def _holders() -> Q:
    return Q(Exists(Certificate.objects.filter(candidate=OuterRef("pk")))) | Q(
        Exists(ArchiveRecord.objects.filter(registration__candidate=OuterRef("pk")))
    )


def due_candidates(*, today: datetime.date, days: int) -> tuple[list[int], list[int]]:
    """The ids of the candidates due for de-identification on ``today``: (without a
    certificate or archive record, holding one)."""
    open_case = Registration.objects.filter(candidate=OuterRef("pk")).exclude(status__in=Registration.ENDED)
    open_case = open_case.exclude(status=Registration.Status.PASSED, certificates__isnull=False)
    candidates = (
        Candidate.objects.filter(deidentified_on__isnull=True)
        .filter(Exists(Registration.objects.filter(candidate=OuterRef("pk"))))
        .exclude(Exists(open_case))
    )
    ids = list(candidates.values_list("pk", flat=True))
    if not ids:
        return [], []
    registrations = Registration.objects.filter(candidate_id__in=ids)
    # Each registration's end: the day it entered an ended state, or its first certificate.
    ended_on = registrations_ended_on(registrations)
    issued = Certificate.objects.filter(registration__in=registrations).values_list("registration_id", "issue_date")
    for registration_id, day in issued.order_by("-issue_date"):
        ended_on.setdefault(registration_id, day)
    last_end: dict[int, datetime.date] = {}
    unrecorded: set[int] = set()  # an ended case with no trace of its end keeps its person
    for registration_id, person in registrations.values_list("pk", "candidate_id"):
        day = ended_on.get(registration_id)
        if day is None:
            unrecorded.add(person)
        else:
            last_end[person] = max(day, last_end.get(person, day))
    cutoff = today - datetime.timedelta(days=days)
    due = [pk for pk, day in last_end.items() if day < cutoff and pk not in unrecorded]
    holding = set(Candidate.objects.filter(pk__in=due).filter(_holders()).values_list("pk", flat=True))
    return sorted(set(due) - holding), sorted(holding)


def deidentify_ended_cases(
    *, actor: User | None, today: datetime.date, days: int | None = None, dry_run: bool = False
) -> RetentionReport:
    """De-identify the people whose cases all ended more than ``days`` (default
    ``JIANDING_RETENTION_DAYS``) before ``today``. ``dry_run``: count, change nothing."""
    days = conf.retention_days() if days is None else days
    report = RetentionReport(today=today, days=days, dry_run=dry_run)
    full, holders = due_candidates(today=today, days=days)
    reason = f"保存期限届满去标识化（结案后{days}天）"
    for pk, keep_identity in [*((pk, False) for pk in full), *((pk, True) for pk in holders)]:
        if dry_run:
            candidate = Candidate.objects.get(pk=pk)
            (report.contact_removed if keep_identity else report.deidentified).append(pk)
            if not keep_identity:
                report.photos += bool(candidate.photo)
                report.consent_scans += _consent_scans(pk).count()
            continue
        with transaction.atomic(), acting_as(actor, reason=reason):
            _deidentify_one(pk, keep_identity=keep_identity, today=today, report=report)
    if not dry_run:
        logger.info("retention: %s", "；".join(report.lines()))
    return report


def _consent_scans(candidate_pk: int):
    return ConsentForm.objects.filter(registration__candidate_id=candidate_pk).exclude(scan="")


def _deidentify_one(pk: int, *, keep_identity: bool, today: datetime.date, report: RetentionReport) -> None:
    candidate = Candidate.objects.select_for_update(of=("self",)).get(pk=pk)
    if candidate.deidentified_on is not None:  # another run got here first
        return
    changes: dict = {"phone": "", "deidentified_on": today}
    history_changes: dict = {"phone": ""}
    files: list[tuple[Any, str]] = []
    if keep_identity:
        report.contact_removed.append(pk)
    else:
        report.deidentified.append(pk)
        placeholder = placeholder_id_number(pk)
        identity = {
            "name": DEIDENTIFIED_NAME,
            "id_number": placeholder,
            "prior_certificate_number": "",
            "photo": "",
        }
        changes |= identity | {"birth_date": datetime.date(candidate.birth_date.year, 1, 1)}
        history_changes |= identity | {"id_number_digest": None, "birth_date": changes["birth_date"]}
        if candidate.photo:
            files.append((candidate.photo.storage, candidate.photo.name))
            report.photos += 1
        scans = _consent_scans(pk)
        for form in scans:
            files.append((form.scan.storage, form.scan.name))
        report.consent_scans += len(files) - bool(candidate.photo)
        for form in scans:
            ConsentForm.history.filter(id=form.pk).update(scan="")
        scans.update(scan="")
    # The earlier trace first (a plain update of history rows), then the change itself,
    # which the traced update records with the reason.
    Candidate.history.filter(id=pk).update(**history_changes)
    Candidate.objects.filter(pk=pk).update(**changes)
    # The texts told to the person keep the number they went to and their name.
    notices = CandidateNotice.objects.filter(candidate_id=pk)
    notices.update(phone="")
    if not keep_identity:
        for notice in notices.only("pk", "text"):
            notice.text = notice.text.replace(candidate.name, DEIDENTIFIED_NAME)
            notice.save(update_fields=["text"])
    for storage, name in files:
        transaction.on_commit(functools.partial(storage.delete, name))
