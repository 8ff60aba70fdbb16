"""Students and apprentices to route to skill level recognition, and their referrals."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from candidates.admin import CandidateAdmin
from candidates.models import Candidate
from catalog.admin_scope import ScopedAdmin
from kit import clock
from kit.admin import ListDisplay, ViewOnlyMixin

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
        return "；".join(
            f"{item.occupation}：鉴定须于 {item.completion_deadline:%Y-%m-%d} 前完成，"
            f"预计 {item.expected_finish_date:%Y-%m-%d} 毕（结）业"
            for item in self._routing(obj)
        )

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
        fields = ["candidate", "occupation", "referred_on", "referred_to", "note"]

    def perform(self) -> SkillLevelReferral:
        return services.referral_record(actor=self.actor, **self.cleaned_data)


@admin.register(SkillLevelReferral)
class SkillLevelReferralAdmin(ServiceFormAdminMixin, ScopedAdmin):
    add_form = ReferralForm
    list_display = ["candidate", "occupation", "referred_on", "referred_to", "referred_by"]
    list_filter = ["referred_on", ("occupation", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["candidate__name", "referred_to"]
    list_select_related = ["candidate", "occupation", "referred_by"]
    autocomplete_fields = ["candidate", "occupation"]

    def scope_queryset(self, request: HttpRequest, qs: QuerySet) -> QuerySet:
        candidates = self.admin_site._registry[Candidate].get_queryset(request)
        return qs.filter(candidate__in=candidates.values("pk"))

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)
