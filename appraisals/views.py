"""Downloads outside the admin: admission tickets as PDF.

Every view is scoped like the admin: a seat is reachable only through a station the user
may see, and anything else is a 404, so a crafted URL does not even reveal that the seat
or session exists."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from catalog.selectors import Viewer, visible_stations
from kit.responses import file_response, stored_file_response

from . import documents
from .models import ConsentForm, ExamSession, SeatAssignment

VIEW_SEATS = "appraisals.view_seatassignment"


def ticket_seats(user: Viewer) -> QuerySet[SeatAssignment]:
    """The seats whose tickets ``user`` may print, with everything a ticket shows."""
    return SeatAssignment.objects.filter(registration__station__in=visible_stations(user).values("pk")).select_related(
        "session",
        "room",
        "registration__candidate",
        "registration__station",
        "registration__announcement__occupation",
    )


def _require_permission(user: Viewer) -> None:
    # Logged in but without the permission: 403 (a redirect to the login page would loop).
    if not user.has_perm(VIEW_SEATS):
        raise PermissionDenied


@require_GET
@never_cache  # personal data: no shared or browser cache keeps a copy
@login_required
def admission_ticket(request: HttpRequest, seat_id: int) -> HttpResponse:
    _require_permission(request.user)
    seat = get_object_or_404(ticket_seats(request.user), pk=seat_id)
    return file_response(
        documents.admission_ticket_pdf(seat), f"准考证-{seat.ticket_number}.pdf", inline=True
    )  # opened for printing


@require_GET
@never_cache
@login_required
def session_tickets(request: HttpRequest, session_id: int) -> HttpResponse:
    """Every ticket of a session, one page each, ordered by room and seat."""
    _require_permission(request.user)
    sessions = ExamSession.objects.filter(application__station__in=visible_stations(request.user).values("pk"))
    session = get_object_or_404(sessions.select_related("application__station"), pk=session_id)
    seats = list(ticket_seats(request.user).filter(session=session).order_by("room__name", "seat_number"))
    if not seats:
        raise Http404("该场次尚未编排座位。")
    filename = f"准考证-{session.application.station.code}-{session.date:%Y%m%d}-场次{session.pk}.pdf"
    return file_response(documents.admission_tickets_pdf(seats), filename, inline=True)


@require_GET
@never_cache
@login_required
def consent_scan(request: HttpRequest, consent_id: int) -> HttpResponse:
    """The station's scan of a signed 自愿书, for those who may see that registration."""
    if not request.user.has_perm("appraisals.view_consentform"):
        raise PermissionDenied
    visible = ConsentForm.objects.filter(station__in=visible_stations(request.user).values("pk"))
    consent = get_object_or_404(visible.exclude(scan=""), pk=consent_id)
    return stored_file_response(consent.scan, f"自愿书扫描件-{consent.registration_id}")
