"""The supervision screens outside the admin: the public complaint form (举报: no login,
rate-limited, the hotline on the page) and the review queue."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.cache import never_cache
from django_ratelimit.core import is_ratelimited

from catalog.models import Station
from catalog.selectors import visible_stations
from kit import clock, conf
from kit.responses import stored_file_response

from .filters import ReviewItemFilter
from .models import Complaint, SessionSupervisionRecord
from .selectors import review_items_for
from .services import complaint_receive


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
    context = {"form": form, "hotline": conf.supervision_hotline(), "done": False, "limited": False}
    if request.method == "POST":
        if is_ratelimited(request, group="supervision.complaints", key="ip", rate="5/h", increment=True):
            context["limited"] = True
            return render(request, "supervision/complaint.html", context, status=429)
        if form.is_valid():
            complaint = complaint_receive(
                actor=None,
                channel=Complaint.Channel.PUBLIC_FORM,
                received_at=clock.now(),
                content=form.cleaned_data["content"],
                complainant=form.cleaned_data["complainant"],
                contact=form.cleaned_data["contact"],
                station=form.cleaned_data["station"],
            )
            context["done"] = True
            context["reference"] = complaint.reference
            context["form"] = PublicComplaintForm()
    return render(request, "supervision/complaint.html", context)


QUEUE_PAGE_SIZE = 50


@login_required(login_url="admin:login")
@permission_required("supervision.view_reviewitem", raise_exception=True)
def review_queue(request: HttpRequest) -> HttpResponse:
    """督导复核事项 outside the admin's list: the queue filtered by status, kind, station and
    date (django-filter), open items first; each row opens the item's admin page."""
    filterset = ReviewItemFilter(
        request.GET or None,
        queryset=review_items_for(request.user).select_related("station", "assigned_to"),
        stations=visible_stations(request.user),
    )
    page = Paginator(filterset.qs, QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        **admin.site.each_context(request),
        "title": "督导复核事项",
        "form": filterset.form,
        "page": page,
        "query": query.urlencode(),
    }
    return render(request, "supervision/review_queue.html", context)


@never_cache
@login_required(login_url="admin:login")
@permission_required("supervision.view_sessionsupervisionrecord", raise_exception=True)
def record_attachment(request: HttpRequest, pk: int) -> HttpResponse:
    """A supervision record's photo or file, for those who may see the session's station."""
    stations = visible_stations(request.user).values("pk")
    records = SessionSupervisionRecord.objects.filter(session__application__station__in=stations).exclude(attachment="")
    record = get_object_or_404(records, pk=pk)
    return stored_file_response(record.attachment, f"督导记录附件-{record.pk}")
