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
