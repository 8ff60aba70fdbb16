"""Every state change around certificates. Each function checks the current state and
every rule that applies, records who acted (the trace) and raises ``RuleError`` with a
Chinese message when it refuses.

Issuance, with four eyes::

    batch_prepare (officer A) ──▶ prepared ── batch_approve (officer B ≠ A) ──▶ approved
                                     │               │ looks rushed           (certificates
                                     │               ▼                         numbered, archived)
                                     │             held ── release (supervisor): B's approval goes on ──▶ approved
                                     │               └──── refuse (supervisor) ──▶ rejected
                                     └── batch_cancel ──▶ cancelled

Numbers come from ``NumberCounter`` rows locked with SELECT … FOR UPDATE inside the
issuing transaction: a rolled-back issuance gives its numbers back, so they stay gap-free."""

from __future__ import annotations

import datetime
import hashlib
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from django.core.files.base import ContentFile
from django.db import IntegrityError, models, transaction
from django.db.models import OuterRef, Subquery, Value
from django.dispatch import Signal

from appraisals.models import ConsentForm, ExamSession, Registration
from appraisals.rules import Violation
from candidates.validators import mask_id_number
from catalog.models import GuidanceCentre, User
from catalog.selectors import RuleBook, occupation_in_catalog_on, visible_stations
from catalog.trace import service
from kit import clock
from kit.errors import RuleError

from . import selectors
from .models import (
    ArchiveRecord,
    Certificate,
    IssuanceBatch,
    IssuanceItem,
    LostCertificateRequest,
    NumberCounter,
    SupervisionFinding,
    UploadBatch,
    UploadItem,
)

BatchStatus = IssuanceBatch.Status
ItemStatus = IssuanceItem.Status


def _require_issuer(actor: User, centre: GuidanceCentre) -> None:
    refusal = selectors.issuer_refusal(actor, centre)
    if refusal:
        raise RuleError(refusal)


def _name(user: User | None) -> str:
    return (user.get_full_name() or user.username) if user else ""


# --- supervision findings -------------------------------------------------------------------


@service
def finding_open(
    *, actor: User, session: ExamSession, summary: str, opened_at: datetime.datetime
) -> SupervisionFinding:
    """Record a supervision finding on a session: its certificates are held until it is closed."""
    if not summary.strip():
        raise RuleError("请填写督导发现的问题。")
    finding = SupervisionFinding(session=session, opened_by=actor, opened_at=opened_at, summary=summary.strip())
    finding.full_clean()
    finding.save()
    return finding


@service
def finding_close(
    *, actor: User, finding: SupervisionFinding, conclusion: str, closed_at: datetime.datetime
) -> SupervisionFinding:
    finding = SupervisionFinding.objects.select_for_update(of=("self",)).get(pk=finding.pk)
    if not finding.is_open:
        raise RuleError("该督导问题已办结。")
    if not conclusion.strip():
        raise RuleError("办结督导问题必须写明处理结论。")
    if closed_at < finding.opened_at:
        raise RuleError("办结时间不能早于提出时间。")
    finding.closed_at, finding.closed_by, finding.conclusion = closed_at, actor, conclusion.strip()
    finding.full_clean()
    finding.save()
    return finding


# --- numbers ----------------------------------------------------------------------------------


def reserve_numbers(centre: GuidanceCentre, year: int, kind: str, count: int) -> range:
    """The next ``count`` consecutive numbers of the (centre, year, kind) series, taken at
    once. Must run inside the transaction that uses them: the counter row stays locked
    until it commits, so a concurrent issuer waits, and a rollback gives the numbers back
    (no gaps, no duplicates).

    The row is created with INSERT … ON CONFLICT DO NOTHING, so two first issuers of a
    year do not collide; then it is read under SELECT … FOR UPDATE and moved on by
    ``count`` in one UPDATE (whatever ``count``: four statements with the trace)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("next_number() must run inside a transaction.")
    if count < 1:
        raise ValueError("reserve_numbers() takes at least one number.")
    NumberCounter.objects.bulk_create(
        [NumberCounter(centre=centre, year=year, kind=kind, last_number=0)], ignore_conflicts=True
    )
    counter = NumberCounter.objects.select_for_update(of=("self",)).get(centre=centre, year=year, kind=kind)
    first = counter.last_number + 1
    counter.last_number += count
    counter.save(update_fields=["last_number"])
    return range(first, counter.last_number + 1)


def next_number(centre: GuidanceCentre, year: int, kind: str) -> int:
    """The next number of the (centre, year, kind) series (see ``reserve_numbers``)."""
    return reserve_numbers(centre, year, kind, 1)[0]


def certificate_number(centre: GuidanceCentre, year: int, sequence: int) -> str:
    return f"{centre.code}-{year}-{sequence:06d}"


def proof_number(centre: GuidanceCentre, year: int, sequence: int) -> str:
    return f"{centre.code}-{year}-ZM{sequence:05d}"


# --- the archive ---------------------------------------------------------------------------------


def _archive_contents(certificate: Certificate, case: selectors.CaseFile) -> dict[str, Any]:
    registration = case.registration
    review, consent, application = case.review, case.consent, case.application
    return {
        "certificate": {
            "number": certificate.number,
            "holder_name": certificate.holder_name,
            "holder_id_number": certificate.holder_id_number,
            "occupation": certificate.occupation.name,
            "level": certificate.get_level_display(),
            "issue_date": certificate.issue_date,
            "centre": certificate.centre.name,
            "issued_by": _name(certificate.issued_by),
            "batch": certificate.batch_id,
            "reissue_of": certificate.reissue_of.number if certificate.reissue_of is not None else None,
        },
        "registration": {
            "id": registration.pk,
            "station": str(registration.station),
            "announcement": registration.announcement.title,
            "registration_date": registration.registration_date,
            "fee": registration.fee,
            "registered_by": _name(registration.registered_by),
        },
        "eligibility_review": review
        and {
            "review_date": review.review_date,
            "passed": review.passed,
            "matched_route": str(review.matched_route) if review.matched_route_id else "",
            "findings": review.findings,
            "reviewer": _name(review.reviewer),
        },
        "consent": consent
        and {
            "signed_date": consent.signed_date,
            "received_by": _name(consent.received_by),
            "scan": os.path.basename(consent.scan.name) if consent.scan else "",
        },
        "application": application
        and {
            "submitted_date": application.submitted_date,
            "decided_date": application.decided_date,
            "decided_by": _name(application.decided_by),
        },
        "results": [
            {
                "attempt": result.get_attempt_display(),
                "session": str(result.session),
                "exam_date": result.session.date,
                "place": result.session.place,
                "offsite_request": str(result.session.offsite_request or ""),
                "theory_score": result.theory_score,
                "practical_score": result.practical_score,
                "review_score": result.review_score,
                "passed": result.passed,
                "entered_by": _name(result.entered_by),
                "confirmed_by": _name(result.confirmed_by),
                "confirmed_at": result.confirmed_at,
                "published_on": result.published_on,
                "publicity_last_day": result.publicity_last_day,
            }
            for result in case.results
        ],
    }


def _archive(
    *,
    actor: User,
    certificate: Certificate,
    now: datetime.datetime,
    corrects: ArchiveRecord | None = None,
    reason: str = "",
) -> ArchiveRecord:
    """Bind what the certificate rests on, as the case is now, into one archive record
    (``_archive_set`` of one)."""
    case = selectors.case_file(certificate.registration)
    return _archive_set(actor=actor, issued=[(certificate, case)], now=now, corrects=corrects, reason=reason)[0]


def _archive_set(
    *,
    actor: User,
    issued: Sequence[tuple[Certificate, selectors.CaseFile]],
    now: datetime.datetime,
    corrects: ArchiveRecord | None = None,
    reason: str = "",
) -> list[ArchiveRecord]:
    """Bind what each certificate rests on into one archive record, with a copy of the
    consent scan and its SHA-256, in the order given; ``corrects`` (with ``reason``) only
    for one certificate.

    1. Refuse the set if a case has no consent scan.
    2. Read each scan once: its hash and its copy come from the same bytes.
    3. Build each record and check it in memory (``_validate_in_memory``).
    4. Write the records, and their trace, in one insert.
    5. The case ends with the certificate: archive each signed form not archived yet, in
       one update (each form's hash read from its new record: no per-row CASE to build)."""
    if corrects is not None and len(issued) != 1:
        raise ValueError("A correction binds one certificate.")
    if any(case.consent is None or not case.consent.scan for _, case in issued):
        raise RuleError("自愿书没有扫描件，无法归档。")
    records = []
    consents = []
    for certificate, case in issued:
        consent = case.consent
        assert consent is not None  # refused above
        with consent.scan.open("rb") as scan:
            data = scan.read()
        record = ArchiveRecord(
            centre=certificate.centre,
            certificate=certificate,
            registration=certificate.registration,
            consent_sha256=hashlib.sha256(data).hexdigest(),
            contents=_archive_contents(certificate, case),
            created_at=now,
            created_by=actor,
            corrects=corrects,
            correction_reason=reason,
        )
        extension = os.path.splitext(consent.scan.name)[1].lower() or ".bin"
        record.consent_scan.save(f"consent{extension}", ContentFile(data), save=False)
        _validate_in_memory(record)
        records.append(record)
        if consent.archived_at is None:
            consent.archived_at, consent.archived_by, consent.scan_sha256 = now, actor, record.consent_sha256
            _validate_in_memory(consent)
            consents.append(consent)
    # Django writes a bulk insert on PostgreSQL as UNNEST of one array a column, and psycopg
    # escapes each quote of every JSON document of an array in Python: most of a record's
    # cost. One expression among the values makes Django write plain rows instead (each
    # document one parameter), for the records and, reading the same attribute, their history.
    for record in records:
        record.created_at = Value(now, output_field=models.DateTimeField())
    ArchiveRecord.objects.bulk_create(records)
    for record in records:
        record.created_at = now
    if consents:
        ConsentForm.objects.filter(pk__in=[c.pk for c in consents], archived_at__isnull=True).update(
            archived_at=now,
            archived_by=actor,
            scan_sha256=Subquery(
                ArchiveRecord.objects.filter(
                    registration=OuterRef("registration"), pk__in=[r.pk for r in records]
                ).values("consent_sha256")[:1]
            ),
        )
    return records


def _validate_in_memory(obj: models.Model) -> None:
    """What ``full_clean()`` checks, without a query: every field's value (a missing
    required foreign key included) and the model's ``clean()``. Left to the database, which
    holds them for every row written in a set: that a given foreign key exists, the unique
    constraints and the CHECK constraints (``full_clean`` asks the database once for each,
    for every row)."""
    given = {f.name for f in obj._meta.concrete_fields if f.is_relation and getattr(obj, f.attname) is not None}
    obj.full_clean(exclude=given, validate_unique=False, validate_constraints=False)


def _mark_consent_archived(consent: ConsentForm, *, actor: User, sha256: str, now: datetime.datetime) -> None:
    consent.archived_at, consent.archived_by, consent.scan_sha256 = now, actor, sha256
    consent.full_clean()
    consent.save(update_fields=["archived_at", "archived_by", "scan_sha256"])


@service
def consent_archive(*, actor: User, consent: ConsentForm, now: datetime.datetime | None = None) -> ConsentForm:
    """The guidance centre archives a signed consent form when its case has ended
    (``selectors.cases_ended``: certificate issued, failed after the retake, retake given
    up, withdrawn after consent), with the SHA-256 of its scan as it is on that day.

    1. Lock the form; refuse one already archived.
    2. Refuse unless the actor is an officer of the station's centre or above it.
    3. Refuse a case still going, and a form without its scan (the station is reminded,
       ``reminders.consent_scan_reminders``).
    4. Hash the scan and record who archived it and when."""
    consent = ConsentForm.objects.select_for_update(of=("self",)).get(pk=consent.pk)
    registration = Registration.objects.select_related("candidate", "station__centre").get(pk=consent.registration_id)
    who = f"{registration.candidate.name}（{mask_id_number(registration.candidate.id_number)}）的自愿书"
    if consent.archived_at is not None:
        raise RuleError(f"{who}已于 {clock.local_day(consent.archived_at):%Y-%m-%d} 归档。")
    _require_issuer(actor, registration.station.centre)
    if not selectors.cases_ended(Registration.objects.filter(pk=registration.pk)).exists():
        raise RuleError(
            f"{who}：案件尚未办结（当前状态“{registration.get_status_display()}”），"
            "发证、补考不合格结案、放弃补考结案或放弃鉴定后才归档。"
        )
    if not consent.scan:
        raise RuleError(f"{who}没有扫描件，无法归档；请{registration.station.name}先上传扫描件。")
    digest = hashlib.sha256()
    with consent.scan.open("rb") as scan:
        for chunk in scan.chunks():
            digest.update(chunk)
    _mark_consent_archived(consent, actor=actor, sha256=digest.hexdigest(), now=now or clock.now())
    return consent


@service
def archive_correct(*, actor: User, record: ArchiveRecord, reason: str, now: datetime.datetime) -> ArchiveRecord:
    """A correction is a new record, bound again from the case as it is now, pointing to
    the record it corrects; the old one stays as it was."""
    if not reason.strip():
        raise RuleError("更正档案必须写明更正原因。")
    record = (
        ArchiveRecord.objects.select_for_update(of=("self",)).select_related("certificate__centre").get(pk=record.pk)
    )
    if ArchiveRecord.objects.filter(corrects=record).exists():
        raise RuleError("该档案已有更正档案，请更正最新的一条。")
    _require_issuer(actor, record.centre)
    return _archive(actor=actor, certificate=record.certificate, now=now, corrects=record, reason=reason.strip())


# --- issuance -----------------------------------------------------------------------------------


# Cases read, checked and written together: the statements of an issuance grow with the
# chunks, not with the cases. 500 rows keep every IN list and bulk write under SQLite's
# oldest limit of 999 parameters a statement.
CHUNK = 500

T = TypeVar("T")


def _chunks(rows: Sequence[T]) -> Iterator[Sequence[T]]:
    for start in range(0, len(rows), CHUNK):
        yield rows[start : start + CHUNK]


def _issue(
    *,
    actor: User,
    case: selectors.CaseFile,
    centre: GuidanceCentre,
    issue_date: datetime.date,
    now: datetime.datetime,
    batch: IssuanceBatch | None = None,
    reissue_of: Certificate | None = None,
) -> Certificate:
    """Number, create and archive one certificate (``_issue_set`` of one)."""
    [certificate] = _issue_set(
        actor=actor, cases=[case], centre=centre, issue_date=issue_date, now=now, batch=batch, reissue_of=reissue_of
    )
    return certificate


def _issue_set(
    *,
    actor: User,
    cases: Sequence[selectors.CaseFile],
    centre: GuidanceCentre,
    issue_date: datetime.date,
    now: datetime.datetime,
    batch: IssuanceBatch | None = None,
    reissue_of: Certificate | None = None,
) -> list[Certificate]:
    """Number, create and archive one certificate per case, numbered in the order given.
    The caller has checked the rules; ``reissue_of`` only for one case.

    1. Take the numbers at once (``reserve_numbers``: consecutive, under the counter's lock).
    2. Build each certificate and check it in memory (``_validate_in_memory``).
    3. Write the certificates, and their trace, in one insert.
    4. Archive them (``_archive_set``)."""
    if not cases:
        return []
    if reissue_of is not None and len(cases) != 1:
        raise ValueError("A reissue replaces one certificate.")
    numbers = reserve_numbers(centre, issue_date.year, NumberCounter.Kind.CERTIFICATE, len(cases))
    certificates = []
    for case, sequence in zip(cases, numbers, strict=True):
        registration = case.registration
        certificate = Certificate(
            number=certificate_number(centre, issue_date.year, sequence),
            centre=centre,
            year=issue_date.year,
            sequence=sequence,
            registration=registration,
            station_id=registration.station_id,
            result=case.passing,
            candidate=registration.candidate,
            holder_name=registration.candidate.name,
            holder_id_number=registration.candidate.id_number,
            occupation=registration.announcement.occupation,
            level=registration.announcement.level,
            issue_date=issue_date,
            issued_by=actor,
            batch=batch,
            reissue_of=reissue_of,
        )
        _validate_in_memory(certificate)
        certificates.append(certificate)
    Certificate.objects.bulk_create(certificates)
    _archive_set(actor=actor, issued=list(zip(certificates, cases, strict=True)), now=now)
    return certificates


def _refusal_message(rows: list[tuple[Registration, list[Violation]]]) -> str:
    """Each refused case by name and masked ID number (never the full number: a message is
    shown, logged and copied on), with every reason."""
    return "；".join(
        f"{r.candidate.name}（{mask_id_number(r.candidate.id_number)}）：{' '.join(map(str, reasons))}"
        for r, reasons in rows
    )


@service
def batch_prepare(
    *,
    actor: User,
    centre: GuidanceCentre,
    registrations: Iterable[Registration],
    prepared_on: datetime.date,
    note: str = "",
) -> IssuanceBatch:
    """An officer of the guidance centre prepares an issuance batch. Every registration
    must pass every issuance rule (the publicity period is checked again at approval,
    against the issue date); otherwise nothing is prepared and every reason is named."""
    _require_issuer(actor, centre)
    registrations = list(
        Registration.objects.filter(pk__in=[r.pk for r in registrations]).select_for_update(of=("self",))
    )
    if not registrations:
        raise RuleError("发证批次至少要包含一名合格考生。")
    book = RuleBook()
    refused = []
    for chunk in _chunks(sorted(registrations, key=lambda r: r.pk)):
        cases = selectors.case_files(chunk, share=True)
        reasons = selectors.issuance_refusals_of(cases, centre=centre, issue_date=None, rulebook=book)
        refused += [(registration, reasons[registration.pk]) for registration in chunk if reasons[registration.pk]]
    if refused:
        raise RuleError("不能制作发证批次：" + _refusal_message(refused))
    return _new_batch(actor=actor, centre=centre, registrations=registrations, prepared_on=prepared_on, note=note)


def _new_batch(
    *, actor: User, centre: GuidanceCentre, registrations: list[Registration], prepared_on: datetime.date, note: str
) -> IssuanceBatch:
    batch = IssuanceBatch(centre=centre, prepared_by=actor, prepared_on=prepared_on, note=note)
    batch.full_clean()
    batch.save()
    IssuanceItem.objects.bulk_create([IssuanceItem(batch=batch, registration=r) for r in registrations])
    return batch


@dataclass(frozen=True)
class BatchPreparation:
    """What ``batches_prepare`` did: the batches made and the cases left out, with why."""

    batches: list[IssuanceBatch]
    refused: list[tuple[Registration, list[Violation]]]


@service
def batches_prepare(
    *, actor: User, registrations: Iterable[Registration], prepared_on: datetime.date
) -> BatchPreparation:
    """From the work list of passed candidates: one batch per issuing centre (the officer's
    own centre, else the station's, for a system administrator), holding every case that
    passes every issuance rule; the others are left out and each reason is named. Each
    case's refusals are worked out once."""
    registrations = list(
        Registration.objects.filter(pk__in=[r.pk for r in registrations])
        .select_for_update(of=("self",))
        .select_related("candidate", "station__centre")
        .order_by("pk")
    )
    book = RuleBook()
    by_centre: dict[GuidanceCentre, list[Registration]] = {}
    refused = []
    for chunk in _chunks(registrations):
        # No centre of the actor's own: each case for its station's centre.
        cases = selectors.case_files(chunk, share=True)
        found = selectors.issuance_refusals_of(cases, centre=actor.centre, issue_date=None, rulebook=book)
        for registration in chunk:
            reasons = found[registration.pk]
            if reasons:
                refused.append((registration, reasons))
            else:
                by_centre.setdefault(actor.centre or registration.station.centre, []).append(registration)
    batches = []
    for centre, members in by_centre.items():
        _require_issuer(actor, centre)
        batches.append(_new_batch(actor=actor, centre=centre, registrations=members, prepared_on=prepared_on, note=""))
    return BatchPreparation(batches, refused)


def _pending_items(batch: IssuanceBatch) -> list[IssuanceItem]:
    return list(
        batch.items.filter(status=ItemStatus.PENDING)
        .select_related("registration__candidate", "registration__station")
        .order_by("registration__station__code", "registration__candidate__id_number", "pk")
    )


@service
def batch_approve(
    *, actor: User, batch: IssuanceBatch, issue_date: datetime.date, now: datetime.datetime | None = None
) -> IssuanceBatch:
    """A second officer approves the batch, and its certificates are issued.

    Steps: lock the batch; refuse the preparer (four eyes), station users and officers
    outside the centre; check every rule again against the issue date (any refusal
    refuses the whole approval); unless a supervisor has released it, hold the whole
    batch when it looks rushed (nothing issued); otherwise hold those whose session has an
    open supervision finding and issue the others in station and ID-number order: numbered
    consecutively, archived, done.

    Each chunk of cases is read once (``selectors.case_files``), checked in memory
    (``selectors.issuance_refusals_of``) and issued from the same case files, kept in
    between (about 15 kB a case), by ``_issue_set``: the statements grow with the chunks,
    not with the cases."""
    now = now or clock.now()
    batch = IssuanceBatch.objects.select_for_update(of=("self",)).select_related("centre").get(pk=batch.pk)
    if batch.status != BatchStatus.PREPARED:
        raise RuleError(f"发证批次当前状态为“{batch.get_status_display()}”，不能审批。")
    if actor.pk == batch.prepared_by_id:
        raise RuleError("发证批次须由制单人以外的另一名审核员审批（双人复核）。")
    _require_issuer(actor, batch.centre)
    if issue_date < batch.prepared_on:
        raise RuleError("发证日期不能早于制单日期。")
    items = _pending_items(batch)
    if not items:
        raise RuleError("该批次没有待核发的考生。")
    book = RuleBook()
    refused, held = [], []
    cases: dict[int, selectors.CaseFile] = {}
    for chunk in _chunks(items):
        found = selectors.case_files([item.registration_id for item in chunk], share=True)
        all_reasons = selectors.issuance_refusals_of(
            found, centre=batch.centre, issue_date=issue_date, rulebook=book, pending_item_ok=batch
        )
        for item in chunk:
            reasons = all_reasons[item.registration_id]
            if selectors.is_finding_only(reasons):
                held.append(item)
            elif reasons:
                refused.append((item.registration, reasons))
        cases.update(found)
    if refused:
        raise RuleError("不能审批：" + _refusal_message(refused))
    if not batch.released:
        signals = selectors.rush_signals([i.registration for i in items], issue_date=issue_date, rulebook=book)
        if signals:
            batch.status = BatchStatus.HELD
            batch.rush_flags = "\n".join(signals)
            batch.held_by = actor
            batch.save(update_fields=["status", "rush_flags", "held_by"])
            return batch
    for item in held:
        item.status, item.note = ItemStatus.HELD, "考试场次有未办结的督导问题，证书暂缓核发。"
    if held:
        IssuanceItem.objects.bulk_update(held, ["status", "note"])
    held_ids = {item.pk for item in held}
    for chunk in _chunks([item for item in items if item.pk not in held_ids]):
        certificates = _issue_set(
            actor=actor,
            cases=[cases[item.registration_id] for item in chunk],
            centre=batch.centre,
            issue_date=issue_date,
            now=now,
            batch=batch,
        )
        # Each item gets the certificate just issued for its registration: one UPDATE, no
        # per-row CASE to build.
        IssuanceItem.objects.filter(pk__in=[item.pk for item in chunk]).update(
            status=ItemStatus.ISSUED,
            certificate=Subquery(
                Certificate.objects.filter(
                    pk__in=[c.pk for c in certificates], registration=OuterRef("registration")
                ).values("pk")[:1]
            ),
        )
    batch.status, batch.approved_by, batch.issue_date = BatchStatus.APPROVED, actor, issue_date
    batch.full_clean()
    batch.save(update_fields=["status", "approved_by", "issue_date"])
    return batch


# Sent inside batch_review's transaction once a held batch is released or refused, with the
# batch, the reviewer and their opinion. Supervision closes its review item on it: supervision
# sits above certificates, so certificates names no receiver (an exception rolls the review back).
batch_reviewed = Signal()


@service
def batch_review(
    *, actor: User, batch: IssuanceBatch, release: bool, note: str, reviewed_on: datetime.date
) -> IssuanceBatch:
    """The supervisor reviews a batch held as rushed: release it or refuse it.

    Released: the approval it was held at goes on (``batch_approve`` by the officer who
    approved it, ``held_by``, without the rush check, issued on ``reviewed_on``); if that
    approval is refused now (a rule, the officer's scope), the release is refused too and
    nothing changes. Refused: its registrations are freed. Either way ``batch_reviewed`` is
    sent, in the same transaction."""
    batch = IssuanceBatch.objects.select_for_update(of=("self",)).get(pk=batch.pk)
    if batch.status != BatchStatus.HELD:
        raise RuleError("只有暂缓核发（待督导复核）的批次才需要督导复核。")
    if actor.station_id is not None:
        raise RuleError("鉴定站人员不能复核发证批次。")
    if actor.pk in (batch.prepared_by_id, batch.held_by_id):
        raise RuleError("督导复核须由制单人和审批人以外的人员进行。")
    if not note.strip():
        raise RuleError("督导复核必须写明复核意见。")
    batch.reviewed_by, batch.reviewed_on, batch.review_note = actor, reviewed_on, note.strip()
    if release:
        batch.status, batch.released = BatchStatus.PREPARED, True
    else:
        batch.status = BatchStatus.REJECTED
        batch.items.filter(status=ItemStatus.PENDING).update(status=ItemStatus.DROPPED, note="督导复核不予核发。")
    batch.save()
    if release and batch.held_by is not None:
        try:
            batch = batch_approve(actor=batch.held_by, batch=batch, issue_date=reviewed_on)
        except RuleError as refusal:
            raise RuleError("放行后无法核发：" + "；".join(refusal.messages)) from refusal
    batch_reviewed.send(sender=IssuanceBatch, batch=batch, actor=actor, release=release, note=batch.review_note)
    return batch


@service
def batch_cancel(*, actor: User, batch: IssuanceBatch) -> IssuanceBatch:
    """The preparer (or another officer of the centre) withdraws a batch not yet approved."""
    batch = IssuanceBatch.objects.select_for_update(of=("self",)).select_related("centre").get(pk=batch.pk)
    if batch.status != BatchStatus.PREPARED:
        raise RuleError(f"发证批次当前状态为“{batch.get_status_display()}”，不能撤回。")
    _require_issuer(actor, batch.centre)
    batch.items.filter(status=ItemStatus.PENDING).update(status=ItemStatus.DROPPED, note="批次已撤回。")
    batch.status = BatchStatus.CANCELLED
    batch.save(update_fields=["status"])
    return batch


@service
def batch_mark_printed(*, actor: User, batch: IssuanceBatch, printed_on: datetime.date) -> IssuanceBatch:
    batch = IssuanceBatch.objects.select_for_update(of=("self",)).select_related("centre").get(pk=batch.pk)
    issue_date = batch.issue_date  # set on approval (constraint batch_approved_has_issue_date)
    if batch.status != BatchStatus.APPROVED or issue_date is None:
        raise RuleError("只有已审批核发的批次才能打印证书。")
    _require_issuer(actor, batch.centre)
    if batch.printed_on:
        raise RuleError("该批次证书已登记打印。")
    if printed_on < issue_date:
        raise RuleError("打印日期不能早于发证日期。")
    batch.printed_by, batch.printed_on = actor, printed_on
    batch.save(update_fields=["printed_by", "printed_on"])
    return batch


@service
def batch_mark_handed_out(*, actor: User, batch: IssuanceBatch, handed_out_on: datetime.date) -> IssuanceBatch:
    batch = IssuanceBatch.objects.select_for_update(of=("self",)).select_related("centre").get(pk=batch.pk)
    if not batch.printed_on:
        raise RuleError("证书尚未打印，不能登记发放。")
    if batch.handed_out_on:
        raise RuleError("该批次证书已登记发放。")
    _require_issuer(actor, batch.centre)
    if handed_out_on < batch.printed_on:
        raise RuleError("发放日期不能早于打印日期。")
    batch.handed_out_by, batch.handed_out_on = actor, handed_out_on
    batch.full_clean()
    batch.save(update_fields=["handed_out_by", "handed_out_on"])
    return batch


@service
def certificate_revoke(*, actor: User, certificate: Certificate, reason: str, revoked_on: datetime.date) -> Certificate:
    """Revoke a certificate with a reason; the lookup then shows it as revoked."""
    certificate = Certificate.objects.select_for_update(of=("self",)).select_related("centre").get(pk=certificate.pk)
    if certificate.status != Certificate.Status.VALID:
        raise RuleError(f"证书当前状态为“{certificate.get_status_display()}”，不能撤销。")
    _require_issuer(actor, certificate.centre)
    if not reason.strip():
        raise RuleError("撤销证书必须写明原因。")
    if revoked_on < certificate.issue_date:
        raise RuleError("撤销日期不能早于发证日期。")
    certificate.status = Certificate.Status.VOIDED
    certificate.voided_on, certificate.voided_by, certificate.void_reason = revoked_on, actor, reason.strip()
    certificate.full_clean()
    certificate.save()
    return certificate


# --- lost certificates --------------------------------------------------------------------------


@service
def lost_request_record(
    *,
    actor: User,
    certificate: Certificate,
    applicant_name: str,
    reason: str,
    received_on: datetime.date,
    applicant_relation: str = "本人",
) -> LostCertificateRequest:
    """Record who asked for a lost certificate and why."""
    if certificate.status != Certificate.Status.VALID:
        raise RuleError(f"证书当前状态为“{certificate.get_status_display()}”，不能申请遗失补办。")
    if not visible_stations(actor).filter(pk=certificate.registration.station_id).exists():
        raise RuleError("只能受理本机构范围内证书的遗失补办申请。")
    if received_on < certificate.issue_date:
        raise RuleError("受理日期不能早于发证日期。")
    request = LostCertificateRequest(
        certificate=certificate,
        applicant_name=applicant_name.strip(),
        applicant_relation=applicant_relation.strip() or "本人",
        reason=reason.strip(),
        received_on=received_on,
        recorded_by=actor,
    )
    request.full_clean()
    request.save()
    return request


@service
def lost_request_process(
    *, actor: User, request: LostCertificateRequest, processed_on: datetime.date, now: datetime.datetime | None = None
) -> LostCertificateRequest:
    """Inside the catalog (not exited, or access-type) the certificate is reissued: a new
    number linked to the old one, the old one voided. Outside it (exited) a certificate
    information proof (证书信息证明) is issued instead, numbered; the certificate stays valid."""
    now = now or clock.now()
    request = LostCertificateRequest.objects.select_for_update(of=("self",)).get(pk=request.pk)
    if request.status != LostCertificateRequest.Status.PENDING:
        raise RuleError(f"该申请已办结（{request.get_status_display()}）。")
    old = Certificate.objects.select_for_update(of=("self",)).select_related("centre").get(pk=request.certificate_id)
    _require_issuer(actor, old.centre)
    if old.status != Certificate.Status.VALID:
        raise RuleError(f"证书当前状态为“{old.get_status_display()}”，不能补发或开具证明。")
    if processed_on < request.received_on:
        raise RuleError("办理日期不能早于受理日期。")
    request.processed_on, request.processed_by = processed_on, actor
    if occupation_in_catalog_on(old.occupation_id, processed_on):
        old.status = Certificate.Status.REISSUED
        old.voided_on, old.voided_by = processed_on, actor
        old.void_reason = f"遗失补发（申请人：{request.applicant_name}）"
        old.save(update_fields=["status", "voided_on", "voided_by", "void_reason"])
        case = selectors.case_file(old.registration)
        case.passing = old.result
        request.new_certificate = _issue(
            actor=actor, case=case, centre=old.centre, issue_date=processed_on, now=now, reissue_of=old
        )
        request.status = LostCertificateRequest.Status.REISSUED
    else:
        sequence = next_number(old.centre, processed_on.year, NumberCounter.Kind.PROOF)
        request.proof_number = proof_number(old.centre, processed_on.year, sequence)
        request.status = LostCertificateRequest.Status.PROOF
    request.full_clean()
    request.save()
    return request


# --- the data audit before upload ------------------------------------------------------------------


@service
def upload_batch_create(
    *,
    actor: User,
    centre: GuidanceCentre,
    certificates: Iterable[Certificate],
    created_on: datetime.date,
    note: str = "",
) -> UploadBatch:
    """Group certificates into an upload batch. Problems do not refuse the grouping: the
    audit lists them, and only a batch without any can be confirmed."""
    _require_issuer(actor, centre)
    certificates = list(certificates)
    if not certificates:
        raise RuleError("上报批次至少要包含一本证书。")
    batch = UploadBatch(centre=centre, created_by=actor, created_on=created_on, note=note)
    batch.full_clean()
    batch.save()
    UploadItem.objects.bulk_create([UploadItem(batch=batch, certificate=c) for c in certificates])
    return batch


@service
def upload_batch_remove(*, actor: User, batch: UploadBatch, certificates: Iterable[Certificate]) -> int:
    """Take records out of a batch still being audited (to correct them or send them later)."""
    batch = UploadBatch.objects.select_for_update(of=("self",)).get(pk=batch.pk)
    if batch.status != UploadBatch.Status.DRAFT:
        raise RuleError("该上报批次已确认，数据已冻结。")
    _require_issuer(actor, batch.centre)
    removed, _ = batch.items.filter(certificate__in=[c.pk for c in certificates]).delete()
    return removed


@service
def upload_batch_remove_problems(*, actor: User, batch: UploadBatch) -> int:
    """Take every record the audit finds a problem with out of a batch still being
    audited, so the rest can be confirmed; the others are corrected and sent later."""
    if UploadBatch.objects.get(pk=batch.pk).status != UploadBatch.Status.DRAFT:
        raise RuleError("该上报批次已确认，数据已冻结。")
    report = selectors.audit_batch(batch)
    bad = [item.certificate for item in batch.items.select_related("certificate") if report.problems.get(item.pk)]
    return upload_batch_remove(actor=actor, batch=batch, certificates=bad)


def upload_snapshot(certificate: Certificate) -> dict[str, Any]:
    """The row of the data file, as confirmed."""
    return {
        "number": certificate.number,
        "holder_name": certificate.holder_name,
        "id_type": "居民身份证",
        "id_number": certificate.holder_id_number,
        "sex": certificate.candidate.get_sex_display(),
        "occupation": certificate.occupation.name,
        "level": certificate.get_level_display(),
        "level_code": certificate.level,
        "issue_date": certificate.issue_date,
        "centre": certificate.centre.name,
        "station": certificate.registration.station.name,
        "theory_score": certificate.result.theory_score,
        "practical_score": certificate.result.practical_score,
        "review_score": certificate.result.review_score,
    }


@service
def upload_batch_confirm(*, actor: User, batch: UploadBatch, confirmed_on: datetime.date) -> UploadBatch:
    """Confirm a batch whose every record passed the audit: the rows are frozen as they
    are now (snapshots), the batch cannot change any more, and the 审核确认表 and the data
    file are produced from the snapshots."""
    batch = UploadBatch.objects.select_for_update(of=("self",)).select_related("centre").get(pk=batch.pk)
    if batch.status != UploadBatch.Status.DRAFT:
        raise RuleError("该上报批次已确认。")
    _require_issuer(actor, batch.centre)
    if confirmed_on < batch.created_on:
        raise RuleError("审核确认日期不能早于组批日期。")
    report = selectors.audit_batch(batch)
    if not report.problems:
        raise RuleError("上报批次没有任何证书。")
    if not report.clean:
        raise RuleError(f"数据审核未通过：{report.bad_items} 条记录有问题，严禁问题数据入网，请处理后再确认。")
    items = list(
        batch.items.select_related(
            "certificate__candidate",
            "certificate__occupation",
            "certificate__centre",
            "certificate__result",
            "certificate__registration__station",
        )
    )
    for item in items:
        item.snapshot, item.confirmed = upload_snapshot(item.certificate), True
        try:
            with transaction.atomic():
                item.save(update_fields=["snapshot", "confirmed"])
        except IntegrityError as error:
            raise RuleError(f"证书 {item.certificate.number} 已在另一个已确认的批次中上报。") from error
    batch.status, batch.confirmed_by, batch.confirmed_on = UploadBatch.Status.CONFIRMED, actor, confirmed_on
    batch.full_clean()
    batch.save(update_fields=["status", "confirmed_by", "confirmed_on"])
    return batch
