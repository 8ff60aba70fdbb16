"""The examiner and supervisor registry (考评员、督导员名册) and the recusals of a session.

Guidance-centre officers keep the registry of their centre's region; clerks, examiners and
supervisors read the people of their stations' regions (the city and its province), the
ones a session there may take."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from catalog import selectors
from catalog.admin_scope import ScopedAdmin, request_user
from catalog.models import Region, SkillLevel
from kit import clock

from .. import services
from ..admin_forms import ServiceForm, ServiceFormAdminMixin
from ..models import Appraiser, Recusal


def _region_ids(user: Any) -> set[int] | None:
    """Regions whose registry people the user may read (None: all)."""
    if selectors.station_scope(user) is None:
        return None
    regions = {r.pk: r for r in Region.objects.select_related("parent")}
    ids: set[int] = set()
    for region_id in selectors.visible_stations(user).values_list("region_id", flat=True).distinct():
        ids |= {r.pk for r in regions[region_id].lineage()}
    if user.centre_id:
        ids |= _kept_region_ids(user) or set()
    return ids


def _kept_region_ids(user: Any) -> set[int] | None:
    """Regions whose registry the user keeps: their centre's region and below (None: all)."""
    if selectors.station_scope(user) is None:
        return None
    if not user.centre_id:
        return set()
    # Read once per request's user: the side menu asks every admin whether it may add.
    kept: set[int] | None = getattr(user, "_jianding_kept_regions", None)
    if kept is None:
        kept = selectors._descendant_ids(Region, user.centre.region_id)
        setattr(user, "_jianding_kept_regions", kept)  # noqa: B010 (a memo on the object, not a field)
    return kept


class AppraiserForm(forms.ModelForm):
    level_choices = forms.MultipleChoiceField(
        label="可考评的等级",
        choices=SkillLevel.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="考评员必填",
    )

    class Meta:
        model = Appraiser
        fields = [
            "name",
            "role",
            "certificate_number",
            "user",
            "region",
            "occupations",
            "valid_from",
            "valid_to",
            "status",
            "status_reason",
            "status_date",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["level_choices"].initial = list(self.instance.levels or "")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        self.instance.levels = "".join(sorted(data.get("level_choices") or [], reverse=True))
        return data


@admin.register(Appraiser)
class AppraiserAdmin(ScopedAdmin):
    form = AppraiserForm
    list_display = ["name", "role", "certificate_number", "region", "valid_from", "valid_to", "status", "usable_today"]
    list_filter = ["role", "status", "region"]
    search_fields = ["name", "certificate_number"]
    list_select_related = ["region"]
    autocomplete_fields = ["user", "region", "occupations"]
    fieldsets = [
        (None, {"fields": ["name", "role", "certificate_number", "user", "region"]}),
        ("考评范围", {"fields": ["occupations", "level_choices"]}),
        ("有效期与状态", {"fields": ["valid_from", "valid_to", "status", "status_reason", "status_date"]}),
    ]

    def scope_queryset(self, request: HttpRequest, qs: QuerySet) -> QuerySet:
        ids = _region_ids(request_user(request))
        return qs if ids is None else qs.filter(region_id__in=ids)

    def _keeps(self, request: HttpRequest, obj: Model | None) -> bool:
        user = request_user(request)
        if obj is None:  # keeps some region: a full scope, or a centre's (its region at least)
            return selectors.station_scope(user) is None or bool(user.centre_id)
        kept = _kept_region_ids(user)
        return kept is None or (obj is None and bool(kept)) or (isinstance(obj, Appraiser) and obj.region_id in kept)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and self._keeps(request, None)

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return super().has_change_permission(request, obj) and (obj is None or self._keeps(request, obj))

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False  # the registry keeps everyone who ever examined: revoke instead

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "region":
            kept = _kept_region_ids(request_user(request))
            if kept is not None:
                kwargs["queryset"] = Region.objects.filter(pk__in=kept)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description="今天可用", boolean=True)
    def usable_today(self, obj: Appraiser) -> bool:
        return obj.usable_on(clock.today())


class RecusalForm(ServiceForm):
    class Meta:
        model = Recusal
        fields = ["session", "appraiser", "registration", "relation", "note"]

    def perform(self) -> Recusal:
        data = self.cleaned_data
        return services.recusal_record(
            actor=self.actor,
            session=data["session"],
            appraiser=data["appraiser"],
            registration=data["registration"],
            relation=data["relation"],
            note=data["note"],
        )


@admin.register(Recusal)
class RecusalAdmin(ServiceFormAdminMixin, ScopedAdmin):
    scope_station_path = "session__application__station"
    add_form = RecusalForm
    list_display = ["session", "appraiser", "candidate", "relation", "recorded_by", "recorded_on"]
    list_select_related = ["session__occupation", "appraiser", "registration__candidate", "recorded_by"]
    search_fields = ["appraiser__name", "registration__candidate__name__nameprefix"]
    autocomplete_fields = ["session", "appraiser", "registration"]

    @admin.display(description="相关考生", ordering="registration__candidate__name")
    def candidate(self, obj: Recusal) -> str:
        return obj.registration.candidate.name

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False
