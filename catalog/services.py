"""State changes of the catalog: loading the reference data transcribed from the seeds."""

from __future__ import annotations

import csv
import datetime
import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from django.core.mail import send_mass_mail
from django.db import models, transaction

from kit import clock
from kit.errors import RuleError

from . import roles, selectors
from .models import (
    AuthorisationSanction,
    DeadlineRule,
    EligibilityRoute,
    GuidanceCentre,
    Holiday,
    Notification,
    Occupation,
    PolicyNotice,
    Qualification,
    Region,
    ReminderLog,
    Station,
    StationAuthorisation,
    User,
)
from .trace import acting_as, service

M = TypeVar("M", bound=models.Model)

DATA_DIR = Path(__file__).resolve().parent / "data"


def _read_tsv(name: str) -> list[dict[str, str]]:
    with open(DATA_DIR / name, encoding="utf-8", newline="") as handle:
        lines = [line for line in handle if not line.startswith("#")]
    return list(csv.DictReader(lines, delimiter="\t"))


def save_if_changed(model: type[M], lookup: dict, values: dict) -> M:
    """update_or_create that saves only on a real change, so loading reference data again
    (the catalog, the demo's organisations) leaves no trace noise."""
    obj = model._default_manager.filter(**lookup).first()
    if obj is None:
        return model._default_manager.create(**lookup, **values)
    changed = [name for name, value in values.items() if getattr(obj, name) != value]
    if changed:
        for name in changed:
            setattr(obj, name, values[name])
        obj.save(update_fields=changed)
    return obj


def _date(value: str | None) -> datetime.date | None:
    return datetime.date.fromisoformat(value) if value else None


@dataclass(frozen=True)
class CatalogCounts:
    regions: int
    qualifications: int
    occupations: int
    notices: int
    rules: int
    holidays: int
    eligibility_routes: int


@transaction.atomic
def catalog_load(*, actor: object = None) -> CatalogCounts:
    """Load (or bring up to date) regions, the 80号 annex, the Fujian annex, the five
    notices and the deadline rules from ``catalog/data``. Idempotent: keyed by natural keys."""
    with acting_as(actor, reason="载入目录数据"):
        regions = _load_regions()
        qualifications, occupations = _load_national_annex()
        notices, rules = _load_notices_and_rules(regions)
        holidays = _load_holidays()
        routes = _load_default_eligibility_routes()
    return CatalogCounts(
        regions=len(regions),
        qualifications=qualifications,
        occupations=occupations,
        notices=notices,
        rules=rules,
        holidays=holidays,
        eligibility_routes=routes,
    )


def _load_regions() -> dict[str, Region]:
    regions: dict[str, Region] = {}
    for row in _read_tsv("regions.tsv"):
        region = save_if_changed(
            Region,
            {"code": row["code"]},
            {"name": row["name"], "level": row["level"], "parent": regions.get(row["parent"])},
        )
        regions[region.code] = region
    return regions


def _load_national_annex() -> tuple[int, int]:
    position = 0
    seqs = set()
    for row in _read_tsv("national_annex.tsv"):
        qualification = save_if_changed(Qualification, {"seq": int(row["seq"])}, {"name": row["qualification"]})
        seqs.add(qualification.seq)
        for name in row["occupations"].split("、"):
            position += 1
            save_if_changed(
                Occupation,
                {"name": name},
                {
                    "qualification": qualification,
                    "departments": row["departments"],
                    "batch": row["batch"],
                    "annex_position": position,
                },
            )
    return len(seqs), position


def fujian_annex_names() -> list[str]:
    return [row["occupation"] for row in _read_tsv("fujian_annex.tsv")]


def _load_notices_and_rules(regions: dict[str, Region]) -> tuple[int, int]:
    data = json.loads((DATA_DIR / "notices.json").read_text(encoding="utf-8"))
    notices: dict[str, PolicyNotice] = {}
    for item in data["notices"]:
        notice = save_if_changed(
            PolicyNotice,
            {"doc_number": item["doc_number"]},
            {
                "issuer": item["issuer"],
                "region": regions.get(item["region"]),
                "issue_date": _date(item["issue_date"]),
                "title": item["title"],
            },
        )
        notices[notice.doc_number] = notice
    for item in data["notices"]:
        notices[item["doc_number"]].forwards.set([notices[n] for n in item["forwards"]])

    for item in data["rules"]:
        rule = save_if_changed(
            DeadlineRule,
            {"notice": notices[item["notice"]], "region": regions.get(item["region"]), "name": item["name"]},
            {
                name: _date(item[name])
                for name in ("last_registration_day", "application_deadline", "appraisal_deadline", "retake_deadline")
            }
            | {
                "requires_municipal_report": item["requires_municipal_report"],
                "exit_day_closed": item.get("exit_day_closed", False),
            },
        )
        selector = item["occupations"]
        if "batch" in selector:
            occupations = Occupation.objects.filter(batch=selector["batch"])
        else:
            names = fujian_annex_names()
            occupations = Occupation.objects.filter(name__in=names)
            missing = set(names) - set(occupations.values_list("name", flat=True))
            if missing:
                raise ValueError(f"福建附件中的职业不在全国附件中：{'、'.join(sorted(missing))}")
        rule.occupations.set(occupations)
    return len(notices), len(data["rules"])


def _load_holidays() -> int:
    rows = _read_tsv("holidays.tsv")
    for row in rows:
        save_if_changed(
            Holiday,
            {"date": datetime.date.fromisoformat(row["date"])},
            {"name": row["name"], "is_workday": row["workday"] == "1"},
        )
    return len(rows)


def _load_default_eligibility_routes() -> int:
    """The national defaults (occupation blank). Routes a centre added are left alone."""
    rows = _read_tsv("eligibility_routes.tsv")
    for row in rows:
        save_if_changed(
            EligibilityRoute,
            {"occupation": None, "level": row["level"], "description": row["description"]},
            {
                "min_years": int(row["min_years"] or 0),
                "prior_level": row["prior_level"],
                "diplomas": row["diplomas"].strip(),
                "apprenticeship": row["apprenticeship"] == "1",
            },
        )
    return len(rows)


# --- reminders -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Reminder:
    """One reminder to one user about one deadline at one lead time."""

    recipient_id: int
    kind: str
    subject: str
    deadline: datetime.date
    lead_days: int
    title: str
    body: str = ""
    link: str = ""

    @property
    def key(self) -> tuple:
        return (self.recipient_id, self.kind, self.subject, self.deadline, self.lead_days)


def reminders_send(*, reminders: Iterable[Reminder], batch_size: int = 1000) -> int:
    """Deliver reminders exactly once per recipient, kind, subject, deadline and lead time.

    1. In one transaction, insert a send-log row per reminder, ignoring the ones the
       unique constraint already holds (an earlier or a concurrent run sent them).
    2. The rows this run inserted (its run token) get their in-app notification.
    3. After commit, e-mail every notification not yet e-mailed and mark it.
    A run that dies before commit leaves nothing, so its retry sends everything once; a run
    that dies between an e-mail and its mark may e-mail that one again (in-app never twice)."""
    reminders = list(reminders)
    run = uuid.uuid4().hex
    with transaction.atomic():
        ReminderLog.objects.bulk_create(
            [
                ReminderLog(
                    recipient_id=r.recipient_id,
                    kind=r.kind,
                    subject=r.subject,
                    deadline=r.deadline,
                    lead_days=r.lead_days,
                    run=run,
                )
                for r in reminders
            ],
            ignore_conflicts=True,
            batch_size=batch_size,
        )
        by_key = {r.key: r for r in reminders}
        mine = list(ReminderLog.objects.filter(run=run))
        notifications = Notification.objects.bulk_create(
            [
                Notification(
                    recipient_id=log.recipient_id,
                    title=by_key[(log.recipient_id, log.kind, log.subject, log.deadline, log.lead_days)].title,
                    body=by_key[(log.recipient_id, log.kind, log.subject, log.deadline, log.lead_days)].body,
                    link=by_key[(log.recipient_id, log.kind, log.subject, log.deadline, log.lead_days)].link,
                )
                for log in mine
            ],
            batch_size=batch_size,
        )
        for log, notification in zip(mine, notifications, strict=True):
            log.notification = notification
        ReminderLog.objects.bulk_update(mine, ["notification"], batch_size=batch_size)
        selectors.unread_changed(log.recipient_id for log in mine)
    transaction.on_commit(reminders_email_pending)
    return len(mine)


def reminders_email_pending(batch_size: int = 200) -> int:
    """E-mail the reminders whose in-app notification exists but no e-mail went out yet."""
    sent = 0
    while True:
        with transaction.atomic():
            batch = list(
                ReminderLog.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(emailed_at__isnull=True, notification__isnull=False)
                .select_related("recipient", "notification")[:batch_size]
            )
            if not batch:
                return sent
            messages = [
                (log.notification.title, log.notification.body, None, [log.recipient.email])
                for log in batch
                if log.recipient.email and log.notification
            ]
            if messages:
                send_mass_mail(messages, fail_silently=False)
            ReminderLog.objects.filter(pk__in=[log.pk for log in batch]).update(emailed_at=clock.now())
            sent += len(messages)


# --- station authorisations ----------------------------------------------------------------


def may_keep_authorisations(actor: User | None, station: Station) -> bool:
    """Authorisations and sanctions are kept by the officers of the station's guidance
    centre or of a centre above it, and by the system administrator."""
    if actor is None:
        return False
    names = set(actor.groups.values_list("name", flat=True))
    if actor.is_superuser or roles.SYSTEM_ADMIN in names:
        return True
    if roles.CENTRE_OFFICER not in names or actor.centre_id is None:
        return False
    node: GuidanceCentre | None = station.centre
    while node is not None:
        if node.pk == actor.centre_id:
            return True
        node = node.parent
    return False


def _require_keeper(actor: User | None, station: Station) -> None:
    if not may_keep_authorisations(actor, station):
        raise RuleError(f"只有{station.centre}或其上级指导中心的审核员可以管理{station}的鉴定授权。")


@service
def authorisation_save(*, actor: User | None, authorisation: StationAuthorisation) -> StationAuthorisation:
    """Grant an authorisation (a new row: its grantor is the actor) or correct one, after
    checking the actor keeps the station's authorisations and the levels exist in the
    occupation's standard. Nothing is deleted: an authorisation ends by its validity or a
    revocation."""
    _require_keeper(actor, authorisation.station)
    if authorisation.pk is None:
        authorisation.granted_by = actor
    authorisation.full_clean()
    authorisation.save()
    return authorisation


@service
def sanction_record(
    *,
    actor: User | None,
    station: Station,
    kind: str,
    effective_from: datetime.date,
    reason: str,
    authorisation: StationAuthorisation | None = None,
    document: str = "",
) -> AuthorisationSanction:
    """Suspend (暂停) or revoke (撤销) a whole station or one of its authorisations from a day
    on. Refused when the same thing is already revoked, or already suspended on that day."""
    _require_keeper(actor, station)
    if not reason.strip():
        raise RuleError("暂停或撤销鉴定资质须写明原因。")
    sanction = AuthorisationSanction(
        station=station,
        authorisation=authorisation,
        kind=kind,
        effective_from=effective_from,
        reason=reason.strip(),
        document=document,
        decided_by=actor,
    )
    sanction.full_clean()
    earlier = AuthorisationSanction.objects.select_for_update(of=("self",)).filter(
        station=station, authorisation=authorisation
    )
    what = str(authorisation) if authorisation else str(station)
    for other in earlier:
        if other.kind == AuthorisationSanction.Kind.REVOCATION:
            raise RuleError(f"{what}已于 {other.effective_from:%Y-%m-%d} 撤销，不能再暂停或撤销。")
        if other.in_force_on(effective_from) and kind == AuthorisationSanction.Kind.SUSPENSION:
            raise RuleError(
                f"{what}自 {other.effective_from:%Y-%m-%d} 起已暂停，{effective_from:%Y-%m-%d} 仍在暂停中。"
            )
    sanction.save()
    return sanction


@service
def sanction_lift(
    *, actor: User | None, sanction: AuthorisationSanction, lifted_on: datetime.date, reason: str
) -> AuthorisationSanction:
    """Lift a suspension from a day on (the station works again that day). A revocation
    is final: the station needs a new authorisation."""
    sanction = (
        AuthorisationSanction.objects.select_for_update(of=("self",))
        .select_related("station__centre")
        .get(pk=sanction.pk)
    )
    _require_keeper(actor, sanction.station)
    if sanction.kind != AuthorisationSanction.Kind.SUSPENSION:
        raise RuleError("撤销鉴定资质不能恢复；如需重新开展鉴定，请重新授权。")
    if sanction.lifted_on is not None:
        raise RuleError(f"该暂停已于 {sanction.lifted_on:%Y-%m-%d} 解除。")
    if not reason.strip():
        raise RuleError("恢复鉴定资质须写明理由。")
    sanction.lifted_on, sanction.lift_reason, sanction.lifted_by = lifted_on, reason.strip(), actor
    sanction.full_clean()
    sanction.save()
    return sanction
