"""python manage.py deidentify_ended_cases [--dry-run] [--days N] [--user NAME]"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from catalog.models import User
from certificates.retention import deidentify_ended_cases
from kit import clock


class Command(BaseCommand):
    help = (
        "保存期限届满的个人信息去标识化：全部报名已结案（补考不合格或放弃补考结案、放弃鉴定退费、"
        "已发证）且最后结案已超过保存期限（JIANDING_RETENTION_DAYS）的考生。持有证书或档案的考生保留证书所需的"
        "姓名、身份证号和照片，只清除手机号。可重复运行，已处理的不再处理。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="只列出按类别将处理的数量，不做任何修改")
        parser.add_argument("--days", type=int, help="保存期限（天），默认取 JIANDING_RETENTION_DAYS")
        parser.add_argument("--user", help="以哪个用户的名义处理（记入操作痕迹），默认记为系统")

    def handle(self, *args: Any, dry_run: bool, days: int | None, user: str | None, **options: Any) -> None:
        if days is not None and days < 0:
            raise CommandError("保存期限不能为负数。")
        actor = None
        if user:
            try:
                actor = User.objects.get(username=user)
            except User.DoesNotExist as error:
                raise CommandError(f"没有用户 {user}。") from error
        report = deidentify_ended_cases(actor=actor, today=clock.today(), days=days, dry_run=dry_run)
        for line in report.lines():
            self.stdout.write(line)
        if dry_run:
            self.stdout.write("（演练：未做任何修改）")
