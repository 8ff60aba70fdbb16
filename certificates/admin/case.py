"""The certificate(s) of a case on the whole-case page (the registration's page).

The registration's admin lives in ``appraisals``, which may not import ``certificates``
(the apps stack upwards). So it is extended from here, the way Django extends an admin
registered by another app: a subclass of ``RegistrationAdmin`` with one more inline is
registered in its place. No hook is needed in ``appraisals``; everything else about the
registration's pages stays in ``RegistrationAdmin``."""

from __future__ import annotations

from django.contrib import admin
from django.urls import reverse

from appraisals.admin.registrations import RegistrationAdmin
from appraisals.admin.shared import CaseReadOnlyInline
from appraisals.models import Registration

from ..models import Certificate
from .shared import link


class CaseCertificateInline(CaseReadOnlyInline):
    """Every certificate of the case (a reissue too), newest first, with its PDF."""

    model = Certificate
    fk_name = "registration"
    fields = ["number", "status", "issue_date", "centre", "pdf"]
    ordering = ["-issue_date", "-pk"]
    verbose_name = "证书"
    verbose_name_plural = "证书"

    @admin.display(description="证书PDF")
    def pdf(self, obj: Certificate) -> str:
        return link(reverse("certificates:certificate_pdf", args=[obj.pk]), "下载")


class RegistrationCaseAdmin(RegistrationAdmin):
    """The registration's admin, with the case's certificates after its results."""

    inlines = [*RegistrationAdmin.inlines, CaseCertificateInline]


admin.site.unregister(Registration)
admin.site.register(Registration, RegistrationCaseAdmin)
