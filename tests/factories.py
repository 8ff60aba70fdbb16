import factory
from django.contrib.auth.models import Group

from catalog.models import GuidanceCentre, Region, Station, User


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

    code = factory.Sequence(lambda n: f"S{n:04d}")
    name = factory.Sequence(lambda n: f"测试鉴定站{n}")
    region = factory.LazyFunction(lambda: region("350200"))
    centre = factory.SubFactory(CentreFactory)


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
