"""The demo's candidate photos: a few candidates get a portrait drawn with Pillow at build
time (no image files in the repository), set through ``candidates.services`` by their
station's clerk, as the photo ZIP import would: the candidates seated in XM001's next
session (their admission tickets show the photo; at the business date 2020-09-20, the
session of 2020-11-04) and the holder of the certificate /verify/ suggests (the certificate
shows it). Idempotent: a candidate with a photo is left alone."""

from __future__ import annotations

import io
import random

from PIL import Image, ImageDraw

from appraisals.models import SeatAssignment
from candidates.models import Candidate
from candidates.services import candidate_photo_set
from kit import clock

from .certificates import verify_example
from .people import station_staff

PHOTO_STATION = "XM001"
SIZE = (358, 441)  # 一寸 at 300 dpi, what photo studios hand over
BACKGROUNDS = [(67, 142, 219), (255, 255, 255), (198, 40, 40)]  # 蓝底、白底、红底
SKIN = [(241, 200, 167), (226, 185, 150), (205, 160, 125)]
CLOTHES = [(40, 44, 52), (30, 60, 110), (90, 90, 90)]
HAIR = [(25, 20, 20), (50, 35, 30)]


def portrait(seed: int, *, female: bool) -> bytes:
    """An ID-photo-like drawing: plain background, shoulders, a face, hair (longer for
    women). The same seed draws the same picture."""
    rng = random.Random(seed)
    width, height = SIZE
    image = Image.new("RGB", SIZE, rng.choice(BACKGROUNDS))
    draw = ImageDraw.Draw(image)
    skin, hair = rng.choice(SKIN), rng.choice(HAIR)
    centre = width // 2 + rng.randint(-6, 6)
    if female:  # hair falling behind the shoulders
        draw.rounded_rectangle((centre - 100, 95, centre + 100, 330), radius=70, fill=hair)
    draw.ellipse((centre - 165, 300, centre + 165, height + 160), fill=rng.choice(CLOTHES))  # shoulders
    draw.rectangle((centre - 32, 250, centre + 32, 320), fill=skin)  # neck
    draw.ellipse((centre - 85, 95, centre + 85, 300), fill=skin)  # face
    draw.chord((centre - 90, 80, centre + 90, 230), 180, 360, fill=hair)  # hair on top
    for side in (-1, 1):
        eye = centre + side * 35
        draw.ellipse((eye - 9, 185, eye + 9, 197), fill=(40, 30, 30))
    draw.arc((centre - 28, 230, centre + 28, 262), 20, 160, fill=(150, 70, 70), width=4)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=88)
    return out.getvalue()


def _photographed() -> list[Candidate]:
    """The candidates of the next XM001 session (the last one when none is ahead) and the
    holder of the certificate to look up."""
    seats = SeatAssignment.objects.filter(registration__station__code=PHOTO_STATION).select_related("session")
    ahead = seats.filter(session__date__gte=clock.today()).order_by("session__date", "session_id")
    first = ahead.first() or seats.order_by("-session__date", "-session_id").first()
    people: list[Candidate] = []
    if first is not None:
        for seat in seats.filter(session=first.session).select_related("registration__candidate"):
            people.append(seat.registration.candidate)
    certificate = verify_example()
    if certificate is not None:
        people.append(certificate.candidate)
    return people


def demo_photos_load() -> int:
    """Give the demo's photographed candidates their photos; returns how many were set."""
    set_now = 0
    for candidate in _photographed():
        if candidate.photo:
            continue
        registration = candidate.registrations.select_related("station").order_by("pk").first()
        clerk = station_staff(registration.station).clerk if registration is not None else None
        content = portrait(candidate.pk, female=candidate.sex == Candidate.Sex.FEMALE)
        candidate_photo_set(actor=clerk, candidate=candidate, content=content, name=f"{candidate.pk}.jpg")
        set_now += 1
    return set_now
