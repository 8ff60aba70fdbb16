"""Students and apprentices to route to skill level recognition, and their referrals."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Model, QuerySet
from django.forms import ModelChoiceField
from django.http import HttpRequest
from django.urls import reverse

from candidates.admin import CandidateAdmin
from candidates.models import Candidate
from catalog.admin_scope import ScopedAdmin, request_user
from catalog.models import EvaluationOrganisation
from kit import clock
from kit.admin import ListDisplay, ViewOnlyMixin, report_rows
from kit.html import format_html

from .. import services
from ..admin_forms import ServiceForm, ServiceFormAdminMixin
from ..models import SkillLevelReferral, TraineeToRoute
from ..selectors import trainees_to_route


@admin.register(TraineeToRoute)
class TraineeToRouteAdmin(ViewOnlyMixin, CandidateAdmin):
    """A work list: trainees whose occupation exits before they can finish."""

    list_display = ["name", "masked_id_number", "trainee_kind", "school_or_enterprise", "routing", "refer_link"]
    list_filter = ["trainee_kind"]
    actions = None

    def get_list_display(self, request: HttpRequest) -> ListDisplay:
        return self.list_display  # masked columns only, whatever the user's permissions

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        scoped = super().get_queryset(request)
        pending = {item.candidate.pk for item in trainees_to_route(scoped)}
        return scoped.filter(pk__in=pending)

    def _routing(self, obj: Candidate) -> list[Any]:
        return trainees_to_route(Candidate.objects.filter(pk=obj.pk))

    @admin.display(description="职业与时限")
    def routing(self, obj: Candidate) -> str:
        return "；".join(f"{item.occupation}：{item.reason_text}" for item in self._routing(obj))

    @admin.display(description="办理")
    def refer_link(self, obj: Candidate) -> str:
        items = self._routing(obj)
        if not items:
            return "—"
        url = reverse("admin:appraisals_skilllevelreferral_add")
        return format_html(
            '<a href="{}?candidate={}&occupation={}&referred_on={}">登记转介</a>',
            url,
            obj.pk,
            items[0].occupation.pk,
            clock.today().isoformat(),
        )


class ReferralForm(ServiceForm):
    class Meta:
        model = SkillLevelReferral
        fields = ["candidate", "occupation", "referred_on", "organisation", "note"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].required = True
        field = self.fields["organisation"]
        assert isinstance(field, ModelChoiceField)
        field.queryset = EvaluationOrganisation.objects.filter(is_active=True)

    def perform(self) -> SkillLevelReferral:
        return services.referral_record(actor=self.actor, **self.cleaned_data)


@admin.register(SkillLevelReferral)
class SkillLevelReferralAdmin(ServiceFormAdminMixin, ScopedAdmin):
    add_form = ReferralForm
    list_display = [
        "candidate",
        "occupation",
        "referred_on",
        "organisation_or_text",
        "status",
        "accepted_on",
        "certified_on",
        "declined_on",
        "referred_by",
    ]
    list_filter = ["status", "referred_on", ("occupation", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["candidate__name__nameprefix", "organisation__name", "referred_to"]
    list_select_related = ["candidate", "occupation", "organisation", "referred_by"]
    autocomplete_fields = ["candidate", "occupation"]
    actions = ["mark_accepted", "mark_certified", "mark_declined"]

    @admin.display(description="转介至", ordering="organisation__name")
    def organisation_or_text(self, obj: SkillLevelReferral) -> str:
        return str(obj.organisation) if obj.organisation_id else obj.referred_to

    def _outcome(self, request: HttpRequest, queryset: QuerySet, outcome: str, label: str) -> None:
        actor = request_user(request)
        today = clock.today()
        report_rows(
            self,
            request,
            queryset,
            lambda r: services.referral_outcome(actor=actor, referral=r, outcome=outcome, day=today),
            label,
            str,
        )

    @admin.action(description="登记：评价机构已受理（日期为今天）", permissions=["change"])
    def mark_accepted(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._outcome(request, queryset, SkillLevelReferral.Status.ACCEPTED, "登记受理")

    @admin.action(description="登记：已取得职业技能等级证书（日期为今天）", permissions=["change"])
    def mark_certified(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._outcome(request, queryset, SkillLevelReferral.Status.CERTIFIED, "登记取证")

    @admin.action(description="登记：未受理或终止（日期为今天）", permissions=["change"])
    def mark_declined(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._outcome(request, queryset, SkillLevelReferral.Status.DECLINED, "登记未受理或终止")

    def scope_queryset(self, request: HttpRequest, qs: QuerySet) -> QuerySet:
        candidates = self.admin_site._registry[Candidate].get_queryset(request)
        return qs.filter(candidate__in=candidates.values("pk"))

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)
