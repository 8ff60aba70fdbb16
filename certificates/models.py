"""Certificates (职业资格证书) and everything around them: issuance batches (four eyes),
the number counters, the archive (档案), lost-certificate requests, supervision findings
that hold a session's certificates, and the data-audit upload batches.

Rules on one row live in ``clean()`` and in named database constraints; every state
change goes through ``certificates.services``."""

from __future__ import annotations

import secrets
from typing import Any, cast

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import F, Q

from appraisals.models import ConsentForm, ExamResult, ExamSession, Registration
from candidates.models import Candidate
from candidates.validators import mask_id_number
from catalog.models import GuidanceCentre, Occupation, SkillLevel, Station
from catalog.trace import TracedManager, TracedQuerySet, history
from kit.lookups import NamePrefix

# Unambiguous characters (no 0/O, 1/I): the code is read off paper and typed.
VERIFICATION_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
VERIFICATION_LENGTH = 12  # 32**12 = 2**60: cannot be guessed at any rate-limited speed


def new_verification_code() -> str:
    return "".join(secrets.choice(VERIFICATION_ALPHABET) for _ in range(VERIFICATION_LENGTH))


class ImmutableError(ValidationError):
    """A write to a record that may only ever be added to."""


# --- supervision ------------------------------------------------------------------------------


class SupervisionFinding(models.Model):
    """督导发现的问题 on an exam session. While open, that session's certificates are held.
    Minimal on purpose: the supervision review queue builds on it."""

    session = models.ForeignKey(
        ExamSession, verbose_name="考试场次", on_delete=models.PROTECT, related_name="supervision_findings"
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="提出人", on_delete=models.PROTECT, related_name="+"
    )
    opened_at = models.DateTimeField("提出时间")
    summary = models.TextField("问题摘要")
    closed_at = models.DateTimeField("办结时间", null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="办结人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    conclusion = models.TextField("处理结论", blank=True)

    objects = TracedManager()
    history = history()

    class Meta:
        verbose_name = "督导问题"
        verbose_name_plural = "督导问题"
        ordering = ["-opened_at"]
        constraints = [
            models.CheckConstraint(
                name="finding_has_summary",
                condition=~Q(summary=""),
                violation_error_message="请填写督导发现的问题。",
            ),
            models.CheckConstraint(
                name="finding_closed_with_who_when_and_conclusion",
                condition=Q(closed_at__isnull=True, closed_by__isnull=True, conclusion="")
                | (Q(closed_at__isnull=False, closed_by__isnull=False) & ~Q(conclusion="")),
                violation_error_message="办结督导问题必须同时记录办结人、办结时间和处理结论。",
            ),
            models.CheckConstraint(
                name="finding_closed_not_before_opened",
                condition=Q(closed_at__isnull=True) | Q(closed_at__gte=F("opened_at")),
                violation_error_message="办结时间不能早于提出时间。",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.session}：{self.summary[:30]}"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


# --- numbering --------------------------------------------------------------------------------


class NumberCounter(models.Model):
    """The last number given per centre, year and kind. Locked with SELECT … FOR UPDATE
    in the transaction that uses the number, so numbers are unique and gap-free."""

    class Kind(models.TextChoices):
        CERTIFICATE = "certificate", "证书编号"
        PROOF = "proof", "证书信息证明编号"

    centre = models.ForeignKey(GuidanceCentre, verbose_name="指导中心", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField("年度")
    kind = models.CharField("编号类别", max_length=20, choices=Kind.choices)
    last_number = models.PositiveIntegerField("已用最大序号", default=0)

    objects = TracedManager()
    history = history()

    class Meta:
        verbose_name = "编号计数器"
        verbose_name_plural = "编号计数器"
        constraints = [
            models.UniqueConstraint(fields=["centre", "year", "kind"], name="counter_one_per_centre_year_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.centre} {self.year} {self.get_kind_display()}：{self.last_number}"


# --- issuance ---------------------------------------------------------------------------------


class IssuanceBatch(models.Model):
    """发证批次: one officer prepares, a different officer approves (and so issues)."""

    class Status(models.TextChoices):
        PREPARED = "prepared", "待审批"
        HELD = "held", "暂缓核发（待督导复核）"
        APPROVED = "approved", "已审批核发"
        REJECTED = "rejected", "不予核发"
        CANCELLED = "cancelled", "已撤回"

    centre = models.ForeignKey(
        GuidanceCentre, verbose_name="发证机构", on_delete=models.PROTECT, related_name="issuance_batches"
    )
    status = models.CharField("状态", max_length=20, choices=Status.choices, default=Status.PREPARED, editable=False)
    note = models.CharField("说明", max_length=300, blank=True)
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="制单人", on_delete=models.PROTECT, related_name="+", editable=False
    )
    prepared_on = models.DateField("制单日期", editable=False)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="审批人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    issue_date = models.DateField("发证日期", null=True, blank=True, editable=False)
    rush_flags = models.TextField("突击发证风险提示", blank=True, editable=False)
    held_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="触发暂缓的审批人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="督导复核人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    reviewed_on = models.DateField("督导复核日期", null=True, blank=True, editable=False)
    review_note = models.CharField("督导复核意见", max_length=500, blank=True, editable=False)
    released = models.BooleanField("督导已放行", default=False, editable=False)
    printed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="打印人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    printed_on = models.DateField("打印日期", null=True, blank=True, editable=False)
    handed_out_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="发放人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    handed_out_on = models.DateField("发放日期", null=True, blank=True, editable=False)

    objects = TracedManager()
    history = history()

    class Meta:
        verbose_name = "发证批次"
        verbose_name_plural = "发证批次"
        ordering = ["-prepared_on", "-pk"]
        permissions = [
            ("approve_issuancebatch", "审批发证批次（核发证书）"),
            ("review_issuancebatch", "督导复核暂缓核发的发证批次"),
        ]
        constraints = [
            models.CheckConstraint(
                name="batch_approved_by_a_second_officer",
                condition=Q(approved_by__isnull=True) | ~Q(approved_by=F("prepared_by")),
                violation_error_message="发证批次须由制单人以外的另一名审核员审批。",
            ),
            models.CheckConstraint(
                name="batch_approved_has_issue_date",
                condition=~Q(status="approved") | Q(approved_by__isnull=False, issue_date__isnull=False),
                violation_error_message="已核发的批次必须有审批人和发证日期。",
            ),
            models.CheckConstraint(
                name="batch_issued_not_before_prepared",
                condition=Q(issue_date__isnull=True) | Q(issue_date__gte=F("prepared_on")),
                violation_error_message="发证日期不能早于制单日期。",
            ),
            models.CheckConstraint(
                name="batch_handed_out_after_printed",
                condition=Q(handed_out_on__isnull=True)
                | Q(printed_on__isnull=False, handed_out_on__gte=F("printed_on")),
                violation_error_message="证书须先打印才能发放，发放日期不能早于打印日期。",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.centre} 发证批次 #{self.pk}（{self.get_status_display()}）"

    @property
    def print_status(self) -> str:
        if self.handed_out_on:
            return "已发放"
        if self.printed_on:
            return "已打印"
        return "未打印"


class IssuanceItem(models.Model):
    """One registration in an issuance batch, and what became of it."""

    class Status(models.TextChoices):
        PENDING = "pending", "待核发"
        ISSUED = "issued", "已核发"
        HELD = "held", "暂缓（督导问题未结）"
        DROPPED = "dropped", "未核发"

    batch = models.ForeignKey(IssuanceBatch, verbose_name="发证批次", on_delete=models.PROTECT, related_name="items")
    registration = models.ForeignKey(
        Registration, verbose_name="报名", on_delete=models.PROTECT, related_name="issuance_items"
    )
    status = models.CharField("状态", max_length=20, choices=Status.choices, default=Status.PENDING)
    certificate = models.OneToOneField(
        "Certificate",
        verbose_name="证书",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="issuance_item",
    )
    note = models.CharField("说明", max_length=300, blank=True)

    objects = TracedManager()
    history = history()

    class Meta:
        verbose_name = "发证批次明细"
        verbose_name_plural = "发证批次明细"
        ordering = ["batch", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["registration"],
                condition=Q(status="pending"),
                name="issuance_item_one_pending_per_registration",
                violation_error_message="该报名已在另一个待审批的发证批次中。",
            ),
            models.CheckConstraint(
                name="issuance_item_issued_has_certificate",
                condition=~Q(status="issued") | Q(certificate__isnull=False),
                violation_error_message="已核发的明细必须对应证书。",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.registration}（{self.get_status_display()}）"


class CertificateQuerySet(TracedQuerySet):
    def valid(self) -> CertificateQuerySet:
        return self.filter(status=Certificate.Status.VALID)


class Certificate(models.Model):
    """职业资格证书. Holder, occupation and level are copied at issuance: the certificate
    says what it said on the day it was issued, whatever changes later."""

    class Status(models.TextChoices):
        VALID = "valid", "有效"
        VOIDED = "voided", "已撤销"
        REISSUED = "reissued", "已作废（已补发新证）"

    number = models.CharField("证书编号", max_length=40, unique=True, editable=False)
    centre = models.ForeignKey(
        GuidanceCentre, verbose_name="发证机构", on_delete=models.PROTECT, related_name="certificates", editable=False
    )
    year = models.PositiveSmallIntegerField("编号年度", editable=False)
    sequence = models.PositiveIntegerField("年度序号", editable=False)
    registration = models.ForeignKey(
        Registration, verbose_name="报名", on_delete=models.PROTECT, related_name="certificates", editable=False
    )
    # The registration's station, copied at issuance (it never changes): the lists reach a
    # user's scope on the certificate itself, not through a million registrations.
    station = models.ForeignKey(
        Station, verbose_name="鉴定站", on_delete=models.PROTECT, related_name="certificates", editable=False
    )
    result = models.ForeignKey(
        ExamResult, verbose_name="所依据的鉴定成绩", on_delete=models.PROTECT, related_name="+", editable=False
    )
    candidate = models.ForeignKey(
        Candidate, verbose_name="持证人", on_delete=models.PROTECT, related_name="certificates", editable=False
    )
    holder_name = models.CharField("持证人姓名", max_length=50, editable=False)
    holder_id_number = models.CharField("持证人公民身份号码", max_length=18, editable=False)
    occupation = models.ForeignKey(
        Occupation, verbose_name="职业（工种）", on_delete=models.PROTECT, related_name="+", editable=False
    )
    level = models.CharField("等级", max_length=1, choices=SkillLevel.choices, editable=False)
    issue_date = models.DateField("发证日期", editable=False)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="核发人", on_delete=models.PROTECT, related_name="+", editable=False
    )
    batch = models.ForeignKey(
        IssuanceBatch,
        verbose_name="发证批次",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="certificates",
        editable=False,
    )
    reissue_of = models.OneToOneField(
        "self",
        verbose_name="补发所替代的原证书",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reissued_as",
        editable=False,
    )
    verification_code = models.CharField(
        "核验码", max_length=VERIFICATION_LENGTH, unique=True, default=new_verification_code, editable=False
    )
    status = models.CharField("状态", max_length=20, choices=Status.choices, default=Status.VALID, editable=False)
    voided_on = models.DateField("撤销（作废）日期", null=True, blank=True, editable=False)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="撤销（作废）人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    void_reason = models.CharField("撤销（作废）原因", max_length=300, blank=True, editable=False)

    objects = CertificateQuerySet.as_manager()
    history = history(id_field="holder_id_number")

    class Meta:
        verbose_name = "职业资格证书"
        verbose_name_plural = "职业资格证书"
        ordering = ["-issue_date", "-number"]
        permissions = [("revoke_certificate", "撤销证书"), ("export_certificate", "导出证书")]
        constraints = [
            models.UniqueConstraint(
                fields=["centre", "year", "sequence"],
                name="certificate_sequence_unique_per_centre_year",
            ),
            models.UniqueConstraint(
                fields=["registration"],
                condition=Q(status="valid"),
                name="certificate_one_valid_per_registration",
                violation_error_message="该报名已有一本有效证书。",
            ),
            models.CheckConstraint(name="certificate_sequence_from_one", condition=Q(sequence__gte=1)),
            models.CheckConstraint(
                name="certificate_voided_with_who_when_why",
                condition=Q(status="valid", voided_on__isnull=True, void_reason="")
                | (~Q(status="valid") & Q(voided_on__isnull=False) & ~Q(void_reason="")),
                violation_error_message="撤销或作废证书必须记录日期和原因；有效证书不能有撤销记录。",
            ),
            models.CheckConstraint(
                name="certificate_reissue_not_of_itself",
                condition=Q(reissue_of__isnull=True) | ~Q(reissue_of=F("pk")),
            ),
        ]
        indexes = [
            models.Index(fields=["holder_id_number", "holder_name"], name="certificate_holder_lookup"),
            models.Index(fields=["centre", "issue_date"], name="certificate_centre_date"),
            # The list searches a number or a name by its beginning (LIKE 'x%').
            models.Index(fields=["number"], name="certificate_number_prefix", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["holder_name"], name="certificate_holder_prefix", opclasses=["varchar_pattern_ops"]),
            # The list's order (newest first), for a province's stations and for one station.
            models.Index(F("issue_date").desc(), F("number").desc(), name="certificate_newest_first"),
            models.Index(F("station"), F("issue_date").desc(), F("number").desc(), name="certificate_station_newest"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.holder_name}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.station_id is None and self.registration_id is not None:
            self.station_id = self.registration.station_id
        super().save(*args, **kwargs)

    def clean(self) -> None:
        if self.issue_date and self.year and self.issue_date.year != self.year:
            raise ValidationError({"year": "证书编号年度必须与发证日期的年份一致。"})
        if self.registration_id and self.station_id and self.registration.station_id != self.station_id:
            raise ValidationError({"station": "证书的鉴定站必须是报名的鉴定站。"})

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.holder_id_number)

    @property
    def is_valid(self) -> bool:
        return self.status == self.Status.VALID


# --- archive ----------------------------------------------------------------------------------


ARCHIVE_IMMUTABLE = "档案只能新增，不能修改或删除；如需更正，请新建一条更正档案并指向原档案。"


class ArchiveQuerySet(TracedQuerySet):
    def update(self, **kwargs: Any) -> int:
        raise ImmutableError(ARCHIVE_IMMUTABLE)

    def bulk_update(self, objs: Any, fields: Any, *args: Any, **kwargs: Any) -> int:
        raise ImmutableError(ARCHIVE_IMMUTABLE)

    def delete(self) -> Any:
        raise ImmutableError(ARCHIVE_IMMUTABLE)


def archive_upload_path(instance: ArchiveRecord, filename: str) -> str:
    return f"archive/{instance.centre.code}/{instance.certificate.year}/{instance.certificate.number}/{filename}"


class ArchiveRecord(models.Model):
    """档案: what a certificate rests on, bound together at issuance and kept by the
    guidance centre: the consent form (with its scan and the scan's SHA-256), the
    registration, the eligibility review, the results and the certificate, as they were
    on that day (``contents``). Never changed, never deleted: a correction is a new
    record that points to the old one."""

    centre = models.ForeignKey(
        GuidanceCentre, verbose_name="保管机构", on_delete=models.PROTECT, related_name="archive_records"
    )
    certificate = models.ForeignKey(
        Certificate, verbose_name="证书", on_delete=models.PROTECT, related_name="archive_records"
    )
    registration = models.ForeignKey(Registration, verbose_name="报名", on_delete=models.PROTECT, related_name="+")
    consent_scan = models.FileField("自愿书扫描件", upload_to=archive_upload_path, max_length=300)
    consent_sha256 = models.CharField("自愿书扫描件SHA-256", max_length=64)
    contents = models.JSONField("归档内容", encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField("归档时间")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="归档人", on_delete=models.PROTECT, related_name="+"
    )
    corrects = models.OneToOneField(
        "self",
        verbose_name="更正的原档案",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="corrected_by",
    )
    correction_reason = models.CharField("更正原因", max_length=300, blank=True)

    objects = ArchiveQuerySet.as_manager()
    history = history()

    class Meta:
        verbose_name = "档案"
        verbose_name_plural = "档案"
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                name="archive_sha256_is_64_hex",
                condition=Q(consent_sha256__regex=r"^[0-9a-f]{64}$"),
                violation_error_message="自愿书扫描件的SHA-256应为64位十六进制数。",
            ),
            models.CheckConstraint(
                name="archive_correction_has_reason",
                condition=Q(corrects__isnull=True, correction_reason="")
                | (Q(corrects__isnull=False) & ~Q(correction_reason="")),
                violation_error_message="更正档案必须写明更正原因，原始档案不填写更正原因。",
            ),
        ]

    def __str__(self) -> str:
        kind = "更正档案" if self.corrects_id else "档案"
        return f"{self.certificate.number} {kind} #{self.pk}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ImmutableError(ARCHIVE_IMMUTABLE)
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ImmutableError(ARCHIVE_IMMUTABLE)


# --- lost certificates ------------------------------------------------------------------------


class LostCertificateRequest(models.Model):
    """证书遗失补办: inside the catalog a reissue, outside it a certificate information proof."""

    class Status(models.TextChoices):
        PENDING = "pending", "待办理"
        REISSUED = "reissued", "已补发证书"
        PROOF = "proof", "已开具证书信息证明"

    certificate = models.ForeignKey(
        Certificate, verbose_name="遗失的证书", on_delete=models.PROTECT, related_name="lost_requests"
    )
    applicant_name = models.CharField("申请人", max_length=50)
    applicant_relation = models.CharField("申请人与持证人关系", max_length=50, default="本人")
    reason = models.CharField("申请理由", max_length=300)
    received_on = models.DateField("受理日期")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="受理人", on_delete=models.PROTECT, related_name="+", editable=False
    )
    status = models.CharField("状态", max_length=20, choices=Status.choices, default=Status.PENDING, editable=False)
    processed_on = models.DateField("办理日期", null=True, blank=True, editable=False)
    processed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="办理人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    new_certificate = models.OneToOneField(
        Certificate,
        verbose_name="补发的新证书",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="lost_request",
        editable=False,
    )
    proof_number = models.CharField(
        "证书信息证明编号", max_length=40, null=True, blank=True, unique=True, editable=False
    )

    objects = TracedManager()
    history = history()

    class Meta:
        verbose_name = "证书遗失补办"
        verbose_name_plural = "证书遗失补办"
        ordering = ["-received_on", "-pk"]
        constraints = [
            models.CheckConstraint(name="lost_request_has_reason", condition=~Q(reason="") & ~Q(applicant_name="")),
            models.UniqueConstraint(
                fields=["certificate"],
                condition=Q(status="pending"),
                name="lost_request_one_pending_per_certificate",
                violation_error_message="该证书已有一件待办理的遗失补办申请。",
            ),
            models.CheckConstraint(
                name="lost_request_outcome_recorded",
                condition=Q(status="pending", processed_on__isnull=True)
                | Q(status="reissued", processed_on__isnull=False, new_certificate__isnull=False)
                | Q(status="proof", processed_on__isnull=False, proof_number__isnull=False),
                violation_error_message="办结的申请必须记录办理日期和补发的证书或证明编号。",
            ),
            models.CheckConstraint(
                name="lost_request_processed_not_before_received",
                condition=Q(processed_on__isnull=True) | Q(processed_on__gte=F("received_on")),
                violation_error_message="办理日期不能早于受理日期。",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.certificate.number} 遗失补办（{self.get_status_display()}）"


# --- data audit before the national database ------------------------------------------------


FROZEN = "该上报批次已确认，数据已冻结，不能再修改。"


class UploadBatch(models.Model):
    """证书数据上报批次: audited record by record; only a clean batch can be confirmed, and
    a confirmed batch is frozen."""

    class Status(models.TextChoices):
        DRAFT = "draft", "审核中"
        CONFIRMED = "confirmed", "已确认"

    centre = models.ForeignKey(
        GuidanceCentre, verbose_name="填报单位", on_delete=models.PROTECT, related_name="upload_batches"
    )
    note = models.CharField("说明", max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="组批人", on_delete=models.PROTECT, related_name="+", editable=False
    )
    created_on = models.DateField("组批日期", editable=False)
    status = models.CharField("状态", max_length=20, choices=Status.choices, default=Status.DRAFT, editable=False)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="审核人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    confirmed_on = models.DateField("审核确认日期", null=True, blank=True, editable=False)

    objects = TracedManager()
    history = history()

    class Meta:
        verbose_name = "证书数据上报批次"
        verbose_name_plural = "证书数据上报批次"
        ordering = ["-created_on", "-pk"]
        permissions = [("confirm_uploadbatch", "审核确认证书数据（上报全国集中管理监管库）")]
        constraints = [
            models.CheckConstraint(
                name="upload_batch_confirmed_has_auditor",
                condition=Q(status="draft", confirmed_on__isnull=True)
                | Q(status="confirmed", confirmed_on__isnull=False, confirmed_by__isnull=False),
                violation_error_message="已确认的上报批次必须有审核人和审核日期。",
            ),
            models.CheckConstraint(
                name="upload_batch_confirmed_not_before_created",
                condition=Q(confirmed_on__isnull=True) | Q(confirmed_on__gte=F("created_on")),
                violation_error_message="审核确认日期不能早于组批日期。",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.centre} 上报批次 #{self.pk}（{self.get_status_display()}）"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            stored = UploadBatch.objects.filter(pk=self.pk).values_list("status", flat=True).first()
            if stored == self.Status.CONFIRMED:
                raise ImmutableError(FROZEN)
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        if self.status == self.Status.CONFIRMED:
            raise ImmutableError(FROZEN)
        return super().delete(*args, **kwargs)


class UploadItemQuerySet(TracedQuerySet):
    def _refuse_frozen(self) -> None:
        if self.filter(batch__status=UploadBatch.Status.CONFIRMED).exists():
            raise ImmutableError(FROZEN)

    def update(self, **kwargs: Any) -> int:
        self._refuse_frozen()
        return super().update(**kwargs)

    def delete(self) -> Any:
        self._refuse_frozen()
        return super().delete()


class UploadItem(models.Model):
    """One certificate in an upload batch; ``snapshot`` is the row as confirmed."""

    batch = models.ForeignKey(UploadBatch, verbose_name="上报批次", on_delete=models.CASCADE, related_name="items")
    certificate = models.ForeignKey(
        Certificate, verbose_name="证书", on_delete=models.PROTECT, related_name="upload_items"
    )
    confirmed = models.BooleanField("已确认上报", default=False, editable=False)
    snapshot = models.JSONField("确认时的数据", encoder=DjangoJSONEncoder, null=True, blank=True, editable=False)

    objects = UploadItemQuerySet.as_manager()
    history = history()

    class Meta:
        verbose_name = "上报证书"
        verbose_name_plural = "上报证书"
        ordering = ["batch", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "certificate"], name="upload_item_once_per_batch"),
            models.UniqueConstraint(
                fields=["certificate"],
                condition=Q(confirmed=True),
                name="upload_item_certificate_confirmed_once",
                violation_error_message="该证书已在另一个已确认的批次中上报。",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.batch} · {self.certificate.number}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding and UploadItem.objects.filter(pk=self.pk, confirmed=True).exists():
            raise ImmutableError(FROZEN)
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        if self.confirmed or self.batch.status == UploadBatch.Status.CONFIRMED:
            raise ImmutableError(FROZEN)
        return super().delete(*args, **kwargs)


# --- work list --------------------------------------------------------------------------------


class PassedRegistration(Registration):
    """The admin's work list of passed registrations awaiting a certificate (see selectors)."""

    class Meta:
        proxy = True
        verbose_name = "待发证的合格考生"
        verbose_name_plural = "待发证的合格考生"


class ConsentArchive(ConsentForm):
    """The guidance centres' register of every signed consent form (自愿书归档登记簿):
    archived when its case ends (``services.consent_archive``), by centre, exportable."""

    class Meta:
        proxy = True
        verbose_name = "自愿书归档登记"
        verbose_name_plural = "自愿书归档登记簿"
        permissions = [("archive_consentarchive", "归档自愿书"), ("export_consentarchive", "导出自愿书归档登记簿")]


# The certificate lists search the holder's name as the candidate lists do (kit.lookups).
cast(models.CharField, Certificate._meta.get_field("holder_name")).register_lookup(NamePrefix)
