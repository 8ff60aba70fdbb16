"""Every PDF renders, in Chinese, with the font embedded (so any viewer shows it), and its
text reads back with pypdf; QR codes open the lookup page of that certificate."""

import datetime
import io

import pypdf
import pytest
from django.urls import reverse
from PIL import Image

from certificates import documents, exports, services
from kit.pdf import qr_png

from .conftest import issue

pytestmark = pytest.mark.django_db

D = datetime.date


def read(content: bytes) -> pypdf.PdfReader:
    assert content.startswith(b"%PDF")
    return pypdf.PdfReader(io.BytesIO(content))


def text_of(content: bytes) -> str:
    return "".join(page.extract_text() for page in read(content).pages)


def embedded_fonts(content: bytes) -> set[str]:
    """Base names of the fonts whose program is inside the file (FontFile2: TrueType)."""
    names = set()
    for page in read(content).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = font.get("/FontDescriptor")
            if descriptor is not None and "/FontFile2" in descriptor.get_object():
                names.add(str(font["/BaseFont"]))
    return names


def qr_matches(content: bytes, url: str) -> bool:
    page = read(content).pages[0]
    printed = page.images[0].image.convert("1")
    expected = Image.open(qr_png(url)).convert("1").resize(printed.size)
    return printed.tobytes() == expected.tobytes()


@pytest.fixture
def certificate(officers, orgs, passed):
    return issue(officers, orgs, [passed.refresh()])[0]


def test_certificate_pdf(certificate, passed):
    content = documents.certificate_pdf(certificate)
    reader = read(content)
    assert len(reader.pages) == 1
    assert reader.pages[0].mediabox.width == pytest.approx(841.89, abs=0.1)  # A4 landscape
    text = text_of(content)
    for expected in (
        "职业资格证书",
        "陈美玲",
        passed.candidate.id_number,
        "美发师",
        "五级/初级工",
        "FJ-XM-2020-000001",
        "2020年11月28日",
        "厦门市中心",
        "理论知识 80.0",
        "操作技能 85.0",
        "特发此证",
        "扫码查询证书",
        "核验码",
    ):
        assert expected in text, expected
    assert any(name.endswith("WenQuanYiMicroHei-0") for name in embedded_fonts(content))
    assert qr_matches(content, documents.lookup_url(certificate))
    metadata = " ".join(str(v) for v in reader.metadata.values())
    assert certificate.number in metadata and "陈美玲" not in metadata and passed.candidate.id_number not in metadata


def test_a_batch_prints_as_one_file_one_page_each(officers, orgs, staff, announcement):
    from .conftest import passed_group

    group, _ = passed_group(staff, orgs, announcement, 3)
    certificates = issue(officers, orgs, group)
    content = documents.certificates_pdf(certificates)
    reader = read(content)
    assert len(reader.pages) == 3
    for page, certificate in zip(reader.pages, certificates, strict=True):
        assert certificate.number in page.extract_text() and certificate.holder_name in page.extract_text()


def test_consent_form_template_blank_and_filled(passed):
    blank = text_of(documents.consent_form_pdf())
    for expected in (
        "职业技能鉴定自愿书",
        "人社厅发〔2020〕80号",
        "退回有关费用",
        "一次补考",
        "考生签名",
        "010-84661234",
    ):
        assert expected in blank, expected
    filled = documents.consent_form_pdf(passed.registration)
    text = text_of(filled)
    assert "陈美玲" in text and "美发师" in text and "厦门一站" in text and "2020年9月10日" in text
    assert embedded_fonts(filled)


def test_proof_pdf(officers, orgs, certificate, passed):
    request = services.lost_request_record(
        actor=officers["a"], certificate=certificate, applicant_name="陈美玲", reason="遗失", received_on=D(2020, 12, 8)
    )
    request = services.lost_request_process(actor=officers["b"], request=request, processed_on=D(2020, 12, 9))
    content = documents.proof_pdf(request)
    text = text_of(content)
    for expected in (
        "证书信息证明",
        "FJ-XM-2020-ZM00001",
        "兹证明陈美玲",
        passed.candidate.id_number,
        certificate.number,
        "美发师",
        "“美发师”已于2020年9月30日退出国家职业资格目录",
        "继续有效",
        "2020年12月9日",
        "扫码核验证书信息",
    ):
        assert expected in text, expected
    assert qr_matches(content, documents.lookup_url(certificate))


def test_audit_form_pdf(officers, orgs, certificate):
    batch = services.upload_batch_create(
        actor=officers["a"], centre=orgs["xm"], certificates=[certificate], created_on=D(2020, 12, 1)
    )
    with pytest.raises(ValueError, match="确认后才能生成审核确认表"):
        documents.audit_form_pdf(batch)
    with pytest.raises(ValueError, match="确认后才能导出"):
        exports.audit_form_xlsx(batch)
    batch = services.upload_batch_confirm(actor=officers["b"], batch=batch, confirmed_on=D(2020, 12, 2))
    text = text_of(documents.audit_form_pdf(batch))
    for expected in (
        "全国集中管理监管库职业资格证书数据审核确认表",
        "厦门市中心",
        "美发师",
        "五级/初级工",
        "合计",
        officers["b"].get_full_name(),
        "2020年12月2日",
        "无问题数据",
    ):
        assert expected in text, expected


# --- the download views --------------------------------------------------------------------------


def test_downloads_are_scoped(client, officers, orgs, staff, certificate):
    from catalog import roles
    from tests.factories import UserFactory

    client.force_login(officers["a"])
    response = client.get(reverse("certificates:certificate_pdf", args=[certificate.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert client.get(reverse("certificates:batch_pdf", args=[certificate.batch_id])).status_code == 200
    assert client.get(reverse("certificates:consent_form")).status_code == 200

    other = UserFactory(username="clerk_fz", station=orgs["fz1"], role=roles.STATION_CLERK)
    client.force_login(other)
    assert client.get(reverse("certificates:certificate_pdf", args=[certificate.pk])).status_code == 404
    assert (
        client.get(reverse("certificates:consent_form_filled", args=[certificate.registration_id])).status_code == 404
    )

    client.force_login(staff["clerk"])  # the station sees its own certificates
    assert client.get(reverse("certificates:certificate_pdf", args=[certificate.pk])).status_code == 200


def test_audit_files_only_for_a_confirmed_batch(client, officers, orgs, certificate):
    batch = services.upload_batch_create(
        actor=officers["a"], centre=orgs["xm"], certificates=[certificate], created_on=D(2020, 12, 1)
    )
    client.force_login(officers["a"])
    assert client.get(reverse("certificates:audit_form_pdf", args=[batch.pk])).status_code == 404
    services.upload_batch_confirm(actor=officers["b"], batch=batch, confirmed_on=D(2020, 12, 2))
    for name in ("audit_form_pdf", "audit_form_xlsx", "upload_data_file"):
        assert client.get(reverse(f"certificates:{name}", args=[batch.pk])).status_code == 200, name


def test_certificate_pdf_with_the_holders_photo(certificate, passed, staff):
    from candidates.services import candidate_photo_set
    from tests.candidates.factories import photo_bytes

    without = documents.certificate_pdf(certificate)
    assert len(read(without).pages[0].images) == 1  # the QR code only
    candidate_photo_set(
        actor=staff["clerk"], candidate=passed.candidate, content=photo_bytes(exif=True), name="照片.jpg"
    )
    certificate.refresh_from_db()
    with_photo = documents.certificate_pdf(certificate)
    images = read(with_photo).pages[0].images
    assert len(images) == 2
    assert sorted(image.image.size for image in images)[0] == (320, 240)  # the photo, turned upright
    assert b"DemoCam" not in with_photo
    # Everything else stands where it stood: the same text.
    assert text_of(with_photo) == text_of(without)
