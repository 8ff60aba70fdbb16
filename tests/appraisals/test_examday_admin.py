"""The exam day's screens: an off-site request filed by the station and decided by its
centre, a paper issued and handed over from the paper list, seats checked in."""

import datetime

from django.urls import reverse

from appraisals.models import ExamPaper, OffsiteRequest, SeatCheckIn

D = datetime.date


def texts(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def _act(client, model: str, action: str, pks: list[int], **fields):
    return client.post(
        reverse(f"admin:appraisals_{model}_changelist"),
        {"action": action, "_selected_action": pks, **fields},
        follow=True,
    )


def test_the_station_files_a_request_and_only_its_centre_decides(client, staff, orgs):
    client.force_login(staff["clerk"])
    response = client.post(
        reverse("admin:appraisals_offsiterequest_add"),
        {
            "station": orgs["xm1"].pk,
            "place": "福州市鼓楼区考点",
            "region": orgs["fz1"].region.pk,
            "date": "2020-11-20",
            "candidate_count": "12",
            "reason": "考生集中在福州",
        },
        follow=True,
    )
    request = OffsiteRequest.objects.get()
    assert request.requested_by == staff["clerk"] and response.status_code == 200
    # The clerk has no approve action at all; crafting it changes nothing.
    _act(client, "offsiterequest", "approve", [request.pk])
    request.refresh_from_db()
    assert request.status == OffsiteRequest.Status.REQUESTED

    client.force_login(staff["officer_xm"])
    response = _act(client, "offsiterequest", "refuse", [request.pk], note="")
    assert any("不予批准必须写明理由" in m for m in texts(response))
    response = _act(client, "offsiterequest", "refuse", [request.pk], note="疫情防控期间不组织异地鉴定")
    request.refresh_from_db()
    assert request.status == OffsiteRequest.Status.REFUSED
    assert request.decision_note == "疫情防控期间不组织异地鉴定"
    assert "疫情防控期间不组织异地鉴定" in client.get(reverse("admin:appraisals_offsiterequest_changelist")).text


def test_the_centre_issues_and_hands_over_a_paper_from_the_list(client, staff, case, settings):
    case.register().review().consent().apply().approve().schedule(paper=False).seat()
    client.force_login(staff["clerk"])
    response = _act(client, "examsession", "request_paper", [case.session.pk])
    assert any("申请试卷：成功 1 条" in m for m in texts(response))
    paper = ExamPaper.objects.get(session=case.session)
    response = _act(client, "exampaper", "issue", [paper.pk], bank_paper_id="GJTK-2020-0001")
    paper.refresh_from_db()
    assert paper.status == ExamPaper.Status.REQUESTED  # not the station's to issue

    client.force_login(staff["officer_xm"])
    response = _act(client, "exampaper", "issue", [paper.pk], bank_paper_id="123")
    assert any("格式应为" in m for m in texts(response))
    _act(client, "exampaper", "issue", [paper.pk], bank_paper_id="GJTK-2020-0001")
    settings.JIANDING_BUSINESS_DATE = D(2020, 11, 20)
    _act(client, "exampaper", "hand_over", [paper.pk], received_by="王考务")
    paper.refresh_from_db()
    assert (paper.status, paper.bank_paper_id, paper.handed_over_to) == (
        ExamPaper.Status.HANDED_OVER,
        "GJTK-2020-0001",
        "王考务",
    )


def test_seats_are_checked_in_from_the_seat_list(client, staff, case, settings):
    case.register().review().consent().apply().approve().schedule().seat()
    settings.JIANDING_BUSINESS_DATE = D(2020, 11, 20)
    seat = case.session.seats.get()
    client.force_login(staff["examiner"])
    response = _act(client, "seatassignment", "check_in_misconduct", [seat.pk], voided_part="", note="")
    assert any("违纪必须写明作废科目和情况说明" in m for m in texts(response))
    _act(client, "seatassignment", "check_in_absent", [seat.pk], note="未到场")
    checkin = SeatCheckIn.objects.get(seat=seat)
    assert (checkin.attendance, checkin.recorded_by) == ("absent", staff["examiner"])
    assert "缺考" in client.get(reverse("admin:appraisals_seatassignment_changelist")).text


def test_the_result_list_shows_the_voided_part_and_why(client, staff, case):
    case.register().review().consent().apply().approve().schedule().seat()
    from appraisals import services

    services.seat_check_in(
        actor=staff["examiner"],
        seat=case.session.seats.get(),
        attendance="misconduct",
        voided_part="theory",
        note="携带手机",
    )
    case.hold().score("90", "90")
    client.force_login(staff["clerk"])
    page = client.get(reverse("admin:appraisals_examresult_changelist")).text
    assert "理论知识作废：携带手机" in page
