"""The examiner and supervisor registry (考评员、督导员名册), staffing at scheduling and
seating, recusal: each date at its edges (valid from, valid to, the suspension day) and
each staffing number at the limit and one past it."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from appraisals import rules, services
from appraisals.models import Appraiser, ExamRoom, Recusal
from appraisals.rules import Code
from catalog import roles
from catalog.models import Occupation
from kit.errors import RuleError
from tests.candidates.factories import CandidateFactory
from tests.factories import AppraiserFactory, UserFactory, region, registry_entry

pytestmark = pytest.mark.django_db
D = datetime.date
EXAM_DAY = D(2020, 11, 20)  # Case.schedule's default


def ready(case):
    return case.register().review().consent().apply().approve()


def trio(case):
    return [
        registry_entry(case.staff[n], occupation=case.announcement.occupation)
        for n in ("examiner", "examiner2", "examiner3")
    ]


def with_examiner(case, person):
    """Schedule with ``person`` as the third examiner."""
    return case.schedule(examiners=[*trio(case)[:2], person], supervisor=None)


def code_of(error):
    return error.value.code


# --- the staffing rule, number by number -------------------------------------------------------


@pytest.mark.parametrize(
    ("candidates", "examiners", "short"),
    [
        (1, 2, True),  # at least 3
        (1, 3, False),
        (15, 3, False),  # 1 per 5: at the limit
        (16, 3, True),  # one past it: 4 needed, made odd: 5
        (16, 4, True),  # an even number
        (16, 5, False),
        (10, 4, True),  # enough, but even
    ],
)
def test_examiners_one_per_five_at_least_three_odd(candidates, examiners, short):
    found = rules.staffing_short(candidates=candidates, level="5", examiners=examiners)
    assert (found is not None) is short
    if short:
        assert found.code == Code.SESSION_UNDERSTAFFED and "单数" in found.message


@pytest.mark.parametrize(("level", "needed"), [("3", 3), ("2", 5), ("1", 5)])
def test_technician_levels_need_a_review_panel(settings, level, needed):
    settings.JIANDING_STAFF_REVIEW_PANEL_MIN = 5
    assert rules.staffing_required(candidates=1, level=level).examiners == needed


@pytest.mark.parametrize(
    ("seated", "invigilators", "short"), [(1, 1, True), (1, 2, False), (30, 2, False), (31, 2, True), (31, 3, False)]
)
def test_theory_rooms_two_invigilators_and_one_per_fifteen(seated, invigilators, short):
    found = rules.staffing_short(candidates=seated, level="5", examiners=7, rooms=[("第1考场", seated, invigilators)])
    assert (found is not None) is short
    if short:
        assert "第1考场" in found.message and "监考人员" in found.message


def test_every_number_is_a_setting(settings):
    settings.JIANDING_STAFF_EXAMINERS_MIN = 5
    settings.JIANDING_STAFF_CANDIDATES_PER_EXAMINER = 10
    settings.JIANDING_STAFF_INVIGILATORS_MIN = 1
    settings.JIANDING_STAFF_CANDIDATES_PER_INVIGILATOR = 20
    need = rules.staffing_required(candidates=60, level="5", room_candidates=[10, 21])
    assert need.examiners == 7 and need.invigilators == (1, 2)


def test_scheduling_refuses_two_examiners(case):
    ready(case)
    with pytest.raises(RuleError, match="至少 3 名考评员") as error:
        case.schedule(examiners=trio(case)[:2])
    assert code_of(error) == Code.SESSION_UNDERSTAFFED


def test_seating_counts_the_staffing_again(case, settings):
    ready(case).schedule()
    settings.JIANDING_STAFF_EXAMINERS_MIN = 5  # the rule tightened after scheduling
    with pytest.raises(RuleError, match="至少 5 名考评员"):
        case.seat()
    settings.JIANDING_STAFF_EXAMINERS_MIN = 3
    assert case.seat().session.seats.count() == 1


def test_seating_needs_two_invigilators_in_the_room(case):
    ready(case).schedule(rooms=[("第1考场", 30, trio(case)[:1])])
    with pytest.raises(RuleError, match="第1考场有考生 1 人，需要至少 2 名监考人员"):
        case.seat()
    room = ExamRoom.objects.get(session=case.session)
    services.room_invigilators_set(actor=case.staff["clerk"], room=room, invigilators=trio(case)[:2])
    assert case.seat().session.seats.count() == 1


# --- validity and status at their edges ----------------------------------------------------------


@pytest.mark.parametrize(
    ("valid_from", "valid_to", "usable"),
    [
        (EXAM_DAY + datetime.timedelta(days=1), D(2022, 1, 1), False),  # starts the day after
        (EXAM_DAY, D(2022, 1, 1), True),  # starts on the day
        (D(2019, 1, 1), EXAM_DAY, True),  # ends on the day
        (D(2019, 1, 1), EXAM_DAY - datetime.timedelta(days=1), False),  # ended the day before
    ],
)
def test_validity_is_inclusive_at_both_ends(case, hairdresser, valid_from, valid_to, usable):
    ready(case)
    person = AppraiserFactory(valid_from=valid_from, valid_to=valid_to, occupations=[hairdresser])
    if usable:
        assert with_examiner(case, person).session.examiners.filter(pk=person.pk).exists()
    else:
        with pytest.raises(RuleError, match="不含考试日期 2020-11-20") as error:
            with_examiner(case, person)
        assert code_of(error) == Code.STAFF_NOT_VALID


@pytest.mark.parametrize(("offset", "usable"), [(-1, False), (0, False), (1, True)])
def test_a_suspension_counts_from_its_day(case, hairdresser, offset, usable):
    """Suspended the day before or on the exam day: refused; the day after: still usable."""
    ready(case)
    person = AppraiserFactory(occupations=[hairdresser])
    services.appraiser_status_set(
        actor=case.staff["officer_xm"],
        appraiser=person,
        status=Appraiser.Status.SUSPENDED,
        reason="调查中",
        day=EXAM_DAY + datetime.timedelta(days=offset),
    )
    if usable:
        with_examiner(case, person)
    else:
        with pytest.raises(RuleError, match="已暂停") as error:
            with_examiner(case, person)
        assert code_of(error) == Code.STAFF_SUSPENDED


def test_a_suspension_after_scheduling_stops_the_session_being_held(case, hairdresser):
    ready(case)
    person = AppraiserFactory(occupations=[hairdresser])
    with_examiner(case, person).seat()
    services.appraiser_status_set(
        actor=case.staff["officer_xm"],
        appraiser=person,
        status=Appraiser.Status.REVOKED,
        reason="证书造假",
        day=D(2020, 11, 1),
    )
    with pytest.raises(RuleError, match="已撤销"):
        case.hold()
    services.session_staff_set(actor=case.staff["clerk"], session=case.session, examiners=trio(case), supervisor=None)
    case.hold()


def test_suspension_needs_a_reason(case):
    person = AppraiserFactory()
    with pytest.raises(RuleError, match="必须写明原因"):
        services.appraiser_status_set(actor=case.staff["officer_xm"], appraiser=person, status="suspended", reason=" ")
    person.status = Appraiser.Status.SUSPENDED
    with pytest.raises(ValidationError):
        person.full_clean()


# --- scope: role, occupation, level, region --------------------------------------------------------


def test_an_examiner_examines_only_the_occupations_and_levels_registered(case, hairdresser):
    ready(case)
    other = AppraiserFactory(occupations=[Occupation.objects.get(name="电工")])
    with pytest.raises(RuleError, match="考评范围不含美发师") as error:
        with_examiner(case, other)
    assert code_of(error) == Code.STAFF_OUT_OF_SCOPE
    higher = AppraiserFactory(occupations=[hairdresser], levels="321")
    with pytest.raises(RuleError, match="考评范围不含美发师（五级/初级工）"):
        with_examiner(case, higher)


def test_people_work_only_in_their_region(case, hairdresser):
    ready(case)
    hunan = AppraiserFactory(occupations=[hairdresser], region=region("430000"))
    with pytest.raises(RuleError, match="不是考点所在地区登记的考评员"):
        with_examiner(case, hunan)
    xiamen = AppraiserFactory(occupations=[hairdresser], region=region("350200"))
    assert with_examiner(case, xiamen).session.pk  # registered in the site's city


def test_a_supervisor_is_not_an_examiner_and_the_other_way_round(case, hairdresser):
    ready(case)
    chief = AppraiserFactory(role=Appraiser.Role.SUPERVISOR, occupations=[hairdresser])
    with pytest.raises(RuleError, match="登记为督导员，不能担任考评员") as error:
        with_examiner(case, chief)
    assert code_of(error) == Code.STAFF_WRONG_ROLE
    with pytest.raises(RuleError, match="登记为考评员，不能担任督导员"):
        case.schedule(examiners=trio(case), supervisor=AppraiserFactory())


# --- own station, recusal, clashes ----------------------------------------------------------------


def test_never_a_staff_member_of_the_station_as_its_supervisor(case, orgs):
    ready(case)
    own = UserFactory(username="own_supervisor", station=orgs["xm1"], role=roles.SUPERVISOR)
    entry = AppraiserFactory(role=Appraiser.Role.SUPERVISOR, user=own, name="本站督导")
    with pytest.raises(RuleError, match="是厦门一站的工作人员，不能担任本站鉴定的督导员") as error:
        case.schedule(supervisor=entry)
    assert code_of(error) == Code.STAFF_OWN_STATION
    elsewhere = UserFactory(username="other_supervisor", station=orgs["xm2"], role=roles.SUPERVISOR)
    case.schedule(supervisor=AppraiserFactory(role=Appraiser.Role.SUPERVISOR, user=elsewhere))


def recuse(case, person, registration=None):
    return services.recusal_record(
        actor=case.staff["clerk"],
        session=case.session,
        appraiser=person,
        registration=registration or case.registration,
        relation=Recusal.Relation.FAMILY,
        note="考生系其表妹",
        recorded_on=D(2020, 11, 1),
    )


def test_a_relation_declared_before_seating_refuses_the_seating(case):
    ready(case).schedule()
    declared = recuse(case, trio(case)[0])
    with pytest.raises(RuleError, match="已申报与考生陈美玲存在近亲属关系，应当回避") as error:
        case.seat()
    assert code_of(error) == Code.STAFF_RECUSED
    with pytest.raises(ValidationError, match="不能删除"):
        declared.delete()


def test_a_relation_declared_after_seating_refuses_holding_until_replaced(case, hairdresser):
    ready(case).schedule().seat()
    first, second, third = trio(case)
    recuse(case, first)
    with pytest.raises(RuleError, match="应当回避"):
        case.hold()
    replacement = AppraiserFactory(occupations=[hairdresser])
    with pytest.raises(RuleError, match="应当回避"):  # keeping them is no way out
        services.session_staff_set(
            actor=case.staff["clerk"], session=case.session, examiners=[first, second, third], supervisor=None
        )
    services.session_staff_set(
        actor=case.staff["clerk"], session=case.session, examiners=[replacement, second, third], supervisor=None
    )
    with pytest.raises(RuleError, match="应当回避"):  # still invigilating the room
        case.hold()
    room = ExamRoom.objects.get(session=case.session)
    with pytest.raises(RuleError, match="应当回避"):
        services.room_invigilators_set(actor=case.staff["clerk"], room=room, invigilators=[first, second])
    services.room_invigilators_set(actor=case.staff["clerk"], room=room, invigilators=[replacement, second])
    case.hold()
    assert Recusal.objects.filter(session=case.session).count() == 1  # the declaration stays


def test_a_recusal_names_a_candidate_of_the_session(case, announcement):
    ready(case).schedule()
    stranger = services.registration_accept(
        actor=case.staff["clerk"],
        candidate=CandidateFactory(),
        announcement=announcement,
        registration_date=D(2020, 9, 10),
    )
    with pytest.raises(RuleError, match="不是该场次的考生"):
        recuse(case, trio(case)[0], stranger)


def test_one_login_registered_twice_cannot_be_in_two_places(case, hairdresser):
    ready(case).schedule()  # supervisor_fj supervises 09:00–11:00
    as_examiner = AppraiserFactory(user=case.staff["supervisor_fj"], name="王督导", occupations=[hairdresser])
    with pytest.raises(RuleError, match="王督导在 2020-11-20 09:00–11:00 已安排"):
        case.schedule(
            examiners=[
                as_examiner,
                AppraiserFactory(occupations=[hairdresser]),
                AppraiserFactory(occupations=[hairdresser]),
            ],
            supervisor=None,
            start_time=datetime.time(10),
            end_time=datetime.time(12),
        )


# --- screens --------------------------------------------------------------------------------------


def test_officers_keep_the_registry_and_clerks_read_it(client, case, hairdresser):
    AppraiserFactory(name="厦门考评员", region=region("350200"), occupations=[hairdresser])
    AppraiserFactory(name="湖南考评员", region=region("430000"))
    client.force_login(case.staff["clerk"])
    page = client.get(reverse("admin:appraisals_appraiser_changelist")).content.decode()
    assert "厦门考评员" in page and "湖南考评员" not in page
    assert client.get(reverse("admin:appraisals_appraiser_add")).status_code == 403
    client.force_login(case.staff["officer_xm"])
    assert client.get(reverse("admin:appraisals_appraiser_add")).status_code == 200
    response = client.post(
        reverse("admin:appraisals_appraiser_add"),
        {
            "name": "新考评员",
            "role": "examiner",
            "certificate_number": "KPY-NEW-1",
            "region": region("350200").pk,
            "occupations": [hairdresser.pk],
            "level_choices": ["5", "4"],
            "valid_from": "2020-01-01",
            "valid_to": "2022-12-31",
            "status": "active",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Appraiser.objects.get(certificate_number="KPY-NEW-1").levels == "54"


def test_the_dashboard_shows_suspended_people_and_recused_sessions(client, case, settings, hairdresser):
    settings.JIANDING_BUSINESS_DATE = D(2020, 11, 2)
    ready(case)
    person = AppraiserFactory(name="停考评员", occupations=[hairdresser])
    with_examiner(case, person).seat()
    services.appraiser_status_set(
        actor=case.staff["officer_xm"], appraiser=person, status="suspended", reason="调查中", day=D(2020, 11, 1)
    )
    recuse(case, trio(case)[0])
    client.force_login(case.staff["supervisor_fj"])
    page = client.get(reverse("supervision_dashboard")).content.decode()
    assert "停考评员" in page and "2020-11-01 起暂停：调查中" in page
    assert "已申报回避，仍在该场次" in page


def test_the_clerk_replaces_a_recused_examiner_on_the_session_page(client, case, hairdresser):
    ready(case).schedule().seat()
    first, second, third = trio(case)
    recuse(case, first)
    replacement = AppraiserFactory(name="替补考评员", occupations=[hairdresser])
    session = case.session
    url = reverse("admin:appraisals_examsession_change", args=[session.pk])
    client.force_login(case.staff["clerk"])
    assert client.get(url).status_code == 200
    room = session.rooms.get()
    form = {
        "place": "新考点",
        "supervisor": session.supervisor_id,
        "rooms-TOTAL_FORMS": "1",
        "rooms-INITIAL_FORMS": "1",
        "rooms-MIN_NUM_FORMS": "0",
        "rooms-MAX_NUM_FORMS": "1000",
        "rooms-0-id": room.pk,
        "rooms-0-session": session.pk,
        "rooms-0-name": room.name,
        "rooms-0-capacity": room.capacity,
        "rooms-0-invigilators": [second.pk, third.pk],
    }
    refused = client.post(url, {**form, "examiners": [first.pk, second.pk, third.pk]})
    assert refused.status_code == 200 and "应当回避" in refused.content.decode()
    saved = client.post(url, {**form, "examiners": [replacement.pk, second.pk, third.pk]})
    assert saved.status_code == 302
    session.refresh_from_db()
    assert set(session.examiners.all()) == {replacement, second, third} and session.place == "新考点"
    case.hold()
