"""Results, consent forms and certificates keep their registration's station, so that a list
reaches its user's stations without joining a million registrations (issue 15). The copy is
made on every path (service, save, migration of rows written before) and a record naming
another station is refused."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from appraisals.models import ConsentForm, ExamResult
from catalog import roles
from certificates.models import Certificate
from tests.factories import UserFactory

from .conftest import issue

BEFORE_THE_COPIES = [
    ("appraisals", "0014_registration_status_announcement_index"),
    ("certificates", "0011_name_prefix_search"),
]


def stations_of_the_case(registration):
    return (
        ExamResult.objects.get(registration=registration).station,
        ConsentForm.objects.get(registration=registration).station,
        Certificate.objects.get(registration=registration).station,
    )


def test_each_record_of_an_issued_case_names_the_registration_station(passed, officers, orgs):
    issue(officers, orgs, [passed.registration])
    assert stations_of_the_case(passed.registration) == (orgs["xm1"],) * 3


def test_a_result_or_consent_naming_another_station_is_refused(passed, orgs):
    result = ExamResult.objects.select_related("registration").get(registration=passed.registration)
    result.station = orgs["xm2"]
    with pytest.raises(ValidationError) as refused:
        result.full_clean()
    assert refused.value.message_dict["station"] == ["成绩的鉴定站必须是报名的鉴定站。"]
    made = ConsentForm.objects.get(registration=passed.registration)
    another = ConsentForm(
        registration=passed.registration,
        station=orgs["xm2"],
        signed_date=made.signed_date,
        received_by=made.received_by,
    )
    with pytest.raises(ValidationError) as refused:
        another.full_clean(validate_unique=False)
    assert refused.value.message_dict["station"] == ["自愿书的鉴定站必须是报名的鉴定站。"]


@pytest.mark.parametrize("list_name", ["appraisals_examresult_changelist", "appraisals_consentform_changelist"])
def test_the_lists_show_a_clerk_the_own_station_only(client, passed, staff, orgs, list_name):
    name = passed.registration.candidate.name
    client.force_login(staff["clerk"])
    assert name in client.get(reverse(f"admin:{list_name}")).content.decode()
    other_clerk = UserFactory(username="clerk_xm2", station=orgs["xm2"], role=roles.STATION_CLERK)
    client.force_login(other_clerk)
    page = client.get(reverse(f"admin:{list_name}"))
    assert page.status_code == 200 and name not in page.content.decode()


def test_the_consent_register_shows_an_officer_the_centre_stations_only(client, passed, staff, orgs):
    name = passed.registration.candidate.name
    client.force_login(staff["officer_xm"])
    page = client.get(
        reverse("admin:certificates_consentarchive_changelist"), {"station__centre__id__exact": orgs["xm"].pk}
    )
    assert "厦门一站" in page.content.decode() and name in page.content.decode()
    outside = UserFactory(username="officer_fz", centre=orgs["fz"], role=roles.CENTRE_OFFICER)
    client.force_login(outside)
    page = client.get(reverse("admin:certificates_consentarchive_changelist"))
    assert page.status_code == 200 and name not in page.content.decode()


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()


@pytest.mark.django_db(transaction=True)
def test_rows_written_before_the_copies_get_their_station_when_migrated(committed_db, passed, officers, orgs):
    issue(officers, orgs, [passed.registration])
    try:
        migrate(BEFORE_THE_COPIES)
        with connection.cursor() as cursor:
            columns = [c.name for c in connection.introspection.get_table_description(cursor, "appraisals_examresult")]
        assert "station_id" not in columns
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    assert stations_of_the_case(passed.registration) == (orgs["xm1"],) * 3
    history = ExamResult.history.filter(registration_id=passed.registration.pk)
    assert history.exists() and set(history.values_list("station_id", flat=True)) == {orgs["xm1"].pk}


def test_the_results_list_shows_the_newest_case_first_and_marks_no_column_sorted(client, passed, staff):
    """Newest case first, within it the newest result; the 次序 column is not marked as the
    one the list is sorted by (it is not: the clerk did not click it)."""
    client.force_login(staff["clerk"])
    page = client.get(reverse("admin:appraisals_examresult_changelist")).content.decode()
    header = page.split('class="column-attempt_short', 1)[0].rsplit("<th", 1)[1]
    assert "sorted" not in header
    assert passed.registration.candidate.name in page
