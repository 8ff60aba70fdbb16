"""The supervisors' screens in the admin: the review queue, on-site and remote records,
complaints. Display only: every change is a call to ``supervision.services``."""

from __future__ import annotations

from typing import Any, TypeGuard

from django import forms
from django.contrib import admin
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils.html import format_html_join

from appraisals.admin_forms import ServiceForm, ServiceFormAdminMixin
from catalog.admin_scope import ScopedAdmin, request_user
from catalog.models import User
from kit.admin import report_rows

from . import services
from .models import Complaint, ReviewItem, SessionSupervisionRecord
from .selectors import review_items_for


def _closed_item(obj: Model | None) -> TypeGuard[ReviewItem]:
    return isinstance(obj, ReviewItem) and obj.status == ReviewItem.Status.CLOSED


def _closed_complaint(obj: Model | None) -> TypeGuard[Complaint]:
    return isinstance(obj, Complaint) and obj.status == Complaint.Status.CLOSED


class ReviewCloseForm(ServiceForm):
    class Meta:
        model = ReviewItem
        fields = ["finding"]

    def perform(self) -> ReviewItem:
        return services.review_item_close(actor=self.actor, item=self.instance, finding=self.cleaned_data["finding"])


@admin.register(ReviewItem)
class ReviewItemAdmin(ScopedAdmin):
    """The supervisors' queue: open an item, see its evidence, record a finding, close it.
    The queue with its filters is also at /admin/supervision/queue/."""

    list_display = ["kind", "summary", "station", "flagged_on", "status", "assigned_to"]
    list_filter = ["status", "kind", "flagged_on"]
    search_fields = ["summary", "station__name"]
    list_select_related = ["station", "assigned_to"]
    readonly_fields = ["kind", "summary", "station", "session", "evidence_table", "flagged_on", "status", "assigned_to"]
    fields = [*readonly_fields, "finding"]
    actions = ["take"]

    def scope_queryset(self, request: HttpRequest, qs: QuerySet) -> QuerySet:
        return review_items_for(request.user, qs)

    def get_form(self, request: HttpRequest, obj: Model | None = None, change: bool = False, **kwargs: Any) -> Any:
        if obj is not None and not _closed_item(obj):
            kwargs["form"] = ReviewCloseForm
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"actor": request_user(request)})

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> Any:
        if _closed_item(obj):
            return [*self.readonly_fields, "finding", "closed_by", "closed_at"]
        return self.readonly_fields

    def save_model(self, request: HttpRequest, obj: ReviewItem, form: Any, change: bool) -> None:
        # Only the service writes (closing); a closed item's page has nothing to save.
        performed = getattr(form, "performed", None)
        if performed is not None:
            obj.__dict__.update(performed.__dict__)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # items come from the detectors

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    @admin.display(description="证据")
    def evidence_table(self, obj: ReviewItem) -> str:
        return format_html_join("", "<div><b>{}</b>：{}</div>", ((k, v) for k, v in sorted(obj.evidence.items())))

    @admin.action(description="由我承办", permissions=["change"])
    def take(self, request: HttpRequest, queryset: QuerySet) -> None:
        actor = request_user(request)
        report_rows(self, request, queryset, lambda i: services.review_item_take(actor=actor, item=i), "承办", str)


class SupervisionRecordForm(ServiceForm):
    class Meta:
        model = SessionSupervisionRecord
        fields = ["session", "kind", "observed_at", "observations", "attachment"]

    def perform(self) -> SessionSupervisionRecord:
        return services.supervision_record_add(actor=self.actor, **self.cleaned_data)


@admin.register(SessionSupervisionRecord)
class SessionSupervisionRecordAdmin(ServiceFormAdminMixin, ScopedAdmin):
    scope_station_path = "session__application__station"
    add_form = SupervisionRecordForm
    list_display = ["session", "kind", "supervisor", "observed_at"]
    list_filter = ["kind", "observed_at"]
    search_fields = ["observations", "session__place"]
    list_select_related = ["session__occupation", "supervisor"]
    autocomplete_fields = ["session"]

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)


class ComplaintReceiveForm(ServiceForm):
    class Meta:
        model = Complaint
        fields = ["channel", "received_at", "complainant", "contact", "station", "content"]

    def perform(self) -> Complaint:
        return services.complaint_receive(actor=self.actor, **self.cleaned_data)


class ComplaintHandleForm(ServiceForm):
    """An open complaint's page: a new assignee, a conclusion, or both (see complaint_handle)."""

    # Evaluated afresh for each form (ModelChoiceField copies its queryset with .all()).
    assignee = forms.ModelChoiceField(
        label="承办人", queryset=User.objects.filter(is_active=True, is_staff=True), required=False
    )
    conclusion = forms.CharField(label="查处结论", widget=forms.Textarea, required=False)
    service_error_fields = {"finding": "conclusion"}

    class Meta:
        model = Complaint
        fields: list[str] = []

    def perform(self) -> Complaint:
        return services.complaint_handle(
            actor=self.actor,
            complaint=self.instance,
            assignee=self.cleaned_data.get("assignee"),
            conclusion=self.cleaned_data.get("conclusion", ""),
        )


@admin.register(Complaint)
class ComplaintAdmin(ServiceFormAdminMixin, ScopedAdmin):
    add_form = ComplaintReceiveForm
    list_display = ["reference", "received_at", "channel", "station", "short_content", "status", "assigned_to"]
    list_filter = ["status", "channel", "received_at"]
    search_fields = ["content", "station__name"]
    list_select_related = ["station", "assigned_to"]
    autocomplete_fields = ["station"]

    @admin.display(description="受理编号", ordering="pk")
    def reference(self, obj: Complaint) -> str:
        return obj.reference

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str) -> Any:
        pk = Complaint.pk_of_reference(search_term)
        if pk is not None:
            return queryset.filter(pk=pk), False
        return super().get_search_results(request, queryset, search_term)

    def scope_queryset(self, request: HttpRequest, qs: QuerySet) -> QuerySet:
        # Complaints are handled by guidance centres and supervisors, not by the stations named.
        user = request_user(request)
        if user.station_id and not user.is_superuser:
            return qs.none()
        return qs

    def get_form(self, request: HttpRequest, obj: Model | None = None, change: bool = False, **kwargs: Any) -> Any:
        if obj is not None and not _closed_complaint(obj):
            kwargs["form"] = ComplaintHandleForm
            kwargs["fields"] = ["assignee", "conclusion"]
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Model | None = None) -> Any:
        if obj is None:
            return ComplaintReceiveForm.Meta.fields
        shown = ["channel", "received_at", "complainant", "contact", "station", "content", "status", "assigned_to"]
        if _closed_complaint(obj):
            return [*shown, "finding", "closed_by", "closed_at"]
        return [*shown, "assignee", "conclusion"]

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> Any:
        if obj is None:
            return []
        fields = ["channel", "received_at", "complainant", "contact", "station", "content", "status", "assigned_to"]
        return [*fields, "finding", "closed_by", "closed_at"] if _closed_complaint(obj) else fields

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    @admin.display(description="举报内容")
    def short_content(self, obj: Complaint) -> str:
        return obj.content[:40]
