"""The exam day in the demo: every session's paper from the national question bank, an
approved and a refused off-site request, and an exam day with a candidate absent."""

from __future__ import annotations

from appraisals import services
from appraisals.models import ExamPaper, ExamSession

from .people import StationStaff


def paper_for(session: ExamSession, staff: StationStaff, number: str) -> ExamPaper:
    """The station requests the session's paper, its guidance centre issues it and hands it
    over to the clerk, all on the day the session is scheduled (the demo's clock)."""
    paper = services.paper_request(actor=staff.clerk, session=session)
    paper = services.paper_issue(actor=staff.officer, paper=paper, bank_paper_id=number)
    name = staff.clerk.get_full_name() or staff.clerk.username
    return services.paper_hand_over(actor=staff.officer, paper=paper, received_by=name)
