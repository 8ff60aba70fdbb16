"""A step locks the rows it changes, not the rows it reads with them (PostgreSQL: ``SELECT …
FOR UPDATE OF`` the step's own table). Locking a station, a person or a centre with FOR UPDATE
would make everyone who writes a row pointing at it wait (a foreign key takes a key-share
lock on the row it points to): every registration at those stations, while an officer's
batch of thousands of cases is prepared."""

import datetime
import threading

import pytest
from django.db import connection, transaction

from appraisals import services as appraisal_services
from certificates import services
from tests.candidates.factories import CandidateFactory

from .conftest import FIRST_ISSUE_DAY, passed_group

pytestmark = pytest.mark.postgres

D = datetime.date


def held_open(step, release: threading.Event, done: threading.Event, errors: list) -> threading.Thread:
    """Run ``step`` in a transaction of its own thread, kept open until ``release``."""

    def run() -> None:
        try:
            with transaction.atomic():
                step()
                done.set()
                release.wait(timeout=30)
        except BaseException as error:  # reported to the test
            errors.append(error)
            done.set()
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_preparing_batches_leaves_the_stations_and_the_people_free(committed_db, orgs, staff, announcement):
    group, _ = passed_group(staff, orgs, announcement, 3)
    release, done, errors = threading.Event(), threading.Event(), []
    preparing = held_open(
        lambda: services.batches_prepare(actor=staff["officer_xm"], registrations=group, prepared_on=FIRST_ISSUE_DAY),
        release,
        done,
        errors,
    )
    try:
        assert done.wait(timeout=30)
        assert errors == []
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '2s'")  # waiting on the batch: refused, not hung
            # Meanwhile the station registers a new person, and a person of the batch is written to.
            appraisal_services.registration_accept(
                actor=staff["clerk"],
                candidate=CandidateFactory(name="林小明"),
                announcement=announcement,
                registration_date=D(2020, 9, 20),
            )
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT 1 FROM candidates_candidate WHERE id = %s FOR KEY SHARE", [group[0].candidate_id]
                )
    finally:
        release.set()
        preparing.join(timeout=60)
    assert errors == []


def test_a_registration_step_leaves_its_station_and_announcement_free(committed_db, orgs, staff, announcement):
    registration = appraisal_services.registration_accept(
        actor=staff["clerk"],
        candidate=CandidateFactory(name="陈美玲"),
        announcement=announcement,
        registration_date=D(2020, 9, 10),
    )
    release, done, errors = threading.Event(), threading.Event(), []
    stepping = held_open(lambda: appraisal_services._locked(registration), release, done, errors)
    try:
        assert done.wait(timeout=30)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL lock_timeout = '2s'")
            for table, pk in (
                ("catalog_station", registration.station_id),
                ("appraisals_examannouncement", registration.announcement_id),
            ):
                cursor.execute(f"SELECT 1 FROM {table} WHERE id = %s FOR KEY SHARE NOWAIT", [pk])
            # The registration itself is locked: a second step on it waits for the first.
            with pytest.raises(Exception, match="could not obtain lock"):
                cursor.execute(
                    "SELECT 1 FROM appraisals_registration WHERE id = %s FOR KEY SHARE NOWAIT", [registration.pk]
                )
    finally:
        release.set()
        stepping.join(timeout=60)
    assert errors == []
