"""Reference data (the catalog, notices, deadline rules) and organisations (regions,
guidance centres, stations, users). Everything here is data, editable in the admin."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q

from kit import clock

from .trace import TracedManager, history


class Region(models.Model):
    class Level(models.TextChoices):
        PROVINCE = "province", "省级"
        CITY = "city", "地市级"

    code = models.CharField(
        "行政区划代码",
        max_length=6,
        unique=True,
        validators=[RegexValidator(r"^\d{6}$", "行政区划代码应为 6 位数字（GB/T 2260）。")],
    )
    name = models.CharField("名称", max_length=50)
    level = models.CharField("级别", max_length=10, choices=Level.choices)
    parent = models.ForeignKey(
        "self", verbose_name="上级行政区", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )

    objects = TracedManager()
    history = history()

    class Meta:
        verbose_name = "行政区"
        verbose_name_plural = "行政区"
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                name="region_city_has_parent_province_has_none",
                condition=(Q(level="province", parent__isnull=True) | Q(level="city", parent__isnull=False)),
                violation_error_message="地市级行政区必须有上级省份，省级行政区不能有上级。",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def lineage(self) -> list[Region]:
        """This region and its ancestors, most specific first (city, province)."""
        chain: list[Region] = []
        node: Region | None = self
        while node is not None:
            chain.append(node)
            node = node.parent
        return chain


class Batch(models.TextChoices):
    FIRST = "1", "第一批（2020年9月30日前退出）"
    SECOND = "2", "第二批（2020年12月31日前退出）"
    ACCESS = "access", "拟依法调整为准入类"


class SkillLevel(models.TextChoices):
    """The five national skill levels; 5 is the lowest, 1 the highest."""

    LEVEL_5 = "5", "五级/初级工"
    LEVEL_4 = "4", "四级/中级工"
    LEVEL_3 = "3", "三级/高级工"
    LEVEL_2 = "2", "二级/技师"
    LEVEL_1 = "1", "一级/高级技师"


ALL_LEVELS = "54321"


def levels_label(levels: str) -> str:
    """The levels of a level set as people read them (五级/初级工、四级/中级工…)."""
    return "、".join(SkillLevel(level).label for level in levels) or "无"


def validate_level_set(value: str) -> None:
    if not value or any(c not in ALL_LEVELS for c in value) or len(set(value)) != len(value):
        raise ValidationError("等级至少选一个，只能是一级至五级，且不能重复。", code="invalid_levels")


class LevelSetFormField(forms.TypedMultipleChoiceField):
    """Checkboxes for a level set; the value is stored as its digits, lowest level first."""

    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs: Any) -> None:
        kwargs.pop("max_length", None)
        kwargs.pop("empty_value", None)
        super().__init__(choices=SkillLevel.choices, **kwargs)

    def prepare_value(self, value: Any) -> Any:
        return list(value) if isinstance(value, str) else value

    def clean(self, value: Any) -> str:
        chosen = super().clean(value)
        return "".join(level for level in ALL_LEVELS if level in chosen)

    def has_changed(self, initial: Any, data: Any) -> bool:
        return set(initial or "") != set(data or "")


class LevelSetField(models.CharField):
    """A set of skill levels stored as their digits, lowest level first ("54321": all five)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 5)
        kwargs.setdefault("default", ALL_LEVELS)
        super().__init__(*args, **kwargs)
        self.validators.append(validate_level_set)

    def formfield(self, **kwargs: Any) -> Any:  # type: ignore[override]  # checkboxes, not text
        # Checkboxes always: the admin would otherwise give a CharField its text input.
        kwargs.update(form_class=LevelSetFormField, widget=forms.CheckboxSelectMultiple)
        return super().formfield(**kwargs)


class Qualification(models.Model):
    """One item of the 76-item annex of 人社厅发〔2020〕80号 (序号 and 职业资格名称)."""

    seq = models.PositiveSmallIntegerField("序号", unique=True)
    name = models.CharField("职业资格名称", max_length=60, unique=True)

    objects = TracedManager()
    history = history()

    class Meta:
        verbose_name = "职业资格"
        verbose_name_plural = "职业资格"
        ordering = ["seq"]

    def __str__(self) -> str:
        return f"{self.seq}. {self.name}"


class Occupation(models.Model):
    """An occupation (职业/工种) of the annex. The annex sets batch and implementing
    departments per sub-row, not per item (item 8 has a batch-1 and a batch-2 sub-row),
    so both live here."""

    name = models.CharField("职业（工种）", max_length=60, unique=True)
    qualification = models.ForeignKey(
        Qualification, verbose_name="职业资格", on_delete=models.PROTECT, related_name="occupations"
    )
    departments = models.CharField("实施部门（单位）", max_length=200, help_text="多个部门以“、”分隔")
    batch = models.CharField("退出批次", max_length=10, choices=Batch.choices)
    annex_position = models.PositiveSmallIntegerField("附件中的顺序", default=0)
    levels = LevelSetField(
        "国家职业技能标准设有的等级",
        help_text="该职业的国家职业技能标准设定的等级；没有可引用的标准时保留全部五个等级",
    )

    objects = TracedManager()
    history = history()

    class Meta:
        verbose_name = "职业（工种）"
        verbose_name_plural = "职业（工种）"
        ordering = ["annex_position", "name"]

    def __str__(self) -> str:
        return self.name

    @property
    def department_list(self) -> list[str]:
        return [d for d in self.departments.split("、") if d]

    @property
    def levels_label(self) -> str:
        return levels_label(self.levels)


class PolicyNotice(models.Model):
    doc_number = models.CharField("文号", max_length=50, unique=True)
    issuer = models.CharField("发文机关", max_length=100)
    region = models.ForeignKey(
        Region,
        verbose_name="适用地区",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        help_text="留空表示全国",
        related_name="notices",
    )
    issue_date = models.DateField("成文日期", null=True, blank=True, help_text="原文未载明时留空")
    title = models.CharField("标题", max_length=300)
    forwards = models.ManyToManyField(
        "self", verbose_name="转发或贯彻的文件", symmetrical=False, blank=True, related_name="forwarded_by"
    )

    objects = TracedManager()
    history = history(m2m_fields=[forwards])

    class Meta:
        verbose_name = "政策文件"
        verbose_name_plural = "政策文件"
        ordering = ["issue_date", "doc_number"]

    def __str__(self) -> str:
        return self.doc_number


class DeadlineRule(models.Model):
    """Deadlines a notice sets for some occupations in a region (blank region: national).

    All dates are inclusive, local time. A blank date means this rule does not set it;
    the resolver then takes it from the next less specific rule (see selectors)."""

    name = models.CharField("规则名称", max_length=100)
    notice = models.ForeignKey(PolicyNotice, verbose_name="依据文件", on_delete=models.PROTECT, related_name="rules")
    region = models.ForeignKey(
        Region,
        verbose_name="适用地区",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        help_text="留空表示全国",
        related_name="deadline_rules",
    )
    occupations = models.ManyToManyField(Occupation, verbose_name="适用职业", related_name="deadline_rules")
    last_registration_day = models.DateField("发布公告和受理报名的最后一天", null=True, blank=True, help_text="含当日")
    application_deadline = models.DateField("向指导中心提出鉴定申请的截止日", null=True, blank=True)
    appraisal_deadline = models.DateField("完成鉴定的截止日", null=True, blank=True)
    retake_deadline = models.DateField("完成补考的截止日", null=True, blank=True)
    requires_municipal_report = models.BooleanField("报名数据须上报市鉴定中心", default=False)
    # 湘人社办发〔2020〕25号 reads “退出之日起一律停止……”: on such a rule the last day itself
    # is closed. Off by default: the national and Fujian dates are “by the day” (含当日).
    exit_day_closed = models.BooleanField(
        "最后受理日当天即停止",
        default=False,
        help_text="勾选：自该日起（含当日）停止发布公告和受理报名；不勾选：该日仍可受理（含当日）",
    )

    objects = TracedManager()
    history = history(m2m_fields=[occupations])

    class Meta:
        verbose_name = "时限规则"
        verbose_name_plural = "时限规则"
        ordering = ["region__code", "name"]
        constraints = [
            models.CheckConstraint(
                name="deadline_rule_appraisal_not_before_application",
                condition=Q(appraisal_deadline__isnull=True)
                | Q(application_deadline__isnull=True)
                | Q(appraisal_deadline__gte=models.F("application_deadline")),
                violation_error_message="完成鉴定的截止日不能早于鉴定申请截止日。",
            ),
            models.CheckConstraint(
                name="deadline_rule_retake_not_before_appraisal",
                condition=Q(retake_deadline__isnull=True)
                | Q(appraisal_deadline__isnull=True)
                | Q(retake_deadline__gte=models.F("appraisal_deadline")),
                violation_error_message="完成补考的截止日不能早于完成鉴定的截止日。",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class GuidanceCentre(models.Model):
    class Level(models.TextChoices):
        PROVINCE = "province", "省级"
        CITY = "city", "市级"

    code = models.CharField("编码", max_length=20, unique=True)
    name = models.CharField("名称", max_length=100)
    level = models.CharField("级别", max_length=10, choices=Level.choices)
    region = models.ForeignKey(Region, verbose_name="所在地区", on_delete=models.PROTECT, related_name="centres")
    parent = models.ForeignKey(
        "self", verbose_name="上级指导中心", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )

    objects = TracedManager()
    history = history()

    class Meta:
        verbose_name = "职业技能鉴定指导中心"
        verbose_name_plural = "职业技能鉴定指导中心"
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                name="centre_city_has_parent",
                condition=Q(level="province") | Q(parent__isnull=False),
                violation_error_message="市级指导中心必须有上级指导中心。",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.parent_id and self.parent_id == self.pk:
            raise ValidationError({"parent": "指导中心不能以自己为上级。"})


class Station(models.Model):
    code = models.CharField(
        "鉴定站编码",
        max_length=20,
        unique=True,
        validators=[RegexValidator(r"^[A-Za-z0-9-]+$", "鉴定站编码只能包含字母、数字和连字符。")],
    )
    name = models.CharField("鉴定站（所）名称", max_length=100)
    region = models.ForeignKey(Region, verbose_name="所在地区", on_delete=models.PROTECT, related_name="stations")
    centre = models.ForeignKey(
        GuidanceCentre, verbose_name="所属指导中心", on_delete=models.PROTECT, related_name="stations"
    )
    address = models.CharField("地址", max_length=200, blank=True)
    phone = models.CharField("联系电话", max_length=30, blank=True)
    is_active = models.BooleanField("在用", default=True)

    objects = TracedManager()
    history = history()

    class Meta:
        verbose_name = "鉴定站（所）"
        verbose_name_plural = "鉴定站（所）"
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class User(AbstractUser):
    """A back-office user, tied to at most one organisation: a station or a guidance centre.
    Roles are groups (see ``catalog.roles``); the organisation sets the scope."""

    station = models.ForeignKey(
        Station, verbose_name="所属鉴定站", null=True, blank=True, on_delete=models.PROTECT, related_name="users"
    )
    centre = models.ForeignKey(
        GuidanceCentre,
        verbose_name="所属指导中心",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )
    phone = models.CharField("手机号", max_length=20, blank=True)

    history = history(excluded_fields=["password", "last_login"])

    class Meta(AbstractUser.Meta):  # type: ignore[name-defined]  # django-stubs does not declare it
        verbose_name = "用户"
        verbose_name_plural = "用户"
        constraints = [
            models.CheckConstraint(
                name="user_one_organisation_at_most",
                condition=Q(station__isnull=True) | Q(centre__isnull=True),
                violation_error_message="一个用户只能属于一个机构：鉴定站或指导中心，二选一。",
            ),
        ]

    def get_full_name(self) -> str:
        # Chinese order: family name first, no space.
        return f"{self.last_name}{self.first_name}".strip()

    def get_short_name(self) -> str:
        return self.get_full_name() or self.username

    @property
    def organisation(self) -> Station | GuidanceCentre | None:
        return self.station or self.centre


class EligibilityRoute(models.Model):
    """One way to meet the application conditions (申报条件) for a level: a candidate who
    meets every requirement of any one route is eligible. Routes with no occupation are
    the national defaults; an occupation with routes of its own for a level uses only those."""

    occupation = models.ForeignKey(
        Occupation,
        verbose_name="职业（工种）",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="eligibility_routes",
        help_text="留空表示全国通用的默认条件",
    )
    level = models.CharField("申报等级", max_length=1, choices=SkillLevel.choices)
    description = models.CharField("条件说明", max_length=200)
    min_years = models.PositiveSmallIntegerField("最少工作年限", default=0)
    prior_level = models.CharField(
        "须持有的职业资格证书等级",
        max_length=1,
        choices=SkillLevel.choices,
        blank=True,
        help_text="持有该等级或更高等级的证书",
    )
    diplomas = models.CharField(
        "认可的学历证书类型",
        max_length=300,
        blank=True,
        help_text="考生学历证书类型代码，多个以英文逗号分隔；留空表示不要求",
    )
    apprenticeship = models.BooleanField("须学徒期满（企业新型学徒）", default=False)

    objects = TracedManager()
    history = history()

    class Meta:
        verbose_name = "申报条件"
        verbose_name_plural = "申报条件"
        ordering = ["occupation__name", "-level", "pk"]
        constraints = [
            models.CheckConstraint(
                name="eligibility_route_prior_level_above_nothing_below",
                condition=Q(prior_level="") | Q(prior_level__gt=models.F("level")),
                violation_error_message="须持有的证书等级应低于申报等级（例如申报三级须持有四级证书）。",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_level_display()}：{self.description}"

    @property
    def diploma_codes(self) -> set[str]:
        return {code.strip() for code in self.diplomas.split(",") if code.strip()}


class Holiday(models.Model):
    """Public holidays and make-up working days (调休), for counting working days."""

    date = models.DateField("日期", unique=True)
    name = models.CharField("名称", max_length=50)
    is_workday = models.BooleanField("调休上班日", default=False, help_text="勾选表示这一天虽是周末但上班")

    objects = TracedManager()
    history = history()

    class Meta:
        verbose_name = "节假日"
        verbose_name_plural = "节假日"
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.name}{'（调休上班）' if self.is_workday else ''}"


class Notification(models.Model):
    """An in-app message to one user (reminders, review-queue items)."""

    recipient = models.ForeignKey(User, verbose_name="接收人", on_delete=models.CASCADE, related_name="notifications")
    title = models.CharField("标题", max_length=200)
    body = models.TextField("内容", blank=True)
    link = models.CharField("链接", max_length=300, blank=True)
    created_at = models.DateTimeField("发送时间", default=clock.now, editable=False)
    read_at = models.DateTimeField("已读时间", null=True, blank=True)

    class Meta:
        verbose_name = "站内通知"
        verbose_name_plural = "站内通知"
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["recipient", "read_at"], name="notification_unread")]

    def __str__(self) -> str:
        return self.title


class ReminderLog(models.Model):
    """The send log that makes a reminder exactly-once: one row per recipient, reminder
    kind, subject (a station or centre), deadline and lead time, held by a unique constraint."""

    recipient = models.ForeignKey(User, verbose_name="接收人", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField("提醒类型", max_length=40)
    subject = models.CharField("对象", max_length=60, help_text="如 station:12、centre:3")
    deadline = models.DateField("截止日")
    lead_days = models.PositiveSmallIntegerField("提前天数")
    notification = models.OneToOneField(
        Notification, verbose_name="站内通知", null=True, on_delete=models.CASCADE, related_name="reminder_log"
    )
    run = models.CharField("发送批次", max_length=32, db_index=True)
    emailed_at = models.DateTimeField("邮件发送时间", null=True, blank=True)
    created_at = models.DateTimeField("记录时间", default=clock.now, editable=False)

    class Meta:
        verbose_name = "提醒发送记录"
        verbose_name_plural = "提醒发送记录"
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "kind", "subject", "deadline", "lead_days"], name="reminder_sent_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.subject} {self.deadline:%Y-%m-%d} 提前{self.lead_days}天"


class StationAuthorisation(models.Model):
    """鉴定站授权: one occupation a station may appraise, at which levels, from when to
    when (both days inclusive), on which approving document (严格机构资质管理,
    湘人社办发〔2020〕25号). Suspensions and revocations are ``AuthorisationSanction`` rows."""

    station = models.ForeignKey(Station, verbose_name="鉴定站", on_delete=models.PROTECT, related_name="authorisations")
    occupation = models.ForeignKey(
        Occupation, verbose_name="职业（工种）", on_delete=models.PROTECT, related_name="station_authorisations"
    )
    levels = LevelSetField("授权等级")
    valid_from = models.DateField("有效期起", help_text="含当日")
    valid_to = models.DateField("有效期止", null=True, blank=True, help_text="含当日；留空表示长期有效")
    document = models.CharField("批准文号", max_length=100)
    granted_on = models.DateField("批准日期", default=clock.today)
    granted_by = models.ForeignKey(
        "User", verbose_name="授权人", null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False
    )

    objects = TracedManager()
    history = history()

    class Meta:
        verbose_name = "鉴定站授权"
        verbose_name_plural = "鉴定站授权"
        ordering = ["station__code", "occupation__annex_position", "valid_from"]
        constraints = [
            models.CheckConstraint(
                name="authorisation_valid_to_not_before_valid_from",
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                violation_error_message="授权有效期止不能早于有效期起。",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.station.code}“{self.occupation}”{levels_label(self.levels)}（{self.document}）"

    @property
    def levels_label(self) -> str:
        return levels_label(self.levels)

    @property
    def period_label(self) -> str:
        end = f"{self.valid_to:%Y-%m-%d}" if self.valid_to else "长期"
        return f"{self.valid_from:%Y-%m-%d} 至 {end}"

    def valid_on(self, day: datetime.date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)

    def clean(self) -> None:
        if self.occupation_id and self.levels:
            beyond = [level for level in self.levels if level not in self.occupation.levels]
            if beyond:
                raise ValidationError(
                    {
                        "levels": f"“{self.occupation}”的国家职业技能标准没有{levels_label(''.join(beyond))}，"
                        f"只设有：{self.occupation.levels_label}。"
                    }
                )


class AuthorisationSanction(models.Model):
    """暂停 or 撤销 of a station's appraisal (blank authorisation: the whole station) from a
    day on, with the reason. A suspension may be lifted (the station works again from the
    lifting day); a revocation is final. Rows are never deleted: they are the record."""

    class Kind(models.TextChoices):
        SUSPENSION = "suspend", "暂停"
        REVOCATION = "revoke", "撤销"

    station = models.ForeignKey(Station, verbose_name="鉴定站", on_delete=models.PROTECT, related_name="sanctions")
    authorisation = models.ForeignKey(
        StationAuthorisation,
        verbose_name="授权",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sanctions",
        help_text="留空表示暂停或撤销整个鉴定站的鉴定资质",
    )
    kind = models.CharField("处理", max_length=10, choices=Kind.choices)
    effective_from = models.DateField("生效日期", help_text="自当日起不能发布公告、受理报名、安排考试和录入成绩")
    reason = models.CharField("原因", max_length=300)
    document = models.CharField("决定文号", max_length=100, blank=True)
    decided_by = models.ForeignKey(
        "User", verbose_name="决定人", null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    lifted_on = models.DateField(
        "恢复日期", null=True, blank=True, help_text="暂停自该日起解除，当日起可恢复开展鉴定；撤销不能恢复"
    )
    lift_reason = models.CharField("恢复理由", max_length=300, blank=True)
    lifted_by = models.ForeignKey(
        "User",
        verbose_name="恢复决定人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )

    objects = TracedManager()
    history = history()

    class Meta:
        verbose_name = "暂停或撤销鉴定资质"
        verbose_name_plural = "暂停或撤销鉴定资质"
        ordering = ["-effective_from", "-pk"]
        constraints = [
            models.CheckConstraint(
                name="sanction_revocation_never_lifted",
                condition=Q(kind="suspend") | Q(lifted_on__isnull=True),
                violation_error_message="撤销鉴定资质不能恢复。",
            ),
            models.CheckConstraint(
                name="sanction_lifted_after_it_began",
                condition=Q(lifted_on__isnull=True) | Q(lifted_on__gt=models.F("effective_from")),
                violation_error_message="恢复日期必须晚于暂停生效日期。",
            ),
        ]

    def __str__(self) -> str:
        what = str(self.authorisation) if self.authorisation_id else str(self.station)
        return f"{self.get_kind_display()}{what}（{self.effective_from:%Y-%m-%d}起）"

    def in_force_on(self, day: datetime.date) -> bool:
        return self.effective_from <= day and (self.lifted_on is None or day < self.lifted_on)

    def clean(self) -> None:
        authorisation = self.authorisation if self.authorisation_id else None
        if authorisation is not None and self.station_id and authorisation.station_id != self.station_id:
            raise ValidationError({"authorisation": "所选授权不属于该鉴定站。"})


class EvaluationOrganisation(models.Model):
    """备案评价机构: an employer or social training-evaluation organisation recognised to
    run vocational skill level recognition (职业技能等级认定), kept by guidance-centre
    officers. Students and apprentices who cannot be appraised in time are referred to
    one that covers their occupation and region."""

    name = models.CharField("机构名称", max_length=200)
    occupations = models.ManyToManyField(Occupation, verbose_name="备案职业（工种）", related_name="+")
    region = models.ForeignKey(
        Region,
        verbose_name="服务地区",
        on_delete=models.PROTECT,
        related_name="+",
        help_text="覆盖该地区及其下级地区",
    )
    contact_person = models.CharField("联系人", max_length=50, blank=True)
    contact_phone = models.CharField("联系电话", max_length=30, blank=True)
    address = models.CharField("地址", max_length=200, blank=True)
    filing_number = models.CharField("备案文号", max_length=100, blank=True)
    is_active = models.BooleanField("在用", default=True)

    objects = TracedManager()
    history = history()

    class Meta:
        verbose_name = "备案评价机构"
        verbose_name_plural = "备案评价机构"
        ordering = ["region__code", "name"]
        constraints = [
            models.UniqueConstraint(fields=["name", "region"], name="evaluation_organisation_unique_name_in_region"),
        ]

    def __str__(self) -> str:
        return self.name

    def covers_region(self, region: Region | None) -> bool:
        """The organisation's region is the trainee's region or above it."""
        while region is not None:
            if region.pk == self.region_id:
                return True
            region = region.parent
        return False

    def refusal_for(self, occupation: Occupation, region: Region | None) -> str | None:
        """Why this organisation cannot take a trainee of ``occupation`` from ``region``
        (None: it can)."""
        if not self.is_active:
            return f"备案评价机构“{self.name}”已停用，不能转介。"
        if not self.occupations.filter(pk=occupation.pk).exists():
            return f"备案评价机构“{self.name}”未备案“{occupation.name}”的职业技能等级认定，不能转介。"
        if not self.covers_region(region):
            where = region.name if region is not None else "（未知地区）"
            return f"备案评价机构“{self.name}”的服务地区为{self.region.name}，不覆盖{where}，不能转介。"
        return None
