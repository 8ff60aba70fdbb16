"""导入考生照片: a ZIP named by ID number; good files saved, each bad one listed with the
rule; only the candidates of the clerk's station; the photo on the case page."""

import datetime
import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from candidates.models import Candidate
from candidates.selectors import visible_candidates
from candidates.services import candidate_photos_import
from candidates.validators import mask_id_number
from catalog import roles
from tests.candidates.factories import CandidateFactory, make_id_number, photo_bytes
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PAGE = reverse("appraisals:photo_import")


def zip_of(files: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> io.BytesIO:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    out.seek(0)
    return out


@pytest.fixture
def here(case):
    """The case's candidate, registered at XM001 (the clerk's station)."""
    case.register()
    return case.candidate


@pytest.fixture
def elsewhere(orgs):
    """Someone entered at XM002: not the XM001 clerk's to change."""
    clerk2 = UserFactory(username="clerk_xm2", station=orgs["xm2"], role=roles.STATION_CLERK)
    return CandidateFactory(name="王外站", created_by=clerk2)


def run(clerk, files, **kwargs):
    return candidate_photos_import(actor=clerk, candidates=visible_candidates(clerk), upload=zip_of(files, **kwargs))


def test_good_files_are_saved_and_each_bad_one_listed_with_its_rule(staff, here, elsewhere):
    lower_x = make_id_number(datetime.date(1985, 5, 5), 102)
    assert lower_x.endswith("X")
    CandidateFactory(id_number=lower_x, created_by=staff["clerk"])
    not_a_person = make_id_number(datetime.date(1970, 1, 1), 1)
    pdf_sender = CandidateFactory(created_by=staff["clerk"])
    report = run(
        staff["clerk"],
        {
            f"{here.id_number}.JPG": photo_bytes(),  # upper-case extension
            f"{lower_x.lower()}.png": photo_bytes("PNG"),  # lower-case x check digit
            f"{elsewhere.id_number}.jpg": photo_bytes(),
            f"{not_a_person}.jpeg": photo_bytes(),
            "350203199001011235.jpg": photo_bytes(),  # wrong check digit
            "readme.txt": b"hello",
            f"{pdf_sender.id_number}.jpg": b"%PDF-1.4",  # read only once the person is found
        },
    )
    assert report.stored == 2 and report.saved == [
        f"{mask_id_number(here.id_number)}.JPG",
        f"{mask_id_number(lower_x.lower())}.png",  # named as the file is
    ]
    errors = "\n".join(report.errors)
    assert len(report.errors) == 5
    assert f"{mask_id_number(elsewhere.id_number)}.jpg：本站没有这名考生" in errors
    assert f"{mask_id_number(not_a_person)}.jpeg：本站没有这名考生" in errors
    assert "350203********1235.jpg：文件名应为考生的18位公民身份号码（公民身份号码校验码错误" in errors
    assert "readme.txt：只接受 .jpg、.jpeg、.png 格式的照片" in errors
    assert f"{mask_id_number(pdf_sender.id_number)}.jpg：不是有效的JPEG或PNG图片" in errors
    assert Candidate.objects.get(pk=here.pk).photo
    assert Candidate.objects.get(id_number=lower_x).photo
    assert not Candidate.objects.get(pk=elsewhere.pk).photo
    for person in (here, elsewhere):
        assert person.id_number not in errors


def test_a_second_import_replaces_and_says_so(staff, here):
    run(staff["clerk"], {f"{here.id_number}.jpg": photo_bytes()})
    first = Candidate.objects.get(pk=here.pk).photo.name
    report = run(staff["clerk"], {f"{here.id_number}.jpg": photo_bytes("PNG")})
    assert report.replaced and not report.saved
    assert Candidate.objects.get(pk=here.pk).photo.name != first


def test_the_same_person_twice_in_the_zip_saves_neither(staff, here):
    report = run(staff["clerk"], {f"{here.id_number}.jpg": photo_bytes(), f"{here.id_number}.png": photo_bytes("PNG")})
    assert report.stored == 0
    assert "压缩包内同一考生有2张照片，均未导入" in report.errors[0]
    assert not Candidate.objects.get(pk=here.pk).photo


def test_folders_and_path_traversal_are_refused(staff, here):
    report = run(
        staff["clerk"],
        {
            f"../../{here.id_number}.jpg": photo_bytes(),
            f"照片/{here.id_number}.jpg": photo_bytes(),
            "__MACOSX/._x.jpg": b"junk",  # archiver junk: skipped silently
        },
    )
    assert report.stored == 0
    assert len(report.errors) == 2
    assert all("照片不能放在压缩包的文件夹里" in error for error in report.errors)


def test_image_limits_apply_inside_the_zip(staff, here, settings):
    settings.JIANDING_PHOTO_MAX_PIXELS = 100
    report = run(staff["clerk"], {f"{here.id_number}.jpg": photo_bytes(size=(100, 101))})
    assert "长边不能超过100像素" in report.errors[0]


def test_a_zip_bomb_is_stopped_by_the_unpacked_total(staff, here, settings):
    from django.core.exceptions import ValidationError

    settings.JIANDING_PHOTO_ZIP_MAX_BYTES = 1024 * 1024
    # 5 MB of zeros compress to a few KB.
    bomb = {f"{make_id_number(datetime.date(1990, 1, 1), n)}.jpg": bytes(5 * 1024 * 1024) for n in range(2, 4)}
    with pytest.raises(ValidationError, match="压缩包解压后共10 MB，不能超过1 MB"):
        run(staff["clerk"], bomb)


def test_a_large_member_is_read_only_up_to_the_limit(staff, here, settings):
    # Each file is read at most one byte past the photo limit: a huge member costs no memory.
    settings.JIANDING_PHOTO_MAX_BYTES = 1000
    report = run(staff["clerk"], {f"{here.id_number}.jpg": bytes(50_000)})
    assert "照片文件过大" in report.errors[0]


def test_too_many_files_and_a_non_zip_are_refused_whole(staff, here, settings):
    from django.core.exceptions import ValidationError

    settings.JIANDING_PHOTO_ZIP_MAX_FILES = 1
    with pytest.raises(ValidationError, match="一次最多导入1个"):
        run(staff["clerk"], {"a.jpg": b"1", "b.jpg": b"2"})
    with pytest.raises(ValidationError, match="不是有效的ZIP压缩包"):
        candidate_photos_import(actor=staff["clerk"], candidates=Candidate.objects.all(), upload=io.BytesIO(b"nope"))


# --- the page ---------------------------------------------------------------------------------


def upload(client, files):
    return client.post(PAGE, {"archive": SimpleUploadedFile("照片.zip", zip_of(files).getvalue(), "application/zip")})


def test_the_page_reports_saved_and_refused_files(client, staff, here, elsewhere):
    client.force_login(staff["clerk"])
    assert "导入考生照片" in client.get(PAGE).content.decode()
    html = upload(client, {f"{here.id_number}.jpg": photo_bytes(), f"{elsewhere.id_number}.jpg": photo_bytes()})
    html = html.content.decode()
    assert "导入结果：保存 1 张，未导入 1 个文件" in html
    assert "本站没有这名考生" in html
    assert here.id_number not in html and elsewhere.id_number not in html


def test_the_page_refuses_a_broken_zip_on_the_form(client, staff):
    client.force_login(staff["clerk"])
    response = client.post(PAGE, {"archive": SimpleUploadedFile("x.zip", b"not a zip")})
    assert "上传的文件不是有效的ZIP压缩包" in response.content.decode()


def test_only_users_who_may_change_candidates_import(client, staff):
    client.force_login(staff["supervisor_fj"])
    assert client.get(PAGE).status_code == 403
    client.logout()
    assert client.get(PAGE).status_code == 302


def test_the_registration_list_links_to_the_import(client, staff, here):
    client.force_login(staff["clerk"])
    html = client.get(reverse("admin:appraisals_registration_changelist")).content.decode()
    assert PAGE in html


def test_the_case_page_shows_the_photo_or_says_there_is_none(client, staff, orgs, case, here):
    page = reverse("admin:appraisals_registration_change", args=[case.registration.pk])
    client.force_login(staff["clerk"])
    assert "暂无照片" in client.get(page).content.decode()
    run(staff["clerk"], {f"{here.id_number}.jpg": photo_bytes()})
    html = client.get(page).content.decode()
    photo = reverse("admin:candidates_candidate_photo", args=[here.pk])
    assert f'src="{photo}"' in html and "考生照片" in html
    assert client.get(photo)["Content-Type"] == "image/jpeg"
    # An examiner of the station reads the case and its photo; another station's clerk neither.
    client.force_login(staff["examiner"])
    assert client.get(photo).status_code == 200
    client.force_login(UserFactory(username="clerk_xm2b", station=orgs["xm2"], role=roles.STATION_CLERK))
    assert client.get(photo).status_code == 404
