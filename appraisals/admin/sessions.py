"""Exam sessions, seats, results and score amendments."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.helpers import ActionForm
from django.db.models import Count, Model, OuterRef, QuerySet, Subquery
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

from candidates.validators import mask_id_number
from catalog.admin_scope import ScopedAdmin, request_user
from kit import clock
from kit.admin import ListDisplay, report_rows
from kit.html import format_html

from .. import services
from ..admin_forms import ServiceForm, ServiceFormAdminMixin
from ..models import Appraiser, ExamResult, ExamRoom, ExamSession, ScoreAmendment, SeatAssignment, SeatCheckIn
from .shared import candidate_label


def _seat_count(session: ExamSession) -> int:
    """The seats counted by the list's query (``seat_count``), or counted now."""
    counted = getattr(session, "seat_count", None)
    return session.seats.count() if counted is None else int(counted)


def person_name(user: Any) -> str:
    return user.get_full_name() or user.username


def short_level(label: str) -> str:
    """五级/初级工 → 五级: the level's name that fits a narrow column."""
    return label.split("/", 1)[0]


# --- sessions, seats ---------------------------------------------------------------------------


class RoomInline(admin.TabularInline):
    model = ExamRoom
    extra = 1
    fields = ["name", "capacity", "invigilators"]

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        # 监考人员: registry examiners the user may pick (the registry admin's scope);
        # who may sit is checked when candidates are seated.
        if db_field.name == "invigilators":
            registry = self.admin_site._registry[Appraiser]
            kwargs["queryset"] = registry.get_queryset(request).filter(role=Appraiser.Role.EXAMINER)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        # A held session's rooms (and who invigilated) stay as they were.
        held = isinstance(obj, ExamSession) and obj.held
        return not held and super().has_change_permission(request, obj)


class ExamSessionForm(ServiceForm):
    class Meta:
        model = ExamSession
        fields = [
            "application",
            "kind",
            "occupation",
            "level",
            "date",
            "start_time",
            "end_time",
            "place",
            "region",
            "offsite_request",
            "examiners",
            "supervisor",
        ]

    def perform(self) -> ExamSession:
        data = dict(self.cleaned_data)
        return services.session_schedule(actor=self.actor, rooms=(), **data)


class ExamSessionStaffForm(ServiceForm):
    """A session not yet held: its examiners and supervisor can be replaced (after a
    recusal or a suspension), under the rules of scheduling."""

    class Meta:
        model = ExamSession
        fields = ["place", "examiners", "supervisor"]

    def perform(self) -> ExamSession:
        return services.session_staff_set(
            actor=self.actor,
            session=self.instance,
            examiners=self.cleaned_data["examiners"],
            supervisor=self.cleaned_data["supervisor"],
        )


@admin.register(ExamSession)
class ExamSessionAdmin(ServiceFormAdminMixin, ScopedAdmin):
    scope_station_path = "application__station"
    add_form = ExamSessionForm
    # Narrow columns that never wrap, so that the 准考证 link stays on screen at 1366 px
    # beside the menu: the level's short name (五级, not 五级/初级工 over three lines), date
    # and time in one column, no station column for a station's own clerk.
    list_display = [
        "occupation",
        "level_short",
        "kind_short",
        "when",
        "place",
        "station",
        "held",
        "seat_total",
        "tickets",
    ]
    list_filter = ["kind", "held", "level", ("occupation", admin.RelatedOnlyFieldListFilter), "date"]
    search_fields = ["place", "occupation__name"]
    list_select_related = ["occupation", "application__station"]
    autocomplete_fields = ["application", "occupation", "region", "supervisor", "offsite_request"]
    filter_horizontal = ["examiners"]
    inlines = [RoomInline]
    actions = ["assign_seats", "request_paper", "hold", "publish_results"]
    date_hierarchy = "date"

    def get_form(self, request: HttpRequest, obj: Model | None = None, change: bool = False, **kwargs: Any) -> Any:
        if isinstance(obj, ExamSession) and not obj.held:
            kwargs["form"] = ExamSessionStaffForm
        return super().get_form(request, obj, change=change, **kwargs)

    def save_model(self, request: HttpRequest, obj: Model, form: forms.ModelForm, change: bool) -> None:
        if change and getattr(form, "performed", None) is not None:
            # The staff went through session_staff_set; the place is a plain field.
            ExamSession.objects.filter(pk=obj.pk).update(place=form.cleaned_data["place"])
            return
        super().save_model(request, obj, form, change)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "supervisor":
            registry = self.admin_site._registry[Appraiser]
            kwargs["queryset"] = registry.get_queryset(request).filter(role=Appraiser.Role.SUPERVISOR)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "examiners":
            registry = self.admin_site._registry[Appraiser]
            kwargs["queryset"] = registry.get_queryset(request).filter(role=Appraiser.Role.EXAMINER)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> Any:
        if obj is not None:  # what the rules were checked against stays as it was
            staff = [] if isinstance(obj, ExamSession) and not obj.held else ["examiners", "supervisor"]
            return [
                *staff,
                "staff_before_registry",
                "application",
                "kind",
                "occupation",
                "level",
                "date",
                "start_time",
                "end_time",
                "region",
                "offsite_request",
                "held",
            ]
        return []

    def get_list_display(self, request: HttpRequest) -> ListDisplay:
        # A station's own clerk sees only their station: the column would repeat it on every row.
        columns = list(super().get_list_display(request))
        return [c for c in columns if c != "station"] if request_user(request).station_id else columns

    @admin.display(description="等级", ordering="level")
    def level_short(self, obj: ExamSession) -> str:
        return short_level(obj.get_level_display())

    @admin.display(description="类型", ordering="kind")
    def kind_short(self, obj: ExamSession) -> str:
        return "补考" if obj.kind == ExamSession.Kind.RETAKE else "鉴定"

    @admin.display(description="考试时间", ordering="date")
    def when(self, obj: ExamSession) -> str:
        return format_html('<span style="white-space:nowrap">{}</span>', f"{obj.date:%Y-%m-%d} {obj.start_time:%H:%M}")

    @admin.display(description="鉴定站", ordering="application__station__code")
    def station(self, obj: ExamSession) -> str:
        return obj.application.station.code

    @admin.display(description="已编排", ordering="seat_count")
    def seat_total(self, obj: ExamSession) -> int:
        return _seat_count(obj)

    @admin.display(description="准考证")
    def tickets(self, obj: ExamSession) -> str:
        if not _seat_count(obj):
            return "未编排"
        try:
            url = reverse("appraisals:session_tickets", args=[obj.pk])
        except NoReverseMatch:
            return "—"
        return format_html('<a href="{}" style="white-space:nowrap">下载准考证</a>', url)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).annotate(seat_count=Count("seats"))

    @admin.action(description="自动编排考场座位", permissions=["change"])
    def assign_seats(self, request: HttpRequest, queryset: QuerySet) -> None:
        actor = request_user(request)
        report_rows(self, request, queryset, lambda s: services.seats_assign(actor=actor, session=s), "编排座位", str)

    @admin.action(description="申请国家题库试卷", permissions=["change"])
    def request_paper(self, request: HttpRequest, queryset: QuerySet) -> None:
        actor = request_user(request)
        report_rows(self, request, queryset, lambda s: services.paper_request(actor=actor, session=s), "申请试卷", str)

    @admin.action(description="登记考试已举行", permissions=["change"])
    def hold(self, request: HttpRequest, queryset: QuerySet) -> None:
        actor = request_user(request)
        report_rows(self, request, queryset, lambda s: services.session_hold(actor=actor, session=s), "登记举行", str)

    @admin.action(description="公示已复核的成绩（公示日期为今天）", permissions=["change"])
    def publish_results(self, request: HttpRequest, queryset: QuerySet) -> None:
        actor = request_user(request)
        today = clock.today()
        report_rows(
            self,
            request,
            queryset,
            lambda s: services.results_publish(actor=actor, session=s, published_on=today),
            "公示成绩",
            str,
        )


class CheckInActionForm(ActionForm):
    voided_part = forms.ChoiceField(
        label="违纪作废科目", required=False, choices=[("", "（违纪时选择）"), *SeatCheckIn.Part.choices]
    )
    note = forms.CharField(label="情况说明", required=False, max_length=300)


@admin.register(SeatAssignment)
class SeatAssignmentAdmin(ScopedAdmin):
    scope_station_path = "registration__station"
    action_form = CheckInActionForm
    list_display = ["ticket_number", "registration", "session", "room", "seat_number", "attendance"]
    actions = ["check_in_present", "check_in_absent", "check_in_misconduct"]
    search_fields = ["ticket_number", "registration__candidate__name__nameprefix"]
    list_select_related = [
        "registration__candidate",
        "registration__announcement__occupation",
        "session__occupation",
        "room",
        "checkin",
    ]
    list_filter = ["session__date"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # seats are assigned by the session's action

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_checkin_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("appraisals.add_seatcheckin")

    @admin.display(description="考勤")
    def attendance(self, obj: SeatAssignment) -> str:
        checkin = getattr(obj, "checkin", None)  # select_related: no query per row
        return checkin.get_attendance_display() if checkin else "未登记"

    def _check_in(self, request: HttpRequest, queryset: QuerySet, attendance: str, verb: str) -> None:
        actor = request_user(request)
        part = request.POST.get("voided_part", "")
        note = request.POST.get("note", "")
        report_rows(
            self,
            request,
            queryset.select_related("registration__candidate"),
            lambda seat: services.seat_check_in(
                actor=actor, seat=seat, attendance=attendance, voided_part=part, note=note
            ),
            verb,
            lambda seat: candidate_label(seat.registration),
        )

    @admin.action(description="登记到考", permissions=["checkin"])
    def check_in_present(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._check_in(request, queryset, SeatCheckIn.Attendance.PRESENT, "登记到考")

    @admin.action(description="登记缺考", permissions=["checkin"])
    def check_in_absent(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._check_in(request, queryset, SeatCheckIn.Attendance.ABSENT, "登记缺考")

    @admin.action(description="登记违纪（选择作废科目并写明情况）", permissions=["checkin"])
    def check_in_misconduct(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._check_in(request, queryset, SeatCheckIn.Attendance.MISCONDUCT, "登记违纪")


# --- results --------------------------------------------------------------------------------------


class ExamResultForm(ServiceForm):
    class Meta:
        model = ExamResult
        fields = ["registration", "theory_score", "practical_score", "review_score"]

    def perform(self) -> ExamResult:
        data = self.cleaned_data
        return services.result_enter(
            actor=self.actor,
            registration=data["registration"],
            theory_score=data["theory_score"],
            practical_score=data["practical_score"],
            review_score=data["review_score"],
        )


@admin.register(ExamResult)
class ExamResultAdmin(ServiceFormAdminMixin, ScopedAdmin):
    scope_station_path = "station"
    add_form = ExamResultForm
    # The candidate and the case in two short columns rather than the registration's long
    # name, and short score headers: the practical score and the confirmation stay on
    # screen at 1366 px.
    list_display = [
        "candidate",
        "case",
        "attempt_short",
        "theory",
        "practical",
        "review",
        "passed",
        "misconduct_note",
        "people",
        "publicity_until",
    ]
    list_filter = ["attempt", "passed", ("confirmed_at", admin.EmptyFieldListFilter), "published_on"]
    # The newest cases first, read backwards along the station's index (station, registration,
    # attempt): the model's own order (by registration) would sort the scope's registrations
    # by date through a join. Within a case the newest result first by its id (a retake's
    # result is entered after the first): ordering by the attempt would mark the 次序 column
    # as the sorted one.
    ordering = ["-registration_id", "-pk"]
    search_fields = ["registration__candidate__name__nameprefix"]
    list_select_related = [
        "registration__candidate",
        "registration__announcement__occupation",
        "entered_by",
        "confirmed_by",
    ]
    autocomplete_fields = ["registration"]
    actions = ["confirm"]

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        # Scores change only through a new entry before confirmation or an amendment after.
        return obj is None and super().has_change_permission(request, obj)

    def has_confirm_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("appraisals.confirm_examresult")

    @admin.display(description="考生", ordering="registration__candidate__name")
    def candidate(self, obj: ExamResult) -> str:
        person = obj.registration.candidate
        return format_html(
            '{}<br><span class="quiet" style="white-space:nowrap">{}</span>',
            person.name,
            mask_id_number(person.id_number),
        )

    @admin.display(description="职业与等级", ordering="registration__announcement__occupation__name")
    def case(self, obj: ExamResult) -> str:
        announcement = obj.registration.announcement
        return format_html(
            '{}<br><span class="quiet">{}</span>',
            announcement.occupation.name,
            short_level(announcement.get_level_display()),
        )

    @admin.display(description="次序", ordering="attempt")
    def attempt_short(self, obj: ExamResult) -> str:
        return "补考" if obj.attempt == ExamResult.Attempt.RETAKE else "首次"

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        # The 违纪 recorded at the attempt's seat, read by the list's own query.
        misconduct = SeatCheckIn.objects.filter(
            seat__session=OuterRef("session"),
            seat__registration=OuterRef("registration"),
            attendance=SeatCheckIn.Attendance.MISCONDUCT,
        )
        return (
            super()
            .get_queryset(request)
            .annotate(
                voided_part=Subquery(misconduct.values("voided_part")[:1]),
                misconduct_text=Subquery(misconduct.values("note")[:1]),
            )
        )

    @admin.display(description="违纪")
    def misconduct_note(self, obj: ExamResult) -> str:
        part = getattr(obj, "voided_part", None)
        if not part:
            return "—"
        return f"{SeatCheckIn.Part(part).label}作废：{getattr(obj, 'misconduct_text', '')}"

    @admin.display(description="公示截止", ordering="publicity_last_day")
    def publicity_until(self, obj: ExamResult) -> str:
        if obj.publicity_last_day is None:
            return "未公示"
        return format_html('<span style="white-space:nowrap">{}</span>', f"{obj.publicity_last_day:%Y-%m-%d}")

    @admin.display(description="录入 / 复核")
    def people(self, obj: ExamResult) -> str:
        """Who entered and who confirmed: two people (复核须由录入人以外的人操作)."""
        confirmed = person_name(obj.confirmed_by) if obj.confirmed_by else "待复核"
        return format_html("{}<br>{}", person_name(obj.entered_by), confirmed)

    @admin.display(description="理论知识", ordering="theory_score")
    def theory(self, obj: ExamResult) -> Decimal | None:
        return obj.theory_score

    @admin.display(description="操作技能", ordering="practical_score")
    def practical(self, obj: ExamResult) -> Decimal | None:
        return obj.practical_score

    @admin.display(description="综合评审", ordering="review_score")
    def review(self, obj: ExamResult) -> Decimal | None:
        return obj.review_score

    @admin.action(description="复核确认成绩（须由录入人以外的人操作）", permissions=["confirm"])
    def confirm(self, request: HttpRequest, queryset: QuerySet) -> None:
        actor = request_user(request)
        report_rows(
            self,
            request,
            queryset.select_related("registration__candidate"),
            lambda r: services.result_confirm(actor=actor, result=r),
            "复核确认",
            lambda r: candidate_label(r.registration),
        )


class ScoreAmendmentForm(ServiceForm):
    field = forms.ChoiceField(label="更正项目", choices=list(services.SCORE_FIELDS.items()))

    class Meta:
        model = ScoreAmendment
        fields = ["result", "field", "new_value", "reason"]

    def perform(self) -> ScoreAmendment:
        data = self.cleaned_data
        return services.result_amend(
            actor=self.actor,
            result=data["result"],
            field=data["field"],
            new_value=data["new_value"],
            reason=data["reason"],
        )


@admin.register(ScoreAmendment)
class ScoreAmendmentAdmin(ServiceFormAdminMixin, ScopedAdmin):
    scope_station_path = "result__registration__station"
    add_form = ScoreAmendmentForm
    list_display = ["result", "field", "old_value", "new_value", "reason", "amended_by", "amended_at"]
    search_fields = ["result__registration__candidate__name__nameprefix", "reason"]
    list_select_related = ["result__registration__candidate", "amended_by"]
    autocomplete_fields = ["result"]

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)
