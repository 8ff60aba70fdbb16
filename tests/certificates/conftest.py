import datetime
import itertools
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from appraisals import services as appraisal_services
from catalog import roles
from tests.appraisals.conftest import Case, announcement, candidate, hairdresser, staff
from tests.candidates.factories import CandidateFactory
from tests.factories import UserFactory, issued_paper, staffed

__all__ = ["announcement", "candidate", "hairdresser", "staff"]  # fixtures shared with the appraisal tests

D = datetime.date
EXAM_DAY = D(2020, 11, 20)
PUBLISHED = D(2020, 11, 23)  # a Monday: five working days of publicity end on Friday 11-27
FIRST_ISSUE_DAY = D(2020, 11, 28)
SCAN = b"%PDF-1.4\n% scanned consent form\n"
# Real-looking names: the data audit refuses digits in a name.
NAMES = (
    f"{family}{given}"
    for given in itertools.cycle("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平")
    for family in "王李张刘陈杨黄赵吴周"
)


def scan_file(name: str = "自愿书.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, SCAN, content_type="application/pdf")


def at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


class CertCase(Case):
    """The appraisal case, with a scanned consent form and publicity, up to “passed”."""

    def consent(self, day=D(2020, 9, 12), scan=True):
        appraisal_services.consent_record(
            actor=self.staff["clerk"],
            registration=self.registration,
            signed_date=day,
            scan=scan_file() if scan else None,
        )
        return self

    def pass_exam(self, theory="80", practical="85", confirmed=D(2020, 11, 21)):
        result = appraisal_services.result_enter(
            actor=self.staff["examiner"],
            registration=self.registration,
            theory_score=Decimal(theory),
            practical_score=Decimal(practical),
        )
        return appraisal_services.result_confirm(actor=self.staff["examiner2"], result=result, now=at(confirmed))

    def publish(self, day=PUBLISHED):
        appraisal_services.results_publish(actor=self.staff["clerk"], session=self.session, published_on=day)
        return self

    def to_passed(self):
        self.to_examined()
        self.pass_exam()
        return self.publish()


@pytest.fixture
def officers(orgs, staff):
    """Two officers of the Xiamen centre (four eyes) and a supervisor who may release holds."""
    from django.contrib.auth.models import Permission

    supervisor = UserFactory(username="supervisor_xm", centre=orgs["xm"], role=roles.SUPERVISOR)
    supervisor.user_permissions.add(Permission.objects.get(codename="review_issuancebatch"))
    return {
        "a": staff["officer_xm"],
        "b": UserFactory(username="officer_xm2", centre=orgs["xm"], role=roles.CENTRE_OFFICER),
        "fj": staff["officer_fj"],
        "supervisor": supervisor,
    }


@pytest.fixture
def case(staff, orgs, announcement, candidate):
    return CertCase(staff, orgs, announcement, candidate)


@pytest.fixture
def passed(case):
    """One candidate, passed and published; certificates may be issued from 2020-11-28."""
    return case.to_passed()


def passed_group(staff, orgs, announcement, count, *, registration_day=D(2020, 9, 10), examiners=None, start=14):
    """``count`` candidates through one application and one session to passed and published."""
    registrations = []
    for _ in range(count):
        registration = appraisal_services.registration_accept(
            actor=staff["clerk"],
            candidate=CandidateFactory(name=next(NAMES), years_in_trade=2),
            announcement=announcement,
            registration_date=registration_day,
        )
        appraisal_services.eligibility_review(
            actor=staff["clerk"], registration=registration, review_date=registration_day
        )
        appraisal_services.consent_record(
            actor=staff["clerk"], registration=registration, signed_date=registration_day, scan=scan_file()
        )
        registrations.append(registration)
    application = appraisal_services.application_submit(
        actor=staff["clerk"], station=orgs["xm1"], registrations=registrations, submitted_date=D(2020, 10, 20)
    )
    appraisal_services.application_decide(
        actor=staff["officer_xm"], application=application, approve=True, decided_date=D(2020, 10, 25)
    )
    session = appraisal_services.session_schedule(
        **staffed(
            actor=staff["clerk"],
            application=application,
            occupation=announcement.occupation,
            level=announcement.level,
            date=EXAM_DAY,
            start_time=datetime.time(start, 0),
            end_time=datetime.time(start + 2, 0),
            place="厦门市思明区考点",
            region=orgs["xm1"].region,
            examiners=examiners or [staff["examiner"], staff["examiner2"], staff["examiner3"]],
            rooms=[("第1考场", max(30, count))],
        )
    )
    appraisal_services.seats_assign(actor=staff["clerk"], session=session)
    issued_paper(session)
    appraisal_services.session_hold(actor=staff["clerk"], session=session)
    for registration in registrations:
        result = appraisal_services.result_enter(
            actor=staff["examiner"],
            registration=registration,
            theory_score=Decimal("75"),
            practical_score=Decimal("80"),
        )
        appraisal_services.result_confirm(actor=staff["examiner2"], result=result, now=at(D(2020, 11, 21)))
    appraisal_services.results_publish(actor=staff["clerk"], session=session, published_on=PUBLISHED)
    for registration in registrations:
        registration.refresh_from_db()
    return registrations, session


@pytest.fixture
def electrician_case(staff, orgs):
    """电工 (batch 2: in the catalog until 2020-12-31), passed and published."""
    from catalog.models import Occupation

    electrician = appraisal_services.announcement_publish(
        actor=staff["clerk"],
        station=orgs["xm1"],
        occupation=Occupation.objects.get(name="电工"),
        level="5",
        publish_date=D(2020, 9, 1),
        fee=Decimal("200.00"),
    )
    case = CertCase(staff, orgs, electrician, CandidateFactory(name="林志强", years_in_trade=3))
    return case.to_passed()


def issue(officers, orgs, registrations, day=FIRST_ISSUE_DAY):
    """Prepare (officer a) and approve (officer b): the certificates issued."""
    from certificates import services

    batch = services.batch_prepare(actor=officers["a"], centre=orgs["xm"], registrations=registrations, prepared_on=day)
    batch = services.batch_approve(actor=officers["b"], batch=batch, issue_date=day, now=at(day))
    return list(batch.certificates.order_by("sequence"))
