"""Candidate photos: checked by content and size, stored without metadata in the private
storage under a random name, set only through the service, shown only to who may see the
candidate."""

import datetime
import io

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from PIL import Image

from candidates.models import Candidate
from candidates.photos import photo_jpeg
from candidates.services import EDITABLE_FIELDS, candidate_photo_set
from catalog import roles
from tests.candidates.factories import CandidateFactory, make_id_number, photo_bytes
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ID = make_id_number(datetime.date(1990, 1, 1), 123)


@pytest.fixture
def candidate(people):
    return CandidateFactory(name="林小明", id_number=ID, created_by=people["clerk"])


def messages(error: pytest.ExceptionInfo) -> str:
    return "；".join(error.value.messages)


# --- the rules on the image ------------------------------------------------------------------


def test_a_jpeg_and_a_png_are_accepted_and_stored_as_jpeg():
    for fmt in ("JPEG", "PNG"):
        stored = photo_jpeg(photo_bytes(fmt), "photo")
        with Image.open(io.BytesIO(stored)) as image:
            assert image.format == "JPEG"
            assert image.size == (240, 320)


def test_exif_is_stripped_and_the_orientation_applied():
    stored = photo_jpeg(photo_bytes(exif=True), "a.jpg")
    assert b"DemoCam" not in stored and b"Secret Editor" not in stored
    with Image.open(io.BytesIO(stored)) as image:
        assert not image.getexif()
        assert image.size == (320, 240)  # turned upright by the orientation tag


def test_the_type_is_judged_by_content_not_by_the_name():
    with pytest.raises(ValidationError) as error:
        photo_jpeg(b"%PDF-1.4 not a photo", "photo.jpg")
    assert "photo.jpg：不是有效的JPEG或PNG图片" in messages(error)
    # A GIF is an image, but not one of the accepted types.
    gif = io.BytesIO()
    Image.new("RGB", (10, 10)).save(gif, "GIF")
    with pytest.raises(ValidationError, match="不是有效的JPEG或PNG图片"):
        photo_jpeg(gif.getvalue(), "photo.png")
    # A truncated JPEG fails verification.
    with pytest.raises(ValidationError, match="不是有效的JPEG或PNG图片"):
        photo_jpeg(photo_bytes()[:200], "photo.jpg")


def test_file_size_at_the_limit_and_one_byte_past_it(settings):
    data = photo_bytes()
    settings.JIANDING_PHOTO_MAX_BYTES = len(data)
    assert photo_jpeg(data, "a.jpg")
    settings.JIANDING_PHOTO_MAX_BYTES = len(data) - 1
    with pytest.raises(ValidationError, match="照片文件过大"):
        photo_jpeg(data, "a.jpg")


def test_pixels_at_the_limit_and_one_past_it(settings):
    settings.JIANDING_PHOTO_MAX_PIXELS = 320
    assert photo_jpeg(photo_bytes(size=(240, 320)), "a.jpg")
    with pytest.raises(ValidationError, match=r"照片尺寸过大（240×321像素），长边不能超过320像素"):
        photo_jpeg(photo_bytes(size=(240, 321)), "a.jpg")


def test_a_file_named_by_id_number_is_shown_masked_in_messages():
    with pytest.raises(ValidationError) as error:
        photo_jpeg(b"nonsense", f"{ID}.jpg")
    assert ID not in messages(error)
    assert "350203********123X.jpg：" in messages(error)


# --- the service ---------------------------------------------------------------------------


def test_the_service_stores_a_clean_copy_under_a_random_private_name(candidate, people, settings):
    candidate_photo_set(actor=people["clerk"], candidate=candidate, content=photo_bytes(exif=True), name="x.jpg")
    candidate.refresh_from_db()
    assert candidate.photo.name.startswith("photos/") and ID not in candidate.photo.name
    assert str(settings.PRIVATE_MEDIA_ROOT) in candidate.photo.path
    assert str(settings.MEDIA_ROOT) not in candidate.photo.path
    with candidate.photo.open("rb") as stored:
        assert b"DemoCam" not in stored.read()
    assert candidate.history.first().history_user == people["clerk"]


def test_replacing_keeps_the_history(candidate, people):
    candidate_photo_set(actor=people["clerk"], candidate=candidate, content=photo_bytes(), name="1.jpg")
    first = Candidate.objects.get(pk=candidate.pk).photo.name
    candidate_photo_set(actor=people["clerk"], candidate=candidate, content=photo_bytes("PNG"), name="2.png")
    second = Candidate.objects.get(pk=candidate.pk).photo.name
    assert first != second
    assert [h.photo for h in candidate.history.all()[:2]] == [second, first]


def test_a_bad_file_changes_nothing(candidate, people):
    with pytest.raises(ValidationError):
        candidate_photo_set(actor=people["clerk"], candidate=candidate, content=b"GIF89a", name="x.jpg")
    assert not Candidate.objects.get(pk=candidate.pk).photo


def test_the_photo_is_not_a_plain_editable_field():
    # candidate_upsert/candidate_update cannot set it past the checks.
    assert "photo" not in EDITABLE_FIELDS


# --- the admin page ----------------------------------------------------------------------


def change_url(candidate):
    return reverse("admin:candidates_candidate_change", args=[candidate.pk])


def photo_url(candidate):
    return reverse("admin:candidates_candidate_photo", args=[candidate.pk])


def post_change(client, candidate, upload):
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = {
        "name": candidate.name,
        "education": candidate.education,
        "years_in_trade": candidate.years_in_trade,
        "diploma": candidate.diploma,
        "trainee_kind": candidate.trainee_kind,
        "new_photo": SimpleUploadedFile(*upload),
    }
    return client.post(change_url(candidate), data)


def test_a_clerk_sets_the_photo_on_the_candidates_page(client, people, candidate):
    client.force_login(people["clerk"])
    response = post_change(client, candidate, ("me.png", photo_bytes("PNG"), "image/png"))
    assert response.status_code == 302, response.content.decode()[:3000]
    candidate.refresh_from_db()
    assert candidate.photo
    html = client.get(change_url(candidate)).content.decode()
    assert photo_url(candidate) in html
    response = client.get(photo_url(candidate))
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_a_bad_upload_is_refused_on_the_form(client, people, candidate):
    client.force_login(people["clerk"])
    response = post_change(client, candidate, ("me.jpg", b"not an image", "image/jpeg"))
    assert response.status_code == 200
    assert "me.jpg：不是有效的JPEG或PNG图片" in response.content.decode()
    assert not Candidate.objects.get(pk=candidate.pk).photo


def test_the_photo_answers_only_who_may_see_the_candidate(client, people, orgs, candidate, settings):
    candidate_photo_set(actor=people["clerk"], candidate=candidate, content=photo_bytes(), name="x.jpg")
    other_clerk = UserFactory(username="clerk_xm2", station=orgs["xm2"], role=roles.STATION_CLERK)
    client.force_login(other_clerk)
    assert client.get(photo_url(candidate)).status_code == 404
    client.force_login(people["supervisor_fj"])
    assert client.get(photo_url(candidate)).status_code == 200
    client.logout()
    assert client.get(photo_url(candidate)).status_code == 302  # to the login page
    # Never under MEDIA_URL.
    candidate.refresh_from_db()
    assert not candidate.photo.path.startswith(str(settings.MEDIA_ROOT))


def test_no_photo_is_a_404(client, people, candidate):
    client.force_login(people["clerk"])
    assert client.get(photo_url(candidate)).status_code == 404
    assert "暂无照片" in client.get(change_url(candidate)).content.decode()


def test_read_only_pages_show_the_photo_without_the_upload(client, people, candidate):
    candidate_photo_set(actor=people["clerk"], candidate=candidate, content=photo_bytes(), name="x.jpg")
    client.force_login(people["supervisor_fj"])
    html = client.get(change_url(candidate)).content.decode()
    assert photo_url(candidate) in html and 'name="new_photo"' not in html


def test_a_new_candidate_can_come_with_a_photo(client, people):
    from django.core.files.uploadedfile import SimpleUploadedFile

    number = make_id_number(datetime.date(1992, 3, 4), 456)
    client.force_login(people["clerk"])
    response = client.post(
        reverse("admin:candidates_candidate_add"),
        {
            "name": "黄新人",
            "id_number": number,
            "phone": "13900001111",
            "trainee_kind": Candidate.TraineeKind.NONE,
            "new_photo": SimpleUploadedFile("new.jpg", photo_bytes(), "image/jpeg"),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    created = Candidate.objects.get(id_number=number)
    assert created.photo and created.created_by == people["clerk"]
