"""Telling candidates their certificate is ready, and the daily sweep of every candidate
notice (the appraisal moments come from ``appraisals.notices``)."""

from __future__ import annotations

import datetime

from django.urls import reverse

from appraisals import notices as appraisal_notices
from candidates.notices import Event, Notice, notice_text, notices_send
from kit import conf

from .models import Certificate


def certificates_ready(today: datetime.date) -> list[Notice]:
    """Every valid certificate issued in the window: its holder is told the number and where
    to look it up (the public lookup, which asks for the holder's name as well)."""
    since = today - datetime.timedelta(days=conf.candidate_notice_lookback_days())
    certificates = Certificate.objects.filter(
        status=Certificate.Status.VALID, issue_date__gte=since, issue_date__lte=today
    ).select_related("candidate", "occupation")
    lookup = conf.public_url() + reverse("verify")
    return [
        Notice(
            certificate.candidate_id,
            Event.CERTIFICATE_READY,
            f"certificate:{certificate.pk}",
            notice_text(
                Event.CERTIFICATE_READY,
                certificate.holder_name,
                occupation=certificate.occupation.name,
                number=certificate.number,
                lookup=lookup,
            ),
        )
        for certificate in certificates
    ]


def sweep(today: datetime.date) -> int:
    """Find every candidate notice due on ``today`` and send each once; returns how many were new."""
    return notices_send(notices=[*appraisal_notices.due_notices(today), *certificates_ready(today)])
