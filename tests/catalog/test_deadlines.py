"""Which rules apply to occupation O in region R: city over province over national."""

import datetime

import pytest

from catalog.models import DeadlineRule, Occupation, PolicyNotice, Region
from catalog.selectors import RuleBook, deadlines_for, occupation_in_catalog_on

pytestmark = pytest.mark.django_db

D = datetime.date


def occ(name):
    return Occupation.objects.get(name=name)


def reg(code):
    return Region.objects.get(code=code)


def test_fujian_occupation_in_fujian_city_takes_the_provincial_dates():
    deadlines = deadlines_for(occ("电工"), reg("350100"))  # 福州
    assert deadlines.last_registration_day == D(2020, 9, 30)
    assert deadlines.application_deadline == D(2020, 10, 31)
    assert deadlines.appraisal_deadline == D(2020, 12, 31)
    assert deadlines.retake_deadline == D(2020, 12, 31)
    assert deadlines.requires_municipal_report is False


def test_xiamen_city_rule_wins_and_inherits_the_dates_it_does_not_set():
    deadlines = deadlines_for(occ("电工"), reg("350200"))
    assert deadlines.sources["last_registration_day"].notice.doc_number == "厦人社〔2020〕141号"
    assert deadlines.sources["application_deadline"].notice.doc_number == "闽人社办〔2020〕143号"
    assert deadlines.application_deadline == D(2020, 10, 31)
    assert deadlines.requires_municipal_report is True


def test_a_batch_two_occupation_outside_fujian_keeps_the_national_last_day():
    # 电工 is batch 2 nationally (Dec 31) but one of Fujian's 42 (Sept 30).
    assert deadlines_for(occ("电工"), reg("430100")).last_registration_day == D(2020, 12, 31)
    assert deadlines_for(occ("电工"), None).last_registration_day == D(2020, 12, 31)
    assert deadlines_for(occ("电工"), reg("350000")).last_registration_day == D(2020, 9, 30)


def test_a_fujian_occupation_not_in_the_42_follows_the_national_rule_in_fujian():
    deadlines = deadlines_for(occ("设备点检员"), reg("350200"))
    assert deadlines.last_registration_day == D(2020, 12, 31)
    assert deadlines.application_deadline is None
    assert deadlines.requires_municipal_report is False


def test_access_type_occupations_have_no_last_day():
    deadlines = deadlines_for(occ("保安员"), reg("350200"))
    assert deadlines.last_registration_day is None
    assert deadlines.accepts_registration_on(D(2030, 1, 1))


def test_province_rule_beats_national_even_when_the_national_date_is_earlier():
    notice = PolicyNotice.objects.create(doc_number="湘测〔2020〕1号", issuer="测试", title="测试")
    rule = DeadlineRule.objects.create(
        name="湖南延期", notice=notice, region=reg("430000"), last_registration_day=D(2020, 10, 15)
    )
    rule.occupations.add(occ("车工"))  # national batch 1: Sept 30
    assert deadlines_for(occ("车工"), reg("430100")).last_registration_day == D(2020, 10, 15)
    assert deadlines_for(occ("车工"), reg("350100")).last_registration_day == D(2020, 9, 30)


def test_between_two_rules_of_one_region_the_newer_notice_wins():
    older = PolicyNotice.objects.create(doc_number="旧", issuer="测试", title="旧", issue_date=D(2020, 8, 1))
    newer = PolicyNotice.objects.create(doc_number="新", issuer="测试", title="新", issue_date=D(2020, 9, 1))
    for notice, day in ((newer, D(2020, 11, 30)), (older, D(2020, 11, 1))):
        rule = DeadlineRule.objects.create(
            name=notice.title, notice=notice, region=reg("430000"), last_registration_day=day
        )
        rule.occupations.add(occ("铣工"))
    assert deadlines_for(occ("铣工"), reg("430000")).last_registration_day == D(2020, 11, 30)


@pytest.mark.parametrize(
    ("day", "accepted"),
    [(D(2020, 9, 29), True), (D(2020, 9, 30), True), (D(2020, 10, 1), False)],
)
def test_registration_window_is_inclusive_of_the_last_day(day, accepted):
    assert deadlines_for(occ("美发师"), reg("350200")).accepts_registration_on(day) is accepted


@pytest.mark.parametrize(
    ("name", "day", "inside"),
    [
        ("车工", D(2020, 9, 30), True),
        ("车工", D(2020, 10, 1), False),
        ("设备点检员", D(2020, 12, 31), True),
        ("设备点检员", D(2021, 1, 1), False),
        ("消防员", D(2025, 1, 1), True),
    ],
)
def test_occupation_leaves_the_catalog_after_its_national_exit_day(name, day, inside):
    assert occupation_in_catalog_on(occ(name), day) is inside


def test_rulebook_resolves_many_rows_without_further_queries(django_assert_num_queries):
    book = RuleBook()
    occupations = list(Occupation.objects.values_list("pk", flat=True)[:50])
    xiamen = reg("350200")
    xiamen.lineage()  # loads the parent once; the book then works from memory
    with django_assert_num_queries(0):
        for occupation_id in occupations:
            book.deadlines_for(occupation_id, xiamen)
