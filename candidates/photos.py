"""Candidate photos (考生照片): checking an uploaded image and making the stored copy, and
reading a ZIP of photos named by ID number.

An image is judged by its content, never by its name: Pillow must open and verify it as a
JPEG or a PNG within the size limits (``kit.conf.photo_limits``). What is stored is a new
JPEG drawn from the pixels, so EXIF and every other piece of metadata (GPS position,
camera, editing software) is left behind; the EXIF orientation is applied first, so the
face stays upright.

Messages name the file and the rule. A file name that is an ID number is shown masked
(like every ID number in a message: messages are logged and copied on)."""

from __future__ import annotations

import io
import os
import warnings
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO

from django.core.exceptions import ValidationError
from PIL import Image, ImageOps, UnidentifiedImageError

from kit import conf

from .validators import mask_id_number, normalise_id_number, validate_id_number

ACCEPTED_EXTENSIONS = (".jpg", ".jpeg", ".png")
ACCEPTED_FORMATS = {"JPEG", "PNG"}
JPEG_QUALITY = 90
# Junk that archivers add (macOS resource forks, Windows thumbnails): skipped, not reported.
IGNORED_NAMES = ("__MACOSX/", "Thumbs.db", ".DS_Store")


def shown_name(name: str) -> str:
    """A file name as a message shows it: an ID-number-looking stem masked."""
    stem, extension = os.path.splitext(os.path.basename(name.replace("\\", "/")))
    if len(stem) >= 10:
        stem = mask_id_number(stem)
    return stem + extension


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:g} MB"


def photo_jpeg(data: bytes, name: str) -> bytes:
    """The stored copy of an uploaded photo: a JPEG without metadata.

    1. At most ``max_bytes`` bytes.
    2. Pillow identifies it as a JPEG or a PNG (the extension does not count) and
       ``verify()`` finds it whole; at most ``max_pixels`` on its longer side (checked
       before the pixels are decoded, so a huge image costs no memory).
    3. Decoded, turned upright by its EXIF orientation, flattened on white (a PNG may be
       transparent), re-encoded as JPEG: nothing of the original file but its pixels.

    Raises ``ValidationError`` naming the file (masked) and the rule."""
    limits = conf.photo_limits()
    label = shown_name(name)
    if len(data) > limits["max_bytes"]:
        raise ValidationError(
            f"{label}：照片文件过大（{_megabytes(len(data))}），不能超过{_megabytes(limits['max_bytes'])}。",
            code="photo_too_large",
        )
    not_an_image = ValidationError(f"{label}：不是有效的JPEG或PNG图片（按文件内容判断）。", code="photo_not_image")
    try:
        with warnings.catch_warnings():
            # Pillow only warns about a decompression bomb below twice its limit: refuse it too.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                image_format = probe.format
                width, height = probe.size
                probe.verify()
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise not_an_image from None
    except Exception:  # a truncated or corrupt file fails verify() in many ways
        raise not_an_image from None
    if image_format not in ACCEPTED_FORMATS:
        raise not_an_image
    if max(width, height) > limits["max_pixels"]:
        raise ValidationError(
            f"{label}：照片尺寸过大（{width}×{height}像素），长边不能超过{limits['max_pixels']}像素。",
            code="photo_too_many_pixels",
        )
    try:
        # verify() leaves the image unusable: open it again to decode the pixels.
        with Image.open(io.BytesIO(data)) as image:
            upright = ImageOps.exif_transpose(image)
            if upright.mode in ("RGBA", "LA", "P"):
                upright = upright.convert("RGBA")
                flat = Image.new("RGB", upright.size, "white")
                flat.paste(upright, mask=upright.getchannel("A"))
            else:
                flat = upright.convert("RGB")
            out = io.BytesIO()
            flat.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    except Exception:  # the pixels themselves are damaged
        raise not_an_image from None
    return out.getvalue()


# --- the ZIP of photos ------------------------------------------------------------------------


@dataclass
class PhotoEntry:
    """One file of a ZIP: its name as shown (masked), and either the ID number it names
    or the reason it is refused on its name alone."""

    name: str
    id_number: str = ""
    error: str = ""
    member: zipfile.ZipInfo | None = None


def id_number_of(name: str) -> str:
    """The ID number a photo's file name stands for; raises ``ValidationError`` for a
    name with a folder, another extension, or a stem that is not a valid ID number."""
    label = shown_name(name)
    if "/" in name or "\\" in name:
        raise ValidationError(f"{label}：照片不能放在压缩包的文件夹里，请直接压缩照片文件。", code="photo_folder")
    stem, extension = os.path.splitext(name)
    if extension.lower() not in ACCEPTED_EXTENSIONS:
        raise ValidationError(f"{label}：只接受 .jpg、.jpeg、.png 格式的照片。", code="photo_extension")
    id_number = normalise_id_number(stem)
    try:
        validate_id_number(id_number)
    except ValidationError as error:
        raise ValidationError(
            f"{label}：文件名应为考生的18位公民身份号码（{'；'.join(error.messages)}）。", code="photo_name"
        ) from None
    return id_number


class PhotoZip:
    """An open ZIP of photos: ``entries`` checked on their names, ``jpeg()`` reading one.

    Photos are read one at a time, when the caller asks (after it has found the
    candidate), so a large ZIP never sits decoded in memory."""

    def __init__(self, archive: zipfile.ZipFile, members: list[zipfile.ZipInfo], budget: int) -> None:
        self.archive = archive
        self.budget = budget  # bytes still allowed to be unpacked
        self.entries = _entries(members)

    def jpeg(self, entry: PhotoEntry) -> bytes:
        """The stored copy of one entry's photo (``photo_jpeg``); raises ``ValidationError``.

        The member is read at most one byte past the photo limit, whatever its directory
        entry claims (a zip bomb cannot unpack more), and the bytes read count against the
        ZIP's unpacked total."""
        limits = conf.photo_limits()
        member = entry.member
        if member is None:  # pragma: no cover - entries with an error have no member to read
            raise ValidationError(entry.error)
        if member.flag_bits & 0x1:
            raise ValidationError(f"{entry.name}：文件已加密，请去掉密码后重新压缩。", code="photo_encrypted")
        if self.budget <= 0:
            raise ValidationError(
                f"{entry.name}：压缩包解压后超过{_megabytes(limits['zip_max_bytes'])}，未读取。", code="zip_too_large"
            )
        try:
            with self.archive.open(member) as stream:
                data = stream.read(min(limits["max_bytes"] + 1, self.budget + 1))
        except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, RuntimeError):
            raise ValidationError(f"{entry.name}：压缩包中的这个文件已损坏，无法读取。", code="zip_member") from None
        self.budget -= len(data)
        return photo_jpeg(data, member.filename)


def _entries(members: list[zipfile.ZipInfo]) -> list[PhotoEntry]:
    """Each member checked on its name; an ID number met twice refuses every file of it
    (which one is right is for the clerk to say)."""
    entries = []
    for member in members:
        try:
            entries.append(PhotoEntry(shown_name(member.filename), id_number_of(member.filename), member=member))
        except ValidationError as error:
            entries.append(PhotoEntry(shown_name(member.filename), error="；".join(error.messages)))
    by_id: dict[str, list[PhotoEntry]] = {}
    for entry in entries:
        if entry.id_number:
            by_id.setdefault(entry.id_number, []).append(entry)
    for same in by_id.values():
        if len(same) > 1:
            names = "、".join(entry.name for entry in same)
            for entry in same:
                entry.error = f"{names}：压缩包内同一考生有{len(same)}张照片，均未导入，请只保留一张。"
                entry.id_number, entry.member = "", None
    return entries


@contextmanager
def open_photo_zip(upload: IO[bytes]) -> Iterator[PhotoZip]:
    """The ZIP's photos, checked on their names; nothing is read or saved yet.

    The archive itself must be a readable ZIP of at most ``zip_max_files`` files and, by
    its directory, at most ``zip_max_bytes`` unpacked; otherwise the whole ZIP is refused
    (``ValidationError``). Junk from archivers (``__MACOSX/``, ``Thumbs.db``) is skipped.
    Members are never extracted to disk, so a name like ``../../x.jpg`` reaches nothing
    (and is refused for its folder)."""
    limits = conf.photo_limits()
    try:
        archive = zipfile.ZipFile(upload)
    except (zipfile.BadZipFile, OSError):
        raise ValidationError("上传的文件不是有效的ZIP压缩包。", code="zip_invalid") from None
    with archive:
        members = [m for m in archive.infolist() if not m.is_dir() and not _ignored(m.filename)]
        if len(members) > limits["zip_max_files"]:
            raise ValidationError(
                f"压缩包内有{len(members)}个文件，一次最多导入{limits['zip_max_files']}个，请分批导入。",
                code="zip_too_many_files",
            )
        declared = sum(m.file_size for m in members)
        if declared > limits["zip_max_bytes"]:
            raise ValidationError(
                f"压缩包解压后共{_megabytes(declared)}，不能超过{_megabytes(limits['zip_max_bytes'])}，请分批导入。",
                code="zip_too_large",
            )
        yield PhotoZip(archive, members, limits["zip_max_bytes"])


def _ignored(name: str) -> bool:
    return any(part in name for part in IGNORED_NAMES)
