import datetime
from decimal import Decimal

import pytest

from appraisals import services
from catalog import roles
from catalog.models import Occupation
from tests.candidates.factories import CandidateFactory
from tests.factories import UserFactory, issued_paper, staffed

D = datetime.date


@pytest.fixture
def staff(people, orgs):
    """The people a Xiamen case passes through."""
    return {
        **people,
        "clerk2": UserFactory(username="clerk2", station=orgs["xm1"], role=roles.STATION_CLERK),
        "examiner2": UserFactory(username="examiner2", station=orgs["xm1"], role=roles.EXAMINER),
        "examiner3": UserFactory(username="examiner3", station=orgs["xm1"], role=roles.EXAMINER),
    }


@pytest.fixture
def hairdresser():
    return Occupation.objects.get(name="美发师")  # batch 1 and one of Fujian's 42


@pytest.fixture
def announcement(orgs, staff, hairdresser):
    return services.announcement_publish(
        actor=staff["clerk"],
        station=orgs["xm1"],
        occupation=hairdresser,
        level="5",
        publish_date=D(2020, 9, 1),
        fee=Decimal("200.00"),
    )


@pytest.fixture
def candidate():
    return CandidateFactory(name="陈美玲", years_in_trade=2)


class Case:
    """Walks one registration through the lifecycle, one service call per step."""

    def __init__(self, staff, orgs, announcement, candidate):
        self.staff, self.orgs, self.announcement, self.candidate = staff, orgs, announcement, candidate
        self.registration = None
        self.application = None
        self.session = None

    def register(self, day=D(2020, 9, 10)):
        self.registration = services.registration_accept(
            actor=self.staff["clerk"], candidate=self.candidate, announcement=self.announcement, registration_date=day
        )
        return self

    def review(self, day=D(2020, 9, 11)):
        services.eligibility_review(actor=self.staff["clerk"], registration=self.registration, review_date=day)
        return self

    def consent(self, day=D(2020, 9, 12)):
        services.consent_record(actor=self.staff["clerk"], registration=self.registration, signed_date=day)
        return self

    def apply(self, day=D(2020, 10, 20)):
        self.application = services.application_submit(
            actor=self.staff["clerk"], station=self.orgs["xm1"], registrations=[self.registration], submitted_date=day
        )
        return self

    def approve(self, day=D(2020, 10, 25)):
        self.application = services.application_decide(
            actor=self.staff["officer_xm"], application=self.application, approve=True, decided_date=day
        )
        return self

    def schedule(self, day=D(2020, 11, 20), paper=True, **extra):
        kwargs = {
            "actor": self.staff["clerk"],
            "application": self.application,
            "occupation": self.announcement.occupation,
            "level": self.announcement.level,
            "date": day,
            "start_time": datetime.time(9, 0),
            "end_time": datetime.time(11, 0),
            "place": "厦门市思明区考点",
            "region": self.orgs["xm1"].region,
            "examiners": [self.staff["examiner"], self.staff["examiner2"], self.staff["examiner3"]],
            "supervisor": self.staff["supervisor_fj"],
        }
        kwargs.update(extra)
        self.session = services.session_schedule(**staffed(**kwargs))
        if paper:
            issued_paper(self.session, officer=self.staff["officer_xm"])
        return self

    def seat(self):
        services.seats_assign(actor=self.staff["clerk"], session=self.session)
        return self

    def hold(self):
        services.session_hold(actor=self.staff["clerk"], session=self.session)
        return self

    def score(self, theory, practical, confirm=True):
        result = services.result_enter(
            actor=self.staff["examiner"],
            registration=self.registration,
            theory_score=None if theory is None else Decimal(theory),
            practical_score=None if practical is None else Decimal(practical),
        )
        if confirm:
            result = services.result_confirm(actor=self.staff["examiner2"], result=result)
        return result

    def to_examined(self):
        return self.register().review().consent().apply().approve().schedule().seat().hold()

    def refresh(self):
        self.registration.refresh_from_db()
        return self.registration


@pytest.fixture
def case(staff, orgs, announcement, candidate):
    return Case(staff, orgs, announcement, candidate)
