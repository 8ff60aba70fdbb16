"""Two officers approve at the same moment: numbers stay unique and gap-free per centre
and year (PostgreSQL: the counter row is locked with SELECT … FOR UPDATE)."""

import threading

import pytest
from django.db import connection

from catalog import roles
from certificates import services
from certificates.models import Certificate, IssuanceBatch
from tests.factories import UserFactory

from .conftest import FIRST_ISSUE_DAY, at, passed_group


@pytest.mark.postgres
def test_concurrent_issuers_get_unique_gap_free_numbers(committed_db, orgs, staff, announcement):
    group, _ = passed_group(staff, orgs, announcement, 9)
    preparer = staff["officer_xm"]
    approvers = [UserFactory(username=f"approver{i}", centre=orgs["xm"], role=roles.CENTRE_OFFICER) for i in range(3)]
    batches = [
        services.batch_prepare(
            actor=preparer, centre=orgs["xm"], registrations=group[i::3], prepared_on=FIRST_ISSUE_DAY
        )
        for i in range(3)
    ]
    start = threading.Barrier(len(batches))
    errors: list[BaseException] = []

    def approve(batch: IssuanceBatch, approver) -> None:
        try:
            start.wait(timeout=30)
            services.batch_approve(actor=approver, batch=batch, issue_date=FIRST_ISSUE_DAY, now=at(FIRST_ISSUE_DAY))
        except BaseException as error:  # reported to the main thread
            errors.append(error)
        finally:
            connection.close()  # each thread has its own connection

    threads = [threading.Thread(target=approve, args=pair) for pair in zip(batches, approvers, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    sequences = sorted(Certificate.objects.filter(centre=orgs["xm"], year=2020).values_list("sequence", flat=True))
    assert sequences == list(range(1, 10))  # no duplicate, no gap
    numbers = list(Certificate.objects.values_list("number", flat=True))
    assert len(set(numbers)) == 9
    # Each batch's certificates are contiguous: the counter was held for the whole batch.
    for batch in batches:
        own = sorted(Certificate.objects.filter(batch=batch).values_list("sequence", flat=True))
        assert own == list(range(own[0], own[0] + 3))
