"""The data audit before the national database (严禁问题数据入网): every record checked,
every problem listed, only a clean batch confirmed, a confirmed batch frozen."""

import csv
import datetime
import io

import pytest
from openpyxl import load_workbook

from appraisals.models import ExamSession, Registration
from candidates.models import Candidate
from certificates import exports, selectors, services
from certificates.models import Certificate, ImmutableError, UploadBatch, UploadItem
from kit.errors import RuleError

from .conftest import issue, passed_group

pytestmark = pytest.mark.django_db

D = datetime.date


@pytest.fixture
def certificates(officers, orgs, staff, announcement, passed):
    group, _ = passed_group(staff, orgs, announcement, 2)
    return issue(officers, orgs, [passed.refresh(), *group])


def group(officers, orgs, certificates, day=D(2020, 12, 1)):
    return services.upload_batch_create(
        actor=officers["a"], centre=orgs["xm"], certificates=certificates, created_on=day
    )


def problems_of(batch, certificate):
    report = selectors.audit_batch(batch)
    item = batch.items.get(certificate=certificate)
    return report.problems[item.pk]


def test_a_clean_batch_is_confirmed_and_frozen(officers, orgs, certificates):
    batch = group(officers, orgs, certificates)
    report = selectors.audit_batch(batch)
    assert report.clean, report.problems
    batch = services.upload_batch_confirm(actor=officers["b"], batch=batch, confirmed_on=D(2020, 12, 2))
    assert batch.status == UploadBatch.Status.CONFIRMED
    assert (batch.confirmed_by, batch.confirmed_on) == (officers["b"], D(2020, 12, 2))
    assert all(item.confirmed and item.snapshot["number"] for item in batch.items.all())

    item = batch.items.first()
    with pytest.raises(ImmutableError, match="已冻结"):
        item.delete()
    with pytest.raises(ImmutableError):
        item.save()
    with pytest.raises(ImmutableError):
        batch.items.all().delete()
    with pytest.raises(ImmutableError):
        batch.note = "改"
        batch.save()
    with pytest.raises(RuleError, match="已确认"):
        services.upload_batch_remove(actor=officers["a"], batch=batch, certificates=certificates[:1])
    with pytest.raises(RuleError, match="已确认"):
        services.upload_batch_confirm(actor=officers["b"], batch=batch, confirmed_on=D(2020, 12, 3))


def test_a_batch_with_one_bad_record_cannot_be_confirmed(officers, orgs, certificates):
    bad = certificates[1]
    Certificate.objects.filter(pk=bad.pk).update(
        holder_id_number=bad.holder_id_number[:17] + ("0" if bad.holder_id_number[-1] != "0" else "1")
    )
    batch = group(officers, orgs, certificates)
    assert any("校验码" in p for p in problems_of(batch, bad))
    assert problems_of(batch, certificates[0]) == []
    with pytest.raises(RuleError, match="1 条记录有问题"):
        services.upload_batch_confirm(actor=officers["b"], batch=batch, confirmed_on=D(2020, 12, 2))
    assert UploadBatch.objects.get(pk=batch.pk).status == UploadBatch.Status.DRAFT

    # Take the bad record out: the rest can go.
    services.upload_batch_remove(actor=officers["a"], batch=batch, certificates=[bad])
    assert (
        services.upload_batch_confirm(actor=officers["b"], batch=batch, confirmed_on=D(2020, 12, 2)).items.count() == 2
    )


def test_every_problem_of_a_record_is_listed(officers, orgs, certificates, staff):
    bad = certificates[0]
    Candidate.objects.filter(pk=bad.candidate_id).update(name="陈美琳")  # renamed after issuance
    Certificate.objects.filter(pk=bad.pk).update(holder_name="陈 美玲")
    Registration.objects.filter(pk=bad.registration_id).update(registration_date=D(2020, 10, 3))
    ExamSession.objects.filter(pk=bad.result.session_id).update(date=D(2021, 1, 6))
    batch = group(officers, orgs, certificates)
    found = " ".join(problems_of(batch, bad))
    for expected in (
        "姓名应为2–30个汉字",
        # The case rules' own words, the same as the issuance refusals', naming the notice.
        "“美发师”已于 2020-09-30 退出国家职业资格目录，2020-10-03 不能受理报名",
        "受理报名日期 2020-10-03 晚于“美发师”在厦门市的最后受理日 2020-09-30（厦人社〔2020〕141号）",
        "鉴定须在 2020-12-31 前（含当日）完成（闽人社办〔2020〕143号），考试日期 2021-01-06 已超期",
        "日期顺序错误",
    ):
        assert expected in found, expected


def test_name_mismatch_and_revoked_certificates_are_problems(officers, orgs, certificates):
    Candidate.objects.filter(pk=certificates[0].candidate_id).update(name="陈美琳")
    services.certificate_revoke(
        actor=officers["a"], certificate=certificates[1], reason="材料造假", revoked_on=D(2020, 12, 1)
    )
    batch = group(officers, orgs, certificates)
    assert "证书上的姓名与考生信息不一致。" in problems_of(batch, certificates[0])
    assert any("只能上报有效证书" in p for p in problems_of(batch, certificates[1]))


def test_duplicates_across_batches_and_centres_are_found(officers, orgs, certificates):
    first = group(officers, orgs, certificates[:1])
    second = group(officers, orgs, certificates[:2])
    assert any("重复上报" in p for p in problems_of(second, certificates[0]))
    assert any("重复上报" in p for p in problems_of(first, certificates[0]))

    # The same person, occupation and level certified again by another centre.
    twin = Certificate.objects.get(pk=certificates[1].pk)
    twin.pk, twin.number, twin.centre, twin.sequence = None, "FJ-FZ-2020-000001", orgs["fz"], 1
    services.certificate_revoke(
        actor=officers["a"], certificate=certificates[2], reason="测试", revoked_on=D(2020, 12, 1)
    )
    twin.verification_code, twin.registration = "ABCDEFGHJKLM", certificates[2].registration
    twin.save()  # as if imported from the Fuzhou centre's records
    third = group(officers, orgs, [Certificate.objects.get(pk=certificates[1].pk)], day=D(2020, 12, 3))
    assert any("重复证书：与福州市中心的证书 FJ-FZ-2020-000001" in p for p in problems_of(third, certificates[1]))


def test_a_certificate_of_another_centre_is_a_problem(officers, orgs, certificates):
    batch = services.upload_batch_create(
        actor=officers["fj"], centre=orgs["fj"], certificates=certificates[:1], created_on=D(2020, 12, 1)
    )
    assert any("不能由福建省中心上报" in p for p in problems_of(batch, certificates[0]))


def test_confirming_produces_the_form_and_the_data_file(officers, orgs, certificates):
    batch = services.upload_batch_confirm(
        actor=officers["b"], batch=group(officers, orgs, certificates), confirmed_on=D(2020, 12, 2)
    )
    workbook = load_workbook(io.BytesIO(exports.audit_form_xlsx(batch)))
    sheet = workbook.active
    values = [[c for c in row if c is not None] for row in sheet.iter_rows(values_only=True)]
    assert values[0] == ["全国集中管理监管库职业资格证书数据审核确认表"]
    assert values[2] == ["审核人", officers["b"].get_full_name(), "审核日期", "2020年12月2日"]
    assert [1, "美发师", "五级/初级工", 3] in values
    assert ["合计", 3] in values

    data = exports.upload_data_csv(batch).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(data)))
    assert rows[0][:5] == ["证书编号", "姓名", "性别", "证件类型", "证件号码"]
    assert len(rows) == 4
    assert {r[0] for r in rows[1:]} == {c.number for c in certificates}

    # The frozen rows do not follow later changes.
    Candidate.objects.filter(pk=certificates[0].candidate_id).update(name="改名后")
    assert "改名后" not in exports.upload_data_csv(batch).decode("utf-8-sig")


def test_a_station_user_cannot_group_or_confirm(staff, orgs, certificates, officers):
    with pytest.raises(RuleError, match="鉴定站人员"):
        services.upload_batch_create(
            actor=staff["clerk"], centre=orgs["xm"], certificates=certificates, created_on=D(2020, 12, 1)
        )
    batch = group(officers, orgs, certificates)
    with pytest.raises(RuleError, match="鉴定站人员"):
        services.upload_batch_confirm(actor=staff["clerk"], batch=batch, confirmed_on=D(2020, 12, 2))
    assert UploadItem.objects.filter(batch=batch).count() == 3


def test_removing_the_problem_records_leaves_a_batch_that_can_be_confirmed(officers, orgs, certificates):
    bad = certificates[1]
    Certificate.objects.filter(pk=bad.pk).update(holder_name="陈 美玲")
    batch = group(officers, orgs, certificates)

    assert services.upload_batch_remove_problems(actor=officers["a"], batch=batch) == 1

    assert bad.pk not in batch.items.values_list("certificate_id", flat=True)
    confirmed = services.upload_batch_confirm(actor=officers["b"], batch=batch, confirmed_on=D(2020, 12, 2))
    assert confirmed.items.count() == len(certificates) - 1
