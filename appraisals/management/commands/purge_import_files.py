"""python manage.py purge_import_files: remove uploads nobody will confirm."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from appraisals.importing import purge_import_files


class Command(BaseCommand):
    help = "删除停留在导入预览步骤超过一小时的上传文件，以及已结束的导入任务遗留的文件（含个人信息）。"

    def handle(self, *args: Any, **options: Any) -> None:
        removed = purge_import_files()
        self.stdout.write(f"已删除 {removed} 个导入文件。")
