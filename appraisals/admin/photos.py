"""导入考生照片: a ZIP of photos named by ID number, for the candidates the user may change
(a clerk: the people registered at, or entered by, their station).

Good files are saved and bad ones listed, each with its file name (masked) and the rule
(``candidates.services.candidate_photos_import``); the page shows both lists."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.views.decorators.cache import never_cache

from candidates.models import Candidate
from candidates.selectors import visible_candidates
from candidates.services import PhotoImportReport, candidate_photos_import
from catalog.admin_scope import request_user
from kit import conf

CHANGE_CANDIDATE = "candidates.change_candidate"


class PhotoZipForm(forms.Form):
    archive = forms.FileField(
        label="照片压缩包（ZIP）",
        help_text="每张照片以考生的18位公民身份号码命名（如 350203199001011234.jpg），"
        "支持 .jpg、.jpeg、.png；照片直接放在压缩包里，不要放在文件夹中。",
        widget=forms.ClearableFileInput(attrs={"accept": ".zip,application/zip"}),
    )


@never_cache
@login_required
def photo_import(request: HttpRequest) -> HttpResponse:
    """Upload → the report: saved (new and replaced) and not saved, with reasons."""
    user = request_user(request)
    if not user.has_perm(CHANGE_CANDIDATE):
        raise PermissionDenied
    report: PhotoImportReport | None = None
    form = PhotoZipForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            report = candidate_photos_import(
                actor=user, candidates=visible_candidates(user), upload=form.cleaned_data["archive"]
            )
        except ValidationError as error:
            form.add_error("archive", error)
    limits = conf.photo_limits()
    context = {
        **admin.site.each_context(request),
        "title": "导入考生照片",
        "opts": Candidate._meta,
        "form": form,
        "report": report,
        "max_mb": f"{limits['max_bytes'] / 1024 / 1024:g}",
        "max_pixels": limits["max_pixels"],
        "zip_max_files": limits["zip_max_files"],
    }
    return TemplateResponse(request, "appraisals/photo_import.html", context)
