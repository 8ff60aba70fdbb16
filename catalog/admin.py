from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django_celery_beat import admin as beat_admin
from django_celery_beat.models import ClockedSchedule, CrontabSchedule, IntervalSchedule, PeriodicTask, SolarSchedule

from kit import clock
from kit.html import format_html

from . import roles, selectors, services
from .admin_scope import ScopedAdmin, request_user
from .models import (
    AuthorisationSanction,
    DeadlineRule,
    EligibilityRoute,
    EvaluationOrganisation,
    GuidanceCentre,
    Holiday,
    Notification,
    Occupation,
    PolicyNotice,
    Qualification,
    Region,
    Station,
    StationAuthorisation,
    User,
)


@admin.register(Region)
class RegionAdmin(ScopedAdmin):
    list_display = ["code", "name", "level", "parent"]
    list_filter = ["level"]
    search_fields = ["code", "name"]
    list_select_related = ["parent"]
    autocomplete_fields = ["parent"]


class OccupationInline(admin.TabularInline):
    model = Occupation
    extra = 0
    fields = ["name", "departments", "batch"]


@admin.register(Qualification)
class QualificationAdmin(ScopedAdmin):
    list_display = ["seq", "name", "occupation_names"]
    search_fields = ["name", "occupations__name"]
    inlines = [OccupationInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).prefetch_related("occupations")

    @admin.display(description="职业（工种）")
    def occupation_names(self, obj: Qualification) -> str:
        return "、".join(o.name for o in obj.occupations.all())


@admin.register(Occupation)
class OccupationAdmin(ScopedAdmin):
    list_display = ["name", "qualification", "batch", "levels_label", "departments"]
    list_filter = ["batch", "deadline_rules"]
    search_fields = ["name", "qualification__name", "departments"]
    list_select_related = ["qualification"]
    autocomplete_fields = ["qualification"]

    def get_readonly_fields(self, request: HttpRequest, obj: Occupation | None = None) -> Any:
        # A guidance-centre officer keeps only the levels of the standard; the annex's own
        # data is the system administrator's.
        if obj is not None and not selectors.has_full_scope(request_user(request)):
            return ["name", "qualification", "departments", "batch", "annex_position"]
        return []

    @admin.display(description="标准设有的等级")
    def levels_label(self, obj: Occupation) -> str:
        return obj.levels_label


@admin.register(PolicyNotice)
class PolicyNoticeAdmin(ScopedAdmin):
    list_display = ["doc_number", "issuer", "region", "issue_date", "title"]
    list_filter = ["region"]
    search_fields = ["doc_number", "title", "issuer"]
    filter_horizontal = ["forwards"]
    list_select_related = ["region"]


@admin.register(DeadlineRule)
class DeadlineRuleAdmin(ScopedAdmin):
    list_display = [
        "name",
        "notice",
        "region_or_national",
        "registration_cutoff",
        "application_cutoff",
        "appraisal_cutoff",
        "retake_cutoff",
        "exit_day_closed",
        "requires_municipal_report",
        "occupation_count",
    ]
    list_filter = ["region", "notice"]
    search_fields = ["name", "occupations__name", "notice__doc_number"]
    filter_horizontal = ["occupations"]
    list_select_related = ["region", "notice"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).annotate(occupations_total=Count("occupations"))

    @admin.display(description="适用地区", ordering="region__code")
    def region_or_national(self, obj: DeadlineRule) -> str:
        return obj.region.name if obj.region else "全国"

    @admin.display(description="报名截止", ordering="last_registration_day")
    def registration_cutoff(self, obj: DeadlineRule):
        return obj.last_registration_day

    @admin.display(description="申请截止", ordering="application_deadline")
    def application_cutoff(self, obj: DeadlineRule):
        return obj.application_deadline

    @admin.display(description="鉴定截止", ordering="appraisal_deadline")
    def appraisal_cutoff(self, obj: DeadlineRule):
        return obj.appraisal_deadline

    @admin.display(description="补考截止", ordering="retake_deadline")
    def retake_cutoff(self, obj: DeadlineRule):
        return obj.retake_deadline

    @admin.display(description="职业数")
    def occupation_count(self, obj: DeadlineRule) -> int:
        return obj.occupations_total  # type: ignore[attr-defined]  # annotated by get_queryset


@admin.register(GuidanceCentre)
class GuidanceCentreAdmin(ScopedAdmin):
    list_display = ["code", "name", "level", "region", "parent"]
    list_filter = ["level"]
    search_fields = ["code", "name"]
    list_select_related = ["region", "parent"]
    autocomplete_fields = ["region", "parent"]

    def scope_queryset(self, request: HttpRequest, qs: QuerySet) -> QuerySet:
        return qs.filter(pk__in=selectors.visible_centres(request.user).values("pk"))


@admin.register(Station)
class StationAdmin(ScopedAdmin):
    scope_station_path = "pk"
    list_display = ["code", "name", "region", "centre", "phone", "is_active"]
    list_filter = ["is_active", "region", "centre"]
    search_fields = ["code", "name", "address"]
    list_select_related = ["region", "centre"]
    autocomplete_fields = ["region", "centre"]


# --- station authorisations: kept by guidance-centre officers through catalog.services -------------


class KeptThroughServiceForm(forms.ModelForm):
    """A form whose save is a service call, run while the form validates (in a savepoint),
    so a refusal becomes a form error and nothing is saved."""

    actor: Any = None

    def perform(self) -> Any:
        raise NotImplementedError

    def _post_clean(self) -> None:
        super()._post_clean()  # type: ignore[misc]  # ModelForm's private hook
        if self.errors:
            return
        savepoint = transaction.savepoint()
        try:
            self.performed = self.perform()
        except ValidationError as error:
            transaction.savepoint_rollback(savepoint)
            if hasattr(error, "error_dict"):
                for name, messages in error.message_dict.items():
                    self.add_error(name if name in self.fields else None, messages)
            else:
                self.add_error(None, error.messages)
        else:
            transaction.savepoint_commit(savepoint)

    def save(self, commit: bool = True) -> Any:
        self.instance = self.performed
        super().save(commit=False)
        return self.performed


class AuthorisationForm(KeptThroughServiceForm):
    class Meta:
        model = StationAuthorisation
        fields = ["station", "occupation", "levels", "valid_from", "valid_to", "document", "granted_on"]

    def perform(self) -> StationAuthorisation:
        return services.authorisation_save(actor=self.actor, authorisation=self.instance)


class SanctionForm(KeptThroughServiceForm):
    class Meta:
        model = AuthorisationSanction
        fields = ["station", "authorisation", "kind", "effective_from", "reason", "document"]

    def perform(self) -> AuthorisationSanction:
        data = self.cleaned_data
        return services.sanction_record(
            actor=self.actor,
            station=data["station"],
            authorisation=data["authorisation"],
            kind=data["kind"],
            effective_from=data["effective_from"],
            reason=data["reason"],
            document=data["document"],
        )


class SanctionLiftForm(KeptThroughServiceForm):
    class Meta:
        model = AuthorisationSanction
        fields = ["lifted_on", "lift_reason"]

    def perform(self) -> AuthorisationSanction:
        data = self.cleaned_data
        if data.get("lifted_on") is None:
            raise ValidationError({"lifted_on": "请填写恢复日期。"})
        stored = AuthorisationSanction.objects.get(pk=self.instance.pk)
        return services.sanction_lift(
            actor=self.actor, sanction=stored, lifted_on=data["lifted_on"], reason=data["lift_reason"]
        )


class KeptByOfficersAdmin(ScopedAdmin):
    """Station clerks read their own station's rows; supervisors read; the officers over
    the station (and the system administrator) add and change, through the services."""

    scope_station_path = "station"

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"actor": request_user(request)})

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or services.may_keep_authorisations(request_user(request), obj.station))

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # the record of who may appraise is kept, never deleted

    def save_model(self, request: HttpRequest, obj: Any, form: forms.ModelForm, change: bool) -> None:
        pass  # the form's service saved it

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "station":
            # Only the stations this officer keeps.
            kwargs["queryset"] = selectors.visible_stations(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(StationAuthorisation)
class StationAuthorisationAdmin(KeptByOfficersAdmin):
    form = AuthorisationForm
    list_display = ["station", "occupation", "levels_label", "period_label", "document", "granted_on", "granted_by"]
    list_filter = ["station", "valid_from", "valid_to"]
    search_fields = ["station__code", "station__name", "occupation__name", "document"]
    list_select_related = ["station", "occupation", "granted_by"]
    autocomplete_fields = ["station", "occupation"]
    readonly_fields = ["granted_by"]

    @admin.display(description="授权等级")
    def levels_label(self, obj: StationAuthorisation) -> str:
        return obj.levels_label

    @admin.display(description="有效期", ordering="valid_from")
    def period_label(self, obj: StationAuthorisation) -> str:
        return obj.period_label


@admin.register(AuthorisationSanction)
class AuthorisationSanctionAdmin(KeptByOfficersAdmin):
    list_display = ["station", "authorisation_or_station", "kind", "effective_from", "reason", "document", "lifted_on"]
    list_filter = ["kind", "station", "effective_from"]
    search_fields = ["station__code", "station__name", "reason", "document"]
    list_select_related = ["station", "authorisation__occupation", "authorisation__station"]
    autocomplete_fields = ["station"]

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        kwargs["form"] = SanctionForm if obj is None else SanctionLiftForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return SanctionForm.Meta.fields
        return [*SanctionForm.Meta.fields, "decided_by", "lifted_on", "lift_reason", "lifted_by"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return []
        fixed = [*SanctionForm.Meta.fields, "decided_by", "lifted_by"]
        # Only a suspension not yet lifted can still be lifted.
        if obj.kind == AuthorisationSanction.Kind.REVOCATION or obj.lifted_on is not None:
            return [*fixed, "lifted_on", "lift_reason"]
        return fixed

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "authorisation":
            kwargs["queryset"] = StationAuthorisation.objects.filter(
                station__in=selectors.visible_stations(request.user)
            ).select_related("station", "occupation")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description="暂停或撤销的范围")
    def authorisation_or_station(self, obj: AuthorisationSanction) -> str:
        return str(obj.authorisation) if obj.authorisation_id else "整个鉴定站"


@admin.register(User)
class UserAdmin(ScopedAdmin, DjangoUserAdmin):
    list_display = ["username", "last_name", "first_name", "organisation_name", "role_names", "is_active"]
    list_filter = ["groups", "is_active", "station", "centre"]
    search_fields = ["username", "first_name", "last_name", "email"]
    list_select_related = ["station", "centre"]
    autocomplete_fields = ["station", "centre"]
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        ("所属机构", {"fields": ("station", "centre", "phone")}),
    )
    add_fieldsets = (
        *DjangoUserAdmin.add_fieldsets,
        ("所属机构", {"fields": ("station", "centre", "groups")}),
    )

    def scope_queryset(self, request: HttpRequest, qs: QuerySet) -> QuerySet:
        if selectors.station_scope(request.user) is None:
            return qs
        stations = selectors.visible_stations(request.user).values("pk")
        centres = selectors.visible_centres(request.user).values("pk")
        return qs.filter(Q(station__in=stations) | Q(centre__in=centres) | Q(pk=request.user.pk))

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description="所属机构")
    def organisation_name(self, obj: User) -> str:
        return str(obj.organisation or "—")

    @admin.display(description="角色")
    def role_names(self, obj: User) -> str:
        return "、".join(g.name for g in obj.groups.all()) or "—"


@admin.register(EligibilityRoute)
class EligibilityRouteAdmin(ScopedAdmin):
    list_display = ["level", "occupation_or_default", "description", "min_years", "prior_level", "diplomas"]
    list_filter = ["level", ("occupation", admin.EmptyFieldListFilter)]
    search_fields = ["description", "occupation__name"]
    list_select_related = ["occupation"]
    autocomplete_fields = ["occupation"]

    @admin.display(description="适用职业", ordering="occupation__name")
    def occupation_or_default(self, obj: EligibilityRoute) -> str:
        return obj.occupation.name if obj.occupation else "全国默认"


@admin.register(EvaluationOrganisation)
class EvaluationOrganisationAdmin(ScopedAdmin):
    """备案评价机构: kept by guidance-centre officers, read by everyone who refers trainees.
    Never deleted (referrals point to them): one that stops is marked not in use."""

    list_display = ["name", "region", "occupation_list", "contact_person", "contact_phone", "is_active"]
    list_filter = ["is_active", "region"]
    search_fields = ["name", "occupations__name", "contact_person"]
    list_select_related = ["region"]
    autocomplete_fields = ["region", "occupations"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).prefetch_related("occupations")

    @admin.display(description="备案职业（工种）")
    def occupation_list(self, obj: EvaluationOrganisation) -> str:
        names = [o.name for o in obj.occupations.all()]
        return "、".join(names[:5]) + ("等" if len(names) > 5 else "")


@admin.register(Holiday)
class HolidayAdmin(ScopedAdmin):
    list_display = ["date", "name", "is_workday"]
    list_filter = ["is_workday"]
    search_fields = ["name"]
    date_hierarchy = "date"


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """Everyone's own inbox: reminders and review-queue items addressed to them."""

    list_display = ["unread_mark", "title", "created_at", "open_link"]
    list_filter = [("read_at", admin.EmptyFieldListFilter)]
    search_fields = ["title", "body"]
    fields = readonly_fields = ("title", "body", "link", "created_at", "read_at")
    actions = ["mark_read"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).filter(recipient=request.user)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return False  # not on the menu: the header's 通知 link (with the unread count) opens it

    def has_view_permission(self, request: HttpRequest, obj: Notification | None = None) -> bool:
        staff = request.user.is_active and request.user.is_staff
        return staff and (obj is None or obj.recipient_id == request.user.pk)

    def has_change_permission(self, request: HttpRequest, obj: Notification | None = None) -> bool:
        return self.has_view_permission(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Notification | None = None) -> bool:
        return False

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None) -> Any:
        # Opening a notification reads it.
        if self.get_queryset(request).filter(pk=object_id, read_at__isnull=True).update(read_at=clock.now()):
            selectors.unread_changed([request.user.pk])
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.display(description="")
    def unread_mark(self, obj: Notification) -> str:
        return "●" if obj.read_at is None else ""

    @admin.display(description="链接")
    def open_link(self, obj: Notification) -> str:
        return format_html('<a href="{}">打开</a>', obj.link) if obj.link else ""

    @admin.action(description="标记为已读", permissions=["change"])
    def mark_read(self, request: HttpRequest, queryset: QuerySet) -> None:
        count = queryset.filter(read_at__isnull=True).update(read_at=clock.now())
        selectors.unread_changed([request.user.pk])
        self.message_user(request, f"已将 {count} 条通知标记为已读。")


# --- the beat schedule (周期任务): the system administrator's only, in Chinese ------------------
# The schedules themselves come from migrations (the daily sweep, the import clean-up); their
# own admin pages (crontab, interval, solar, clocked) are English throughout and need no
# editing here, so only the tasks are listed: enable, disable, pick another schedule.
for schedule_model in (ClockedSchedule, CrontabSchedule, IntervalSchedule, SolarSchedule):
    if admin.site.is_registered(schedule_model):
        admin.site.unregister(schedule_model)
if admin.site.is_registered(PeriodicTask):
    admin.site.unregister(PeriodicTask)


@admin.register(PeriodicTask)
class PeriodicTaskAdmin(beat_admin.PeriodicTaskAdmin):
    list_display = ("name", "enabled", "schedule_text", "start_time", "last_run_at", "one_off")
    list_filter = ["enabled", "one_off"]
    change_form_template = "admin/change_form.html"  # the library's adds an English crontab preview
    fieldsets = (
        (None, {"fields": ("name", "regtask", "task", "enabled", "description")}),
        ("时间表", {"fields": ("interval", "crontab", "solar", "clocked", "start_time", "one_off")}),
        ("参数", {"fields": ("args", "kwargs"), "classes": ("collapse",)}),
        (
            "执行选项",
            {
                "fields": ("expires", "expire_seconds", "queue", "exchange", "routing_key", "priority", "headers"),
                "classes": ("collapse",),
            },
        ),
    )
    readonly_fields = ()
    # The library's help texts name Python values (True, False, None).
    help_texts = {
        "enabled": "取消勾选即停用这项任务。",
        "one_off": "勾选后只运行一次。",
        "start_time": "从这一时刻起按时间表运行。",
    }

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        for name, text in self.help_texts.items():
            if name in form.base_fields:
                form.base_fields[name].help_text = text
        return form

    def has_module_permission(self, request: HttpRequest) -> bool:
        # The role names memoised on the user (the scopes read them too): no extra query.
        user = request.user
        system_admin = user.is_superuser or (
            isinstance(user, User) and roles.SYSTEM_ADMIN in selectors._role_names(user)
        )
        return system_admin and super().has_module_permission(request)

    @admin.display(description="时间表")
    def schedule_text(self, obj: PeriodicTask) -> str:
        if obj.crontab is not None:
            crontab = obj.crontab
            fields = (crontab.minute, crontab.hour, crontab.day_of_month, crontab.month_of_year, crontab.day_of_week)
            return f"定时（分 时 日 月 周）：{' '.join(fields)}"
        return str(obj.interval or obj.solar or obj.clocked or "")
