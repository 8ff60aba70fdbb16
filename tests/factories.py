import datetime

import factory
from django.contrib.auth.models import Group

from catalog.models import ALL_LEVELS, GuidanceCentre, Occupation, Region, Station, StationAuthorisation, User


def region(code: str) -> Region:
    return Region.objects.get(code=code)


class CentreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = GuidanceCentre

    code = factory.Sequence(lambda n: f"C{n:03d}")
    name = factory.Sequence(lambda n: f"测试指导中心{n}")
    level = GuidanceCentre.Level.PROVINCE
    region = factory.LazyFunction(lambda: region("350000"))


class StationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Station
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"S{n:04d}")
    name = factory.Sequence(lambda n: f"测试鉴定站{n}")
    region = factory.LazyFunction(lambda: region("350200"))
    centre = factory.SubFactory(CentreFactory)

    @factory.post_generation
    def authorised(self, create, extracted, **kwargs):
        """Every test station may appraise every occupation at every level its standard has,
        from 2000 on, unless built with ``authorised=False`` (the authorisation tests)."""
        if create and extracted is not False:
            authorise(self)


def authorise(station: Station, occupations=None, levels: str = ALL_LEVELS, **fields) -> list[StationAuthorisation]:
    """Authorise the station for the occupations (default: all) in one insert."""
    fields = {"valid_from": datetime.date(2000, 1, 1), "document": "测试授权〔2000〕1号", **fields}
    occupations = Occupation.objects.all() if occupations is None else occupations
    return StationAuthorisation.objects.bulk_create(
        [
            StationAuthorisation(
                station=station,
                occupation=o,
                levels="".join(lv for lv in levels if lv in o.levels) or o.levels,
                **fields,
            )
            for o in occupations
        ]
    )


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    last_name = "张"
    first_name = factory.Sequence(lambda n: f"测{n}")
    is_staff = True
    password = factory.PostGenerationMethodCall("set_password", "pw")

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if extracted:
            self.groups.add(Group.objects.get(name=extracted))
        self.save()


def issued_paper(session, *, number: str = "GJTK-2020-0001", clerk=None, officer=None):
    """The national question-bank paper a session is held with: requested by the station,
    issued and handed over by an officer of its guidance centre on the exam day."""
    from django.test import override_settings

    from appraisals import services
    from catalog import roles

    station = session.application.station
    clerk = clerk or session.application.submitted_by
    officer = officer or UserFactory(centre=station.centre, role=roles.CENTRE_OFFICER)
    with override_settings(JIANDING_BUSINESS_DATE=session.date):
        paper = services.paper_request(actor=clerk, session=session)
        paper = services.paper_issue(actor=officer, paper=paper, bank_paper_id=number)
        return services.paper_hand_over(actor=officer, paper=paper, received_by="考务员")


def approved_offsite(station, *, region, date, candidate_count: int = 1, clerk=None, officer=None):
    """An off-site request of ``station`` for a site in ``region`` on ``date``, approved by
    an officer of its guidance centre."""
    from appraisals import services
    from catalog import roles

    clerk = clerk or UserFactory(station=station, role=roles.STATION_CLERK)
    officer = officer or UserFactory(centre=station.centre, role=roles.CENTRE_OFFICER)
    request = services.offsite_request_submit(
        actor=clerk,
        station=station,
        place="异地考点",
        region=region,
        date=date,
        candidate_count=candidate_count,
        reason="考生集中在外地企业",
    )
    return services.offsite_request_decide(actor=officer, request=request, approve=True)
