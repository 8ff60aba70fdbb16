"""Dashboard figures and anomaly detectors against hand-counted fixtures."""

import datetime
from decimal import Decimal

import pytest

from appraisals import selectors, services
from catalog.models import Station
from tests.candidates.factories import CandidateFactory

pytestmark = pytest.mark.django_db
D = datetime.date


def register(staff, announcement, day, **facts):
    return services.registration_accept(
        actor=staff["clerk"], candidate=CandidateFactory(**facts), announcement=announcement, registration_date=day
    )


def test_station_figures_and_registrations_per_day(case, staff, announcement):
    # Hand count: 4 registrations at XM001 (9-10 ×2, 9-20, 9-30); case passes, one fails,
    # one consented awaiting application, one ineligible.
    case.to_examined()
    case.score("80", "80")
    register(staff, announcement, D(2020, 9, 10), years_in_trade=0)  # ineligible after review
    awaiting = register(staff, announcement, D(2020, 9, 20))
    services.eligibility_review(actor=staff["clerk"], registration=awaiting, review_date=D(2020, 9, 21))
    services.consent_record(actor=staff["clerk"], registration=awaiting, signed_date=D(2020, 9, 21))
    failing = register(staff, announcement, D(2020, 9, 30))
    services.eligibility_review(actor=staff["clerk"], registration=failing, review_date=D(2020, 9, 30))
    services.consent_record(actor=staff["clerk"], registration=failing, signed_date=D(2020, 9, 30))
    application = services.application_submit(
        actor=staff["clerk"], station=case.orgs["xm1"], registrations=[failing], submitted_date=D(2020, 10, 2)
    )
    services.application_decide(
        actor=staff["officer_xm"], application=application, approve=True, decided_date=D(2020, 10, 3)
    )
    session = case.schedule(D(2020, 11, 25), application=application).session
    services.seats_assign(actor=staff["clerk"], session=session)
    services.session_hold(actor=staff["clerk"], session=session)
    result = services.result_enter(
        actor=staff["examiner"], registration=failing, theory_score=Decimal("40"), practical_score=Decimal("70")
    )
    services.result_confirm(actor=staff["examiner2"], result=result)
    ineligible = case.registration.__class__.objects.get(candidate__years_in_trade=0)
    services.eligibility_review(actor=staff["clerk"], registration=ineligible, review_date=D(2020, 9, 11))

    stations = Station.objects.filter(pk=case.orgs["xm1"].pk)
    registrations = selectors.registration_filter(stations)
    assert selectors.registrations_per_day(registrations) == [
        (D(2020, 9, 10), 2),
        (D(2020, 9, 20), 1),
        (D(2020, 9, 30), 1),
    ]
    figures = selectors.station_figures(registrations)[case.orgs["xm1"].pk]
    assert (figures.registrations, figures.examined, figures.passed) == (4, 2, 1)
    assert figures.pass_rate == 0.5
    assert (figures.consent_needed, figures.consented, figures.awaiting_application) == (3, 3, 1)
    only_late = selectors.registration_filter(stations, date_from=D(2020, 9, 15), date_to=D(2020, 9, 25))
    assert selectors.station_figures(only_late)[case.orgs["xm1"].pk].registrations == 1


def test_one_person_at_two_stations_is_found(case, staff, orgs, hairdresser):
    case.register()
    other = services.announcement_publish(
        actor=staff["sysadmin"], station=orgs["xm2"], occupation=hairdresser, level="5", publish_date=D(2020, 9, 1)
    )
    services.registration_accept(
        actor=staff["sysadmin"], candidate=case.candidate, announcement=other, registration_date=D(2020, 9, 12)
    )
    found = selectors.candidates_at_several_stations(Station.objects.all())
    assert found == [{"candidate_id": case.candidate.pk, "announcement__occupation_id": hairdresser.pk, "stations": 2}]


def test_identical_score_patterns_are_found(case, staff, announcement):
    case.register().review().consent()
    others = []
    for _ in range(4):
        r = register(staff, announcement, D(2020, 9, 15))
        services.eligibility_review(actor=staff["clerk"], registration=r, review_date=D(2020, 9, 16))
        services.consent_record(actor=staff["clerk"], registration=r, signed_date=D(2020, 9, 16))
        others.append(r)
    case.application = services.application_submit(
        actor=staff["clerk"],
        station=case.orgs["xm1"],
        registrations=[case.registration, *others],
        submitted_date=D(2020, 10, 1),
    )
    case.approve().schedule().seat().hold()
    for r in [case.registration, *others]:
        services.result_enter(
            actor=staff["examiner"], registration=r, theory_score=Decimal("75"), practical_score=Decimal("82")
        )
    found = selectors.identical_score_patterns(Station.objects.all(), min_repeats=5)
    assert [(f["theory_score"], f["practical_score"], f["n"]) for f in found] == [(Decimal("75.0"), Decimal("82.0"), 5)]
    assert selectors.identical_score_patterns(Station.objects.all(), min_repeats=6) == []


def test_an_offsite_session_without_approval_is_found(case, orgs):
    from appraisals.models import ExamSession

    case.register().review().consent().apply().approve().schedule()
    assert selectors.offsite_sessions_without_approval(Station.objects.all()) == []
    ExamSession.objects.filter(pk=case.session.pk).update(region=orgs["fz1"].region)  # legacy data
    assert [s.pk for s in selectors.offsite_sessions_without_approval(Station.objects.all())] == [case.session.pk]
