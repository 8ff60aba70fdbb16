"""The officer's work list says which cases can be certified and why the others cannot,
in a fixed number of queries per page; messages name candidates with masked ID numbers
only; the certificate list is narrow; the whole-case page shows the certificate."""

import datetime
import re

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from appraisals.admin.shared import candidate_label
from appraisals.rules import Code
from certificates import selectors, services
from certificates.models import IssuanceBatch
from kit.errors import RuleError
from tests.candidates.factories import CandidateFactory
from tests.lists import cap_lists

from .conftest import CertCase, issue, passed_group

pytestmark = pytest.mark.django_db

D = datetime.date
FULL_ID = re.compile(r"\d{17}[\dX]")
WORK_LIST = reverse("admin:certificates_passedregistration_changelist")


def full_id_permission():
    app_label, codename = "candidates", "view_full_id_number"
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


def no_scan_case(staff, orgs, announcement):
    """Passed and published, but the consent form was recorded without its scan."""
    case = CertCase(staff, orgs, announcement, CandidateFactory(name="郑晓燕", years_in_trade=2))
    case.register().review().consent(scan=False).apply().approve().schedule().seat().hold()
    case.pass_exam()
    case.publish()
    return case.refresh()


# --- the selector -------------------------------------------------------------------------------


def test_many_at_once_says_what_one_at_a_time_says(officers, orgs, staff, announcement):
    group, _ = passed_group(staff, orgs, announcement, 3)
    refused = no_scan_case(staff, orgs, announcement)
    services.batch_prepare(actor=officers["a"], centre=orgs["xm"], registrations=group[:1], prepared_on=D(2020, 11, 28))
    cases = [*group, refused]
    for issue_date in (None, D(2020, 11, 25), D(2020, 11, 28)):
        many = selectors.issuance_refusals_many(cases, centre=orgs["xm"], issue_date=issue_date)
        for registration in cases:
            one = selectors.issuance_refusals(registration, centre=orgs["xm"], issue_date=issue_date)
            assert many[registration.pk] == one
    many = selectors.issuance_refusals_many(cases, centre=orgs["xm"], issue_date=D(2020, 11, 28))
    assert [v.code for v in many[group[0].pk]] == [Code.ISSUANCE_PENDING]
    assert many[group[1].pk] == []
    assert Code.CONSENT_NO_SCAN in {v.code for v in many[refused.pk]}
    # None: each case is checked for its own station's centre (a system administrator).
    assert selectors.issuance_refusals_many([group[1]], centre=None, issue_date=D(2020, 11, 28)) == {group[1].pk: []}


def test_many_at_once_costs_the_same_for_two_cases_or_eight(officers, orgs, staff, announcement):
    group, _ = passed_group(staff, orgs, announcement, 8)
    counts = []
    for cases in (group[:2], group):
        with CaptureQueriesContext(connection) as captured:
            selectors.issuance_refusals_many(cases, centre=orgs["xm"], issue_date=D(2020, 11, 28))
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1] <= 12, counts


# --- the work list ---------------------------------------------------------------------------


def test_the_work_list_says_who_can_be_certified_and_why_not(settings, client, officers, orgs, staff, announcement):
    settings.JIANDING_BUSINESS_DATE = D(2020, 11, 30)
    group, _ = passed_group(staff, orgs, announcement, 2)
    refused = no_scan_case(staff, orgs, announcement)
    client.force_login(officers["a"])
    page = client.get(WORK_LIST)
    text = page.content.decode()
    assert "能否发证" in text and "✓ 可以发证" in text
    assert "自愿书缺扫描件" in text  # the refusal in a few words
    assert "自愿书没有扫描件，无法与证书核发资料一并归档" in text  # and in full, as its tooltip
    assert not FULL_ID.search(text), "no full ID number in the work list"
    rows = {r.pk: r.refusals for r in page.context["cl"].result_list}
    assert rows[group[0].pk] == [] and rows[group[1].pk] == []
    assert [v.code for v in rows[refused.pk]] == [Code.CONSENT_NO_SCAN]

    # Before the publicity is over, nobody can be certified today.
    settings.JIANDING_BUSINESS_DATE = D(2020, 11, 26)
    rows = {r.pk: r.refusals for r in client.get(WORK_LIST).context["cl"].result_list}
    assert all(Code.PUBLICITY_NOT_OVER in {v.code for v in reasons} for reasons in rows.values())


def test_the_filter_shows_the_certifiable_cases_or_the_others(settings, client, officers, orgs, staff, announcement):
    settings.JIANDING_BUSINESS_DATE = D(2020, 11, 30)
    group, _ = passed_group(staff, orgs, announcement, 2)
    refused = no_scan_case(staff, orgs, announcement)
    client.force_login(officers["a"])

    def listed(query):
        return {r.pk for r in client.get(WORK_LIST + query).context["cl"].result_list}

    assert listed("?certifiable=yes") == {r.pk for r in group}
    assert listed("?certifiable=no") == {refused.pk}
    assert listed("") == {refused.pk, *(r.pk for r in group)}


def test_a_page_of_the_work_list_costs_a_fixed_number_of_queries(
    settings, client, officers, orgs, staff, announcement, django_assert_max_num_queries
):
    """The same number of queries for a page of 3 rows or of 12, with or without the filter."""
    settings.JIANDING_BUSINESS_DATE = D(2020, 11, 30)
    client.force_login(officers["a"])
    counts = []
    for _ in range(2):
        passed_group(staff, orgs, announcement, 3 if not counts else 9, start=9 if not counts else 14)
        client.get(WORK_LIST)  # warm the session and the content types
        with django_assert_max_num_queries(32) as plain:
            page = client.get(WORK_LIST)
        with django_assert_max_num_queries(44) as filtered:
            client.get(WORK_LIST + "?certifiable=yes")
        counts.append((len(page.context["cl"].result_list), len(plain), len(filtered)))
    assert [rows for rows, _, _ in counts] == [3, 12]
    assert counts[0][1:] == counts[1][1:], counts


# --- masked ID numbers in messages -----------------------------------------------------------------


def test_candidate_labels_are_masked_for_everyone(orgs, staff, announcement):
    registration = no_scan_case(staff, orgs, announcement)
    label = candidate_label(registration)
    id_number = registration.candidate.id_number
    assert label == f"郑晓燕（{id_number[:6]}********{id_number[-4:]}）"
    assert id_number not in label


def test_a_refused_case_is_named_with_its_masked_id_even_for_a_full_id_officer(
    settings, client, officers, orgs, staff, announcement
):
    settings.JIANDING_BUSINESS_DATE = D(2020, 11, 30)
    refused = no_scan_case(staff, orgs, announcement)
    officer = officers["a"]
    officer.user_permissions.add(full_id_permission())
    client.force_login(officer)
    response = client.post(WORK_LIST, {"action": "prepare_batch", "_selected_action": [refused.pk]}, follow=True)
    text = " ".join(str(m) for m in response.context["messages"])
    assert "未加入批次 1 人" in text and "郑晓燕（" in text and "********" in text
    assert not FULL_ID.search(text)
    assert not IssuanceBatch.objects.exists()


def test_the_services_refusal_names_the_masked_id_number(officers, orgs, staff, announcement):
    refused = no_scan_case(staff, orgs, announcement)
    with pytest.raises(RuleError) as error:
        services.batch_prepare(
            actor=officers["a"], centre=orgs["xm"], registrations=[refused], prepared_on=D(2020, 11, 30)
        )
    message = " ".join(error.value.messages)
    id_number = refused.candidate.id_number
    assert f"郑晓燕（{id_number[:6]}********{id_number[-4:]}）" in message
    assert not FULL_ID.search(message)


# --- the certificate list and the whole-case page -----------------------------------------------------


def test_the_certificate_list_has_short_columns_and_no_id_number(client, officers, orgs, passed):
    certificate = issue(officers, orgs, [passed.refresh()])[0]
    client.force_login(officers["a"])
    page = client.get(reverse("admin:certificates_certificate_changelist"))
    text = page.content.decode()
    headers = [str(h["text"]) for h in page.context["result_headers"]][1:]
    assert headers == ["证书编号", "姓名", "职业（工种）", "等级", "发证日期", "发证机构", "效力", "证书PDF"]
    assert certificate.number in text and "2020-11-28" in text and ">五级<" in text
    assert not FULL_ID.search(text)
    assert reverse("certificates:certificate_pdf", args=[certificate.pk]) in text


def test_the_whole_case_page_shows_the_certificate_with_its_pdf(client, officers, orgs, staff, passed):
    certificate = issue(officers, orgs, [passed.refresh()])[0]
    for user in (officers["a"], staff["clerk"]):
        client.force_login(user)
        page = client.get(reverse("admin:appraisals_registration_change", args=[certificate.registration_id]))
        text = page.content.decode()
        assert page.status_code == 200
        assert certificate.number in text and "有效" in text
        assert reverse("certificates:certificate_pdf", args=[certificate.pk]) in text


def test_a_batch_is_made_of_all_of_a_work_list_longer_than_its_cap(
    settings, client, officers, orgs, staff, announcement, monkeypatch
):
    """Preparing a batch runs on a whole list as one set: “select all” stays offered on a list
    too long to count (the row-by-row actions of other lists are not), and takes every case."""
    from certificates.admin.issuance import PassedRegistrationAdmin

    settings.JIANDING_BUSINESS_DATE = D(2020, 11, 30)
    group, _ = passed_group(staff, orgs, announcement, 3)
    cap_lists(monkeypatch, PassedRegistrationAdmin, cap=2, per_page=1)
    client.force_login(officers["a"])

    page = client.get(WORK_LIST).content.decode()
    assert "选中全部 2+ 个待发证的合格考生（仅用于：制作发证批次" in page

    everything = {"action": "prepare_batch", "select_across": "1", "index": "0", "_selected_action": [group[-1].pk]}
    client.post(WORK_LIST, everything, follow=True)
    batch = IssuanceBatch.objects.get()
    assert batch.items.count() == 3
