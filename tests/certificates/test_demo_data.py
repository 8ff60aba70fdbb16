"""The demo data set: a living system, every state of the case, made through the services,
with the trace, and loaded again without changing anything."""

import datetime
import io

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import transaction
from django.db.models import F, Q

from appraisals.models import ExamResult, ExamSession, Refund, Registration, Retake
from candidates.models import Candidate

pytestmark = pytest.mark.django_db

S = Registration.Status
DEADLINE = datetime.date(2020, 12, 31)


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """load_demo once for the whole module (it takes a while), rolled back at the end."""
    with django_db_blocker.unblock(), transaction.atomic():
        out = io.StringIO()
        call_command("load_demo", stdout=out)
        yield out.getvalue()
        transaction.set_rollback(True)


def counts() -> dict[str, int]:
    """Rows of every model of our apps, their history included."""
    labels = ("catalog", "candidates", "appraisals", "certificates", "auth")
    return {
        model._meta.label: model._default_manager.count()
        for label in labels
        for model in apps.get_app_config(label).get_models()
    }


def test_every_state_of_the_case_occurs(demo):
    present = set(Registration.objects.values_list("status", flat=True))
    assert present == set(S.values)


def test_the_summary_counts_every_status_in_chinese(demo):
    assert "报名状态统计" in demo
    for label in S.labels:
        assert label in demo


def test_a_few_hundred_candidates_with_plausible_data(demo):
    assert Candidate.objects.count() >= 250
    addresses = {"350203", "350206", "350211", "350102", "350104", "430102", "430104", "430105"}
    assert {n[:6] for n in Candidate.objects.values_list("id_number", flat=True)} <= addresses
    years = {d.year for d in Candidate.objects.values_list("birth_date", flat=True)}
    assert min(years) >= 1965 and max(years) <= 2003
    assert Candidate.objects.exclude(prior_certificate_level="").exists()
    assert Candidate.objects.exclude(diploma="none").exists()


def test_students_and_apprentices_to_route_after_the_deadline(demo):
    trainees = Candidate.objects.exclude(trainee_kind=Candidate.TraineeKind.NONE)
    assert trainees.filter(trainee_kind=Candidate.TraineeKind.SCHOOL_STUDENT).count() >= 15
    assert trainees.filter(trainee_kind=Candidate.TraineeKind.NEW_APPRENTICE).count() >= 5
    late = trainees.filter(expected_finish_date__gt=DEADLINE)
    assert late.filter(trainee_kind=Candidate.TraineeKind.SCHOOL_STUDENT).exists()
    assert late.filter(trainee_kind=Candidate.TraineeKind.NEW_APPRENTICE).exists()


def test_refunds_mostly_after_the_registration_cut_off(demo):
    assert Refund.objects.count() >= 5
    assert Refund.objects.filter(refund_date__gt=datetime.date(2020, 9, 30)).count() >= 5
    assert not Registration.objects.filter(status=S.WITHDRAWN, refund__isnull=True).exists()


def test_retakes_some_passed_some_closed(demo):
    assert Retake.objects.count() >= 3
    assert Retake.objects.filter(registration__status=S.PASSED).exists()
    assert Retake.objects.filter(registration__status=S.CLOSED).exists()
    assert Retake.objects.filter(registration__status=S.RETAKE).exists()


def test_results_published_and_some_awaiting_confirmation(demo):
    assert ExamResult.objects.filter(published_on__isnull=False).exists()
    assert ExamResult.objects.filter(confirmed_at__isnull=True, registration__status=S.EXAMINED).exists()
    assert not ExamResult.objects.filter(confirmed_by=F("entered_by")).exists()


def test_every_exam_and_retake_in_2020_and_no_one_in_two_sessions_at_once(demo):
    sessions = list(ExamSession.objects.prefetch_related("examiners"))
    assert len(sessions) >= 20
    assert all(s.date <= DEADLINE for s in sessions)
    booked = {}
    for session in sessions:
        people = [u.pk for u in session.examiners.all()] + ([session.supervisor_id] if session.supervisor_id else [])
        for person in people:
            key = (person, session.date)
            for other in booked.get(key, []):
                assert session.end_time <= other.start_time or other.end_time <= session.start_time
            booked.setdefault(key, []).append(session)


def test_every_registration_change_is_traced(demo):
    history = Registration.history.all()
    assert history.exists()
    untraced = history.filter(history_user__isnull=True).filter(
        Q(history_change_reason__isnull=True) | Q(history_change_reason="")
    )
    assert not untraced.exists()


def test_loading_again_changes_nothing(demo):
    before = counts()
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    assert counts() == before
    assert "演示案例已存在" in out.getvalue()
