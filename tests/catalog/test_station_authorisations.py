"""Station authorisations and sanctions as the guidance centre keeps them: who may grant,
suspend, revoke and lift (the officers over the station and the system administrator),
what the admin shows each role, the levels of each occupation's standard, and the
supervisors' dashboard line of stations acting outside their authorisation."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from appraisals import services as appraisal_services
from catalog import services
from catalog.models import AuthorisationSanction, Occupation, StationAuthorisation
from kit.errors import RuleError
from tests.factories import StationFactory, UserFactory, region

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def hairdresser():
    return Occupation.objects.get(name="美发师")


def grant(actor, station, occupation, **fields):
    values = {"levels": "54", "valid_from": D(2020, 1, 1), "document": "厦人社鉴〔2020〕3号", **fields}
    return services.authorisation_save(
        actor=actor, authorisation=StationAuthorisation(station=station, occupation=occupation, **values)
    )


@pytest.fixture
def bare(orgs):
    """A Xiamen station with no authorisation yet."""
    return StationFactory(code="XM009", name="厦门九站", centre=orgs["xm"], region=region("350200"), authorised=False)


@pytest.mark.parametrize(
    ("who", "allowed"),
    [("officer_xm", True), ("officer_fj", True), ("sysadmin", True), ("clerk", False), ("supervisor_fj", False)],
)
def test_the_officers_over_the_station_and_the_administrator_grant(people, bare, hairdresser, who, allowed):
    if allowed:
        authorisation = grant(people[who], bare, hairdresser)
        assert authorisation.granted_by == people[who]
        assert authorisation.history.first().history_user == people[who]
        return
    with pytest.raises(RuleError, match="只有厦门市中心或其上级指导中心的审核员可以管理"):
        grant(people[who], bare, hairdresser)


def test_another_provinces_officer_cannot_grant(orgs, bare, hairdresser):
    officer_hn = UserFactory(username="officer_hn", centre=orgs["hn"], role="指导中心审核员")
    with pytest.raises(RuleError):
        grant(officer_hn, bare, hairdresser)


def test_levels_beyond_the_occupations_standard_are_refused(people, bare, hairdresser):
    hairdresser.levels = "543"
    hairdresser.save()
    with pytest.raises(
        ValidationError, match="“美发师”的国家职业技能标准没有二级/技师，只设有：五级/初级工、四级/中级工、三级/高级工"
    ):
        grant(people["officer_xm"], bare, hairdresser, levels="5432")


def test_validity_ends_not_before_it_starts(people, bare, hairdresser):
    with pytest.raises(ValidationError, match="授权有效期止不能早于有效期起"):
        grant(people["officer_xm"], bare, hairdresser, valid_to=D(2019, 12, 31))


def test_every_occupation_has_all_five_levels_by_default():
    assert set(Occupation.objects.values_list("levels", flat=True)) == {"54321"}


def test_a_revocation_is_final_and_a_suspension_is_lifted_once(people, bare, hairdresser):
    officer = people["officer_xm"]
    suspension = services.sanction_record(
        actor=officer, station=bare, kind="suspend", effective_from=D(2020, 9, 10), reason="整改"
    )
    with pytest.raises(RuleError, match="仍在暂停中"):
        services.sanction_record(
            actor=officer, station=bare, kind="suspend", effective_from=D(2020, 9, 12), reason="再次"
        )
    with pytest.raises(ValidationError, match="恢复日期必须晚于暂停生效日期"):
        services.sanction_lift(actor=officer, sanction=suspension, lifted_on=D(2020, 9, 10), reason="整改到位")
    services.sanction_lift(actor=officer, sanction=suspension, lifted_on=D(2020, 9, 20), reason="整改到位")
    with pytest.raises(RuleError, match="已于 2020-09-20 解除"):
        services.sanction_lift(actor=officer, sanction=suspension, lifted_on=D(2020, 9, 21), reason="再次")
    revocation = services.sanction_record(
        actor=officer, station=bare, kind="revoke", effective_from=D(2020, 10, 1), reason="严重违规"
    )
    with pytest.raises(RuleError, match="撤销鉴定资质不能恢复"):
        services.sanction_lift(actor=officer, sanction=revocation, lifted_on=D(2020, 11, 1), reason="整改")
    with pytest.raises(RuleError, match="已于 2020-10-01 撤销"):
        services.sanction_record(actor=officer, station=bare, kind="suspend", effective_from=D(2020, 11, 1), reason="x")
    with pytest.raises(RuleError, match="须写明原因"):
        services.sanction_record(actor=officer, station=bare, kind="suspend", effective_from=D(2020, 11, 1), reason=" ")
    assert [h.history_type for h in suspension.history.all()] == ["~", "+"]


# --- the admin: officers keep, clerks read their own, supervisors read ------------------------------


def test_a_clerk_reads_only_its_own_stations_authorisations_and_cannot_add(client, people, orgs):
    client.force_login(people["clerk"])
    url = reverse("admin:catalog_stationauthorisation_changelist")
    page = client.get(url)
    assert page.status_code == 200
    stations = {a.station_id for a in page.context["cl"].result_list}
    assert stations == {orgs["xm1"].pk}
    assert client.get(reverse("admin:catalog_stationauthorisation_add")).status_code == 403
    other = StationAuthorisation.objects.filter(station=orgs["xm2"]).first()
    assert client.get(reverse("admin:catalog_stationauthorisation_change", args=[other.pk])).status_code == 302
    own = StationAuthorisation.objects.filter(station=orgs["xm1"]).first()
    page = client.get(reverse("admin:catalog_stationauthorisation_change", args=[own.pk]))
    assert page.status_code == 200 and "保存" not in page.content.decode().split("submit-row")[-1][:200]


def test_an_officer_grants_and_suspends_through_the_admin(client, people, bare, hairdresser):
    client.force_login(people["officer_xm"])
    response = client.post(
        reverse("admin:catalog_stationauthorisation_add"),
        {
            "station": bare.pk,
            "occupation": hairdresser.pk,
            "levels": ["5", "4"],
            "valid_from": "2020-01-01",
            "valid_to": "",
            "document": "厦人社鉴〔2020〕3号",
            "granted_on": "2019-12-20",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    authorisation = StationAuthorisation.objects.get(station=bare)
    assert (authorisation.levels, authorisation.granted_by) == ("54", people["officer_xm"])
    response = client.post(
        reverse("admin:catalog_authorisationsanction_add"),
        {
            "station": bare.pk,
            "authorisation": "",
            "kind": "suspend",
            "effective_from": "2020-09-10",
            "reason": "督导抽查发现问题",
            "document": "",
        },
    )
    assert response.status_code == 302
    sanction = AuthorisationSanction.objects.get(station=bare)
    assert sanction.decided_by == people["officer_xm"]
    assert client.get(reverse("admin:catalog_authorisationsanction_delete", args=[sanction.pk])).status_code == 403


def test_an_officer_cannot_add_for_a_station_outside_the_centre(client, people, orgs, hairdresser):
    client.force_login(people["officer_xm"])
    response = client.post(
        reverse("admin:catalog_stationauthorisation_add"),
        {
            "station": orgs["cs1"].pk,
            "occupation": hairdresser.pk,
            "levels": ["5"],
            "valid_from": "2020-01-01",
            "document": "x",
            "granted_on": "2019-12-20",
        },
    )
    assert response.status_code == 200
    assert not StationAuthorisation.objects.filter(station=orgs["cs1"], document="x").exists()


def test_an_officer_edits_only_the_levels_of_an_occupation(client, people, hairdresser):
    client.force_login(people["officer_xm"])
    page = client.get(reverse("admin:catalog_occupation_change", args=[hairdresser.pk]))
    form = page.context["adminform"].form
    assert list(form.fields) == ["levels"]


# --- the supervisors' dashboard --------------------------------------------------------------------


def test_the_dashboard_lists_an_announcement_published_before_its_suspension_was_recorded(
    client, people, orgs, hairdresser
):
    appraisal_services.announcement_publish(
        actor=people["clerk"], station=orgs["xm1"], occupation=hairdresser, level="5", publish_date=D(2020, 9, 3)
    )
    services.sanction_record(
        actor=people["officer_xm"], station=orgs["xm1"], kind="suspend", effective_from=D(2020, 9, 1), reason="抽查违规"
    )
    client.force_login(people["supervisor_fj"])
    page = client.get(reverse("supervision_dashboard"))
    breaches = page.context["breaches"]
    assert [(b.station, b.act, b.day, b.count) for b in breaches] == [
        (orgs["xm1"], "发布鉴定考试公告", D(2020, 9, 3), 1)
    ]
    assert "厦门一站的鉴定资质自 2020-09-01 起暂停（抽查违规）" in page.content.decode()


def test_a_supervisor_reads_the_authorisations_of_the_region_but_changes_nothing(client, people, orgs):
    client.force_login(people["supervisor_fj"])
    page = client.get(reverse("admin:catalog_stationauthorisation_changelist"))
    assert page.status_code == 200
    assert {a.station.region.parent.code for a in page.context["cl"].result_list} == {"350000"}
    assert client.get(reverse("admin:catalog_stationauthorisation_add")).status_code == 403
    assert client.get(reverse("admin:catalog_authorisationsanction_add")).status_code == 403
