import datetime
from typing import Any

import factory
from django.contrib.auth.models import Group

from appraisals.models import Appraiser
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


class AppraiserFactory(factory.django.DjangoModelFactory):
    """A registry examiner valid all through 2020 and 2021 in Fujian (add occupations)."""

    class Meta:
        model = Appraiser
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"考评员{n}")
    certificate_number = factory.Sequence(lambda n: f"KPY-2020-{n:05d}")
    role = Appraiser.Role.EXAMINER
    levels = "54321"
    region = factory.LazyFunction(lambda: region("350000"))
    valid_from = datetime.date(2020, 1, 1)
    valid_to = datetime.date(2021, 12, 31)

    @factory.post_generation
    def occupations(self, create, extracted, **kwargs):
        if create and extracted:
            self.occupations.add(*extracted)


def registry_entry(
    user: User, *, role: str = Appraiser.Role.EXAMINER, occupation: Occupation | None = None
) -> Appraiser:
    """The registry entry behind a test user (made once, in the user's province, every
    level), covering ``occupation``."""
    entry = Appraiser.objects.filter(user=user, role=role).first()
    if entry is None:
        home = user.station or user.centre
        province = home.region.lineage()[-1] if home is not None else region("350000")
        entry = AppraiserFactory(user=user, role=role, name=user.get_full_name() or user.username, region=province)
    if occupation is not None:
        entry.occupations.add(occupation)
    return entry


def staffed(**kwargs: Any) -> dict[str, Any]:
    """``session_schedule``'s arguments with the session's people given as test users
    (``examiners``, ``supervisor``) turned into their registry entries, and the first two
    examiners as each room's invigilators where a room names none (default: one room of
    30 seats)."""
    occupation = kwargs["occupation"]
    examiners = [
        e if isinstance(e, Appraiser) else registry_entry(e, occupation=occupation) for e in kwargs["examiners"]
    ]
    kwargs["examiners"] = examiners
    supervisor = kwargs.get("supervisor")
    if isinstance(supervisor, User):
        kwargs["supervisor"] = registry_entry(supervisor, role=Appraiser.Role.SUPERVISOR)
    rooms = kwargs.get("rooms", (("第1考场", 30),))
    kwargs["rooms"] = [room if len(room) > 2 else (*room, examiners[:2]) for room in rooms]
    return kwargs
