"""Reads of candidates shared by screens, imports and reports."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from catalog.models import User
from catalog.selectors import Viewer, visible_station_ids

from .models import Candidate, CandidateNotice
from .validators import ID_NUMBER_SHAPE, normalise_id_number


def find_by_id_number(raw: str) -> Candidate | None:
    """The candidate with this ID number, however it was typed (full-width digits,
    spaces, lower-case x); None when there is none or the text is not an ID number."""
    id_number = normalise_id_number(raw)
    if not ID_NUMBER_SHAPE.fullmatch(id_number):
        return None
    return Candidate.objects.filter(id_number=id_number).first()


# Up to this many stations a scope's people are few enough to gather first (a clerk's
# station, a city's); beyond it they are a good part of everyone, and a list finds its page
# by walking candidates newest first and checking each (a province's).
GATHER_UP_TO_STATIONS = 60


def visible_candidates(user: Viewer, qs: QuerySet[Candidate] | None = None) -> QuerySet[Candidate]:
    """The candidates ``user`` may see: everyone for a full scope; otherwise the people
    registered at a station they see, and those such a station entered who are not
    registered yet (until a registration ties a person to a station, the creator's
    station is the one that may see them)."""
    qs = Candidate.objects.all() if qs is None else qs
    stations = visible_station_ids(user)
    if stations is None:
        return qs
    # The registration model of appraisals, reached through the reverse relation (an
    # import would point upward).
    registration: Any = Candidate._meta.get_field("registrations").related_model
    entered_by = User.objects.filter(station__anyof=stations).values("pk")
    if len(stations) > GATHER_UP_TO_STATIONS:
        registered_here = registration.objects.filter(candidate=OuterRef("pk"), station__anyof=stations)
        return qs.filter(Exists(registered_here) | Q(created_by__in=entered_by))
    registered = registration.objects.filter(station__anyof=stations).order_by().values("candidate_id")
    entered = Candidate.objects.filter(created_by__in=entered_by).order_by().values("pk")
    # One set, not "IN (…) OR …": PostgreSQL cannot turn an OR of subqueries into a
    # join, and re-ran the registration subquery for each candidate (minutes at a
    # million registrations; bench/admin_bench.py).
    return qs.filter(pk__in=registered.union(entered))


def notices_of(candidate: Candidate) -> QuerySet[CandidateNotice]:
    """What ``candidate`` was told (告知短信), newest first: the case page shows it."""
    return CandidateNotice.objects.filter(candidate=candidate).order_by("-created_at", "-pk")
