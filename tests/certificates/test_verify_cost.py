"""The public lookup at its cost (issue #15): one query per lookup (besides the rate limit's
counters in the cache, and the access-log row of a certificate found), with the exit dates
kept between requests, and an exit date edited in the admin shown by the very next lookup
(by the next one of another process within a second).

The lookups that keep exit dates run outside any transaction, as in production (a request
runs in autocommit): these tests commit for real (``committed_db``)."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from catalog import selectors as catalog_selectors
from catalog.models import DeadlineRule, Occupation, PolicyNotice
from catalog.selectors import RuleBook
from certificates.documents import lookup_url
from supervision.models import PersonalDataAccess

from .conftest import issue

D = datetime.date
IP = "198.51.100.200"
EXITED = "有效（职业已退出目录）"


def lookup(client, key, name):
    return client.post(reverse("verify"), {"key": key, "name": name}, REMOTE_ADDR=IP).content.decode()


def status_of(page: str) -> str:
    return page.split('class="status')[1].split(">")[1].split("<")[0]


def national_exit_rule(occupation_name: str) -> DeadlineRule:
    deadlines = RuleBook().deadlines_for(Occupation.objects.get(name=occupation_name), None)
    return deadlines.sources["last_registration_day"]


def edit_in_admin(client, rule: DeadlineRule, **changes) -> None:
    """The rule's change form in the admin, submitted with ``changes``."""
    data = {
        "name": rule.name,
        "notice": rule.notice_id,
        "region": rule.region_id or "",
        "occupations": [o.pk for o in rule.occupations.all()],
        "requires_municipal_report": "on" if rule.requires_municipal_report else "",
        "exit_day_closed": "on" if rule.exit_day_closed else "",
        "_save": "保存",
    }
    for name in ("last_registration_day", "application_deadline", "appraisal_deadline", "retake_deadline"):
        day = getattr(rule, name)
        data[name] = day.isoformat() if day else ""
    data.update(changes)
    data = {key: value for key, value in data.items() if value != ""}
    response = client.post(reverse("admin:catalog_deadlinerule_change", args=[rule.pk]), data)
    assert response.status_code == 302, response.content.decode()[:3000]


@pytest.fixture
def electrician(committed_db, officers, orgs, electrician_case, settings):
    """A 电工 certificate (batch 2, in the catalog until 2020-12-31), looked up on 2020-12-10."""
    settings.JIANDING_BUSINESS_DATE = D(2020, 12, 10)
    return issue(officers, orgs, [electrician_case.refresh()])[0]


@pytest.mark.django_db(transaction=True)
def test_each_lookup_reads_the_database_once(client, electrician):
    lookup(client, electrician.number, "林志强")  # the first one reads the rules, for every later one
    kinds = {
        "number": lambda: lookup(client, electrician.number, "林志强"),
        "ID number": lambda: lookup(client, electrician.holder_id_number, "林志强"),
        "QR link": lambda: client.get(lookup_url(electrician).split("8000")[1], REMOTE_ADDR=IP).content.decode(),
        "miss": lambda: lookup(client, electrician.number, "林志"),
    }
    for kind, run in kinds.items():
        with CaptureQueriesContext(connection) as captured:
            page = run()
        statements = [q["sql"].split(" ", 1)[0] for q in captured.captured_queries]
        statements = [s for s in statements if s not in ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE")]
        found = kind != "miss"
        assert (electrician.number in page) == found, kind
        # One SELECT; a certificate found adds its row in the personal-data access log.
        assert statements == (["SELECT", "INSERT"] if found else ["SELECT"]), (kind, captured.captured_queries)
    assert PersonalDataAccess.objects.filter(action="lookup").count() == 1 + 3


@pytest.mark.django_db(transaction=True)
def test_an_exit_date_edited_in_the_admin_is_shown_by_the_next_lookup(client, admin_client, electrician):
    assert status_of(lookup(client, electrician.number, "林志强")) == "有效"
    rule = national_exit_rule("电工")

    edit_in_admin(admin_client, rule, last_registration_day="2020-11-30")
    page = lookup(client, electrician.number, "林志强")
    assert status_of(page) == EXITED and "已于 2020年11月30日 退出国家职业资格目录" in page

    # The rule no longer names 电工 (its occupations edited): nothing else makes it exit.
    rule.refresh_from_db()
    others = [o.pk for o in rule.occupations.exclude(name="电工")]
    edit_in_admin(admin_client, rule, occupations=others)
    assert national_exit_rule_or_none("电工") is None
    assert status_of(lookup(client, electrician.number, "林志强")) == "有效"


def national_exit_rule_or_none(occupation_name: str) -> DeadlineRule | None:
    deadlines = RuleBook().deadlines_for(Occupation.objects.get(name=occupation_name), None)
    return deadlines.sources.get("last_registration_day")


@pytest.mark.django_db(transaction=True)
def test_a_rule_added_a_notice_redated_or_a_rule_deleted_is_shown_by_the_next_lookup(client, electrician):
    in_force = national_exit_rule("电工").notice
    in_force.issue_date = D(2020, 7, 1)  # the seed leaves it blank (the oldest of all)
    in_force.save()
    notice = PolicyNotice.objects.create(
        doc_number="人社厅发〔2020〕999号", issuer="人社部办公厅", title="测试通知", issue_date=D(2020, 1, 1)
    )
    other = DeadlineRule.objects.create(name="另一退出日", notice=notice, last_registration_day=D(2020, 10, 31))
    other.occupations.add(Occupation.objects.get(name="电工"))
    # The older notice's rule does not win over the rule in force.
    assert status_of(lookup(client, electrician.number, "林志强")) == "有效"
    notice.issue_date = D(2020, 8, 1)
    notice.save()  # now the newest notice: its date wins
    assert "已于 2020年10月31日 退出" in lookup(client, electrician.number, "林志强")
    other.delete()
    assert status_of(lookup(client, electrician.number, "林志强")) == "有效"


@pytest.mark.django_db(transaction=True)
def test_a_change_that_sends_no_signal_is_seen_after_the_maximum_age(client, electrician, monkeypatch):
    lookup(client, electrician.number, "林志强")
    DeadlineRule.objects.filter(pk=national_exit_rule("电工").pk).update(last_registration_day=D(2020, 11, 30))
    assert status_of(lookup(client, electrician.number, "林志强")) == "有效"  # kept, for now
    later = catalog_selectors.time.monotonic() + catalog_selectors.EXIT_DATES_MAX_AGE + 1
    monkeypatch.setattr(catalog_selectors.time, "monotonic", lambda: later)
    assert status_of(lookup(client, electrician.number, "林志强")) == EXITED


@pytest.mark.django_db(transaction=True)
def test_a_change_made_by_another_process_is_seen_within_the_version_check(client, electrician, monkeypatch):
    """Another process's edit replaces the version in the shared cache but cannot drop what
    this process keeps: the version is read again after ``EXIT_DATES_VERSION_CHECK``."""
    from django.core.cache import cache

    lookup(client, electrician.number, "林志强")
    DeadlineRule.objects.filter(pk=national_exit_rule("电工").pk).update(last_registration_day=D(2020, 11, 30))
    cache.set(catalog_selectors.EXIT_DATES_VERSION_KEY, "replaced-by-another-process", timeout=None)
    assert status_of(lookup(client, electrician.number, "林志强")) == "有效"  # not read yet
    later = catalog_selectors.time.monotonic() + catalog_selectors.EXIT_DATES_VERSION_CHECK + 0.01
    monkeypatch.setattr(catalog_selectors.time, "monotonic", lambda: later)
    assert status_of(lookup(client, electrician.number, "林志强")) == EXITED


@pytest.mark.django_db
def test_inside_a_transaction_the_rules_are_read_afresh(client, electrician_case, officers, orgs, settings):
    """A transaction sees its own changes, and nothing it read outlives it."""
    settings.JIANDING_BUSINESS_DATE = D(2020, 12, 10)
    certificate = issue(officers, orgs, [electrician_case.refresh()])[0]
    assert status_of(lookup(client, certificate.number, "林志强")) == "有效"
    rule = national_exit_rule("电工")
    rule.last_registration_day = D(2020, 11, 30)
    rule.save()
    assert status_of(lookup(client, certificate.number, "林志强")) == EXITED


def test_the_rule_book_gives_every_exit_date_at_once(db):
    book = RuleBook()
    dates = book.exit_dates()
    for occupation in Occupation.objects.all():
        assert dates.get(occupation.pk) == book.exit_date(occupation), occupation.name


@pytest.mark.django_db
def test_the_inputs_rendered_once_are_the_form_s_own(client):
    """The empty form's inputs are rendered once per process: they are what the widgets
    render, and a form sent back incomplete still shows its errors."""
    from django import forms

    from certificates.views import VerifyForm

    for _ in range(2):  # the first page renders them, the second reuses them
        page = client.get(reverse("verify"), REMOTE_ADDR=IP).content.decode()
        form = VerifyForm()
        for name, field in form.fields.items():
            assert forms.BoundField(form, field, name).as_widget() in page
    page = client.post(reverse("verify"), {"key": "", "name": "林志强"}, REMOTE_ADDR=IP).content.decode()
    assert 'class="errorlist' in page and 'aria-invalid="true"' in page


@pytest.mark.django_db(transaction=True)
def test_an_occupation_or_centre_renamed_is_shown_by_the_next_lookup(client, electrician):
    page = lookup(client, electrician.number, "林志强")
    assert electrician.occupation.name in page and electrician.centre.name in page
    occupation, centre = electrician.occupation, electrician.centre
    occupation.name, centre.name = "电工（测试改名）", "测试改名指导中心"
    occupation.save()
    centre.save()
    page = lookup(client, electrician.number, "林志强")
    assert "电工（测试改名）" in page and "测试改名指导中心" in page


@pytest.mark.django_db(transaction=True)
def test_a_centre_the_kept_names_lack_is_read_at_once(client, electrician):
    """A centre added without a signal (bulk_create) and a certificate moved to it by
    update(): the kept names lack it, so they are read again for that lookup."""
    from catalog.models import GuidanceCentre
    from certificates.models import Certificate

    lookup(client, electrician.number, "林志强")
    old = electrician.centre
    new = GuidanceCentre(
        name="新设指导中心", code="XS", level=old.level, region_id=old.region_id, parent_id=old.parent_id
    )
    GuidanceCentre.objects.bulk_create([new])
    new = GuidanceCentre.objects.get(code="XS")
    Certificate.objects.filter(pk=electrician.pk).update(centre=new)
    assert "新设指导中心" in lookup(client, electrician.number, "林志强")
