"""The public certificate lookup (证书查询) and the downloads of the back office.

The lookup needs no login. It answers only when the number (or the resident ID number)
and the holder's name match; every miss says the same "not found", whether the number
exists or not, and every client is rate-limited (kit.ratelimit, in the cache: Redis
when REDIS_URL is set), so neither the numbers nor the ID space can be walked. Lookups
are POSTed so that ID numbers stay out of URLs and logs; the QR code's link carries the
certificate number and its unguessable verification code only.

The downloads are scoped like the admin: anything outside the user's scope is a 404."""

from __future__ import annotations

import unicodedata
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.safestring import SafeString
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from appraisals.models import Registration
from candidates.validators import ID_NUMBER_SHAPE, normalise_id_number
from catalog.selectors import visible_centres, visible_stations
from kit import audit, clock, conf, ratelimit
from kit.responses import XLSX, file_response, stored_file_response

from . import documents, exports, selectors
from .models import ArchiveRecord, Certificate, IssuanceBatch, LostCertificateRequest, UploadBatch

NOT_FOUND = "未查询到相关证书信息，请核对证书编号（或公民身份号码）和姓名后重试。"
LIMITED = "查询过于频繁，请稍后再试。"


class _RenderedOnce(forms.BoundField):
    """A field of the empty lookup form is the same for every visitor (no value, no error),
    so it is rendered once per process: its widget's templates cost more than all the rest
    of the page. A bound form (one sent back with its errors) renders as usual."""

    _rendered: dict[str, SafeString] = {}

    def as_widget(self, widget: Any = None, attrs: Any = None, only_initial: bool = False) -> SafeString:
        if self.form.is_bound or widget is not None or attrs or only_initial:
            return super().as_widget(widget, attrs, only_initial)
        if self.html_name not in self._rendered:
            self._rendered[self.html_name] = super().as_widget()
        return self._rendered[self.html_name]


class VerifyForm(forms.Form):
    bound_field_class = _RenderedOnce

    key = forms.CharField(
        label="证书编号或公民身份号码",
        max_length=40,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "inputmode": "text", "placeholder": "证书编号或18位身份证号"}
        ),
    )
    name = forms.CharField(
        label="持证人姓名", max_length=50, widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": "姓名"})
    )

    def clean_name(self) -> str:
        return unicodedata.normalize("NFKC", self.cleaned_data["name"]).strip().replace(" ", "")


def _rate_limited(request: HttpRequest) -> bool:
    """Count this lookup against both windows of the client; True when either is spent."""
    short, daily = conf.verify_rates()
    return ratelimit.spent(request, [("certificates.verify.short", short), ("certificates.verify.daily", daily)])


@never_cache
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    today = clock.today()
    form = VerifyForm(request.POST or None)
    context: dict[str, Any] = {"form": form, "rows": None, "message": "", "hotline": conf.supervision_hotline()}
    status = 200
    number, code = request.GET.get("no", "").strip().upper(), request.GET.get("code", "").strip().upper()
    wants_lookup = request.method == "POST" or (number and code)
    if wants_lookup and _rate_limited(request):
        context["message"], context["form"], status = LIMITED, VerifyForm(), 429
    elif request.method == "POST" and form.is_valid():
        key, name = form.cleaned_data["key"], form.cleaned_data["name"]
        id_number = normalise_id_number(key)
        if ID_NUMBER_SHAPE.fullmatch(id_number):
            rows = selectors.lookup_by_id_number(id_number, name, on=today)
        else:
            rows = selectors.lookup_by_number(key.strip().upper(), name, on=today)
        context["rows"], context["message"] = rows, "" if rows else NOT_FOUND
        how = "公民身份号码和姓名" if ID_NUMBER_SHAPE.fullmatch(id_number) else "证书编号和姓名"
        _record_lookup_hit(request, rows, how)
        # What was typed is not echoed back: the page shows the masked ID number only.
        context["form"] = VerifyForm()
    elif request.method == "GET" and number and code:
        rows = selectors.lookup_by_code(number, code.replace("-", ""), on=today)
        context["rows"], context["message"] = rows, "" if rows else NOT_FOUND
        _record_lookup_hit(request, rows, "证书二维码")
    return render(request, "certificates/verify.html", context, status=status)


def _record_lookup_hit(request: HttpRequest, rows: list[selectors.LookupRow], how: str) -> None:
    if rows:
        found = "、".join(f"{row.number} {row.holder_name}" for row in rows)
        # Committed durably like every access-log row (PIPL): an unflushed commit would be
        # faster (bench/lookup_bench.py) but a database crash could lose the last rows.
        audit.record(request, action=audit.LOOKUP, subject=f"证书 {found}", reason=f"公众查询（{how}）")


# --- downloads ------------------------------------------------------------------------------------


def _require(request: HttpRequest, permission: str) -> None:
    if not request.user.has_perm(permission):
        raise PermissionDenied


def _certificates(request: HttpRequest) -> QuerySet[Certificate]:
    return selectors.visible_certificates(request.user).select_related(
        "candidate", "occupation", "centre", "result", "reissue_of"
    )


@require_GET
@never_cache
@login_required
def certificate_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, "certificates.view_certificate")
    certificate = get_object_or_404(_certificates(request), pk=pk)
    return file_response(documents.certificate_pdf(certificate), f"职业资格证书-{certificate.number}.pdf", inline=True)


@require_GET
@never_cache
@login_required
def batch_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """Every certificate of an approved batch, one page each, as one file for printing."""
    _require(request, "certificates.view_issuancebatch")
    batch = get_object_or_404(selectors.visible_batches(request.user, IssuanceBatch.objects.all()), pk=pk)
    certificates = list(_certificates(request).filter(batch=batch).order_by("sequence"))
    if batch.status != IssuanceBatch.Status.APPROVED or not certificates:
        raise Http404("该批次没有已核发的证书。")
    return file_response(documents.certificates_pdf(certificates), f"职业资格证书-批次{batch.pk}.pdf", inline=True)


@require_GET
@never_cache
@login_required
def proof_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, "certificates.view_lostcertificaterequest")
    requests = LostCertificateRequest.objects.filter(
        certificate__in=_certificates(request).values("pk"), status=LostCertificateRequest.Status.PROOF
    ).select_related("certificate__occupation", "certificate__centre")
    lost = get_object_or_404(requests, pk=pk)
    return file_response(documents.proof_pdf(lost), f"证书信息证明-{lost.proof_number}.pdf", inline=True)


@require_GET
@never_cache
@login_required
def consent_form(request: HttpRequest, registration_id: int | None = None) -> HttpResponse:
    """The consent form template, blank or filled in for one registration in scope."""
    _require(request, "appraisals.view_consentform")
    registration = None
    if registration_id is not None:
        registrations = Registration.objects.filter(station__in=visible_stations(request.user).values("pk"))
        registration = get_object_or_404(
            registrations.select_related("candidate", "announcement__occupation", "station"), pk=registration_id
        )
    name = f"职业技能鉴定自愿书-{registration.pk}.pdf" if registration else "职业技能鉴定自愿书.pdf"
    return file_response(documents.consent_form_pdf(registration), name, inline=True)


def _confirmed_upload(request: HttpRequest, pk: int) -> UploadBatch:
    _require(request, "certificates.view_uploadbatch")
    user = request.user
    batches = UploadBatch.objects.filter(
        centre__in=visible_centres(user).values("pk"), status=UploadBatch.Status.CONFIRMED
    ).select_related("centre", "confirmed_by")
    if user.is_authenticated and user.station_id:
        raise Http404
    return get_object_or_404(batches, pk=pk)


@require_GET
@never_cache
@login_required
def audit_form_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _confirmed_upload(request, pk)
    return file_response(documents.audit_form_pdf(batch), f"证书数据审核确认表-批次{batch.pk}.pdf", inline=True)


@require_GET
@never_cache
@login_required
def audit_form_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _confirmed_upload(request, pk)
    return file_response(exports.audit_form_xlsx(batch), f"证书数据审核确认表-批次{batch.pk}.xlsx", XLSX)


@require_GET
@never_cache
@login_required
def upload_data_file(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _confirmed_upload(request, pk)
    return file_response(exports.upload_data_csv(batch), f"证书数据-批次{batch.pk}.csv", "text/csv; charset=utf-8")


@require_GET
@never_cache
@login_required
def archive_scan(request: HttpRequest, pk: int) -> HttpResponse:
    """The consent scan bound into an archive record (its copy, with the SHA-256 kept)."""
    _require(request, "certificates.view_archiverecord")
    records = ArchiveRecord.objects.filter(registration__station__in=visible_stations(request.user).values("pk"))
    record = get_object_or_404(records.select_related("certificate"), pk=pk)
    audit.record(
        request,
        action=audit.ARCHIVE,
        subject=f"档案：证书 {record.certificate.number} {record.certificate.holder_name} 的自愿书扫描件",
        reason="查看归档的自愿书扫描件",
    )
    return stored_file_response(record.consent_scan, f"档案自愿书扫描件-{record.certificate.number}")
