"""The supervisors' screens in the admin: the review queue, on-site and remote records,
complaints. Display only: every change is a call to ``supervision.services``."""

from __future__ import annotations

from typing import Any, TypeGuard

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.safestring import SafeString

from appraisals.admin_forms import ServiceForm, ServiceFormAdminMixin
from catalog import roles
from catalog.admin_scope import ScopedAdmin, request_user
from catalog.models import User
from certificates.models import IssuanceBatch
from kit import clock
from kit.admin import BusinessDateFieldListFilter, ViewOnlyMixin, report_rows
from kit.html import format_html

from . import services
from .evidence import evidence_html
from .models import Complaint, PersonalDataAccess, ReviewItem, SessionSupervisionRecord
from .selectors import batch_of, complaint_assignees, review_items_for


def _closed_item(obj: Model | None) -> TypeGuard[ReviewItem]:
    return isinstance(obj, ReviewItem) and obj.status == ReviewItem.Status.CLOSED


def _closed_complaint(obj: Model | None) -> TypeGuard[Complaint]:
    return isinstance(obj, Complaint) and obj.status == Complaint.Status.CLOSED


RELEASE, REFUSE, CLOSE = "release", "refuse", "close"
DECISIONS = {
    RELEASE: ("放行（核发）", "确认放行并办结", "批次按原审批核发证书（发证日期为今天），本事项以上述结论办结。"),
    REFUSE: ("不予放行", "确认不予放行并办结", "批次不予核发，其中考生退回待发证名单，本事项以上述结论办结。"),
    CLOSE: ("办结", "确认办结", "本事项以上述结论办结。"),
}


class ItemCloseForm(forms.Form):
    """Closing an item: the finding, and for a batch still held the decision on it."""

    decision = forms.ChoiceField(label="处理", widget=forms.HiddenInput)
    finding = forms.CharField(
        label="督导结论",
        widget=forms.Textarea(attrs={"rows": 4, "cols": 70}),
        error_messages={"required": "办结复核事项必须写明督导结论。"},
    )

    def __init__(self, *args: Any, decisions: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        decision = self.fields["decision"]
        assert isinstance(decision, forms.ChoiceField)
        decision.choices = [(d, DECISIONS[d][0]) for d in decisions]

    def clean_finding(self) -> str:
        finding = self.cleaned_data["finding"].strip()
        if not finding:
            raise forms.ValidationError("办结复核事项必须写明督导结论。")
        return finding


class ItemCorrectForm(forms.Form):
    """Correcting a closed item's finding: never without a reason."""

    finding = forms.CharField(
        label="更正后的督导结论",
        widget=forms.Textarea(attrs={"rows": 4, "cols": 70}),
        error_messages={"required": "办结复核事项必须写明督导结论。"},
    )
    reason = forms.CharField(
        label="更正理由",
        max_length=200,
        widget=forms.TextInput(attrs={"size": 70}),
        error_messages={"required": "更正督导结论必须写明更正理由。"},
    )


@admin.register(ReviewItem)
class ReviewItemAdmin(ScopedAdmin):
    """The supervisors' queue: open an item, read its evidence, record a finding and close it
    (a confirmation page shows the finding first); for a batch held as rushed the item is
    where the batch is released or refused. A closed item's finding can be corrected, with
    a reason, never silently. The queue with its filters is also at /admin/supervision/queue/."""

    list_display = ["kind", "summary", "station", "flagged_on", "status", "assigned_to"]
    list_filter = ["status", "kind", "flagged_on"]
    search_fields = ["summary", "station__name"]
    list_select_related = ["station", "assigned_to"]
    readonly_fields = [
        "kind",
        "summary",
        "station",
        "session",
        "evidence_table",
        "flagged_on",
        "status",
        "assignee",
        "finding",
        "closer",
        "closed_at",
        "trail",
    ]
    fields = list(readonly_fields)
    actions = ["take"]
    change_form_template = "supervision/reviewitem_change_form.html"

    def scope_queryset(self, request: HttpRequest, qs: QuerySet) -> QuerySet:
        return review_items_for(request.user, qs)

    def get_fields(self, request: HttpRequest, obj: Model | None = None) -> Any:
        if _closed_item(obj):
            return self.fields
        return [f for f in self.fields if f not in ("finding", "closer", "closed_at")]

    def save_model(self, request: HttpRequest, obj: ReviewItem, form: Any, change: bool) -> None:
        pass  # nothing on the item's page is edited there: its actions call the services

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # items come from the detectors

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        return [
            path("<path:object_id>/close/", view(self.close_view), name="supervision_reviewitem_close"),
            path("<path:object_id>/correct/", view(self.correct_view), name="supervision_reviewitem_correct"),
            *super().get_urls(),
        ]

    # -- the item's page: read-only, with its actions below --------------------------------

    def decisions(self, request: HttpRequest, item: ReviewItem) -> list[str]:
        """What the user may do to close ``item``: decide on a batch still held (with the
        permission to review batches), else close it with a finding."""
        batch = batch_of(item)
        if batch is not None and batch.status == IssuanceBatch.Status.HELD:
            return [RELEASE, REFUSE] if request.user.has_perm("certificates.review_issuancebatch") else []
        return [CLOSE]

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict | None = None
    ) -> HttpResponse:
        item = self.get_object(request, unquote(object_id))
        context: dict[str, Any] = {
            "title": "督导复核事项",
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
        }
        if item is not None and self.has_change_permission(request, item):
            if item.status == ReviewItem.Status.CLOSED:
                context["correct_form"] = ItemCorrectForm(initial={"finding": item.finding})
            else:
                decisions = self.decisions(request, item)
                context["close_form"] = ItemCloseForm(decisions=decisions)
                context["decisions"] = [(d, DECISIONS[d][0]) for d in decisions]
        return super().change_view(request, object_id, form_url, {**context, **(extra_context or {})})

    def _item_or_refuse(self, request: HttpRequest, object_id: str) -> ReviewItem:
        item = self.get_object(request, unquote(object_id))
        if item is None or not self.has_change_permission(request, item):
            raise PermissionDenied
        return item

    def _page(self, request: HttpRequest, item: ReviewItem, **context: Any) -> HttpResponse:
        return TemplateResponse(
            request,
            "supervision/reviewitem_action.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "item": item,
                "evidence": evidence_html(item),
                "item_url": reverse("admin:supervision_reviewitem_change", args=[item.pk]),
                **context,
            },
        )

    def close_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Two steps: the finding (and decision) as typed, then a confirmation page showing
        them; only the confirmation calls the service."""
        item = self._item_or_refuse(request, object_id)
        item_url = reverse("admin:supervision_reviewitem_change", args=[item.pk])
        if item.status == ReviewItem.Status.CLOSED:
            self.message_user(request, "该复核事项已办结。", messages.WARNING)
            return HttpResponseRedirect(item_url)
        decisions = self.decisions(request, item)
        if not decisions:
            raise PermissionDenied
        data = request.POST if request.method == "POST" else None
        form = ItemCloseForm(data, decisions=decisions)
        if form.is_valid() and "edit" not in request.POST:
            decision, finding = form.cleaned_data["decision"], form.cleaned_data["finding"]
            if "confirm" in request.POST:
                try:
                    self._close(request, item, decision, finding)
                except ValidationError as error:
                    form.add_error(None, error.messages)
                else:
                    return HttpResponseRedirect(item_url)
            else:
                label, button, outcome = DECISIONS[decision]
                return self._page(
                    request,
                    item,
                    title="确认办结复核事项",
                    form=form,
                    confirming=True,
                    decision_label=label,
                    button=button,
                    outcome=outcome,
                    finding=finding,
                )
        return self._page(
            request, item, title="办结复核事项", form=form, decisions=[(d, DECISIONS[d][0]) for d in decisions]
        )

    def _close(self, request: HttpRequest, item: ReviewItem, decision: str, finding: str) -> None:
        actor = request_user(request)
        if decision == CLOSE:
            services.review_item_close(actor=actor, item=item, finding=finding)
            self.message_user(request, "复核事项已办结。", messages.SUCCESS)
            return
        item = services.review_item_decide_batch(
            actor=actor, item=item, release=decision == RELEASE, finding=finding, today=clock.today()
        )
        self.message_user(request, f"复核事项已办结：{item.summary}。", messages.SUCCESS)

    def correct_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Correct a closed item's finding: the new finding and a reason, then a confirmation
        page showing the old and the new finding."""
        item = self._item_or_refuse(request, object_id)
        item_url = reverse("admin:supervision_reviewitem_change", args=[item.pk])
        if item.status != ReviewItem.Status.CLOSED:
            return HttpResponseRedirect(reverse("admin:supervision_reviewitem_close", args=[item.pk]))
        data = request.POST if request.method == "POST" else None
        form = ItemCorrectForm(data, initial={"finding": item.finding})
        if form.is_valid() and "edit" not in request.POST:
            finding, reason = form.cleaned_data["finding"].strip(), form.cleaned_data["reason"].strip()
            try:
                if finding == item.finding:
                    raise ValidationError("更正后的督导结论与原结论相同。")
                if "confirm" in request.POST:
                    services.review_item_correct(actor=request_user(request), item=item, finding=finding, reason=reason)
                    self.message_user(request, "督导结论已更正，原结论和更正理由记入办理经过。", messages.SUCCESS)
                    return HttpResponseRedirect(item_url)
            except ValidationError as error:
                form.add_error(None, error.messages)
            else:
                return self._page(
                    request,
                    item,
                    title="确认更正督导结论",
                    form=form,
                    correcting=True,
                    confirming=True,
                    finding=finding,
                    reason=reason,
                    button="确认更正",
                )
        return self._page(request, item, title="更正督导结论", form=form, correcting=True)

    # -- display ---------------------------------------------------------------------------

    @admin.display(description="证据")
    def evidence_table(self, obj: ReviewItem) -> str:
        return evidence_html(obj)

    @admin.display(description="承办督导员")
    def assignee(self, obj: ReviewItem) -> str:
        return _person(obj.assigned_to)

    @admin.display(description="办结人")
    def closer(self, obj: ReviewItem) -> str:
        return _person(obj.closed_by)

    @admin.display(description="办理经过")
    def trail(self, obj: ReviewItem) -> str:
        return trail_html(obj)

    @admin.action(description="由我承办", permissions=["change"])
    def take(self, request: HttpRequest, queryset: QuerySet) -> None:
        actor = request_user(request)
        report_rows(self, request, queryset, lambda i: services.review_item_take(actor=actor, item=i), "承办", str)


def _person(user: User | None) -> str:
    return "—" if user is None else (user.get_full_name() or user.username)


def trail_html(item: ReviewItem) -> SafeString:
    """The item's trace, oldest first: who did what, the finding at each step (an old
    finding stays visible after a correction) and the reason given."""
    rows = []
    previous = None
    for record in item.history.order_by("history_date", "history_id").select_related("history_user"):
        who = _person(record.history_user) if record.history_user is not None else "每日巡检（系统）"
        if previous is None:
            what = "立项"
        elif previous.status != record.status:
            what = {"in_review": "承办", "closed": "办结"}.get(record.status, "状态变更")
        elif previous.finding != record.finding:
            what = "更正督导结论"
        elif previous.assigned_to_id != record.assigned_to_id:
            what = "承办"
        else:
            what = "更新"
        rows.append(
            (
                f"{record.history_date.astimezone(timezone.get_current_timezone()):%Y-%m-%d %H:%M}",
                who,
                what,
                record.finding or "—",
                record.history_change_reason or "—",
            )
        )
        previous = record
    return format_html(
        '<table class="trail"><thead><tr><th>时间</th><th>办理人</th><th>事项</th><th>督导结论</th>'
        "<th>说明</th></tr></thead><tbody>{}</tbody></table>",
        format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", rows),
    )


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

    def get_fields(self, request: HttpRequest, obj: Model | None = None) -> Any:
        fields = list(super().get_fields(request, obj))
        # A saved record's attachment opens through a checked view, never by its storage URL.
        return fields if obj is None else [("attachment_link" if f == "attachment" else f) for f in fields]

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> Any:
        return [*super().get_readonly_fields(request, obj), *(["attachment_link"] if obj is not None else [])]

    @admin.display(description="照片或文件")
    def attachment_link(self, obj: SessionSupervisionRecord) -> str:
        if not obj.attachment:
            return "无"
        return format_html(
            '<a href="{}" target="_blank" rel="noopener">查看</a>',
            reverse("supervision_record_attachment", args=[obj.pk]),
        )


class ComplaintReceiveForm(ServiceForm):
    class Meta:
        model = Complaint
        fields = ["channel", "received_at", "complainant", "contact", "station", "content"]

    def perform(self) -> Complaint:
        return services.complaint_receive(actor=self.actor, **self.cleaned_data)


def handler_label(user: User) -> str:
    """承办人 as a person picks one: name, role, centre."""
    names = set(user.groups.values_list("name", flat=True))
    role = "督导员" if roles.SUPERVISOR in names else "指导中心审核员"
    return f"{user.get_full_name() or user.username}（{role}，{user.centre}）"


class HandlerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return handler_label(obj)


class ComplaintHandleForm(ServiceForm):
    """An open complaint's page: a new assignee, a conclusion, or both (see complaint_handle)."""

    # Only people who may handle this complaint (selectors.complaint_assignees), set per form.
    assignee = HandlerChoiceField(
        label="交办（改派）给",
        queryset=User.objects.none(),
        required=False,
        help_text="只列出工作范围包括被举报鉴定站的督导员和指导中心审核员。",
    )
    conclusion = forms.CharField(label="查处结论", widget=forms.Textarea, required=False)
    service_error_fields = {"finding": "conclusion"}

    class Meta:
        model = Complaint
        fields: list[str] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["assignee"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = complaint_assignees(self.instance, self.actor)

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
        shown = ["channel", "received_at", "complainant", "contact", "station", "content", "status", "handler"]
        if _closed_complaint(obj):
            return [*shown, "finding", "closer", "closed_at"]
        return [*shown, "assignee", "conclusion"]

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> Any:
        if obj is None:
            return []
        fields = ["channel", "received_at", "complainant", "contact", "station", "content", "status", "handler"]
        return [*fields, "finding", "closer", "closed_at"] if _closed_complaint(obj) else fields

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    @admin.display(description="承办人")
    def handler(self, obj: Complaint) -> str:
        return _person(obj.assigned_to)

    @admin.display(description="办结人")
    def closer(self, obj: Complaint) -> str:
        return _person(obj.closed_by)

    @admin.display(description="举报内容")
    def short_content(self, obj: Complaint) -> str:
        return obj.content[:40]


@admin.register(PersonalDataAccess)
class PersonalDataAccessAdmin(ViewOnlyMixin, admin.ModelAdmin):
    """The access log, read by supervisors (and the system administrator): nobody adds,
    changes or deletes a record here; the places that show personal data write them."""

    list_display = ["at", "actor", "action", "subject", "reason", "address"]
    list_filter = ["action", ("at", BusinessDateFieldListFilter)]
    search_fields = ["subject", "actor__username", "actor__last_name", "actor__first_name"]
    list_select_related = ["actor"]
    show_full_result_count = False
    list_per_page = 100
