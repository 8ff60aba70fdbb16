"""The catalog as loaded must match the seed notices row by row."""

import datetime

import pytest

from catalog.models import Batch, DeadlineRule, Occupation, PolicyNotice, Qualification, Region
from catalog.services import catalog_load, fujian_annex_names

pytestmark = pytest.mark.django_db


def test_national_annex_counts_match_the_notice_text():
    # 80号: 76 items; batch 1 is 14 qualifications / 29 occupations, batch 2 is 66 / 156.
    assert Qualification.objects.count() == 76
    assert Occupation.objects.filter(batch=Batch.FIRST).count() == 29
    assert Occupation.objects.filter(batch=Batch.SECOND).count() == 156
    assert Occupation.objects.filter(batch=Batch.ACCESS).count() == 7
    assert Qualification.objects.filter(occupations__batch=Batch.FIRST).distinct().count() == 14
    assert Qualification.objects.filter(occupations__batch=Batch.SECOND).distinct().count() == 66


@pytest.mark.parametrize(
    ("occupation", "seq", "qualification", "departments", "batch"),
    [
        ("设备点检员", 1, "机械设备修理人员", "中国钢铁工业协会", "2"),
        ("电工", 1, "机械设备修理人员", "应急管理部、人力资源和社会保障部", "2"),
        ("锅炉操作工", 8, "电力、热力生产和供应人员", "人力资源和社会保障部", "1"),
        ("燃气轮机值班员", 8, "电力、热力生产和供应人员", "中国电力企业联合会", "2"),
        (
            "水生产处理工",
            6,
            "水生产、输排和水处理人员",
            "中国石油和化学工业联合会、中国电力企业联合会、住房和城乡建设部",
            "2",
        ),
        ("电切削工", 21, "机械冷加工人员", "中国机械工业联合会、人力资源和社会保障部", "2"),
        ("评茶员", 47, "酒、饮料及精制茶制造人员", "中华全国供销合作总社、人力资源和社会保障部", "2"),
        ("眼镜定配工", 52, "康复矫正服务人员", "人力资源和社会保障部", "1"),
        ("保安员", 66, "安全保护服务人员", "公安部、人力资源和社会保障部", "access"),
        ("安全评价师", 66, "安全保护服务人员", "人力资源和社会保障部", "1"),
        ("茶艺师", 72, "餐饮服务人员", "人力资源和社会保障部", "1"),
        ("(粮油)仓储管理员", 73, "仓储人员", "国家粮食和物资储备局", "2"),
        ("机场运行指挥员", 74, "航空运输服务人员", "中国民用航空局", "access"),
        ("森林消防员", 76, "消防和应急救援人员", "应急管理部、国家林业和草原局", "access"),
    ],
)
def test_sample_rows_match_the_national_annex(occupation, seq, qualification, departments, batch):
    row = Occupation.objects.select_related("qualification").get(name=occupation)
    assert row.qualification.seq == seq
    assert row.qualification.name == qualification
    assert row.departments == departments
    assert row.batch == batch


def test_fujian_annex_is_42_occupations_in_22_qualifications_all_run_by_hrss():
    names = fujian_annex_names()
    assert len(names) == 42
    assert names[0] == "电工" and names[21] == "制冷工" and names[41] == "茶艺师"
    occupations = Occupation.objects.filter(name__in=names)
    assert occupations.count() == 42
    assert occupations.values("qualification").distinct().count() == 22
    assert all("人力资源和社会保障部" in o.departments for o in occupations)
    # And it is exactly the HRSS-run occupations that are not becoming access-type.
    hrss = Occupation.objects.filter(departments__contains="人力资源和社会保障部").exclude(batch=Batch.ACCESS)
    assert set(hrss.values_list("name", flat=True)) == set(names)


def test_five_notices_with_their_issuers_and_dates():
    notices = {n.doc_number: n for n in PolicyNotice.objects.select_related("region")}
    assert set(notices) == {
        "人社厅发〔2020〕80号",
        "人社职司便函〔2020〕44号",
        "闽人社办〔2020〕143号",
        "厦人社〔2020〕141号",
        "湘人社办发〔2020〕25号",
    }
    assert notices["闽人社办〔2020〕143号"].issue_date == datetime.date(2020, 7, 31)
    assert notices["厦人社〔2020〕141号"].issue_date == datetime.date(2020, 8, 12)
    assert notices["湘人社办发〔2020〕25号"].issue_date == datetime.date(2020, 8, 31)
    assert notices["厦人社〔2020〕141号"].region.name == "厦门市"
    assert notices["人社厅发〔2020〕80号"].region is None
    forwarded = set(notices["湘人社办发〔2020〕25号"].forwards.values_list("doc_number", flat=True))
    assert forwarded == {"人社厅发〔2020〕80号", "人社职司便函〔2020〕44号"}


def test_fujian_rule_holds_the_four_dates_of_143():
    rule = DeadlineRule.objects.get(notice__doc_number="闽人社办〔2020〕143号")
    assert rule.region == Region.objects.get(code="350000")
    assert rule.occupations.count() == 42
    assert (rule.last_registration_day, rule.application_deadline, rule.appraisal_deadline, rule.retake_deadline) == (
        datetime.date(2020, 9, 30),
        datetime.date(2020, 10, 31),
        datetime.date(2020, 12, 31),
        datetime.date(2020, 12, 31),
    )


def test_regions_cover_every_province_and_the_seed_cities():
    assert Region.objects.filter(level=Region.Level.PROVINCE).count() == 34
    xiamen = Region.objects.get(code="350200")
    assert [r.name for r in xiamen.lineage()] == ["厦门市", "福建省"]
    assert Region.objects.filter(parent__code="350000").count() == 9


def test_reloading_changes_nothing_and_leaves_no_trace():
    before = (Occupation.history.count(), DeadlineRule.history.count(), Region.history.count())
    counts = catalog_load()
    assert (counts.qualifications, counts.occupations, counts.notices, counts.rules) == (76, 192, 5, 4)
    assert (Occupation.history.count(), DeadlineRule.history.count(), Region.history.count()) == before


def test_reloading_restores_an_edited_row_and_records_it():
    occupation = Occupation.objects.get(name="车工")
    occupation.batch = Batch.SECOND
    occupation.save()
    catalog_load()
    occupation.refresh_from_db()
    assert occupation.batch == Batch.FIRST
    assert occupation.history.first().history_change_reason == "载入目录数据"


def test_default_application_conditions_cover_every_level():
    from catalog.models import EligibilityRoute

    per_level = {
        level: EligibilityRoute.objects.filter(occupation__isnull=True, level=level).count()
        for level in ("5", "4", "3", "2", "1")
    }
    assert per_level == {"5": 2, "4": 3, "3": 3, "2": 3, "1": 1}
    level_3_by_college = EligibilityRoute.objects.get(level="3", diplomas="college_in_trade")
    assert (level_3_by_college.min_years, level_3_by_college.prior_level) == (2, "4")
