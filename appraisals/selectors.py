"""Reads shared by screens, reports and reminders."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import QuerySet

from candidates.models import Candidate
from catalog.models import Occupation, Region
from catalog.selectors import RuleBook

from .models import Registration, SkillLevelReferral


@dataclass(frozen=True)
class TraineeRouting:
    candidate: Candidate
    occupation: Occupation
    region: Region | None
    station_id: int | None
    completion_deadline: datetime.date
    expected_finish_date: datetime.date


def trainees_to_route(candidates: QuerySet[Candidate] | None = None) -> list[TraineeRouting]:
    """Students and apprentices under a certificate training plan whose occupation leaves
    the catalog and who will not finish before the last day an appraisal can be completed,
    not yet passed and not yet referred. They must be helped to a skill level certificate.

    The occupation is the one of each registration (in its station's region), or the
    training plan's occupation (in the region of the station that entered the person)."""
    book = RuleBook()
    trainees = (candidates if candidates is not None else Candidate.objects.all()).exclude(
        trainee_kind=Candidate.TraineeKind.NONE
    )
    trainees = trainees.select_related("plan_occupation", "created_by__station__region")
    registrations = Registration.objects.filter(candidate__in=trainees).select_related(
        "announcement__occupation", "station__region"
    )
    by_candidate: dict[int, list[Registration]] = {}
    for registration in registrations:
        by_candidate.setdefault(registration.candidate_id, []).append(registration)
    referred = set(SkillLevelReferral.objects.values_list("candidate_id", "occupation_id"))

    found: list[TraineeRouting] = []
    for candidate in trainees:
        targets: dict[int, tuple[Occupation, Region | None, int | None, bool]] = {}
        for registration in by_candidate.get(candidate.pk, []):
            passed = registration.status == Registration.Status.PASSED
            targets[registration.announcement.occupation_id] = (
                registration.announcement.occupation,
                registration.station.region,
                registration.station_id,
                passed,
            )
        if candidate.plan_occupation_id and candidate.plan_occupation_id not in targets:
            station = candidate.created_by.station if candidate.created_by_id else None
            targets[candidate.plan_occupation_id] = (
                candidate.plan_occupation,
                station.region if station else None,
                station.pk if station else None,
                False,
            )
        for occupation, region, station_id, passed in targets.values():
            if passed or (candidate.pk, occupation.pk) in referred:
                continue
            deadlines = book.deadlines_for(occupation, region)
            # The last day an appraisal can happen: the completion deadline, else the exit day.
            last_day = deadlines.appraisal_deadline or book.exit_date(occupation)
            if last_day is None or candidate.expected_finish_date is None:
                continue
            if candidate.expected_finish_date > last_day:
                found.append(
                    TraineeRouting(candidate, occupation, region, station_id, last_day, candidate.expected_finish_date)
                )
    return found
