import datetime
import io
from urllib.parse import quote

import pypdf
import pytest
from django.urls import reverse
from PIL import Image

from appraisals import documents, services
from appraisals.models import SeatAssignment
from candidates.validators import mask_id_number
from catalog import roles
from kit.pdf import qr_png
from tests.candidates.factories import CandidateFactory
from tests.factories import UserFactory

D = datetime.date


def read_pdf(content: bytes) -> pypdf.PdfReader:
    return pypdf.PdfReader(io.BytesIO(content))


@pytest.fixture
def seat(case):
    case.register().review().consent().apply().approve().schedule().seat()
    return SeatAssignment.objects.get(registration=case.registration)


@pytest.fixture
def seated_three(case, staff, announcement):
    """The case's candidate and two more, all seated in one session of two rooms."""
    case.register().review().consent()
    others = []
    for _ in range(2):
        registration = services.registration_accept(
            actor=staff["clerk"],
            candidate=CandidateFactory(),
            announcement=announcement,
            registration_date=D(2020, 9, 15),
        )
        services.eligibility_review(actor=staff["clerk"], registration=registration, review_date=D(2020, 9, 16))
        services.consent_record(actor=staff["clerk"], registration=registration, signed_date=D(2020, 9, 16))
        others.append(registration)
    case.application = services.application_submit(
        actor=staff["clerk"],
        station=case.orgs["xm1"],
        registrations=[case.registration, *others],
        submitted_date=D(2020, 10, 1),
    )
    case.approve().schedule(rooms=[("A考场", 2), ("B考场", 5)]).seat()
    return case.session


@pytest.fixture
def other_clerk(orgs):
    return UserFactory(username="clerk_xm2", station=orgs["xm2"], role=roles.STATION_CLERK)


# --- the document ---------------------------------------------------------------------------


def test_ticket_prints_what_the_exam_day_needs(seat, candidate):
    reader = read_pdf(documents.admission_ticket_pdf(seat))
    assert len(reader.pages) == 1
    assert reader.pages[0].mediabox.width == pytest.approx(595.28, abs=0.1)  # A4
    text = reader.pages[0].extract_text()
    for expected in (
        "职业技能鉴定准考证",
        "陈美玲",
        seat.ticket_number,
        seat.room.name,
        f"{seat.seat_number}号",
        "美发师",
        "五级",
        "厦门一站",
        "厦门市思明区考点",
        "2020年11月20日",
        "09:00 至 11:00",
        "考生须知",
        "30分钟",
    ):
        assert expected in text, expected


def test_ticket_masks_the_id_number_and_hides_the_paper(seat, candidate):
    text = read_pdf(documents.admission_ticket_pdf(seat)).pages[0].extract_text()
    assert candidate.id_number not in text
    assert mask_id_number(candidate.id_number) in text
    assert candidate.id_number[6:14] not in text  # not even the birth date
    assert seat.session.paper.bank_paper_id not in text  # the question-bank paper number is confidential
    assert "GJTK" not in text


def test_ticket_metadata_holds_no_personal_data(seat, candidate):
    metadata = read_pdf(documents.admission_ticket_pdf(seat)).metadata
    values = " ".join(str(v) for v in metadata.values())
    assert seat.ticket_number in values
    assert candidate.name not in values
    assert candidate.id_number not in values


def test_ticket_qr_code_holds_only_the_ticket_number(seat):
    assert documents.qr_payload(seat) == f"JIANDING-TICKET:{seat.ticket_number}"
    page = read_pdf(documents.admission_ticket_pdf(seat)).pages[0]
    xobjects = page["/Resources"]["/XObject"]
    images = [x for x in xobjects.values() if x.get_object()["/Subtype"] == "/Image"]
    assert len(images) == 1
    # No decoder is installed: compare the printed image with a code made from the payload.
    printed = page.images[0].image.convert("1")
    expected = Image.open(qr_png(documents.qr_payload(seat))).convert("1").resize(printed.size)
    assert printed.tobytes() == expected.tobytes()


def test_session_tickets_have_one_page_per_seat_in_room_order(seated_three):
    seats = list(SeatAssignment.objects.filter(session=seated_three))
    assert [(s.room.name, s.seat_number) for s in seats] == [("A考场", 1), ("A考场", 2), ("B考场", 1)]
    reader = read_pdf(documents.admission_tickets_pdf(seats))
    assert len(reader.pages) == 3
    for page, seat in zip(reader.pages, seats, strict=True):
        text = page.extract_text()
        assert seat.ticket_number in text
        assert seat.registration.candidate.name in text


# --- the views ------------------------------------------------------------------------------


def test_clerk_downloads_a_ticket_of_their_station(client, staff, seat):
    client.force_login(staff["clerk"])
    response = client.get(reverse("appraisals:admission_ticket", args=[seat.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    disposition = response["Content-Disposition"]
    assert disposition == f"inline; filename*=utf-8''{quote(f'准考证-{seat.ticket_number}.pdf')}"
    assert "no-store" in response["Cache-Control"]
    assert "陈美玲" in read_pdf(response.content).pages[0].extract_text()


def test_another_stations_clerk_gets_404(client, seat, other_clerk):
    client.force_login(other_clerk)
    assert client.get(reverse("appraisals:admission_ticket", args=[seat.pk])).status_code == 404
    url = reverse("appraisals:session_tickets", args=[seat.session_id])
    assert client.get(url).status_code == 404


def test_unknown_seat_is_404(client, staff, seat):
    client.force_login(staff["clerk"])
    assert client.get(reverse("appraisals:admission_ticket", args=[seat.pk + 1000])).status_code == 404


def test_centre_officer_above_the_station_may_print(client, staff, seat):
    client.force_login(staff["officer_xm"])
    assert client.get(reverse("appraisals:admission_ticket", args=[seat.pk])).status_code == 200


def test_without_the_permission_is_403(client, orgs, seat):
    user = UserFactory(username="nobody", station=orgs["xm1"])
    client.force_login(user)
    assert client.get(reverse("appraisals:admission_ticket", args=[seat.pk])).status_code == 403


@pytest.mark.parametrize("name", ["admission_ticket", "session_tickets"])
def test_anonymous_is_sent_to_the_admin_login(client, seat, name):
    url = reverse(f"appraisals:{name}", args=[seat.pk if name == "admission_ticket" else seat.session_id])
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_session_tickets_view_prints_every_seat(client, staff, seated_three, django_assert_max_num_queries):
    client.force_login(staff["clerk"])
    with django_assert_max_num_queries(12):
        response = client.get(reverse("appraisals:session_tickets", args=[seated_three.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "filename*=utf-8''" in response["Content-Disposition"]
    assert len(read_pdf(response.content).pages) == 3


def test_session_without_seats_is_404(client, staff, case):
    case.register().review().consent().apply().approve().schedule()
    client.force_login(staff["clerk"])
    assert client.get(reverse("appraisals:session_tickets", args=[case.session.pk])).status_code == 404


# --- the photo ------------------------------------------------------------------------------------


def test_ticket_shows_the_photo_when_there_is_one(seat, candidate, staff, client):
    from candidates.services import candidate_photo_set
    from tests.candidates.factories import photo_bytes

    without = documents.admission_ticket_pdf(seat)
    assert len(read_pdf(without).pages[0].images) == 1  # the QR code
    candidate_photo_set(actor=staff["clerk"], candidate=candidate, content=photo_bytes("PNG"), name="x.png")
    seat = SeatAssignment.objects.get(pk=seat.pk)
    with_photo = documents.admission_ticket_pdf(seat)
    page = read_pdf(with_photo).pages[0]
    assert len(page.images) == 2 and (240, 320) in [image.image.size for image in page.images]
    # The layout does not move: the same text either way.
    assert page.extract_text() == read_pdf(without).pages[0].extract_text()
    client.force_login(staff["clerk"])
    response = client.get(reverse("appraisals:admission_ticket", args=[seat.pk]))
    assert len(read_pdf(response.content).pages[0].images) == 2


def test_a_photo_file_gone_from_storage_prints_the_ticket_without_it(seat, candidate, staff):
    from candidates.services import candidate_photo_set
    from tests.candidates.factories import photo_bytes

    candidate_photo_set(actor=staff["clerk"], candidate=candidate, content=photo_bytes(), name="x.jpg")
    candidate.refresh_from_db()
    candidate.photo.storage.delete(candidate.photo.name)
    seat = SeatAssignment.objects.get(pk=seat.pk)
    assert len(read_pdf(documents.admission_ticket_pdf(seat)).pages[0].images) == 1
