"""python manage.py import_registrations FILE --station CODE [--user NAME] [--dry-run]"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from appraisals.importing import import_file
from catalog.models import Station, User


class Command(BaseCommand):
    help = (
        "导入报名文件（CSV：UTF-8/UTF-8 带 BOM/GB18030(GBK)，或 XLSX）。每一行都按受理报名的规则检查；"
        "有任何一行不符合规则则整个文件不保存，列出所有错误并以非零状态退出。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="报名文件（.csv 或 .xlsx）")
        parser.add_argument("--station", required=True, help="鉴定站编码，如 XM001")
        parser.add_argument("--user", help="以哪个用户的名义导入（记入操作痕迹），默认不记名")
        parser.add_argument("--dry-run", action="store_true", help="只检查，不保存")

    def handle(self, *args: Any, file: Path, station: str, user: str | None, dry_run: bool, **options: Any) -> None:
        if not file.is_file():
            raise CommandError(f"找不到文件：{file}")
        try:
            target = Station.objects.get(code=station)
        except Station.DoesNotExist as error:
            raise CommandError(f"没有编码为 {station} 的鉴定站。") from error
        actor = None
        if user:
            try:
                actor = User.objects.get(username=user)
            except User.DoesNotExist as error:
                raise CommandError(f"没有用户 {user}。") from error

        def progress(phase: str, done: int, total: int | None) -> None:
            if options["verbosity"] > 1:
                self.stderr.write(f"{phase}：{done}/{total or '?'}")

        report = import_file(file, station=target, actor=actor, dry_run=dry_run, file_name=file.name, progress=progress)
        for line in report.lines():
            self.stdout.write(line)
        if not report.ok:
            raise CommandError(f"导入被拒绝：{report.error_rows} 行有错误，未保存任何数据。")
