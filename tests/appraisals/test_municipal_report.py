"""The municipal report (厦人社〔2020〕141号): registrations per station, occupation and
level for a date range, as XLSX, and the registrations marked as reported (who, when)."""

import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
import time_machine
from django.urls import reverse

from appraisals import services
from appraisals.exporting import municipal_lines, municipal_registrations
from appraisals.models import Refund, Registration
from appraisals.services import registrations_mark_reported
from catalog.models import Occupation
from tests.candidates.factories import CandidateFactory

pytestmark = pytest.mark.django_db
D = datetime.date
URL = "appraisals:municipal_report"
SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))


@pytest.fixture
def registered(orgs, staff, hairdresser):
    """XM001: 3 hairdressers level 5 (one withdrawn), 1 level 4, 2 beauticians level 5,
    and one hairdresser registered before the period; XM002: 1 hairdresser; FZ001: 1."""
    beautician = Occupation.objects.get(name="美容师")
    admin = staff["sysadmin"]

    def announce(station, occupation, level):
        return services.announcement_publish(
            actor=admin, station=station, occupation=occupation, level=level, publish_date=D(2020, 8, 20)
        )

    def register(announcement, day, count=1):
        return [
            services.registration_accept(
                actor=admin, candidate=CandidateFactory(), announcement=announcement, registration_date=day
            )
            for _ in range(count)
        ]

    xm1_hair5 = announce(orgs["xm1"], hairdresser, "5")
    made = register(xm1_hair5, D(2020, 9, 10), 3)
    register(xm1_hair5, D(2020, 8, 31))  # before the period
    register(announce(orgs["xm1"], hairdresser, "4"), D(2020, 9, 30))
    register(announce(orgs["xm1"], beautician, "5"), D(2020, 9, 1), 2)
    register(announce(orgs["xm2"], hairdresser, "5"), D(2020, 9, 15))
    register(announce(orgs["fz1"], hairdresser, "5"), D(2020, 9, 15))
    services.registration_withdraw(
        actor=admin,
        registration=made[0],
        refund=services.RefundTerms(
            amount=Decimal("0"),
            refund_date=D(2020, 9, 20),
            method=Refund.Method.ORIGINAL,
            reason_kind=Refund.Reason.AFTER_CUTOFF,
        ),
    )
    return made


def test_the_counts_per_station_occupation_and_level(staff, registered):
    lines = municipal_lines(municipal_registrations(staff["officer_xm"], D(2020, 9, 1), D(2020, 9, 30)))

    assert {(ln.station_code, ln.occupation, ln.level_label, ln.registrations, ln.withdrawn) for ln in lines} == {
        ("XM001", "美容师", "五级/初级工", 2, 0),
        ("XM001", "美发师", "五级/初级工", 3, 1),
        ("XM001", "美发师", "四级/中级工", 1, 0),
        ("XM002", "美发师", "五级/初级工", 1, 0),
    }
    assert [ln.station_code for ln in lines] == sorted(ln.station_code for ln in lines)


def test_the_counts_follow_the_users_scope(staff, registered):
    clerk_lines = municipal_lines(municipal_registrations(staff["clerk"], D(2020, 9, 1), D(2020, 9, 30)))
    assert {ln.station_code for ln in clerk_lines} == {"XM001"}
    assert sum(ln.registrations for ln in clerk_lines) == 6
    province = municipal_lines(municipal_registrations(staff["officer_fj"], D(2020, 9, 1), D(2020, 9, 30)))
    assert sum(ln.registrations for ln in province) == 8


def test_the_xlsx_download_has_the_numbers_and_marks_the_registrations_reported(client, staff, registered):
    clerk = staff["clerk"]
    client.force_login(clerk)
    moment = datetime.datetime(2020, 10, 8, 9, 30, tzinfo=SHANGHAI)
    with time_machine.travel(moment, tick=False):
        response = client.post(
            reverse(URL), {"start": "2020-09-01", "end": "2020-09-30", "station": "", "mark_reported": "on"}
        )

    assert response.status_code == 200
    assert "filename*=utf-8''" in response["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=3)]
    assert rows[0][:6] == ["序号", "鉴定站编码", "鉴定站（所）", "职业（工种）", "等级", "报名人数"]
    body = {(r[1], r[3], r[4]): (r[5], r[6], r[7]) for r in rows[1:-1]}
    assert body == {
        ("XM001", "美容师", "五级/初级工"): (2, 0, 2),
        ("XM001", "美发师", "五级/初级工"): (3, 1, 3),
        ("XM001", "美发师", "四级/中级工"): (1, 0, 1),
    }
    assert rows[-1][0] == "合计" and rows[-1][5:8] == [6, 1, 6]
    assert "2020-09-01 至 2020-09-30" in sheet["A2"].value and "2020-10-08 09:30" in sheet["A2"].value

    reported = Registration.objects.filter(reported_at__isnull=False)
    assert reported.count() == 6
    assert set(reported.values_list("reported_by", flat=True)) == {clerk.pk}
    assert set(reported.values_list("reported_at", flat=True)) == {moment}
    assert Registration.objects.filter(registration_date=D(2020, 8, 31), reported_at__isnull=True).exists()
    assert all(r.history.filter(reported_at=moment, history_user=clerk, history_type="~").exists() for r in reported)


def test_reporting_a_period_again_keeps_the_first_report(staff, registered):
    clerk = staff["clerk"]
    first = datetime.datetime(2020, 10, 8, 9, 0, tzinfo=SHANGHAI)
    registrations = municipal_registrations(clerk, D(2020, 9, 1), D(2020, 9, 30))

    assert registrations_mark_reported(actor=clerk, registrations=registrations, now=first) == 6
    later = first + datetime.timedelta(days=1)
    assert registrations_mark_reported(actor=staff["officer_xm"], registrations=registrations, now=later) == 0
    assert set(Registration.objects.exclude(reported_at=None).values_list("reported_at", "reported_by")) == {
        (first, clerk.pk)
    }
    lines = municipal_lines(registrations)
    assert sum(ln.unreported for ln in lines) == 0


def test_a_clerk_cannot_mark_another_stations_registrations(staff, registered):
    moment = datetime.datetime(2020, 10, 8, 9, 0, tzinfo=SHANGHAI)
    everything = Registration.objects.filter(registration_date__range=(D(2020, 9, 1), D(2020, 9, 30)))

    marked = registrations_mark_reported(actor=staff["clerk"], registrations=everything, now=moment)

    assert marked == 6  # XM001's only
    assert set(Registration.objects.exclude(reported_at=None).values_list("station__code", flat=True)) == {"XM001"}


def test_a_supervisor_sees_the_counts_but_cannot_download_or_mark(client, staff, registered):
    client.force_login(staff["supervisor_fj"])
    page = client.get(reverse(URL), {"start": "2020-09-01", "end": "2020-09-30"})
    assert page.status_code == 200
    assert sum(ln.registrations for ln in page.context["lines"]) == 8
    assert "下载上报表" not in page.content.decode()
    assert client.post(reverse(URL), {"start": "2020-09-01", "end": "2020-09-30"}).status_code == 403
    assert not Registration.objects.exclude(reported_at=None).exists()


def test_text_cells_of_the_report_are_escaped(client, staff, orgs, registered):
    station = orgs["xm1"]
    station.name = '=HYPERLINK("http://x")'
    station.save()
    client.force_login(staff["clerk"])
    response = client.post(reverse(URL), {"start": "2020-09-01", "end": "2020-09-30", "station": station.pk})
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert sheet["C4"].value == '\'=HYPERLINK("http://x")' and sheet["C4"].data_type == "s"
    assert not Registration.objects.exclude(reported_at=None).exists()  # not asked to mark


def test_a_start_after_the_end_is_refused(client, staff):
    client.force_login(staff["clerk"])
    assert client.get(reverse(URL)).status_code == 200  # the empty form
    page = client.get(reverse(URL), {"start": "2020-09-30", "end": "2020-09-01"})
    assert "开始日期不能晚于结束日期" in page.content.decode()


def test_the_empty_form_offers_this_month_in_iso_dates_for_the_date_picker(client, staff, settings):
    # <input type="date"> shows a value only in ISO form; zh-hans would write 2020/09/01.
    settings.JIANDING_BUSINESS_DATE = D(2020, 9, 20)
    client.force_login(staff["clerk"])
    page = client.get(reverse(URL)).content.decode()
    assert 'type="date" name="start" value="2020-09-01"' in page
    assert 'type="date" name="end" value="2020-09-20"' in page
    assert "2020/09/01" not in page


def test_a_clerk_can_choose_only_their_own_station(client, staff, orgs, registered):
    client.force_login(staff["clerk"])
    page = client.get(reverse(URL), {"start": "2020-09-01", "end": "2020-09-30", "station": orgs["xm2"].pk})
    assert page.context["form"].errors["station"] and page.context["lines"] == []
    assert [o.code for o in page.context["form"].fields["station"].queryset] == ["XM001"]
