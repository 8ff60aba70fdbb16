"""The admin is thin: work list → batch (officer A) → approve (officer B) → print; the
supervisor's review form; revocation; lost requests; the upload audit. Scopes hold."""

import datetime

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from catalog import roles
from certificates import services
from certificates.models import Certificate, IssuanceBatch, LostCertificateRequest, UploadBatch
from tests.factories import UserFactory

from .conftest import issue, passed_group

pytestmark = pytest.mark.django_db

D = datetime.date


def changelist(model: str) -> str:
    return reverse(f"admin:certificates_{model}_changelist")


def act(client, model, action, pks):
    return client.post(changelist(model), {"action": action, "_selected_action": pks}, follow=True)


def messages_of(response) -> str:
    return " ".join(str(m) for m in response.context["messages"])


def test_work_list_to_printed_batch_with_four_eyes(settings, client, officers, orgs, passed):
    settings.JIANDING_BUSINESS_DATE = D(2020, 11, 30)
    registration = passed.refresh()
    client.force_login(officers["a"])
    listed = client.get(changelist("passedregistration"))
    assert registration.pk in [r.pk for r in listed.context["cl"].result_list]
    response = act(client, "passedregistration", "prepare_batch", [registration.pk])
    assert "制作发证批次：厦门市中心（1人），待另一名审核员审批。" in messages_of(response)
    batch = IssuanceBatch.objects.get()
    assert registration.pk not in [r.pk for r in client.get(changelist("passedregistration")).context["cl"].result_list]

    refused = act(client, "issuancebatch", "approve", [batch.pk])
    assert "制单人以外的另一名审核员" in messages_of(refused)

    client.force_login(officers["b"])
    response = act(client, "issuancebatch", "approve", [batch.pk])
    assert "审批发证批次：成功 1 条" in messages_of(response)
    certificate = Certificate.objects.get()
    assert certificate.issue_date == D(2020, 11, 30)
    download = client.get(reverse("certificates:batch_pdf", args=[batch.pk]))
    assert download.status_code == 200 and download.content.startswith(b"%PDF")
    act(client, "issuancebatch", "mark_printed", [batch.pk])
    act(client, "issuancebatch", "mark_handed_out", [batch.pk])
    assert IssuanceBatch.objects.get().print_status == "已发放"


def test_a_station_clerk_sees_its_certificates_but_cannot_issue(client, officers, orgs, staff, passed):
    certificate = issue(officers, orgs, [passed.refresh()])[0]
    client.force_login(staff["clerk"])
    response = client.get(changelist("certificate"))
    assert [c.pk for c in response.context["cl"].result_list] == [certificate.pk]
    assert "approve" not in response.context["cl"].model_admin.get_actions(response.wsgi_request)
    assert client.get(reverse("admin:certificates_certificate_change", args=[certificate.pk])).status_code == 200
    batch_page = client.get(changelist("passedregistration"))
    assert "prepare_batch" not in batch_page.context["cl"].model_admin.get_actions(batch_page.wsgi_request)
    assert client.get(changelist("uploadbatch")).status_code == 403

    other = UserFactory(username="clerk_xm2", station=orgs["xm2"], role=roles.STATION_CLERK)
    client.force_login(other)
    assert list(client.get(changelist("certificate")).context["cl"].result_list) == []


def test_the_supervisor_reviews_a_held_batch_in_its_form(settings, client, officers, orgs, staff, announcement):
    settings.JIANDING_BUSINESS_DATE = D(2020, 12, 3)
    group, _ = passed_group(staff, orgs, announcement, 4)
    settings.JIANDING_STAFF_CANDIDATES_PER_EXAMINER = 1  # tightened after the session: the signal reads it now
    batch = services.batch_prepare(
        actor=officers["a"], centre=orgs["xm"], registrations=group, prepared_on=D(2020, 12, 2)
    )
    batch = services.batch_approve(actor=officers["b"], batch=batch, issue_date=D(2020, 12, 2))
    assert batch.status == IssuanceBatch.Status.HELD

    client.force_login(officers["b"])  # an officer cannot release it
    assert (
        client.post(
            reverse("admin:certificates_issuancebatch_change", args=[batch.pk]), {"decision": "1", "opinion": "同意"}
        ).status_code
        == 403
    )

    client.force_login(officers["supervisor"])
    url = reverse("admin:certificates_issuancebatch_change", args=[batch.pk])
    page = client.get(url).content.decode()
    assert "考评员配备不足" in page and "复核结论" in page
    response = client.post(url, {"decision": "1", "opinion": "现场核实考评员6人", **_inline_management()})
    assert response.status_code == 302, response.content.decode()[:2000]
    batch.refresh_from_db()
    assert batch.status == IssuanceBatch.Status.APPROVED and batch.reviewed_by == officers["supervisor"]
    assert batch.certificates.count() == 4


def _inline_management(prefix="items"):
    return {
        f"{prefix}-TOTAL_FORMS": "0",
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "0",
    }


def test_revoking_through_the_admin_form_needs_a_reason(settings, client, officers, orgs, passed):
    settings.JIANDING_BUSINESS_DATE = D(2020, 12, 5)
    certificate = issue(officers, orgs, [passed.refresh()])[0]
    client.force_login(officers["a"])
    url = reverse("admin:certificates_certificate_change", args=[certificate.pk])
    assert client.post(url, {"reason": ""}).status_code == 200  # the form says what is missing
    response = client.post(url, {"reason": "查实冒名顶替"})
    assert response.status_code == 302
    certificate.refresh_from_db()
    assert certificate.status == Certificate.Status.VOIDED and certificate.void_reason == "查实冒名顶替"


def test_lost_request_through_the_admin(settings, client, officers, orgs, passed):
    settings.JIANDING_BUSINESS_DATE = D(2020, 12, 9)
    certificate = issue(officers, orgs, [passed.refresh()])[0]
    client.force_login(officers["a"])
    response = client.post(
        reverse("admin:certificates_lostcertificaterequest_add"),
        {
            "certificate": certificate.pk,
            "applicant_name": "陈美玲",
            "applicant_relation": "本人",
            "reason": "搬家遗失",
            "received_on": "2020-12-08",
        },
    )
    assert response.status_code == 302
    request = LostCertificateRequest.objects.get()
    response = act(client, "lostcertificaterequest", "process", [request.pk])
    assert "办理遗失补办：成功 1 条" in messages_of(response)
    request.refresh_from_db()
    assert request.status == LostCertificateRequest.Status.PROOF
    assert client.get(reverse("certificates:proof_pdf", args=[request.pk])).status_code == 200


def test_upload_audit_through_the_admin(settings, client, officers, orgs, passed):
    settings.JIANDING_BUSINESS_DATE = D(2020, 12, 10)
    certificate = issue(officers, orgs, [passed.refresh()])[0]
    client.force_login(officers["a"])
    act(client, "certificate", "add_to_upload_batch", [certificate.pk])
    batch = UploadBatch.objects.get()
    page = client.get(reverse("admin:certificates_uploadbatch_change", args=[batch.pk])).content.decode()
    assert "审核发现的问题" in page
    response = act(client, "uploadbatch", "confirm", [batch.pk])
    assert "审核确认：成功 1 条" in messages_of(response)
    assert UploadBatch.objects.get().status == UploadBatch.Status.CONFIRMED


def test_supervisor_role_permissions_and_the_officers_cannot_release(officers):
    assert officers["a"].has_perm("certificates.approve_issuancebatch")
    assert officers["a"].has_perm("certificates.revoke_certificate")
    assert officers["a"].has_perm("certificates.confirm_uploadbatch")
    assert not officers["a"].has_perm("certificates.review_issuancebatch")
    assert officers["supervisor"].has_perm("certificates.review_issuancebatch")
    assert Permission.objects.filter(codename="review_issuancebatch").exists()


def test_the_work_list_finds_a_candidate_by_whole_id_number_or_mobile_number(client, officers, passed):
    registration = passed.refresh()
    candidate = registration.candidate
    client.force_login(officers["a"])
    for typed in (candidate.id_number.lower(), candidate.phone, "陈美"):
        found = client.get(changelist("passedregistration"), {"q": typed}).context["cl"].result_list
        assert [r.pk for r in found] == [registration.pk], typed
    partial = client.get(changelist("passedregistration"), {"q": candidate.id_number[:10]}).context["cl"].result_list
    assert list(partial) == []
