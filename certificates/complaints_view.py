"""举报 from the public: no login, rate-limited, the hotline on the page."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django_ratelimit.core import is_ratelimited

from catalog.models import Station
from kit import clock

from .models import Complaint
from .supervision import complaint_receive


class PublicComplaintForm(forms.Form):
    station = forms.ModelChoiceField(
        label="被举报的鉴定站（所）",
        queryset=Station.objects.filter(is_active=True),
        required=False,
        empty_label="不确定",
    )
    content = forms.CharField(label="举报内容", widget=forms.Textarea(attrs={"rows": 6}), max_length=3000)
    complainant = forms.CharField(label="姓名（可不填）", required=False, max_length=50)
    contact = forms.CharField(label="联系方式（可不填，便于反馈查处结果）", required=False, max_length=50)


@never_cache
def complaint_new(request: HttpRequest) -> HttpResponse:
    form = PublicComplaintForm(request.POST or None)
    context = {"form": form, "hotline": settings.JIANDING_SUPERVISION_HOTLINE, "done": False, "limited": False}
    if request.method == "POST":
        if is_ratelimited(request, group="certificates.complaints", key="ip", rate="5/h", increment=True):
            context["limited"] = True
            return render(request, "certificates/complaint.html", context, status=429)
        if form.is_valid():
            complaint_receive(
                actor=None,
                channel=Complaint.Channel.PUBLIC_FORM,
                received_at=clock.now(),
                content=form.cleaned_data["content"],
                complainant=form.cleaned_data["complainant"],
                contact=form.cleaned_data["contact"],
                station=form.cleaned_data["station"],
            )
            context["done"] = True
            context["form"] = PublicComplaintForm()
    return render(request, "certificates/complaint.html", context)
