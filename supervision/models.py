"""Supervision (督导): the supervisors' review queue, on-site and remote records of exam
sessions, and complaints. Every state change goes through ``supervision.services``.

The models moved here from ``certificates`` (issue 10) and kept their tables and rows: the
table names below are the old ones, so no data was copied. ``SupervisionFinding`` stays in
``certificates``: issuance refusals read it, and certificates sits below supervision."""

from __future__ import annotations

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q

from appraisals.models import ExamSession
from catalog.trace import TracedManager, history
from kit import audit, clock

REFERENCE = re.compile(r"JB\d{4}(\d{6,})")


class ReviewItem(models.Model):
    """An item of the supervisors' review queue (督导复核): something flagged by a detector,
    with its evidence. A supervisor opens it, records a finding and closes it."""

    class Kind(models.TextChoices):
        RUSHED_BATCH = "rushed_batch", "疑似突击发证（发证批次被暂扣）"
        BUNCHED_REGISTRATIONS = "bunched_registrations", "截止前报名异常集中"
        IDENTICAL_SCORES = "identical_scores", "成绩雷同"
        SEVERAL_STATIONS = "several_stations", "同一考生在多个鉴定站报名"
        OFFSITE_UNAPPROVED = "offsite_unapproved", "未经批准的异地鉴定"
        LATE_ENTRY = "late_entry", "补录（截止后录入）"

    class Status(models.TextChoices):
        OPEN = "open", "待处理"
        IN_REVIEW = "in_review", "处理中"
        CLOSED = "closed", "已办结"

    kind = models.CharField("类型", max_length=30, choices=Kind.choices)
    key = models.CharField("识别码", max_length=100, help_text="同一问题只立项一次")
    station = models.ForeignKey(
        "catalog.Station", verbose_name="鉴定站", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    session = models.ForeignKey(
        ExamSession, verbose_name="考试场次", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    summary = models.CharField("摘要", max_length=300)
    evidence = models.JSONField("证据", default=dict, encoder=DjangoJSONEncoder)
    status = models.CharField("状态", max_length=20, choices=Status.choices, default=Status.OPEN, editable=False)
    flagged_on = models.DateField("发现日期")
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="承办督导员",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    finding = models.TextField("督导结论", blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="办结人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    closed_at = models.DateTimeField("办结时间", null=True, blank=True, editable=False)

    objects = TracedManager()
    history = history(table_name="certificates_historicalreviewitem")

    class Meta:
        db_table = "certificates_reviewitem"
        verbose_name = "督导复核事项"
        verbose_name_plural = "督导复核事项"
        ordering = ["status", "-flagged_on", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "key"], name="review_item_flagged_once"),
            models.CheckConstraint(
                name="review_item_closed_with_a_finding",
                condition=~Q(status="closed") | (~Q(finding="") & Q(closed_by__isnull=False, closed_at__isnull=False)),
                violation_error_message="办结复核事项必须写明督导结论。",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}：{self.summary}"


def supervision_upload_path(instance: SessionSupervisionRecord, filename: str) -> str:
    return f"supervision/{instance.session_id}/{filename}"


class SessionSupervisionRecord(models.Model):
    """现场督导 or 远程监控 of one exam session: who watched, what they saw, photos or files."""

    class Kind(models.TextChoices):
        ON_SITE = "on_site", "现场督导"
        REMOTE = "remote", "远程监控"

    session = models.ForeignKey(
        ExamSession, verbose_name="考试场次", on_delete=models.PROTECT, related_name="supervision_records"
    )
    kind = models.CharField("方式", max_length=10, choices=Kind.choices)
    supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="督导员", on_delete=models.PROTECT, related_name="+"
    )
    observed_at = models.DateTimeField("督导时间")
    observations = models.TextField("督导情况")
    attachment = models.FileField("照片或文件", upload_to=supervision_upload_path, blank=True)

    objects = TracedManager()
    history = history(table_name="certificates_historicalsessionsupervisionrecord")

    class Meta:
        db_table = "certificates_sessionsupervisionrecord"
        verbose_name = "现场督导与远程监控记录"
        verbose_name_plural = "现场督导与远程监控记录"
        ordering = ["-observed_at"]
        constraints = [models.CheckConstraint(name="supervision_record_has_text", condition=~Q(observations=""))]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.session}"


class Complaint(models.Model):
    """举报: from the hotline or the public form; assigned, investigated, and closed only
    with a finding (发现一起查处一起)."""

    class Channel(models.TextChoices):
        HOTLINE = "hotline", "监督电话"
        PUBLIC_FORM = "public_form", "网上举报"
        LETTER = "letter", "来信来访"

    class Status(models.TextChoices):
        RECEIVED = "received", "已受理"
        INVESTIGATING = "investigating", "调查中"
        CLOSED = "closed", "已办结"

    channel = models.CharField("来源", max_length=20, choices=Channel.choices)
    received_at = models.DateTimeField("受理时间")
    complainant = models.CharField("举报人", max_length=50, blank=True, help_text="可匿名")
    contact = models.CharField("联系方式", max_length=50, blank=True)
    station = models.ForeignKey(
        "catalog.Station",
        verbose_name="被举报鉴定站",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    content = models.TextField("举报内容")
    status = models.CharField("状态", max_length=20, choices=Status.choices, default=Status.RECEIVED, editable=False)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="承办人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    finding = models.TextField("查处结论", blank=True, editable=False)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="办结人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    closed_at = models.DateTimeField("办结时间", null=True, blank=True, editable=False)

    objects = TracedManager()
    history = history(table_name="certificates_historicalcomplaint")

    class Meta:
        db_table = "certificates_complaint"
        verbose_name = "举报"
        verbose_name_plural = "举报"
        ordering = ["status", "-received_at"]
        constraints = [
            models.CheckConstraint(name="complaint_has_content", condition=~Q(content="")),
            models.CheckConstraint(
                name="complaint_closed_only_with_a_finding",
                condition=~Q(status="closed") | (~Q(finding="") & Q(closed_by__isnull=False, closed_at__isnull=False)),
                violation_error_message="举报必须写明查处结论才能办结。",
            ),
            models.CheckConstraint(
                name="complaint_investigated_by_someone",
                condition=Q(status="received") | Q(assigned_to__isnull=False),
                violation_error_message="调查中或已办结的举报必须有承办人。",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.get_channel_display()}：{self.content[:20]}"

    @property
    def reference(self) -> str:
        """The number the complainant is given and quotes on the hotline (受理编号)."""
        return f"JB{clock.local_day(self.received_at):%Y}{self.pk:06d}"

    @staticmethod
    def pk_of_reference(text: str) -> int | None:
        match = REFERENCE.fullmatch(text.strip().upper())
        return int(match.group(1)) if match else None


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise ValidationError("个人信息访问记录只能新增，不能修改。")

    def delete(self):
        raise ValidationError("个人信息访问记录只能新增，不能删除。")


class PersonalDataAccess(models.Model):
    """One look at personal data (kit.audit): who, when, what, why, from where. Append-only:
    the model refuses changes and deletions, and on PostgreSQL the table itself does."""

    class Action(models.TextChoices):
        UNMASK = audit.UNMASK, "查看完整身份证号和手机号"
        EXPORT = audit.EXPORT, "导出含完整号码的数据"
        ARCHIVE = audit.ARCHIVE, "查看档案"
        LOOKUP = audit.LOOKUP, "证书查询查到证书"

    at = models.DateTimeField("时间", default=clock.now, editable=False, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="访问人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="公众查询时为空",
    )
    action = models.CharField("访问类型", max_length=10, choices=Action.choices)
    subject = models.CharField("访问对象", max_length=300)
    reason = models.CharField("事由", max_length=200, blank=True)
    address = models.CharField("网络地址", max_length=64, blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = "个人信息访问记录"
        verbose_name_plural = "个人信息访问记录"
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_action_display()}：{self.subject}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValidationError("个人信息访问记录只能新增，不能修改。")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError("个人信息访问记录只能新增，不能删除。")
