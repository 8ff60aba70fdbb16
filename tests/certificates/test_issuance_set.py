"""Issuance as a set (issue #15): a batch is checked, numbered and written as a whole, so
approving it takes the same number of SQL statements whatever the number of cases; the
numbers stay consecutive and gap-free in station and ID-number order; every certificate
keeps its archive record, its consent form archived and a masked trace."""

import datetime
import hashlib
import json
import random
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from appraisals import services as appraisal_services
from appraisals.models import ConsentForm
from catalog import roles
from catalog.models import Occupation
from certificates import services
from certificates.models import ArchiveRecord, Certificate, IssuanceBatch, IssuanceItem, NumberCounter
from kit import privacy
from tests.candidates.factories import CandidateFactory
from tests.factories import UserFactory, issued_paper, staffed

from .conftest import EXAM_DAY, NAMES, PUBLISHED, SCAN, at, scan_file

pytestmark = pytest.mark.django_db

D = datetime.date
# Ten days after the results were confirmed (11-21): no burst of results and certificates.
ISSUE_DAY = D(2020, 12, 2)


@pytest.fixture
def stations(orgs, staff):
    """Both Xiamen stations with a clerk, three examiners and a hairdresser announcement each."""
    hairdresser = Occupation.objects.get(name="美发师")
    found = {}
    for key in ("xm1", "xm2"):
        station = orgs[key]
        if key == "xm1":
            clerk, examiners = staff["clerk"], [staff["examiner"], staff["examiner2"], staff["examiner3"]]
        else:
            clerk = UserFactory(username=f"clerk_{key}", station=station, role=roles.STATION_CLERK)
            examiners = [
                UserFactory(username=f"examiner_{key}_{i}", station=station, role=roles.EXAMINER) for i in range(3)
            ]
        announcement = appraisal_services.announcement_publish(
            actor=clerk,
            station=station,
            occupation=hairdresser,
            level="5",
            publish_date=D(2020, 9, 1),
            fee=Decimal("200.00"),
        )
        found[key] = {"station": station, "clerk": clerk, "examiners": examiners, "announcement": announcement}
    return found


def group_at(staff, place, count, *, start):
    """``count`` candidates of one station through one application and one session to
    passed and published (as ``conftest.passed_group``, at any station)."""
    clerk, examiners, announcement = place["clerk"], place["examiners"], place["announcement"]
    registrations = []
    for _ in range(count):
        registration = appraisal_services.registration_accept(
            actor=clerk,
            candidate=CandidateFactory(name=next(NAMES), years_in_trade=2),
            announcement=announcement,
            registration_date=D(2020, 9, 10),
        )
        appraisal_services.eligibility_review(actor=clerk, registration=registration, review_date=D(2020, 9, 10))
        appraisal_services.consent_record(
            actor=clerk, registration=registration, signed_date=D(2020, 9, 10), scan=scan_file()
        )
        registrations.append(registration)
    application = appraisal_services.application_submit(
        actor=clerk, station=place["station"], registrations=registrations, submitted_date=D(2020, 10, 20)
    )
    appraisal_services.application_decide(
        actor=staff["officer_xm"], application=application, approve=True, decided_date=D(2020, 10, 25)
    )
    session = appraisal_services.session_schedule(
        **staffed(
            actor=clerk,
            application=application,
            occupation=announcement.occupation,
            level=announcement.level,
            date=EXAM_DAY,
            start_time=datetime.time(start, 0),
            end_time=datetime.time(start + 1, 0),
            place="厦门市考点",
            region=place["station"].region,
            examiners=examiners,
            rooms=[("第1考场", 30)],
        )
    )
    appraisal_services.seats_assign(actor=clerk, session=session)
    issued_paper(session)
    appraisal_services.session_hold(actor=clerk, session=session)
    for registration in registrations:
        result = appraisal_services.result_enter(
            actor=examiners[0], registration=registration, theory_score=Decimal("75"), practical_score=Decimal("80")
        )
        appraisal_services.result_confirm(actor=examiners[1], result=result, now=at(D(2020, 11, 21)))
    appraisal_services.results_publish(actor=clerk, session=session, published_on=PUBLISHED)
    for registration in registrations:
        registration.refresh_from_db()
    return registrations


def prepare(officers, orgs, registrations):
    return services.batch_prepare(
        actor=officers["a"], centre=orgs["xm"], registrations=registrations, prepared_on=ISSUE_DAY
    )


def approve(officers, batch):
    return services.batch_approve(actor=officers["b"], batch=batch, issue_date=ISSUE_DAY, now=at(ISSUE_DAY))


def test_a_batch_across_two_stations_is_numbered_in_station_and_id_order(officers, orgs, staff, stations):
    cases = group_at(staff, stations["xm2"], 3, start=8) + group_at(staff, stations["xm1"], 4, start=10)
    random.Random(15).shuffle(cases)  # the order they were picked in does not matter
    batch = approve(officers, prepare(officers, orgs, cases))
    assert batch.status == IssuanceBatch.Status.APPROVED

    certificates = list(Certificate.objects.select_related("registration__station").order_by("sequence"))
    assert [c.sequence for c in certificates] == list(range(1, 8))  # consecutive, from 1, no gap
    assert [c.number for c in certificates] == [f"FJ-XM-2020-{n:06d}" for n in range(1, 8)]
    order = [(c.registration.station.code, c.holder_id_number) for c in certificates]
    assert order == sorted(order) and order[0][0] == "XM001" and order[-1][0] == "XM002"
    assert NumberCounter.objects.get(centre=orgs["xm"], year=2020, kind="certificate").last_number == 7
    assert set(batch.items.values_list("status", flat=True)) == {IssuanceItem.Status.ISSUED}
    assert {i.certificate_id for i in batch.items.all()} == {c.pk for c in certificates}

    digest = hashlib.sha256(SCAN).hexdigest()
    for certificate in certificates:
        [record] = ArchiveRecord.objects.filter(certificate=certificate)
        assert record.registration_id == certificate.registration_id and record.consent_sha256 == digest
        assert record.contents["certificate"]["number"] == certificate.number
        assert record.contents["certificate"]["holder_id_number"] == certificate.holder_id_number
        assert record.contents["registration"]["station"] == str(certificate.registration.station)
        assert record.contents["results"][0]["entered_by"] and record.contents["consent"]["received_by"]
        with record.consent_scan.open("rb") as scan:
            assert scan.read() == SCAN
        consent = ConsentForm.objects.get(registration=certificate.registration)
        assert consent.archived_at == at(ISSUE_DAY) and consent.scan_sha256 == digest
        assert consent.archived_by == officers["b"]

        # The trace: written by the approver, the number masked, found by its keyed hash.
        full = certificate.holder_id_number
        [history] = Certificate.history.filter(id=certificate.pk)
        assert history.history_type == "+" and history.history_user == officers["b"]
        assert history.holder_id_number == privacy.mask_id_numbers(full) != full
        assert history.id_number_digest == privacy.id_number_digest(full)
        assert history.number == certificate.number
        [archived] = ArchiveRecord.history.filter(id=record.pk)
        assert archived.history_user == officers["b"]
        assert archived.created_at == record.created_at == at(ISSUE_DAY)
        text = json.dumps(archived.contents, ensure_ascii=False)
        assert full not in text and privacy.mask_id_numbers(full) in text
        assert ConsentForm.history.filter(id=consent.pk, archived_at__isnull=False).exists()
    issued = IssuanceItem.history.filter(batch_id=batch.pk, status=IssuanceItem.Status.ISSUED)
    assert issued.count() == 7 and {h.history_user for h in issued} == {officers["b"]}


def test_the_next_batch_goes_on_from_the_last_number(officers, orgs, staff, stations):
    first = group_at(staff, stations["xm1"], 2, start=8)
    second = group_at(staff, stations["xm2"], 3, start=10)
    approve(officers, prepare(officers, orgs, first))
    batch = approve(officers, prepare(officers, orgs, second))
    assert sorted(batch.certificates.values_list("sequence", flat=True)) == [3, 4, 5]


def statements_to_approve(officers, orgs, registrations):
    batch = prepare(officers, orgs, registrations)
    officers["b"].refresh_from_db()  # as in a request: the approver's roles are read afresh
    for memo in ("_jianding_roles", "_jianding_scope", "_jianding_station_ids", "_jianding_centre_subtree"):
        officers["b"].__dict__.pop(memo, None)
    with CaptureQueriesContext(connection) as queries:
        batch = approve(officers, batch)
    assert batch.status == IssuanceBatch.Status.APPROVED
    assert batch.certificates.count() == len(registrations)
    return len(queries)


def statements_to_prepare(officers, orgs, registrations):
    with CaptureQueriesContext(connection) as queries:
        prepare(officers, orgs, registrations)
    return len(queries)


def test_approving_takes_as_many_statements_for_3_cases_as_for_30(officers, orgs, staff, stations):
    # Each batch spans both stations, two applications and two sessions; 15 a session keeps
    # the examiners at one per five candidates (no rush signal).
    small = group_at(staff, stations["xm1"], 2, start=8) + group_at(staff, stations["xm2"], 1, start=8)
    large = group_at(staff, stations["xm1"], 15, start=10) + group_at(staff, stations["xm2"], 15, start=10)
    small_prepare = statements_to_prepare(officers, orgs, small)
    large_prepare = statements_to_prepare(officers, orgs, large)
    services.batch_cancel(actor=officers["a"], batch=IssuanceBatch.objects.get(items__registration=small[0]))
    services.batch_cancel(actor=officers["a"], batch=IssuanceBatch.objects.get(items__registration=large[0]))

    small_approve = statements_to_approve(officers, orgs, small)
    large_approve = statements_to_approve(officers, orgs, large)
    assert small_approve == large_approve, (small_approve, large_approve)
    assert small_prepare == large_prepare, (small_prepare, large_prepare)
    assert sorted(Certificate.objects.values_list("sequence", flat=True)) == list(range(1, 34))


def test_a_held_case_takes_no_number(officers, orgs, staff, stations):
    held = group_at(staff, stations["xm1"], 2, start=8)
    issued = group_at(staff, stations["xm2"], 2, start=10)
    batch = prepare(officers, orgs, held + issued)
    session = held[0].results.get().session
    services.finding_open(
        actor=staff["supervisor_fj"], session=session, summary="考场监控录像缺失", opened_at=at(D(2020, 11, 30))
    )
    batch = approve(officers, batch)
    statuses = dict(batch.items.values_list("registration_id", "status"))
    assert {statuses[r.pk] for r in held} == {IssuanceItem.Status.HELD}
    assert {statuses[r.pk] for r in issued} == {IssuanceItem.Status.ISSUED}
    assert sorted(Certificate.objects.values_list("sequence", flat=True)) == [1, 2]
    assert not ArchiveRecord.objects.filter(registration__in=held).exists()
    assert not ConsentForm.objects.filter(registration__in=held, archived_at__isnull=False).exists()


# What full_clean() asked the database row by row, issuance as a set leaves to the database:
# these constraints must be there.
HELD_BY_THE_DATABASE = {
    Certificate: {
        "named": {
            "certificate_sequence_unique_per_centre_year",
            "certificate_one_valid_per_registration",
            "certificate_sequence_from_one",
            "certificate_voided_with_who_when_why",
            "certificate_reissue_not_of_itself",
        },
        "unique": {"number", "verification_code", "reissue_of_id"},
    },
    ArchiveRecord: {"named": {"archive_sha256_is_64_hex", "archive_correction_has_reason"}, "unique": {"corrects_id"}},
    ConsentForm: {"named": {"consent_archived_with_scan_hash"}, "unique": {"registration_id"}},
    IssuanceItem: {"named": {"issuance_item_issued_has_certificate"}, "unique": {"certificate_id"}},
}


@pytest.mark.parametrize("model", list(HELD_BY_THE_DATABASE), ids=lambda m: m.__name__)
def test_the_database_holds_what_is_no_longer_asked_row_by_row(model):
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, model._meta.db_table)
    expected = HELD_BY_THE_DATABASE[model]
    assert expected["named"] <= set(constraints)
    unique_columns = {c["columns"][0] for c in constraints.values() if c["unique"] and len(c["columns"]) == 1}
    assert expected["unique"] <= unique_columns
    foreign_keys = {c["columns"][0] for c in constraints.values() if c["foreign_key"]}
    assert {f.column for f in model._meta.concrete_fields if f.is_relation} <= foreign_keys
