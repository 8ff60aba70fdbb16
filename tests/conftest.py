import pytest

from catalog import roles
from tests.factories import CentreFactory, StationFactory, UserFactory, region


@pytest.fixture
def orgs(db):
    """Two provinces' worth of organisations: Fujian (province centre, Xiamen and Fuzhou
    city centres, two Xiamen stations, one Fuzhou station) and Hunan (one station)."""
    fj = CentreFactory(code="FJ", name="福建省中心", region=region("350000"))
    xm = CentreFactory(code="FJ-XM", name="厦门市中心", level="city", parent=fj, region=region("350200"))
    fz = CentreFactory(code="FJ-FZ", name="福州市中心", level="city", parent=fj, region=region("350100"))
    hn = CentreFactory(code="HN", name="湖南省中心", region=region("430000"))
    return {
        "fj": fj,
        "xm": xm,
        "fz": fz,
        "hn": hn,
        "xm1": StationFactory(code="XM001", name="厦门一站", centre=xm, region=region("350200")),
        "xm2": StationFactory(code="XM002", name="厦门二站", centre=xm, region=region("350200")),
        "fz1": StationFactory(code="FZ001", name="福州一站", centre=fz, region=region("350100")),
        "cs1": StationFactory(code="CS001", name="长沙一站", centre=hn, region=region("430100")),
    }


@pytest.fixture
def people(orgs):
    return {
        "clerk": UserFactory(username="clerk", station=orgs["xm1"], role=roles.STATION_CLERK),
        "examiner": UserFactory(username="examiner", station=orgs["xm1"], role=roles.EXAMINER),
        "officer_xm": UserFactory(username="officer_xm", centre=orgs["xm"], role=roles.CENTRE_OFFICER),
        "officer_fj": UserFactory(username="officer_fj", centre=orgs["fj"], role=roles.CENTRE_OFFICER),
        "supervisor_fj": UserFactory(username="supervisor_fj", centre=orgs["fj"], role=roles.SUPERVISOR),
        "sysadmin": UserFactory(username="sysadmin", role=roles.SYSTEM_ADMIN),
    }
