"""The project's own settings (``JIANDING_*``), read in one place.

Every one is defined, with its default, in ``config/settings/base.py`` (most from the
environment); nothing here repeats a default. Each accessor reads the setting when it is
called, so a test's ``settings`` fixture and ``override_settings`` take effect."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.conf import settings


def business_date() -> datetime.date | None:
    """ "Today" for demos, training and replaying 2020; ``None``: the clock (see kit.clock)."""
    return settings.JIANDING_BUSINESS_DATE


def supervision_hotline() -> str:
    """The supervision hotline shown on public pages and printed forms (人社职司便函〔2020〕44号)."""
    return settings.JIANDING_SUPERVISION_HOTLINE


def public_url() -> str:
    """The public address of the back office (what certificates' QR codes open), no trailing slash."""
    return settings.JIANDING_PUBLIC_URL.rstrip("/")


def import_kept_errors() -> int:
    """An import keeps this many errors to show (and counts all of them): a junk file of a
    million bad rows must not hold a million messages in memory."""
    return int(settings.JIANDING_IMPORT_KEPT_ERRORS)


def import_background_bytes() -> int:
    """Registration files larger than this are imported by a background job."""
    return int(settings.JIANDING_IMPORT_BACKGROUND_BYTES)


def pass_mark() -> Decimal:
    """The pass mark of each part of an exam, out of 100."""
    return Decimal(str(settings.JIANDING_PASS_MARK))


def publicity_working_days() -> int:
    """How many working days results are published (公示) before certificates may be issued."""
    return int(settings.JIANDING_PUBLICITY_WORKING_DAYS)


def reminder_lead_days() -> list[int]:
    """Days before a deadline on which reminders go out, longest first."""
    return sorted(settings.JIANDING_REMINDER_LEAD_DAYS, reverse=True)


def rush_thresholds() -> dict[str, float | int]:
    """The signs of rushed issuance (严禁突击发证) a batch is held for; see README "Certificates"."""
    return {
        "window_days": int(settings.JIANDING_RUSH_CUTOFF_WINDOW_DAYS),
        "baseline_days": int(settings.JIANDING_RUSH_BASELINE_DAYS),
        "factor": float(settings.JIANDING_RUSH_CUTOFF_FACTOR),
        "min_registrations": int(settings.JIANDING_RUSH_CUTOFF_MIN_REGISTRATIONS),
        "burst_days": int(settings.JIANDING_RUSH_BURST_DAYS),
        "burst_min": int(settings.JIANDING_RUSH_BURST_MIN_CERTIFICATES),
    }


def verify_rates() -> tuple[str, str]:
    """The public lookup's rate limits per client IP: (short, daily), e.g. ("10/m", "100/d")."""
    return settings.JIANDING_VERIFY_RATE, settings.JIANDING_VERIFY_DAILY_RATE


def offsite_max_candidates() -> dict[str, int]:
    """Region code → the most candidates an off-site session may seat (严禁组织跨区域规模化鉴定)."""
    return {str(code): int(cap) for code, cap in settings.JIANDING_OFFSITE_MAX_CANDIDATES.items()}


def photo_limits() -> dict[str, int]:
    """Candidate photos: bytes and pixels (longer side) of one image, files and unpacked
    bytes of one ZIP."""
    return {
        "max_bytes": int(settings.JIANDING_PHOTO_MAX_BYTES),
        "max_pixels": int(settings.JIANDING_PHOTO_MAX_PIXELS),
        "zip_max_files": int(settings.JIANDING_PHOTO_ZIP_MAX_FILES),
        "zip_max_bytes": int(settings.JIANDING_PHOTO_ZIP_MAX_BYTES),
    }


def staffing() -> dict[str, int]:
    """The standards' staffing template (see ``appraisals.rules.staffing_required``)."""
    return {
        "invigilators_min": int(settings.JIANDING_STAFF_INVIGILATORS_MIN),
        "per_invigilator": int(settings.JIANDING_STAFF_CANDIDATES_PER_INVIGILATOR),
        "examiners_min": int(settings.JIANDING_STAFF_EXAMINERS_MIN),
        "per_examiner": int(settings.JIANDING_STAFF_CANDIDATES_PER_EXAMINER),
        "review_panel_min": int(settings.JIANDING_STAFF_REVIEW_PANEL_MIN),
    }


def id_hash_key() -> str:
    """The key of the ID numbers' keyed hash in history tables (kit.privacy)."""
    return settings.JIANDING_ID_HASH_KEY or f"jianding-id-number:{settings.SECRET_KEY}"


def retention_days() -> int:
    """Days after a case ended before its personal data are de-identified."""
    return int(settings.JIANDING_RETENTION_DAYS)


def sms_backend() -> str:
    """The dotted path of the class that sends short messages to candidates (see kit.sms)."""
    return str(settings.JIANDING_SMS_BACKEND)


def sms_file_path() -> str:
    """The directory the file SMS backend writes its JSON lines to."""
    return str(settings.JIANDING_SMS_FILE_PATH)


def candidate_notice_lookback_days() -> int:
    """A candidate is told of a moment up to this many days after it (a sweep that missed a
    day catches up; a first run after an upgrade does not text people about last spring)."""
    return int(settings.JIANDING_CANDIDATE_NOTICE_LOOKBACK_DAYS)


def late_entry_grace() -> datetime.timedelta:
    """How long after the end of a deadline day an act dated inside it may still be entered
    without a late-entry approval (``JIANDING_LATE_ENTRY_GRACE_HOURS``)."""
    return datetime.timedelta(hours=settings.JIANDING_LATE_ENTRY_GRACE_HOURS)


def late_entry_approval_validity() -> datetime.timedelta:
    """How long a late-entry approval may be used after it is given (``JIANDING_LATE_ENTRY_APPROVAL_DAYS``)."""
    return datetime.timedelta(days=settings.JIANDING_LATE_ENTRY_APPROVAL_DAYS)
