"""Everything that happens to a registration: announcement, registration, eligibility,
consent, appraisal application, exam session and seats, results, retake, refund.

Rules on one row live in ``clean()`` (forms and imports run it) and in named database
constraints; state changes happen only in ``appraisals.services``."""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q

from candidates.models import Candidate
from candidates.validators import check_minimum_age
from catalog.models import EvaluationOrganisation, GuidanceCentre, Occupation, Region, SkillLevel, Station
from catalog.selectors import RuleBook, StationAuthority
from catalog.trace import TracedManager, TracedQuerySet, history
from kit import clock

from . import rules

SCORE_VALIDATORS = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))]


def _score_in_range(field: str) -> Q:
    return Q(**{f"{field}__isnull": True}) | (Q(**{f"{field}__gte": 0}) & Q(**{f"{field}__lte": 100}))


def check_registration_window(
    occupation: Occupation, region: Region, day: datetime.date, what: str, rulebook: RuleBook | None = None
) -> None:
    """No announcement and no registration after the last day that applies, and only
    inside the catalog (``rules.registration_window``). ``day`` is the act's own date,
    never today. Pass a shared ``rulebook`` when checking many rows. Raises the first
    violation (a late registration is usually outside the catalog too: one message is
    enough), with its code."""
    found = rules.registration_window(
        rulebook=rulebook or RuleBook(), occupation=occupation, region=region, day=day, act=what
    )
    if found:
        raise ValidationError(found[0].message, code=found[0].code)


def check_authorised(
    station: Station,
    occupation: Occupation,
    level: str,
    day: datetime.date,
    what: str,
    authority: StationAuthority | None = None,
) -> None:
    """The level exists in the occupation's standard and the station is authorised for it
    on the act's date (``rules.level_not_in_standard``, ``rules.station_not_authorised``).
    Pass a shared ``authority`` when checking many rows of one station."""
    violation = rules.level_not_in_standard(occupation=occupation, level=level) or rules.station_not_authorised(
        authority=authority or StationAuthority(station), occupation=occupation, level=level, day=day, act=what
    )
    if violation:
        raise ValidationError(violation.message, code=violation.code)


class ExamAnnouncement(models.Model):
    """鉴定考试公告: a station announces an appraisal for one occupation and level."""

    station = models.ForeignKey(Station, verbose_name="鉴定站", on_delete=models.PROTECT, related_name="announcements")
    occupation = models.ForeignKey(
        Occupation, verbose_name="职业（工种）", on_delete=models.PROTECT, related_name="announcements"
    )
    level = models.CharField("等级", max_length=1, choices=SkillLevel.choices)
    title = models.CharField("公告标题", max_length=200)
    publish_date = models.DateField("发布日期")
    fee = models.DecimalField("鉴定费（元）", max_digits=8, decimal_places=2, default=Decimal("0"))
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="发布人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    objects = TracedManager()
    history = history()

    class Meta:
        verbose_name = "鉴定考试公告"
        verbose_name_plural = "鉴定考试公告"
        ordering = ["-publish_date", "pk"]
        constraints = [
            models.CheckConstraint(name="announcement_fee_not_negative", condition=Q(fee__gte=0)),
        ]

    def __str__(self) -> str:
        return f"{self.occupation}（{self.get_level_display()}）{self.publish_date:%Y-%m-%d}"

    def clean(self) -> None:
        if self.station_id and self.occupation_id and self.publish_date:
            errors: list[ValidationError] = []
            act = "发布鉴定考试公告"
            try:
                check_registration_window(self.occupation, self.station.region, self.publish_date, act)
            except ValidationError as error:
                errors.extend(error.error_list)
            try:
                if self.level:
                    check_authorised(self.station, self.occupation, self.level, self.publish_date, act)
            except ValidationError as error:
                errors.extend(error.error_list)
            if errors:
                raise ValidationError({"publish_date": errors})


class RegistrationQuerySet(TracedQuerySet):
    def before_exam(self) -> RegistrationQuerySet:
        return self.filter(status__in=Registration.BEFORE_EXAM)


class Registration(models.Model):
    """报名: one candidate for one announcement; the case follows one state machine."""

    class Status(models.TextChoices):
        REGISTERED = "registered", "已报名"
        ELIGIBLE = "eligible", "资格审查通过"
        INELIGIBLE = "ineligible", "资格审查未通过"
        CONSENTED = "consented", "已签自愿书"
        APPLIED = "applied", "已申请鉴定"
        EXAMINED = "examined", "已考试待成绩"
        PASSED = "passed", "合格"
        FAILED = "failed", "不合格"
        RETAKE = "retake", "补考中"
        CLOSED = "closed", "已结案"
        WITHDRAWN = "withdrawn", "已放弃（退费）"

    BEFORE_EXAM = (Status.REGISTERED, Status.ELIGIBLE, Status.INELIGIBLE, Status.CONSENTED, Status.APPLIED)
    # Cases that ended without a certificate (a retake failed or not taken; given up with a
    # refund). A passed case ends when its certificate is issued (certificates.retention).
    ENDED = (Status.CLOSED, Status.WITHDRAWN)

    candidate = models.ForeignKey(
        Candidate, verbose_name="考生", on_delete=models.PROTECT, related_name="registrations"
    )
    announcement = models.ForeignKey(
        ExamAnnouncement, verbose_name="鉴定考试公告", on_delete=models.PROTECT, related_name="registrations"
    )
    # Copied from the announcement so station-scoped lists and reports need no join.
    station = models.ForeignKey(
        Station, verbose_name="鉴定站", on_delete=models.PROTECT, related_name="registrations", editable=False
    )
    registration_date = models.DateField("报名日期")
    fee = models.DecimalField("鉴定费（元）", max_digits=8, decimal_places=2, default=Decimal("0"))
    status = models.CharField("状态", max_length=20, choices=Status.choices, default=Status.REGISTERED, editable=False)
    application = models.ForeignKey(
        "AppraisalApplication",
        verbose_name="鉴定申请",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="registrations",
        editable=False,
    )
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="受理人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    entered_at = models.DateTimeField("录入时间", default=clock.now, editable=False)
    reported_at = models.DateTimeField("上报市鉴定中心时间", null=True, blank=True, editable=False)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="上报人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )

    objects = RegistrationQuerySet.as_manager()
    history = history()

    class Meta:
        verbose_name = "报名"
        verbose_name_plural = "报名"
        ordering = ["-registration_date", "pk"]
        permissions = [("import_registration", "导入报名"), ("export_registration", "导出报名")]
        constraints = [
            models.UniqueConstraint(
                fields=["candidate", "announcement"],
                name="registration_one_per_candidate_and_announcement",
                violation_error_message="该考生已报名这次鉴定，不能重复报名。",
            ),
            models.CheckConstraint(name="registration_fee_not_negative", condition=Q(fee__gte=0)),
        ]
        indexes = [
            models.Index(fields=["station", "status"], name="registration_station_status"),
            models.Index(fields=["station", "registration_date"], name="registration_station_date"),
            models.Index(fields=["status", "registration_date"], name="registration_status_date"),
            # The list's order (newest first): a centre's first page walks this index
            # instead of sorting all its stations' registrations.
            models.Index(fields=["-registration_date", "id"], name="registration_newest_first"),
            # The reminder sweep's grouped count (pending registrations per status and
            # announcement, appraisals.reminders.due_items) is read from this index alone
            # (an index-only scan), not from half a million rows of the table.
            models.Index(fields=["status", "announcement"], name="registration_status_announce"),
            # The people registered at a station (a clerk's candidate list), from the index alone.
            models.Index(fields=["station", "candidate"], name="registration_station_person"),
        ]

    def __str__(self) -> str:
        return f"{self.candidate} · {self.announcement}"

    def clean(self) -> None:
        if not (self.announcement_id and self.registration_date):
            return
        announcement = self.announcement
        errors: dict[str, list[ValidationError | str]] = {}
        early = rules.registration_before_announcement(
            registration_date=self.registration_date, publish_date=announcement.publish_date
        )
        if early:
            errors.setdefault("registration_date", []).append(ValidationError(early.message, code=early.code))
        try:
            check_registration_window(
                announcement.occupation, announcement.station.region, self.registration_date, "受理报名"
            )
        except ValidationError as error:
            errors.setdefault("registration_date", []).extend(error.error_list)
        try:
            check_authorised(
                announcement.station, announcement.occupation, announcement.level, self.registration_date, "受理报名"
            )
        except ValidationError as error:
            errors.setdefault("registration_date", []).extend(error.error_list)
        if self.candidate_id:
            try:
                check_minimum_age(self.candidate, self.registration_date)
            except ValidationError as error:
                errors.setdefault("candidate", []).extend(error.messages)
        if errors:
            raise ValidationError(errors)


class EligibilityReview(models.Model):
    """资格审查 against the application conditions of the level applied for."""

    registration = models.OneToOneField(
        Registration, verbose_name="报名", on_delete=models.PROTECT, related_name="eligibility_review"
    )
    review_date = models.DateField("审查日期")
    passed = models.BooleanField("审查通过")
    matched_route = models.ForeignKey(
        "catalog.EligibilityRoute", verbose_name="符合的申报条件", null=True, blank=True, on_delete=models.PROTECT
    )
    findings = models.TextField("审查意见", blank=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="审查人", on_delete=models.PROTECT, related_name="+"
    )

    objects = TracedManager()
    history = history()

    class Meta:
        verbose_name = "资格审查"
        verbose_name_plural = "资格审查"
        constraints = [
            models.CheckConstraint(
                name="eligibility_passed_names_its_route",
                condition=Q(passed=False) | Q(matched_route__isnull=False),
                violation_error_message="审查通过必须注明符合哪一项申报条件。",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.registration}：{'通过' if self.passed else '未通过'}"


class UndeletableQuerySet(TracedQuerySet):
    def delete(self):
        raise ValidationError("职业技能鉴定自愿书只能归档，不能删除。")


def consent_upload_path(instance: ConsentForm, filename: str) -> str:
    return f"consent/{instance.registration.station.code}/{instance.registration_id}/{filename}"


class KeepsRegistrationStation:
    """A case record that keeps its registration's station (a registration never changes
    station), so that lists reach a user's scope on the record itself."""

    record_name = ""  # in the refusal: "{record_name}的鉴定站必须是报名的鉴定站。"

    def _copy_registration_station(self) -> None:
        record: Any = self  # a model with registration and station, which this mixin does not declare
        if record.station_id is None and record.registration_id is not None:
            record.station_id = record.registration.station_id

    def save(self, *args: Any, **kwargs: Any) -> None:
        self._copy_registration_station()
        super().save(*args, **kwargs)  # type: ignore[misc]

    def clean_fields(self, exclude: Any = None) -> None:
        self._copy_registration_station()  # before the field checks, so a new record is not "empty"
        super().clean_fields(exclude)  # type: ignore[misc]

    def clean(self) -> None:
        super().clean()  # type: ignore[misc]
        self._copy_registration_station()
        record: Any = self
        if not record.registration_id:
            return
        # A saved record's copy was checked when it was made: checking it again would cost a
        # query per record in a set (issuance archives thousands of consent forms at once).
        if not record._state.adding and not record._meta.get_field("registration").is_cached(record):
            return
        if record.station_id != record.registration.station_id:
            raise ValidationError({"station": f"{self.record_name}的鉴定站必须是报名的鉴定站。"})


class ConsentForm(KeepsRegistrationStation, models.Model):
    """职业技能鉴定自愿书: signed before the appraisal; archived, never deleted."""

    record_name = "自愿书"

    registration = models.OneToOneField(
        Registration, verbose_name="报名", on_delete=models.PROTECT, related_name="consent_form"
    )
    # The registration's station, copied when the form is recorded (it never changes): the
    # lists reach a user's scope on the form itself, not through a million registrations.
    station = models.ForeignKey(
        Station, verbose_name="鉴定站", on_delete=models.PROTECT, related_name="+", editable=False, db_index=False
    )
    signed_date = models.DateField("签署日期")
    scan = models.FileField("自愿书扫描件", upload_to=consent_upload_path, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="接收人", on_delete=models.PROTECT, related_name="+"
    )
    entered_at = models.DateTimeField("录入时间", default=clock.now, editable=False)
    archived_at = models.DateTimeField("归档时间", null=True, blank=True, editable=False)
    # Set when the guidance centre archives the form at the end of the case
    # (``certificates.services.consent_archive``): the scan's hash as it was archived.
    archived_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="归档人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    scan_sha256 = models.CharField("扫描件SHA-256", max_length=64, blank=True, editable=False)

    objects = UndeletableQuerySet.as_manager()
    history = history()

    class Meta:
        verbose_name = "职业技能鉴定自愿书"
        verbose_name_plural = "职业技能鉴定自愿书"
        constraints = [
            models.CheckConstraint(
                name="consent_archived_with_scan_hash",
                condition=Q(archived_at__isnull=True) | Q(scan_sha256__regex=r"^[0-9a-f]{64}$"),
                violation_error_message="自愿书归档时必须有扫描件及其SHA-256。",
            ),
        ]
        indexes = [
            # The list's order (newest first) within a station.
            models.Index(F("station"), F("id").desc(), name="consent_station_newest"),
            # A centre's 签署日期 filter (本月, 过去7天): a month of forms, not all of them.
            models.Index(fields=["signed_date"], name="consent_signed_date"),
            # The 扫描件 空 filter (recorded on paper, the scan still to attach): 3% of the forms.
            models.Index(F("station"), F("id").desc(), condition=Q(scan=""), name="consent_station_no_scan"),
        ]

    def __str__(self) -> str:
        return f"{self.registration.candidate}的自愿书（{self.signed_date:%Y-%m-%d}）"

    def delete(self, *args, **kwargs):
        raise ValidationError("职业技能鉴定自愿书只能归档，不能删除。")


class AppraisalApplication(models.Model):
    """鉴定申请: a station applies to its guidance centre for a batch of registrations."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", "已提交"
        APPROVED = "approved", "已批准"
        REJECTED = "rejected", "已退回"

    station = models.ForeignKey(Station, verbose_name="鉴定站", on_delete=models.PROTECT, related_name="applications")
    centre = models.ForeignKey(
        GuidanceCentre, verbose_name="指导中心", on_delete=models.PROTECT, related_name="applications"
    )
    submitted_date = models.DateField("提交日期")
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="提交人", on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField("状态", max_length=20, choices=Status.choices, default=Status.SUBMITTED, editable=False)
    decided_date = models.DateField("审批日期", null=True, blank=True, editable=False)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="审批人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    decision_note = models.CharField("审批意见", max_length=300, blank=True)
    entered_at = models.DateTimeField("录入时间", default=clock.now, editable=False)

    objects = TracedManager()
    history = history()

    class Meta:
        verbose_name = "鉴定申请"
        verbose_name_plural = "鉴定申请"
        ordering = ["-submitted_date", "pk"]
        permissions = [("approve_appraisalapplication", "审批鉴定申请")]
        constraints = [
            models.CheckConstraint(
                name="application_decided_not_before_submitted",
                condition=Q(decided_date__isnull=True) | Q(decided_date__gte=F("submitted_date")),
                violation_error_message="审批日期不能早于提交日期。",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.station.code} 鉴定申请 {self.submitted_date:%Y-%m-%d}（{self.get_status_display()}）"


class ExamSession(models.Model):
    """鉴定考试场次 for one occupation and level, under an approved application."""

    class Kind(models.TextChoices):
        EXAM = "exam", "鉴定考试"
        RETAKE = "retake", "补考"

    application = models.ForeignKey(
        AppraisalApplication, verbose_name="鉴定申请", on_delete=models.PROTECT, related_name="sessions"
    )
    kind = models.CharField("类型", max_length=10, choices=Kind.choices, default=Kind.EXAM)
    occupation = models.ForeignKey(Occupation, verbose_name="职业（工种）", on_delete=models.PROTECT, related_name="+")
    level = models.CharField("等级", max_length=1, choices=SkillLevel.choices)
    date = models.DateField("考试日期")
    start_time = models.TimeField("开始时间")
    end_time = models.TimeField("结束时间")
    place = models.CharField("考试地点", max_length=200)
    region = models.ForeignKey(Region, verbose_name="考点所在地区", on_delete=models.PROTECT, related_name="+")
    # From the registry (考评员、督导员名册), within scope and validity on the session's date.
    examiners: models.ManyToManyField[Appraiser, Any] = models.ManyToManyField(
        "Appraiser", verbose_name="考评员", related_name="examined_sessions"
    )
    supervisor = models.ForeignKey(
        "Appraiser",
        verbose_name="督导员",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="supervised_sessions",
    )
    # Who examined and supervised, by name, for sessions scheduled before the registry existed.
    staff_before_registry = models.CharField("登记制度前的考评员、督导员", max_length=300, blank=True, editable=False)
    offsite_request = models.ForeignKey(
        "OffsiteRequest",
        verbose_name="异地鉴定申请",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sessions",
        help_text="考点不在鉴定站所在地区时，须选择指导中心已批准的异地鉴定申请",
    )
    held = models.BooleanField("已举行", default=False, editable=False)
    entered_at = models.DateTimeField("录入时间", default=clock.now, editable=False)

    objects = TracedManager()
    history = history(m2m_fields=[examiners])

    class Meta:
        verbose_name = "鉴定考试场次"
        verbose_name_plural = "鉴定考试场次"
        ordering = ["-date", "start_time"]
        constraints = [
            models.CheckConstraint(
                name="session_ends_after_it_starts",
                condition=Q(end_time__gt=F("start_time")),
                violation_error_message="结束时间必须晚于开始时间。",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.occupation}（{self.get_level_display()}）{self.get_kind_display()} {self.date:%Y-%m-%d}"

    @property
    def is_offsite(self) -> bool:
        # Inside the station's region (or one of its sub-regions) is not off-site.
        return self.application.station.region_id not in {r.pk for r in self.region.lineage()}

    @property
    def offsite_approved(self) -> bool:
        """An approved request of this station for this site and day (a refused or pending
        one, or another station's, approves nothing)."""
        request = self.offsite_request
        return bool(
            request is not None
            and request.status == OffsiteRequest.Status.APPROVED
            and request.station_id == self.application.station_id
            and request.region_id == self.region_id
            and request.date == self.date
        )

    def clean(self) -> None:
        if not (self.application_id and self.region_id and self.date):
            return
        unapproved = rules.session_offsite_unapproved(offsite=self.is_offsite, approved=self.offsite_approved)
        if unapproved:
            raise ValidationError(
                {"offsite_request": [f"{unapproved.message}请选择该考点、该日期已批准的异地鉴定申请。"]},
                code=unapproved.code,
            )


class ExamRoom(models.Model):
    session = models.ForeignKey(ExamSession, verbose_name="考试场次", on_delete=models.CASCADE, related_name="rooms")
    name = models.CharField("考场", max_length=50)
    capacity = models.PositiveSmallIntegerField("座位数", validators=[MinValueValidator(1)])
    # 监考人员, from the registry; counted against the seats when candidates are seated.
    invigilators: models.ManyToManyField[Appraiser, Any] = models.ManyToManyField(
        "Appraiser", verbose_name="监考人员", blank=True, related_name="invigilated_rooms"
    )

    objects = TracedManager()
    history = history(m2m_fields=[invigilators])

    class Meta:
        verbose_name = "考场"
        verbose_name_plural = "考场"
        ordering = ["session", "name"]
        constraints = [
            models.UniqueConstraint(fields=["session", "name"], name="room_name_unique_in_session"),
            models.CheckConstraint(name="room_has_seats", condition=Q(capacity__gte=1)),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.capacity}座）"


class SeatAssignment(models.Model):
    """考场编排: one seat per registration per session; the admission ticket prints it."""

    session = models.ForeignKey(ExamSession, verbose_name="考试场次", on_delete=models.PROTECT, related_name="seats")
    registration = models.ForeignKey(Registration, verbose_name="报名", on_delete=models.PROTECT, related_name="seats")
    room = models.ForeignKey(ExamRoom, verbose_name="考场", on_delete=models.PROTECT, related_name="seats")
    seat_number = models.PositiveSmallIntegerField("座位号")
    ticket_number = models.CharField("准考证号", max_length=30, unique=True)

    objects = TracedManager()
    history = history()

    class Meta:
        verbose_name = "座位编排"
        verbose_name_plural = "座位编排"
        ordering = ["session", "room__name", "seat_number"]
        constraints = [
            models.UniqueConstraint(fields=["session", "registration"], name="seat_one_per_registration_and_session"),
            models.UniqueConstraint(fields=["room", "seat_number"], name="seat_number_unique_in_room"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_number} {self.room.name} {self.seat_number}号"


class ExamResult(KeepsRegistrationStation, models.Model):
    """成绩: entered by one person, confirmed by another, then locked; published for 公示."""

    record_name = "成绩"

    class Attempt(models.IntegerChoices):
        FIRST = 1, "首次鉴定"
        RETAKE = 2, "补考"

    registration = models.ForeignKey(
        Registration, verbose_name="报名", on_delete=models.PROTECT, related_name="results"
    )
    # The registration's station, copied when the result is entered (see ConsentForm.station).
    station = models.ForeignKey(
        Station, verbose_name="鉴定站", on_delete=models.PROTECT, related_name="+", editable=False, db_index=False
    )
    session = models.ForeignKey(ExamSession, verbose_name="考试场次", on_delete=models.PROTECT, related_name="results")
    attempt = models.PositiveSmallIntegerField("考试次序", choices=Attempt.choices, default=Attempt.FIRST)
    theory_score = models.DecimalField(
        "理论知识考试成绩", max_digits=5, decimal_places=1, null=True, blank=True, validators=SCORE_VALIDATORS
    )
    practical_score = models.DecimalField(
        "操作技能考核成绩", max_digits=5, decimal_places=1, null=True, blank=True, validators=SCORE_VALIDATORS
    )
    review_score = models.DecimalField(
        "综合评审成绩", max_digits=5, decimal_places=1, null=True, blank=True, validators=SCORE_VALIDATORS
    )
    passed = models.BooleanField("合格", null=True, editable=False)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="录入人", on_delete=models.PROTECT, related_name="+"
    )
    entered_at = models.DateTimeField("录入时间", default=clock.now, editable=False)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="复核人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    confirmed_at = models.DateTimeField("复核时间", null=True, blank=True, editable=False)
    published_on = models.DateField("成绩公示日期", null=True, blank=True, editable=False)
    publicity_last_day = models.DateField("公示期最后一天", null=True, blank=True, editable=False)

    objects = TracedManager()
    history = history()

    class Meta:
        verbose_name = "鉴定成绩"
        verbose_name_plural = "鉴定成绩"
        ordering = ["registration", "attempt"]
        permissions = [("confirm_examresult", "复核确认成绩")]
        constraints = [
            models.UniqueConstraint(fields=["registration", "attempt"], name="result_one_per_attempt"),
            models.CheckConstraint(name="result_theory_score_0_100", condition=_score_in_range("theory_score")),
            models.CheckConstraint(name="result_practical_score_0_100", condition=_score_in_range("practical_score")),
            models.CheckConstraint(name="result_review_score_0_100", condition=_score_in_range("review_score")),
            models.CheckConstraint(
                name="result_confirmed_by_a_second_person",
                condition=Q(confirmed_by__isnull=True) | ~Q(confirmed_by=F("entered_by")),
                violation_error_message="成绩须由录入人以外的另一人复核。",
            ),
            models.CheckConstraint(
                name="result_published_only_when_confirmed",
                condition=Q(published_on__isnull=True) | Q(confirmed_at__isnull=False),
                violation_error_message="成绩复核确认后才能公示。",
            ),
        ]
        indexes = [
            # The list's order (by case) within a station.
            models.Index(fields=["station", "registration", "attempt"], name="result_station_order"),
        ]

    def __str__(self) -> str:
        return f"{self.registration.candidate} {self.get_attempt_display()}"

    @property
    def is_locked(self) -> bool:
        return self.confirmed_at is not None

    @property
    def misconduct(self) -> SeatCheckIn | None:
        """The 违纪 recorded at this attempt's seat: its voided part scores 0."""
        return SeatCheckIn.objects.filter(
            seat__session_id=self.session_id,
            seat__registration_id=self.registration_id,
            attendance=SeatCheckIn.Attendance.MISCONDUCT,
        ).first()


class ScoreAmendment(models.Model):
    """A correction to a confirmed score: the old and new values and why."""

    result = models.ForeignKey(ExamResult, verbose_name="成绩", on_delete=models.PROTECT, related_name="amendments")
    field = models.CharField("更正项目", max_length=30)
    old_value = models.DecimalField("原成绩", max_digits=5, decimal_places=1, null=True)
    new_value = models.DecimalField(
        "更正后成绩", max_digits=5, decimal_places=1, null=True, validators=SCORE_VALIDATORS
    )
    reason = models.CharField("更正理由", max_length=300)
    amended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="更正人", on_delete=models.PROTECT, related_name="+"
    )
    amended_at = models.DateTimeField("更正时间", default=clock.now, editable=False)

    objects = TracedManager()
    history = history()

    class Meta:
        verbose_name = "成绩更正"
        verbose_name_plural = "成绩更正"
        ordering = ["-amended_at"]
        constraints = [
            models.CheckConstraint(name="amendment_has_reason", condition=~Q(reason="")),
        ]

    def __str__(self) -> str:
        return f"{self.result}：{self.field} {self.old_value} → {self.new_value}"


class Retake(models.Model):
    """补考: at most one, only after a fail, by the candidate's choice, only the failed parts."""

    class Parts(models.TextChoices):
        THEORY = "theory", "理论知识"
        PRACTICAL = "practical", "操作技能"
        BOTH = "both", "理论知识和操作技能"

    registration = models.OneToOneField(
        Registration, verbose_name="报名", on_delete=models.PROTECT, related_name="retake"
    )
    requested_date = models.DateField("申请补考日期")
    parts = models.CharField("补考科目", max_length=10, choices=Parts.choices, editable=False)
    session = models.ForeignKey(
        ExamSession, verbose_name="补考场次", null=True, blank=True, on_delete=models.PROTECT, related_name="retakes"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="登记人", on_delete=models.PROTECT, related_name="+"
    )

    objects = TracedManager()
    history = history()

    class Meta:
        verbose_name = "补考"
        verbose_name_plural = "补考"

    def __str__(self) -> str:
        return f"{self.registration.candidate} 补考（{self.get_parts_display()}）"


class Refund(models.Model):
    """退费 when a candidate gives up before the exam. Money: recorded by one person and
    confirmed by another (four eyes, as issuance is), ``services.refund_confirm``."""

    class Method(models.TextChoices):
        ORIGINAL = "original", "原路退回"
        TRANSFER = "transfer", "银行转账"
        CASH = "cash", "现金"

    class Reason(models.TextChoices):
        AFTER_CUTOFF = "after_cutoff", "截止后选择放弃鉴定（目录退出）"
        INELIGIBLE = "ineligible", "资格审查未通过"
        CANCELLED = "cancelled", "鉴定取消或无法按期组织"
        PERSONAL = "personal", "个人原因"
        OTHER = "other", "其他"

    registration = models.OneToOneField(
        Registration, verbose_name="报名", on_delete=models.PROTECT, related_name="refund"
    )
    amount = models.DecimalField("退费金额（元）", max_digits=8, decimal_places=2)
    refund_date = models.DateField("退费日期")
    method = models.CharField("退费方式", max_length=20, choices=Method.choices)
    reason_kind = models.CharField("退费原因", max_length=20, choices=Reason.choices, default=Reason.OTHER)
    reason = models.CharField("原因说明", max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="经办人", on_delete=models.PROTECT, related_name="+"
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="复核确认人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    confirmed_at = models.DateTimeField("复核确认时间", null=True, blank=True, editable=False)

    objects = TracedManager()
    history = history()

    class Meta:
        verbose_name = "退费"
        verbose_name_plural = "退费"
        ordering = ["-refund_date"]
        permissions = [("verify_refund", "复核确认退费")]
        constraints = [
            models.CheckConstraint(name="refund_amount_not_negative", condition=Q(amount__gte=0)),
            models.CheckConstraint(
                name="refund_confirmed_by_another",
                condition=Q(confirmed_by__isnull=True) | ~Q(confirmed_by=F("recorded_by")),
                violation_error_message="退费须由经办人以外的另一人复核确认。",
            ),
            models.CheckConstraint(
                name="refund_confirmation_complete",
                condition=Q(confirmed_by__isnull=True, confirmed_at__isnull=True)
                | Q(confirmed_by__isnull=False, confirmed_at__isnull=False),
                violation_error_message="复核确认须同时记录确认人和确认时间。",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.registration.candidate} 退费 {self.amount} 元"

    def clean(self) -> None:
        if self.reason_kind == self.Reason.OTHER and not (self.reason or "").strip():
            raise ValidationError({"reason": "退费原因选“其他”时必须写明原因。"})
        if self.registration_id and self.amount is not None and self.amount > self.registration.fee:
            raise ValidationError({"amount": f"退费金额 {self.amount} 元超过所缴鉴定费 {self.registration.fee} 元。"})


class SkillLevelReferral(models.Model):
    """A student or apprentice whose occupation has left the catalog and who cannot finish
    in time, routed to vocational skill level recognition (职业技能等级认定) at a recognised
    evaluation organisation; what became of it is tracked (``services.referral_*``)::

        referred ──▶ accepted ──▶ certified
            └──────────┴──▶ declined (the trainee is on the routing list again)"""

    class Status(models.TextChoices):
        REFERRED = "referred", "已转介"
        ACCEPTED = "accepted", "评价机构已受理"
        CERTIFIED = "certified", "已取得职业技能等级证书"
        DECLINED = "declined", "未受理或终止"

    candidate = models.ForeignKey(Candidate, verbose_name="考生", on_delete=models.PROTECT, related_name="referrals")
    occupation = models.ForeignKey(Occupation, verbose_name="职业（工种）", on_delete=models.PROTECT, related_name="+")
    referred_on = models.DateField("转介日期")
    organisation = models.ForeignKey(
        EvaluationOrganisation,
        verbose_name="备案评价机构",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="referrals",
    )
    # Before the registry: the organisation as typed (kept on old rows, not asked any more).
    referred_to = models.CharField("转介至（原登记文字）", max_length=200, blank=True, editable=False)
    note = models.CharField("说明", max_length=300, blank=True)
    referred_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="经办人", on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        "办理结果", max_length=20, choices=Status.choices, default=Status.REFERRED, editable=False
    )
    accepted_on = models.DateField("受理日期", null=True, blank=True, editable=False)
    certified_on = models.DateField("取证日期", null=True, blank=True, editable=False)
    declined_on = models.DateField("未受理或终止日期", null=True, blank=True, editable=False)
    outcome_note = models.CharField("结果说明", max_length=300, blank=True, editable=False)

    objects = TracedManager()
    history = history()

    class Meta:
        verbose_name = "转介职业技能等级认定"
        verbose_name_plural = "转介职业技能等级认定"
        ordering = ["-referred_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["candidate", "occupation"],
                condition=~Q(status="declined"),
                name="referral_one_open_per_candidate_and_occupation",
                violation_error_message="该学生或学徒已转介这一职业，尚未办结。",
            ),
            models.CheckConstraint(
                name="referral_outcome_dates",
                condition=(
                    Q(status="referred", accepted_on__isnull=True, certified_on__isnull=True, declined_on__isnull=True)
                    | Q(
                        status="accepted",
                        accepted_on__isnull=False,
                        certified_on__isnull=True,
                        declined_on__isnull=True,
                    )
                    | Q(
                        status="certified",
                        accepted_on__isnull=False,
                        certified_on__isnull=False,
                        declined_on__isnull=True,
                    )
                    | Q(status="declined", certified_on__isnull=True, declined_on__isnull=False)
                ),
                violation_error_message="转介的办理结果与日期不一致。",
            ),
            models.CheckConstraint(
                name="referral_dates_in_order",
                condition=(Q(accepted_on__isnull=True) | Q(accepted_on__gte=F("referred_on")))
                & (Q(certified_on__isnull=True) | Q(certified_on__gte=F("accepted_on")))
                & (Q(declined_on__isnull=True) | Q(declined_on__gte=F("referred_on"))),
                violation_error_message="受理、取证、终止日期不能早于转介日期（取证不早于受理）。",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.candidate} → {self.organisation or self.referred_to}"

    def clean(self) -> None:
        if self.organisation is not None and self.occupation_id:
            refusal = self.organisation.refusal_for(self.occupation, self.candidate_region())
            if refusal:
                raise ValidationError({"organisation": refusal})

    def candidate_region(self) -> Region | None:
        """Where the trainee is routed from, as the routing list has it
        (``selectors.trainees_to_route``): the station of a registration for the
        occupation, else the station that entered the person."""
        if not self.candidate_id:
            return None
        registration = (
            Registration.objects.filter(candidate_id=self.candidate_id, announcement__occupation_id=self.occupation_id)
            .select_related("station__region")
            .first()
        )
        if registration is not None:
            return registration.station.region
        creator = self.candidate.created_by
        station = creator.station if creator is not None else None
        return station.region if station is not None else None


class TraineeToRoute(Candidate):
    """The admin's list of students and apprentices waiting to be routed (see selectors)."""

    class Meta:
        proxy = True
        verbose_name = "待转介的学生和学徒"
        verbose_name_plural = "待转介的学生和学徒"


def import_upload_path(instance: ImportJob, filename: str) -> str:
    # A random name: the clerk's file name may hold personal data and is kept in the row.
    suffix = ".xlsx" if filename.lower().endswith(".xlsx") else ".csv"
    return f"imports/jobs/{uuid.uuid4().hex}{suffix}"


class ImportJob(models.Model):
    """One registration file imported in the background (large files), so the clerk can
    leave the page and come back. The rows it saves carry their own trace; the job is the
    record of the upload itself (who, which station, when, what came of it)."""

    class Status(models.TextChoices):
        QUEUED = "queued", "排队中"
        RUNNING = "running", "处理中"
        DONE = "done", "已完成"
        REFUSED = "refused", "未通过检查，未保存"
        FAILED = "failed", "处理出错"

    FINISHED = (Status.DONE, Status.REFUSED, Status.FAILED)

    station = models.ForeignKey(Station, verbose_name="鉴定站", on_delete=models.PROTECT, related_name="import_jobs")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="提交人", on_delete=models.PROTECT, related_name="+"
    )
    file = models.FileField("导入文件", upload_to=import_upload_path, blank=True)
    original_name = models.CharField("原文件名", max_length=255)
    dry_run = models.BooleanField("仅检查，不保存", default=False)
    late_entry_approval = models.ForeignKey(
        "LateEntryApproval",
        verbose_name="补录批准",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="import_jobs",
    )
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.QUEUED)
    phase = models.CharField("阶段", max_length=20, blank=True)
    total_rows = models.PositiveIntegerField("总行数", default=0)
    processed_rows = models.PositiveIntegerField("已处理行数", default=0)
    report = models.JSONField("结果报告", default=dict, blank=True)
    created_at = models.DateTimeField("提交时间", default=clock.now, editable=False)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)

    class Meta:
        verbose_name = "报名导入任务"
        verbose_name_plural = "报名导入任务"
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.original_name}（{self.get_status_display()}）"

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED


# --- off-site appraisal, national question-bank papers, the exam day (issue 12) ---------------

# 国家题库试卷编号: "GJTK-", the year, an optional half-year batch (H1/H2), "-", 4 to 8
# digits, e.g. GJTK-2020-50001 or GJTK-2020H1-30001 (the form the stations already used).
PAPER_ID_VALIDATOR = RegexValidator(
    r"^GJTK-\d{4}(H[12])?-\d{4,8}$",
    "国家题库试卷编号格式应为 GJTK-年份-4至8位数字（如 GJTK-2020-50001，可带批次 H1/H2：GJTK-2020H1-30001）。",
)


class OffsiteRequest(models.Model):
    """异地鉴定申请: a station asks its guidance centre to appraise outside its own region
    (湘人社办发〔2020〕25号: 未经批准不允许开展异地鉴定). An officer of the centre decides;
    the requester, and anyone of the station, never does (four eyes)."""

    class Status(models.TextChoices):
        REQUESTED = "requested", "待审批"
        APPROVED = "approved", "已批准"
        REFUSED = "refused", "不予批准"

    station = models.ForeignKey(
        Station, verbose_name="鉴定站", on_delete=models.PROTECT, related_name="offsite_requests"
    )
    place = models.CharField("考试地点", max_length=200)
    region = models.ForeignKey(Region, verbose_name="考点所在地区", on_delete=models.PROTECT, related_name="+")
    date = models.DateField("考试日期")
    candidate_count = models.PositiveSmallIntegerField("考生人数", validators=[MinValueValidator(1)])
    reason = models.CharField("申请理由", max_length=300)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="申请人", on_delete=models.PROTECT, related_name="+", editable=False
    )
    requested_on = models.DateField("申请日期", default=clock.today, editable=False)
    status = models.CharField("状态", max_length=20, choices=Status.choices, default=Status.REQUESTED, editable=False)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="审批人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    decided_on = models.DateField("审批日期", null=True, blank=True, editable=False)
    decision_note = models.CharField("审批意见", max_length=300, blank=True, editable=False)

    objects = TracedManager()
    history = history()

    class Meta:
        verbose_name = "异地鉴定申请"
        verbose_name_plural = "异地鉴定申请"
        ordering = ["-requested_on", "-pk"]
        permissions = [("approve_offsiterequest", "审批异地鉴定申请")]
        constraints = [
            models.CheckConstraint(
                name="offsite_request_has_candidates",
                condition=Q(candidate_count__gte=1),
                violation_error_message="考生人数至少为 1。",
            ),
            models.CheckConstraint(
                name="offsite_request_four_eyes",
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=F("requested_by")),
                violation_error_message="申请人不能审批自己的异地鉴定申请。",
            ),
            models.CheckConstraint(
                name="offsite_request_refusal_has_reason",
                condition=~Q(status="refused") | ~Q(decision_note=""),
                violation_error_message="不予批准必须写明理由。",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.station.code} {self.date:%Y-%m-%d} {self.region}（{self.get_status_display()}）"

    @property
    def scope(self) -> str:
        """省内异地 or 跨省: shown to the officer; both need approval (the notices make no
        difference between them)."""
        home = self.station.region.lineage()[-1]
        return "省内异地" if self.region.lineage()[-1].pk == home.pk else "跨省"


class ExamPaper(models.Model):
    """国家题库试卷 for one session (人社职司便函〔2020〕44号: 从国家题库中抽取试题组卷):
    the station requests it, the guidance centre records the paper issued, the handover
    to the station and the sealed return. Its number never appears on an admission ticket."""

    class Status(models.TextChoices):
        REQUESTED = "requested", "已申请"
        ISSUED = "issued", "已发放"
        HANDED_OVER = "handed_over", "已交接"
        RETURNED = "returned", "已密封回收"

    session = models.OneToOneField(ExamSession, verbose_name="考试场次", on_delete=models.PROTECT, related_name="paper")
    status = models.CharField("状态", max_length=20, choices=Status.choices, default=Status.REQUESTED, editable=False)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="申请人", on_delete=models.PROTECT, related_name="+", editable=False
    )
    requested_at = models.DateTimeField("申请时间", default=clock.now, editable=False)
    bank_paper_id = models.CharField(
        "国家题库试卷编号", max_length=30, blank=True, validators=[PAPER_ID_VALIDATOR], editable=False
    )
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="发放人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    issued_at = models.DateTimeField("发放时间", null=True, blank=True, editable=False)
    handed_over_to = models.CharField("领卷人", max_length=50, blank=True, editable=False)
    handed_over_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="交卷人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    handed_over_at = models.DateTimeField("交接时间", null=True, blank=True, editable=False)
    returned_at = models.DateTimeField("回收时间", null=True, blank=True, editable=False)
    return_received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="回收人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    seal_intact = models.BooleanField("密封完好", null=True, editable=False)
    note = models.CharField("备注", max_length=300, blank=True, editable=False)

    objects = TracedManager()
    history = history()

    class Meta:
        verbose_name = "国家题库试卷"
        verbose_name_plural = "国家题库试卷"
        ordering = ["-requested_at", "-pk"]
        permissions = [("issue_exampaper", "发放、交接和回收国家题库试卷")]
        constraints = [
            models.CheckConstraint(
                name="paper_issued_has_bank_id",
                condition=Q(status="requested") | ~Q(bank_paper_id=""),
                violation_error_message="已发放的试卷必须有国家题库试卷编号。",
            ),
            models.CheckConstraint(
                name="paper_broken_seal_has_note",
                condition=~Q(seal_intact=False) | ~Q(note=""),
                violation_error_message="试卷密封破损必须写明情况。",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.session} 试卷（{self.get_status_display()}）"

    @property
    def handed_over(self) -> bool:
        return self.status in (self.Status.HANDED_OVER, self.Status.RETURNED)


class SeatCheckIn(models.Model):
    """考场签到: on the exam day each seat is present, absent (缺考) or caught in
    misconduct (违纪, with the part it voids and what happened), recorded by whom."""

    class Attendance(models.TextChoices):
        PRESENT = "present", "到考"
        ABSENT = "absent", "缺考"
        MISCONDUCT = "misconduct", "违纪"

    class Part(models.TextChoices):
        THEORY = "theory", "理论知识"
        PRACTICAL = "practical", "操作技能"
        ALL = "all", "全部科目"

    seat = models.OneToOneField(SeatAssignment, verbose_name="座位", on_delete=models.PROTECT, related_name="checkin")
    attendance = models.CharField("考勤", max_length=20, choices=Attendance.choices)
    voided_part = models.CharField("作废科目", max_length=20, choices=Part.choices, blank=True)
    note = models.CharField("情况说明", max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="登记人", on_delete=models.PROTECT, related_name="+", editable=False
    )
    recorded_at = models.DateTimeField("登记时间", default=clock.now, editable=False)

    objects = TracedManager()
    history = history()

    class Meta:
        verbose_name = "考场签到"
        verbose_name_plural = "考场签到"
        ordering = ["seat"]
        constraints = [
            models.CheckConstraint(
                name="checkin_misconduct_voids_a_part_with_a_note",
                condition=~Q(attendance="misconduct") | (~Q(voided_part="") & ~Q(note="")),
                violation_error_message="违纪必须写明作废科目和情况说明。",
            ),
            models.CheckConstraint(
                name="checkin_only_misconduct_voids",
                condition=Q(attendance="misconduct") | Q(voided_part=""),
                violation_error_message="只有违纪才作废科目。",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.seat.ticket_number} {self.get_attendance_display()}"

    def clean(self) -> None:
        if self.attendance == self.Attendance.MISCONDUCT and not (self.voided_part and self.note.strip()):
            raise ValidationError("违纪必须写明作废科目和情况说明。")
        if self.attendance != self.Attendance.MISCONDUCT and self.voided_part:
            raise ValidationError({"voided_part": ["只有违纪才作废科目。"]})


# --- the examiner and supervisor registry (考评员、督导员), invigilators, recusal ---------------


class Appraiser(models.Model):
    """考评员、督导员名册: who may examine or supervise, in which occupations and levels
    (examiners), in which region, from when to when (both days inclusive). A suspension or
    revocation takes effect on its date: from that day the person is on no new session."""

    class Role(models.TextChoices):
        EXAMINER = "examiner", "考评员"
        SUPERVISOR = "supervisor", "督导员"

    class Status(models.TextChoices):
        ACTIVE = "active", "有效"
        SUSPENDED = "suspended", "暂停"
        REVOKED = "revoked", "撤销"

    name = models.CharField("姓名", max_length=50)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="登录账号",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="appraiser_entries",
        help_text="本人登录本系统时使用的账号（没有账号可不填）",
    )
    certificate_number = models.CharField("考评员、督导员证书编号", max_length=50, unique=True)
    role = models.CharField("类别", max_length=10, choices=Role.choices)
    occupations = models.ManyToManyField(
        Occupation, verbose_name="可考评的职业（工种）", blank=True, related_name="+", help_text="考评员必填"
    )
    levels = models.CharField(
        "可考评的等级",
        max_length=5,
        blank=True,
        help_text="考评员必填，等级代码连写，如 543 表示五级、四级、三级",
        validators=[RegexValidator(r"^[1-5]*$", "等级只能是 1 至 5 的数字。")],
    )
    region = models.ForeignKey(Region, verbose_name="所属地区", on_delete=models.PROTECT, related_name="+")
    valid_from = models.DateField("有效期起")
    valid_to = models.DateField("有效期止")
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.ACTIVE)
    status_reason = models.CharField("暂停或撤销原因", max_length=300, blank=True)
    status_date = models.DateField("暂停或撤销日期", null=True, blank=True)

    objects = TracedManager()
    history = history(m2m_fields=[occupations])

    class Meta:
        verbose_name = "考评员、督导员"
        verbose_name_plural = "考评员、督导员名册"
        ordering = ["role", "name", "pk"]
        constraints = [
            models.CheckConstraint(
                name="appraiser_valid_to_not_before_from",
                condition=Q(valid_to__gte=F("valid_from")),
                violation_error_message="有效期止不能早于有效期起。",
            ),
            models.CheckConstraint(
                name="appraiser_suspension_has_reason_and_date",
                condition=Q(status="active") | (~Q(status_reason="") & Q(status_date__isnull=False)),
                violation_error_message="暂停或撤销必须写明原因和日期。",
            ),
            models.UniqueConstraint(
                fields=["user", "role"],
                condition=Q(user__isnull=False),
                name="appraiser_one_entry_per_user_and_role",
                violation_error_message="该账号已登记为同一类别的人员。",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.get_role_display()} {self.certificate_number}）"

    def clean(self) -> None:
        if self.role == self.Role.EXAMINER and not self.levels:
            raise ValidationError({"levels": "考评员必须登记可考评的等级。"})

    def usable_on(self, day: datetime.date) -> bool:
        """Inside the validity and not suspended or revoked on ``day``."""
        stopped = self.status != self.Status.ACTIVE and self.status_date is not None and self.status_date <= day
        return self.valid_from <= day <= self.valid_to and not stopped


class UndeletableRecusalQuerySet(TracedQuerySet):
    def delete(self):
        raise ValidationError("回避申报只能登记，不能删除。")


class Recusal(models.Model):
    """回避申报: a person on (or proposed for) a session declares a relation to one of its
    candidates. Recorded before or after seating; never deleted. While the person is on
    the session, the session cannot be seated further or held."""

    class Relation(models.TextChoices):
        FAMILY = "family", "近亲属"
        TEACHER = "teacher", "培训教师或师徒"
        COLLEAGUE = "colleague", "同事或上下级"
        OTHER = "other", "其他利害关系"

    session = models.ForeignKey(ExamSession, verbose_name="考试场次", on_delete=models.PROTECT, related_name="recusals")
    appraiser = models.ForeignKey(Appraiser, verbose_name="申报人", on_delete=models.PROTECT, related_name="recusals")
    registration = models.ForeignKey(
        Registration, verbose_name="相关考生（报名）", on_delete=models.PROTECT, related_name="recusals"
    )
    relation = models.CharField("关系", max_length=10, choices=Relation.choices)
    note = models.CharField("说明", max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="登记人", on_delete=models.PROTECT, related_name="+"
    )
    recorded_on = models.DateField("登记日期")

    objects = UndeletableRecusalQuerySet.as_manager()
    history = history()

    class Meta:
        verbose_name = "回避申报"
        verbose_name_plural = "回避申报"
        ordering = ["-recorded_on", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "appraiser", "registration"],
                name="recusal_once_per_session_person_and_candidate",
                violation_error_message="该人员对该考生的回避申报已登记。",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.appraiser.name} 回避 {self.registration.candidate.name}（{self.get_relation_display()}）"

    def delete(self, *args, **kwargs):
        raise ValidationError("回避申报只能登记，不能删除。")


# --- late entries (补录, issue 13) --------------------------------------------------------------


class LateEntryApproval(models.Model):
    """补录批准: a guidance-centre officer allows acts dated inside a deadline that has passed
    to be entered, with a reason, before they are entered (four eyes: the officer never
    enters them). Scope: one station, one kind of act, and the candidates listed (none
    listed: a whole file of the station). Used once (one entry, or one imported file),
    before it expires (``JIANDING_LATE_ENTRY_APPROVAL_DAYS``)."""

    class Act(models.TextChoices):
        REGISTRATION = rules.REGISTRATION, "报名"
        CONSENT = rules.CONSENT, "自愿书"
        APPLICATION = rules.APPLICATION, "鉴定申请"
        SESSION = rules.SESSION, "考试场次"
        RESULT = rules.RESULT, "成绩"

    station = models.ForeignKey(
        Station, verbose_name="鉴定站", on_delete=models.PROTECT, related_name="late_entry_approvals"
    )
    act = models.CharField("补录事项", max_length=20, choices=Act.choices)
    candidates = models.ManyToManyField(
        Candidate,
        verbose_name="考生",
        blank=True,
        related_name="+",
        help_text="留空表示该站一个导入文件（或一次录入）中的全部考生",
    )
    reason = models.TextField("补录理由")
    refused = models.BooleanField(
        "不予批准",
        default=False,
        help_text="勾选：审核后不予批准这项补录申请，并以短信告知所列考生（须列出考生，理由写明为何不予批准）",
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="申请补录的考务员",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="批准人", on_delete=models.PROTECT, related_name="+", editable=False
    )
    approved_at = models.DateTimeField("批准时间", default=clock.now, editable=False)
    expires_at = models.DateTimeField("有效期至", editable=False)
    used_at = models.DateTimeField("使用时间", null=True, blank=True, editable=False)
    used_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="使用人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )

    objects = TracedManager()
    history = history(m2m_fields=[candidates])

    class Meta:
        verbose_name = "补录批准"
        verbose_name_plural = "补录批准"
        ordering = ["-approved_at", "-pk"]
        permissions = [("approve_lateentry", "批准补录")]
        constraints = [
            models.CheckConstraint(
                name="late_entry_approval_has_a_reason",
                condition=~Q(reason=""),
                violation_error_message="须写明补录理由。",
            ),
            models.CheckConstraint(
                name="late_entry_approval_four_eyes",
                condition=(Q(used_by__isnull=True) | ~Q(used_by=F("approved_by")))
                & (Q(requested_by__isnull=True) | ~Q(requested_by=F("approved_by"))),
                violation_error_message="批准补录的人不能是录入补录数据的人。",
            ),
        ]

    def __str__(self) -> str:
        decision = "不予批准" if self.refused else "补录批准"
        return f"{self.station.code} {self.get_act_display()}{decision} #{self.pk}"

    def refusal(
        self, *, actor: Any, station_id: int, act: str, candidate_ids: set[int], now: datetime.datetime
    ) -> str | None:
        """Why this approval does not cover the entry (None: it does). ``candidate_ids``: the
        candidates the entry concerns."""
        if self.refused:
            return f"补录申请 #{self.pk} 经审核不予批准，不能据此录入。"
        if self.used_at is not None:
            return f"补录批准 #{self.pk} 已于 {clock.local_day(self.used_at):%Y-%m-%d} 使用过，每项批准只能使用一次。"
        if now > self.expires_at:
            return f"补录批准 #{self.pk} 已于 {clock.local_day(self.expires_at):%Y-%m-%d} 过期。"
        if self.station_id != station_id:
            return f"补录批准 #{self.pk} 是{self.station}的，不适用于本站。"
        if self.act != act:
            return f"补录批准 #{self.pk} 批准的是{self.get_act_display()}补录，不是{rules.ACT_LABELS[act]}补录。"
        if actor is not None and actor.pk == self.approved_by_id:
            return f"批准补录的人不能自己录入（四眼原则）：补录批准 #{self.pk} 由您本人批准。"
        listed = set(self.candidates.values_list("pk", flat=True))
        if listed and not candidate_ids <= listed:
            return f"补录批准 #{self.pk} 没有列入这位（这些）考生。"
        return None


class LateEntry(models.Model):
    """One accepted late entry (补录记录): what was entered, its own date, the deadline it
    lies inside, when it was entered, and the approval it was entered under. Supervision
    raises a review item for each one (with the gap in days)."""

    approval = models.ForeignKey(
        LateEntryApproval, verbose_name="补录批准", on_delete=models.PROTECT, related_name="entries"
    )
    station = models.ForeignKey(Station, verbose_name="鉴定站", on_delete=models.PROTECT, related_name="+")
    act = models.CharField("补录事项", max_length=20, choices=LateEntryApproval.Act.choices)
    candidate = models.ForeignKey(
        Candidate, verbose_name="考生", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    record_id = models.PositiveBigIntegerField("记录编号")
    act_date = models.DateField("事项日期")
    deadline = models.DateField("截止日")
    notice = models.CharField("截止日依据", max_length=50, blank=True)
    entered_at = models.DateTimeField("录入时间")
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="录入人", null=True, on_delete=models.PROTECT, related_name="+"
    )
    gap_days = models.PositiveIntegerField("逾期天数", help_text="录入日晚于截止日的天数")

    objects = TracedManager()
    history = history()

    class Meta:
        verbose_name = "补录记录"
        verbose_name_plural = "补录记录"
        ordering = ["-entered_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["act", "record_id"], name="late_entry_once_per_record"),
        ]

    def __str__(self) -> str:
        return f"{self.get_act_display()}补录：{self.act_date:%Y-%m-%d}，截止日后 {self.gap_days} 天录入"
