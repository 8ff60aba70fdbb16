"""A case's records are archived, not deleted, and a saved registration's page has nothing
to save: its steps change it."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("who", ["clerk", "officer_xm"])
def test_the_registration_page_offers_neither_save_nor_delete(client, staff, case, who):
    registration = case.register().registration
    client.force_login(staff[who])
    page = client.get(reverse("admin:appraisals_registration_change", args=[registration.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "陈美玲" in html
    assert 'name="_save"' not in html
    assert "删除" not in html
    refused = client.post(reverse("admin:appraisals_registration_delete", args=[registration.pk]), {"post": "yes"})
    assert refused.status_code == 403
    registration.refresh_from_db()  # still there


@pytest.mark.parametrize("who", ["clerk", "officer_xm"])
@pytest.mark.parametrize(
    "permission",
    [
        "appraisals.delete_registration",
        "appraisals.delete_consentform",
        "appraisals.delete_examresult",
        "appraisals.delete_refund",
        "appraisals.delete_retake",
        "candidates.delete_candidate",
    ],
)
def test_only_the_system_administrator_may_delete_case_records(staff, who, permission):
    assert not staff[who].has_perm(permission)
    assert staff["sysadmin"].has_perm(permission)


def test_the_clerk_still_works_the_case_from_the_list(client, staff, case):
    registration = case.register().registration
    client.force_login(staff["clerk"])
    listing = client.get(reverse("admin:appraisals_registration_changelist"))
    html = listing.content.decode()
    assert registration.candidate.name in html
    assert 'value="record_paper_consent"' in html
