from django.core.management.base import BaseCommand

from catalog.services import catalog_load


class Command(BaseCommand):
    help = "载入（或更新）国家职业资格退出目录、福建附件、政策文件和时限规则。可重复执行。"

    def handle(self, *args, **options):
        counts = catalog_load()
        self.stdout.write(
            self.style.SUCCESS(
                f"目录已载入：行政区 {counts.regions} 个，职业资格 {counts.qualifications} 项，"
                f"职业 {counts.occupations} 个，政策文件 {counts.notices} 件，时限规则 {counts.rules} 条。"
            )
        )
