"""``__anyof``: a scope's list of ids as one array parameter on PostgreSQL, the rows of
``__in`` everywhere."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.models import Station, User


@pytest.fixture
def staff(orgs, people):
    return people


def test_the_same_rows_as_in_on_a_key_and_on_a_relation(orgs, staff):
    xiamen = [orgs["xm1"].pk, orgs["xm2"].pk]
    assert set(Station.objects.filter(pk__anyof=xiamen)) == {orgs["xm1"], orgs["xm2"]}
    assert list(User.objects.filter(station__anyof=xiamen)) == list(User.objects.filter(station__in=xiamen))
    assert set(User.objects.filter(station__anyof=xiamen).values_list("username", flat=True)) == {"clerk", "examiner"}


def test_an_empty_list_matches_nothing_without_asking_the_database(orgs):
    with CaptureQueriesContext(connection) as captured:
        assert list(Station.objects.filter(pk__anyof=[])) == []
    assert captured.captured_queries == []
    assert Station.objects.exclude(pk__anyof=[]).count() == Station.objects.count()


def test_the_whole_list_is_one_parameter_on_postgresql(orgs):
    ids = [station.pk for station in Station.objects.all()]
    sql, params = Station.objects.filter(pk__anyof=ids).query.sql_with_params()
    if connection.vendor == "postgresql":
        assert "= ANY(" in sql and params == (ids,)
    else:
        assert sql.count("%s") == len(ids) and list(params) == ids


def test_one_id_is_an_equality_the_planner_can_read_an_index_in_order_by(orgs):
    station = orgs["xm1"]
    sql, params = User.objects.filter(station__anyof=[station.pk]).query.sql_with_params()
    assert "ANY(" not in sql and " IN (" not in sql and params == (station.pk,)
    assert set(User.objects.filter(station__anyof=[station.pk])) == set(User.objects.filter(station=station))


def test_texts_find_the_same_rows_as_in_and_go_as_one_parameter_on_postgresql(orgs, staff):
    codes = [station.code for station in Station.objects.all()[:2]] + ["NO-SUCH-CODE"]
    assert set(Station.objects.filter(code__anyof=codes)) == set(Station.objects.filter(code__in=codes))
    assert Station.objects.filter(code__anyof=codes).count() == 2
    sql, params = Station.objects.filter(code__anyof=codes).query.sql_with_params()
    if connection.vendor == "postgresql":
        assert "= ANY(" in sql and params == (codes,)
