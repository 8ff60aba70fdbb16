"""Issuance: the work list of passed candidates awaiting a certificate, and the issuance
batches prepared from it (approval, supervisor's review, printing, handing out)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeGuard

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Model, QuerySet
from django.http import HttpRequest
from django.urls import reverse

from appraisals.admin.shared import CaseReadOnlyInline, candidate_label, registrations_by_number
from appraisals.admin_forms import ServiceForm, ServiceFormAdminMixin
from candidates.validators import mask_id_number
from catalog.admin_scope import ScopedAdmin, request_user
from kit import clock
from kit.admin import ViewOnlyMixin, report_rows

from .. import selectors, services
from ..models import IssuanceBatch, IssuanceItem, PassedRegistration
from .shared import CentreScopedAdmin, ItemTotal, link

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


def _held(obj: Model | None) -> TypeGuard[IssuanceBatch]:
    """A batch held for the supervisor's review (its only change form)."""
    return isinstance(obj, IssuanceBatch) and obj.status == IssuanceBatch.Status.HELD


class ReadOnlyInline(CaseReadOnlyInline):
    show_change_link = False


@admin.register(PassedRegistration)
class PassedRegistrationAdmin(ViewOnlyMixin, ScopedAdmin):
    scope_station_path = "station"
    list_display = ["candidate_name", "masked_id_number", "occupation", "level", "station", "publicity_end"]
    list_filter = ["station", "announcement__level"]
    search_fields = ["candidate__name", "announcement__occupation__name"]
    list_select_related = ["candidate", "announcement__occupation", "station"]
    actions = ["prepare_batch"]
    list_per_page = 50

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return selectors.awaiting_certificate(super().get_queryset(request)).prefetch_related("results")

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str) -> Any:
        exact = registrations_by_number(queryset, search_term)
        if exact is not None:
            return exact, False
        return super().get_search_results(request, queryset, search_term)

    @admin.display(description="姓名", ordering="candidate__name")
    def candidate_name(self, obj: PassedRegistration) -> str:
        return obj.candidate.name

    @admin.display(description="公民身份号码")
    def masked_id_number(self, obj: PassedRegistration) -> str:
        return mask_id_number(obj.candidate.id_number)

    @admin.display(description="职业（工种）")
    def occupation(self, obj: PassedRegistration) -> str:
        return obj.announcement.occupation.name

    @admin.display(description="等级")
    def level(self, obj: PassedRegistration) -> str:
        return obj.announcement.get_level_display()

    @admin.display(description="公示期至")
    def publicity_end(self, obj: PassedRegistration) -> Any:
        days = [r.publicity_last_day for r in obj.results.all() if r.passed and r.publicity_last_day]
        return max(days) if days else "未公示"

    def has_prepare_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("certificates.add_issuancebatch")

    @admin.action(description="制作发证批次（由另一名审核员审批后核发）", permissions=["prepare"])
    def prepare_batch(self, request: HttpRequest, queryset: QuerySet) -> None:
        """One batch per issuing centre (the officer's own centre, else the station's)."""
        try:
            done = services.batches_prepare(
                actor=request_user(request), registrations=queryset, prepared_on=clock.today()
            )
        except ValidationError as error:
            self.message_user(request, f"制作发证批次：{'；'.join(error.messages)}", messages.ERROR)
            return
        if done.refused:
            refused = [f"{candidate_label(r, request)}：{' '.join(map(str, reasons))}" for r, reasons in done.refused]
            self.message_user(
                request, f"未加入批次 {len(refused)} 人。" + " ".join(f"【{r}】" for r in refused), messages.WARNING
            )
        for batch in done.batches:
            self.message_user(
                request,
                f"制作发证批次：{batch.centre}（{batch.items.count()}人），待另一名审核员审批。",
                messages.SUCCESS,
            )


class IssuanceItemInline(ReadOnlyInline):
    model = IssuanceItem
    fields = ["registration", "status", "certificate", "note"]


class BatchReviewForm(ServiceForm):
    decision = forms.TypedChoiceField(
        label="复核结论", choices=[("1", "放行（退回审批人核发）"), ("0", "不予核发")], coerce=lambda v: v == "1"
    )
    opinion = forms.CharField(label="复核意见", max_length=500, widget=forms.Textarea(attrs={"rows": 3}))

    class Meta:
        model = IssuanceBatch
        fields: list[str] = []

    def perform(self) -> IssuanceBatch:
        return services.batch_review(
            actor=self.actor,
            batch=self.instance,
            release=self.cleaned_data["decision"],
            note=self.cleaned_data["opinion"],
            reviewed_on=clock.today(),
        )


@admin.register(IssuanceBatch)
class IssuanceBatchAdmin(ServiceFormAdminMixin, CentreScopedAdmin):
    list_display = [
        "pk",
        "centre",
        "status",
        "item_total",
        "prepared_by",
        "prepared_on",
        "approved_by",
        "issue_date",
        "print_status",
        "download",
    ]
    list_filter = ["status", "centre", "prepared_on", "issue_date"]
    search_fields = ["centre__name", "note", "items__registration__candidate__name"]
    list_select_related = ["centre", "prepared_by", "approved_by"]
    readonly_fields = [
        "centre",
        "status",
        "note",
        "prepared_by",
        "prepared_on",
        "approved_by",
        "issue_date",
        "rush_flags",
        "held_by",
        "reviewed_by",
        "reviewed_on",
        "review_note",
        "released",
        "printed_by",
        "printed_on",
        "handed_out_by",
        "handed_out_on",
    ]
    inlines = [IssuanceItemInline]
    actions = ["approve", "cancel", "mark_printed", "mark_handed_out"]

    def scope_queryset(self, request: HttpRequest, qs: QuerySet) -> QuerySet:
        return selectors.visible_batches(request.user, qs)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).annotate(_items=Count("items"))

    @admin.display(description="人数", ordering="_items")
    def item_total(self, obj: WithAnnotations[IssuanceBatch, ItemTotal]) -> int:
        return obj._items

    @admin.display(description="打印和发放")
    def print_status(self, obj: IssuanceBatch) -> str:
        return obj.print_status

    @admin.display(description="证书PDF")
    def download(self, obj: IssuanceBatch) -> str:
        if obj.status != IssuanceBatch.Status.APPROVED:
            return "—"
        return link(reverse("certificates:batch_pdf", args=[obj.pk]), "下载打印")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # prepared from the work list of passed candidates

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        # The change form is only the supervisor's review of a held batch.
        if _held(obj):
            return self.has_review_permission(request) and self.in_scope(request, obj)
        return obj is None and super().has_change_permission(request, obj)

    def get_form(self, request: HttpRequest, obj: Model | None = None, change: bool = False, **kwargs: Any) -> Any:
        if _held(obj) and self.has_review_permission(request):
            kwargs["form"] = BatchReviewForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Model | None = None) -> Any:
        fields = list(self.readonly_fields)
        if _held(obj) and self.has_review_permission(request):
            fields += ["decision", "opinion"]
        return fields

    def has_approve_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("certificates.approve_issuancebatch")

    def has_review_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("certificates.review_issuancebatch")

    def has_print_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("certificates.change_issuancebatch")

    def _report_batch(self, request: HttpRequest, batch: IssuanceBatch) -> None:
        if batch.status == IssuanceBatch.Status.HELD:
            self.message_user(
                request, f"批次 #{batch.pk} 疑似突击发证，已暂缓核发，待督导复核：{batch.rush_flags}", messages.WARNING
            )

    @admin.action(description="审批并核发证书（发证日期为今天；须由制单人以外的审核员操作）", permissions=["approve"])
    def approve(self, request: HttpRequest, queryset: QuerySet) -> None:
        actor, today = request_user(request), clock.today()

        def act(batch: IssuanceBatch) -> None:
            self._report_batch(request, services.batch_approve(actor=actor, batch=batch, issue_date=today))

        report_rows(self, request, queryset, act, "审批发证批次", lambda b: f"批次 #{b.pk}")

    @admin.action(description="撤回待审批的批次", permissions=["print"])
    def cancel(self, request: HttpRequest, queryset: QuerySet) -> None:
        actor = request_user(request)
        report_rows(
            self,
            request,
            queryset,
            lambda b: services.batch_cancel(actor=actor, batch=b),
            "撤回批次",
            lambda b: f"批次 #{b.pk}",
        )

    @admin.action(description="登记证书已打印（今天）", permissions=["print"])
    def mark_printed(self, request: HttpRequest, queryset: QuerySet) -> None:
        actor, today = request_user(request), clock.today()
        report_rows(
            self,
            request,
            queryset,
            lambda b: services.batch_mark_printed(actor=actor, batch=b, printed_on=today),
            "登记打印",
            lambda b: f"批次 #{b.pk}",
        )

    @admin.action(description="登记证书已发放（今天）", permissions=["print"])
    def mark_handed_out(self, request: HttpRequest, queryset: QuerySet) -> None:
        actor, today = request_user(request), clock.today()
        report_rows(
            self,
            request,
            queryset,
            lambda b: services.batch_mark_handed_out(actor=actor, batch=b, handed_out_on=today),
            "登记发放",
            lambda b: f"批次 #{b.pk}",
        )
