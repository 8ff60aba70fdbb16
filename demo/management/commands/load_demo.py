"""The demo data set: centres, stations, one user per role, the year's cases (candidates,
announcements, registrations) on top of the catalog, and certificates, complaints and the
supervisors' queue from appraisals earlier in 2020, as they stand on the business date
(``kit.clock.today()``: ``JIANDING_BUSINESS_DATE``, 2020-09-20 in ``scripts/demo.sh``):
nothing dated after it has happened. A business date before 2020-09-07 is refused; with
the clock past 2020 (no business date) the whole year is told, every act in the past.

An app of its own, above every other (it fills every one of them), installed by the
local and test settings only. Everything is made through the services, by the ``demo``
app's modules (people, cases, certificates, supervision). Idempotent: running it again
changes nothing."""

from collections import Counter

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.urls import reverse

from appraisals.models import Registration
from catalog.services import catalog_load
from certificates.models import Certificate, IssuanceBatch
from demo.authorisations import demo_authorisations_load
from demo.caseend import demo_caseend_load
from demo.cases import demo_cases_load
from demo.certificates import demo_certificates_load, verify_example
from demo.examday import demo_examday_load
from demo.notices import demo_notices_load
from demo.people import CASE_USERS, CENTRES, DEMO_PASSWORD, STATIONS, USERS, demo_people_load
from demo.photos import demo_photos_load
from demo.registry import demo_registry_load, demo_registry_story
from demo.timeline import TooEarly, cut_at
from kit import clock
from supervision.models import Complaint, ReviewItem


class Command(BaseCommand):
    help = "载入演示数据（指导中心、鉴定站、各角色演示账号，以及2020年全年的考生和鉴定案例）。可重复执行。"

    @transaction.atomic
    def handle(self, *args, **options):
        try:
            cut = cut_at(clock.today())
        except TooEarly as error:
            raise CommandError(str(error)) from None
        catalog_load()
        demo_people_load()
        demo_authorisations_load()
        demo_registry_load()
        result = demo_cases_load(cut=cut)
        certificates_created = demo_certificates_load()
        demo_registry_story(cut)
        demo_examday_load()  # off-site requests and an exam day with an absence (June 2020)
        demo_photos_load()
        demo_caseend_load(cut)  # evaluation organisations, referrals, archived consents, refunds confirmed
        notices_told = demo_notices_load()  # what the candidates were told on the business date
        self.stdout.write(
            self.style.SUCCESS(f"演示数据已载入：{len(STATIONS)} 个鉴定站，{len(USERS) + len(CASE_USERS)} 个演示账号。")
        )
        self.stdout.write(f"演示账号（密码均为 {DEMO_PASSWORD}）：" + "、".join(u[0] for u in USERS + CASE_USERS))
        if result.created:
            self.stdout.write(f"已生成演示案例：{result.candidates} 名考生，{result.announcements} 条鉴定考试公告。")
            self.stdout.write(cut.note)
        else:
            self.stdout.write("演示案例已存在，未重复生成（仍是首次载入时业务日期的样子；换业务日期请用新数据库）。")
        if certificates_created:
            self.stdout.write("已生成证书与督导演示案例（2020年上半年的鉴定）。")
        else:
            self.stdout.write("证书与督导演示案例已存在，未重复生成。")
        if notices_told:
            self.stdout.write(f"已生成考生告知短信 {notices_told} 条（见“考生告知短信”和各报名的案卷页）。")
        self.stdout.write(self._status_summary())
        self.stdout.write(self._certificate_summary())

    def _certificate_summary(self) -> str:
        """What the certificate and supervision screens show, and one lookup to try."""
        certificates = Certificate.objects.filter(registration__station__code__in=[s[0] for s in STATIONS])
        batches = Counter(
            IssuanceBatch.objects.filter(centre__code__in=[c[0] for c in CENTRES]).values_list("status", flat=True)
        )
        complaints = Counter(Complaint.objects.values_list("status", flat=True))

        def listed(counts: Counter, choices: list[tuple[str, str]]) -> str:
            return "，".join(f"{label} {counts[value]}" for value, label in choices if counts[value]) or "无"

        lines = [
            f"证书：{certificates.count()} 本（有效 {certificates.valid().count()} 本）；"
            f"发证批次：{listed(batches, IssuanceBatch.Status.choices)}",
            f"督导复核事项（未办结）：{ReviewItem.objects.exclude(status=ReviewItem.Status.CLOSED).count()} 件；"
            f"举报：{listed(complaints, Complaint.Status.choices)}",
        ]
        example = verify_example()
        if example:
            lines.append(f"证书查询（{reverse('verify')}）：证书编号 {example.number}，姓名 {example.holder_name}")
        return "\n".join(lines)

    def _status_summary(self) -> str:
        """报名状态统计 of the demo stations, in the order of the state machine."""
        counts = Counter(
            Registration.objects.filter(station__code__in=[s[0] for s in STATIONS]).values_list("status", flat=True)
        )
        lines = [f"报名状态统计（共 {sum(counts.values())} 条）："]
        lines += [f"  {label}：{counts.get(value, 0)}" for value, label in Registration.Status.choices]
        return "\n".join(lines)
