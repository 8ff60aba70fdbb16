import datetime

import factory
from stdnum.cn import ric

from candidates.models import Candidate


def with_check_digit(body: str) -> str:
    """The 17 leading characters plus their real check digit (stdnum wants a placeholder last)."""
    return body + ric.calc_check_digit(body + "0")


def make_id_number(
    birth_date: datetime.date = datetime.date(1990, 1, 1), sequence: int = 123, address: str = "350203"
) -> str:
    """A valid 18-character ID number: address code, birth date, 3-digit sequence
    (odd: male, even: female) and the real check digit."""
    return with_check_digit(f"{address}{birth_date:%Y%m%d}{sequence:03d}")


class CandidateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Candidate

    name = factory.Sequence(lambda n: f"考生{n}")
    id_number = factory.Sequence(
        lambda n: make_id_number(datetime.date(1990, 1, 1) + datetime.timedelta(days=n // 1000), n % 1000)
    )
    phone = factory.Sequence(lambda n: f"138{n:08d}")
    education = Candidate.Education.SENIOR
    years_in_trade = 3
    diploma = Candidate.Diploma.NONE


def photo_bytes(fmt: str = "JPEG", size: tuple[int, int] = (240, 320), *, exif: bool = False) -> bytes:
    """A small image file as a camera or scanner would hand it over; with ``exif``, one
    carrying a GPS-like tag and a camera model (what the stored copy must drop)."""
    import io

    from PIL import Image

    image = Image.new("RGBA" if fmt == "PNG" else "RGB", size, (90, 140, 200))
    out = io.BytesIO()
    kwargs = {}
    if exif:
        data = Image.Exif()
        data[0x0110] = "DemoCam 3000"  # Model
        data[0x0131] = "Secret Editor"  # Software
        data[0x0112] = 6  # Orientation: rotated 90° clockwise
        kwargs["exif"] = data.tobytes()
    image.save(out, fmt, **kwargs)
    return out.getvalue()
