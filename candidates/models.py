"""The candidate (考生): the person, independent of any station or appraisal.

Birth date and sex are never typed: they are read from the ID number in ``clean()`` and
again in ``save()``, so the three can never disagree."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Mapping
from typing import Any, cast

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q

from catalog.models import SkillLevel
from catalog.trace import TracedManager, history
from kit import clock
from kit.lookups import NamePrefix
from kit.storage import private_storage

from .validators import (
    Sex,
    mask_id_number,
    normalise_id_number,
    normalise_phone,
    parse_id_number,
    validate_id_number,
    validate_phone,
)

MAX_YEARS_IN_TRADE = 60


def candidate_photo_path(instance: Candidate, filename: str) -> str:
    # A random name: the path must not reveal the ID number (or anything else) of its person.
    return f"photos/{uuid.uuid4().hex}.jpg"


class Candidate(models.Model):
    Sex = Sex

    class Education(models.TextChoices):
        JUNIOR_OR_BELOW = "junior", "初中及以下"
        SENIOR = "senior", "高中/中专/技校"
        COLLEGE = "college", "大专"
        BACHELOR = "bachelor", "本科"
        POSTGRADUATE = "postgraduate", "研究生"

    CertificateLevel = SkillLevel

    class Diploma(models.TextChoices):
        NONE = "none", "无"
        TECHNICAL_SCHOOL = "technical_school", "技工学校毕业"
        SECONDARY_VOCATIONAL = "secondary_vocational", "中职（中级技能方向）毕业"
        SENIOR_TECHNICAL_SCHOOL = "senior_technical_school", "高级技工学校/技师学院毕业"
        HIGHER_VOCATIONAL = "higher_vocational", "高职（高级技能方向）毕业"
        COLLEGE_IN_TRADE = "college_in_trade", "大专及以上本专业毕业"
        PREPARATORY_TECHNICIAN = "preparatory_technician", "技师学院预备技师班毕业"

    class TraineeKind(models.TextChoices):
        NONE = "none", "无"
        SCHOOL_STUDENT = "school_student", "按职业资格证书培养计划招生的职业院校（含技工院校）学生"
        NEW_APPRENTICE = "new_apprentice", "企业新型学徒"

    name = models.CharField("姓名", max_length=50)
    id_number = models.CharField(
        "公民身份号码",
        max_length=18,
        unique=True,
        validators=[validate_id_number],
        help_text="18位第二代居民身份证号码；全角数字、空格和小写x会自动规范",
    )
    birth_date = models.DateField("出生日期", editable=False, help_text="由公民身份号码第7–14位得出")
    sex = models.CharField(
        "性别", max_length=1, choices=Sex.choices, editable=False, help_text="由公民身份号码第17位得出（奇数为男）"
    )
    phone = models.CharField("手机号", max_length=11, validators=[validate_phone])
    # Education, years, a prior certificate and a diploma may be unknown at registration
    # (a station's plain list has none of them); the eligibility review asks for those its
    # routes need (appraisals.services.eligibility_review).
    education = models.CharField(
        "文化程度", max_length=20, choices=Education.choices, blank=True, help_text="报名时可不填"
    )
    years_in_trade = models.PositiveSmallIntegerField(
        "本职业（工种）工作年限",
        null=True,
        blank=True,
        validators=[MaxValueValidator(MAX_YEARS_IN_TRADE)],
        help_text="从事本职业或相关职业的整年数；留空表示尚未填写（不是0年），资格审查前须补充",
    )
    prior_certificate_level = models.CharField(
        "已有职业资格证书等级", max_length=1, choices=CertificateLevel.choices, blank=True
    )
    prior_certificate_number = models.CharField("已有职业资格证书编号", max_length=50, blank=True)
    prior_certificate_date = models.DateField("已有职业资格证书发证日期", null=True, blank=True)
    diploma = models.CharField(
        "学历证书类型",
        max_length=30,
        choices=Diploma.choices,
        blank=True,
        help_text="本职业（专业）的毕业证书；应届毕业生（毕业年度在读）按毕业填写；没有请选“无”，留空表示尚未填写",
    )
    trainee_kind = models.CharField("培养类型", max_length=20, choices=TraineeKind.choices, default=TraineeKind.NONE)
    school_or_enterprise = models.CharField("学校或企业", max_length=100, blank=True)
    training_plan = models.CharField("培养计划", max_length=200, blank=True)
    expected_finish_date = models.DateField("预计毕（结）业日期", null=True, blank=True)
    plan_occupation = models.ForeignKey(
        "catalog.Occupation",
        verbose_name="培养计划对应职业（工种）",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Set only through candidates.services.candidate_photo_set, which checks the image and
    # stores a re-encoded copy without metadata; served by a view that checks who asks.
    photo = models.ImageField(
        "照片",
        upload_to=candidate_photo_path,
        storage=private_storage,
        blank=True,
        editable=False,
        help_text="JPEG或PNG证件照，保存时去除EXIF等元数据",
    )
    # Who first entered the person: until a registration ties them to a station, the
    # creator's station is the one that may see them.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="录入人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    # Set by the retention rule (certificates.retention): from that day the row keeps only
    # what statistics, a certificate or an archive record still need.
    deidentified_on = models.DateField("去标识化日期", null=True, blank=True, editable=False)

    objects = TracedManager()
    history = history(id_field="id_number")

    class Meta:
        verbose_name = "考生"
        verbose_name_plural = "考生"
        ordering = ["name", "pk"]
        permissions = [("view_full_id_number", "查看完整身份证号和手机号")]
        indexes = [
            # Trainees are a few among many: the routing list and reminders read only them.
            models.Index(fields=["trainee_kind"], condition=~Q(trainee_kind="none"), name="candidate_trainees"),
            # Lists search names by the whole name or its first characters (LIKE '王伟%'): a
            # pattern index answers that on PostgreSQL whatever the database's collation.
            models.Index(fields=["name"], name="candidate_name_prefix", opclasses=["varchar_pattern_ops"]),
            # A station's scope includes the people its clerks entered: read from the index
            # alone, not from a heap page per person (candidates.selectors.visible_candidates).
            models.Index(fields=["created_by", "id"], name="candidate_creator_id"),
        ]
        constraints = [
            models.CheckConstraint(
                name="candidate_years_in_trade_0_to_60",
                condition=Q(years_in_trade__isnull=True)
                | (Q(years_in_trade__gte=0) & Q(years_in_trade__lte=MAX_YEARS_IN_TRADE)),
                violation_error_message="本职业（工种）工作年限应在0到60年之间。",
            ),
            models.CheckConstraint(
                name="candidate_trainee_has_school_and_finish_date",
                condition=Q(trainee_kind="none")
                | (~Q(school_or_enterprise="") & Q(expected_finish_date__isnull=False)),
                violation_error_message="按培养计划培养的学生或学徒必须填写学校或企业和预计毕（结）业日期。",
            ),
            models.CheckConstraint(
                name="candidate_prior_certificate_has_level",
                condition=~Q(prior_certificate_level="")
                | (Q(prior_certificate_number="") & Q(prior_certificate_date__isnull=True)),
                violation_error_message="填写了已有职业资格证书的编号或发证日期，就必须选择证书等级。",
            ),
        ]

    def __str__(self) -> str:
        # Masked: __str__ ends up in admin messages, history pages and logs.
        return f"{self.name}（{mask_id_number(self.id_number)}）"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Also here, for the paths that skip full_clean(); an invalid ID number refuses to save.
        self._normalise()
        self._derive_from_id_number()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "id_number" in update_fields:
            kwargs["update_fields"] = {*update_fields, "birth_date", "sex"}
        super().save(*args, **kwargs)

    def clean_fields(self, exclude: Any = None) -> None:
        # Normalise before the field validators run, and report a bad ID number once,
        # with its own rule, rather than also as "longer than 18 characters".
        exclude = set(exclude or ())
        self._normalise()
        errors: dict[str, Any] = {}
        if "id_number" not in exclude:
            try:
                validate_id_number(self.id_number)
            except ValidationError as error:
                errors["id_number"] = error.error_list
                exclude.add("id_number")
        try:
            super().clean_fields(exclude=exclude)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)

    def clean(self) -> None:
        with contextlib.suppress(ValidationError):  # already reported on the field by clean_fields
            self._derive_from_id_number()
        errors = candidate_field_rules(vars(self))
        if errors:
            raise ValidationError(errors)

    def _normalise(self) -> None:
        self.id_number = normalise_id_number(self.id_number)
        self.phone = normalise_phone(self.phone)

    def _derive_from_id_number(self) -> None:
        self.birth_date, self.sex = parse_id_number(self.id_number)


def candidate_field_rules(values: Mapping[str, Any]) -> dict[str, str]:
    """The rules between a candidate's fields, on a mapping of field values (a model
    instance's ``vars()``, or the importer's row before any instance exists)."""
    errors = {}
    if values.get("trainee_kind", Candidate.TraineeKind.NONE) != Candidate.TraineeKind.NONE:
        if not values.get("school_or_enterprise"):
            errors["school_or_enterprise"] = "按培养计划培养的学生或学徒必须填写学校或企业。"
        if values.get("expected_finish_date") is None:
            errors["expected_finish_date"] = "按培养计划培养的学生或学徒必须填写预计毕（结）业日期。"
    if not values.get("prior_certificate_level") and (
        values.get("prior_certificate_number") or values.get("prior_certificate_date")
    ):
        errors["prior_certificate_level"] = "填写了已有职业资格证书的编号或发证日期，就必须选择证书等级。"
    return errors


class CandidateNotice(models.Model):
    """告知记录: one short message to a candidate about one moment of their case (the duty
    to inform). One row per candidate, event and key, held by a unique constraint: the
    sender inserts the row first and texts only the rows its own run inserted, so a
    moment is told once however often (or however concurrently) the sweep runs."""

    class Event(models.TextChoices):
        AFTER_CUTOFF = "after_cutoff", "报名截止后：继续鉴定或放弃退费"
        TICKET_READY = "ticket_ready", "准考证可打印"
        RESULTS_PUBLISHED = "results_published", "成绩已公示"
        RETAKE_OFFERED = "retake_offered", "可申请补考"
        CERTIFICATE_READY = "certificate_ready", "证书已核发"
        LATE_ENTRY_REFUSED = "late_entry_refused", "补录未予受理"

    candidate = models.ForeignKey(
        Candidate, verbose_name="考生", on_delete=models.PROTECT, related_name="notices", editable=False
    )
    event = models.CharField("告知事项", max_length=30, choices=Event.choices, editable=False)
    key = models.CharField("对象", max_length=60, editable=False, help_text="如 registration:12、certificate:3")
    text = models.CharField("短信内容", max_length=300, editable=False)
    phone = models.CharField("发送号码", max_length=11, editable=False)
    run = models.CharField("发送批次", max_length=32, db_index=True, editable=False)
    created_at = models.DateTimeField("记录时间", default=clock.now, editable=False)
    sent_at = models.DateTimeField("发送时间", null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "考生告知短信"
        verbose_name_plural = "考生告知短信"
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["candidate", "event", "key"], name="candidate_notice_once"),
        ]
        indexes = [models.Index(fields=["sent_at"], name="candidate_notice_unsent")]

    def __str__(self) -> str:
        return f"{self.get_event_display()}（{self.key}）"


# Lists search names by the whole name or the given name, each by its beginning (kit.lookups).
cast(models.CharField, Candidate._meta.get_field("name")).register_lookup(NamePrefix)
