"""Candidate photos in a browser: the XM001 clerk sees the demo's photo on the case page
and on the admission ticket, imports a ZIP (one photo saved, a bad file listed with its
rule), and another station's clerk cannot open the photo."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pypdf
import pytest
from PIL import Image

from .conftest import demo_rows

pytestmark = pytest.mark.browser

CLERK = "clerk_xm001"


def photographed_seat(database: Path) -> tuple[int, int, int]:
    """(candidate, registration, seat) of the demo's photographed candidate seated after
    the business date at XM001."""
    [row] = demo_rows(
        database,
        "SELECT c.id, r.id, sa.id FROM candidates_candidate c "
        "JOIN appraisals_registration r ON r.candidate_id = c.id "
        "JOIN catalog_station st ON st.id = r.station_id "
        "JOIN appraisals_seatassignment sa ON sa.registration_id = r.id "
        "JOIN appraisals_examsession s ON s.id = sa.session_id "
        "WHERE c.photo != '' AND st.code = 'XM001' AND s.date >= '2020-09-20' "
        "ORDER BY s.date, sa.id LIMIT 1",
    )
    return row


def unphotographed_id_number(database: Path) -> str:
    [(number,)] = demo_rows(
        database,
        "SELECT c.id_number FROM candidates_candidate c JOIN appraisals_registration r ON r.candidate_id = c.id "
        "JOIN catalog_station st ON st.id = r.station_id WHERE c.photo = '' AND st.code = 'XM001' "
        "ORDER BY c.id LIMIT 1",
    )
    return number


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (300, 400), (200, 220, 240)).save(out, "JPEG")
    return out.getvalue()


def test_the_photo_on_the_case_page_the_ticket_and_the_import(walk, demo_database, tmp_path):
    candidate, registration, seat = photographed_seat(demo_database)
    clerk = walk("photos-clerk")
    clerk.login(CLERK)

    page = clerk.goto(f"/admin/appraisals/registration/{registration}/change/")
    photo = page.locator("img.candidate-photo")
    assert photo.count() == 1
    assert photo.evaluate("img => img.complete && img.naturalWidth > 0")

    ticket = clerk.context.request.get(f"{clerk.base}/appraisals/tickets/{seat}.pdf")
    assert ticket.ok
    images = pypdf.PdfReader(io.BytesIO(ticket.body())).pages[0].images
    assert len(images) == 2  # the QR code and the photo

    # The ZIP import, from the registration list's tools.
    page = clerk.goto("/admin/appraisals/registration/")
    page.get_by_role("link", name="导入考生照片").click()
    page.wait_for_load_state()
    clerk.check("photo-import")
    number = unphotographed_id_number(demo_database)
    archive = tmp_path / "照片.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr(f"{number.lower()}.JPG", jpeg())
        bundle.writestr("2020.jpg", b"not a photo")
    page.set_input_files("#id_archive", str(archive))
    page.click("#photo-import input[type=submit]")
    page.wait_for_load_state()
    clerk.check("photo-import-done")
    report = page.inner_text("#photo-import-report")
    assert "导入结果：保存 1 张，未导入 1 个文件" in report
    assert "文件名应为考生的18位公民身份号码" in report
    assert number not in page.inner_text("body")  # shown masked

    # Another station's clerk does not get the photo.
    other = walk("photos-other-clerk")
    other.login("clerk_xm002")
    other.expected_statuses.add(404)
    response = other.context.request.get(f"{other.base}/admin/candidates/candidate/{candidate}/photo/")
    assert response.status == 404
