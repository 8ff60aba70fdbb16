"""Lost certificates: inside the catalog a reissue (new number linked to the old, the old
voided); after the exit a certificate information proof. Both leave a trace."""

import datetime

import pytest

from certificates import services
from certificates.models import ArchiveRecord, Certificate, LostCertificateRequest
from kit.errors import RuleError

from .conftest import at, issue

pytestmark = pytest.mark.django_db

D = datetime.date


@pytest.fixture
def electrician_certificate(officers, orgs, electrician_case):
    return issue(officers, orgs, [electrician_case.refresh()])[0]


def record_request(officers, certificate, received=D(2020, 12, 8)):
    return services.lost_request_record(
        actor=officers["a"],
        certificate=certificate,
        applicant_name="林志强",
        reason="搬家时遗失",
        received_on=received,
    )


def test_the_request_records_who_asked_and_why(officers, electrician_certificate):
    request = record_request(officers, electrician_certificate)
    assert (request.applicant_name, request.applicant_relation, request.reason) == ("林志强", "本人", "搬家时遗失")
    assert request.recorded_by == officers["a"]
    assert request.status == LostCertificateRequest.Status.PENDING
    with pytest.raises(Exception, match="待办理"):
        record_request(officers, electrician_certificate)


def test_inside_the_catalog_the_certificate_is_reissued(officers, electrician_certificate):
    request = record_request(officers, electrician_certificate)
    request = services.lost_request_process(
        actor=officers["b"], request=request, processed_on=D(2020, 12, 10), now=at(D(2020, 12, 10))
    )
    old = Certificate.objects.get(pk=electrician_certificate.pk)
    new = request.new_certificate
    assert request.status == LostCertificateRequest.Status.REISSUED
    assert old.status == Certificate.Status.REISSUED and "遗失补发" in old.void_reason
    assert new.reissue_of == old and new.number != old.number
    assert new.number == "FJ-XM-2020-000002" and new.is_valid
    assert (new.holder_name, new.occupation, new.level, new.result) == (
        old.holder_name,
        old.occupation,
        old.level,
        old.result,
    )
    assert new.issue_date == D(2020, 12, 10)
    assert ArchiveRecord.objects.filter(certificate=new).exists()
    assert new.history.first().history_user == officers["b"]
    assert old.history.first().history_user == officers["b"]  # the trace of the voiding
    assert request.history.first().history_user == officers["b"]


def test_after_the_exit_a_proof_is_issued_instead(officers, electrician_certificate):
    request = record_request(officers, electrician_certificate, received=D(2021, 1, 4))
    request = services.lost_request_process(actor=officers["b"], request=request, processed_on=D(2021, 1, 5))
    assert request.status == LostCertificateRequest.Status.PROOF
    assert request.proof_number == "FJ-XM-2021-ZM00001"
    assert request.new_certificate is None
    assert Certificate.objects.get(pk=electrician_certificate.pk).is_valid  # still valid after the exit
    assert Certificate.objects.count() == 1
    assert request.history.first().history_user == officers["b"]


def test_hairdressers_certificates_get_proofs_since_the_occupation_left_in_september(officers, orgs, passed):
    certificate = issue(officers, orgs, [passed.refresh()])[0]
    request = record_request(officers, certificate)
    request = services.lost_request_process(actor=officers["a"], request=request, processed_on=D(2020, 12, 9))
    assert request.status == LostCertificateRequest.Status.PROOF


def test_a_station_may_record_but_never_process(officers, staff, electrician_certificate):
    request = services.lost_request_record(
        actor=staff["clerk"],
        certificate=electrician_certificate,
        applicant_name="林小明",
        applicant_relation="委托代理人",
        reason="证书损毁",
        received_on=D(2020, 12, 8),
    )
    with pytest.raises(RuleError, match="鉴定站人员"):
        services.lost_request_process(actor=staff["clerk"], request=request, processed_on=D(2020, 12, 9))


def test_a_processed_request_is_not_processed_again_and_a_voided_certificate_not_replaced(
    officers, electrician_certificate
):
    request = record_request(officers, electrician_certificate)
    services.lost_request_process(actor=officers["b"], request=request, processed_on=D(2020, 12, 10))
    with pytest.raises(RuleError, match="已办结"):
        services.lost_request_process(actor=officers["b"], request=request, processed_on=D(2020, 12, 11))
    with pytest.raises(RuleError, match="不能申请遗失补办"):
        record_request(officers, Certificate.objects.get(pk=electrician_certificate.pk))
