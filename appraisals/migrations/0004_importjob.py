import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import appraisals.models


class Migration(migrations.Migration):
    dependencies = [
        ("appraisals", "0003_registration_reported_by"),
        ("catalog", "0003_eligibility_routes_and_holidays"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="ImportJob",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "file",
                    models.FileField(
                        blank=True, upload_to=appraisals.models.import_upload_path, verbose_name="导入文件"
                    ),
                ),
                ("original_name", models.CharField(max_length=255, verbose_name="原文件名")),
                ("dry_run", models.BooleanField(default=False, verbose_name="仅检查，不保存")),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("queued", "排队中"),
                            ("running", "处理中"),
                            ("done", "已完成"),
                            ("refused", "未通过检查，未保存"),
                            ("failed", "处理出错"),
                        ],
                        default="queued",
                        max_length=10,
                        verbose_name="状态",
                    ),
                ),
                ("phase", models.CharField(blank=True, max_length=20, verbose_name="阶段")),
                ("total_rows", models.PositiveIntegerField(default=0, verbose_name="总行数")),
                ("processed_rows", models.PositiveIntegerField(default=0, verbose_name="已处理行数")),
                ("report", models.JSONField(blank=True, default=dict, verbose_name="结果报告")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="提交时间")),
                ("finished_at", models.DateTimeField(blank=True, null=True, verbose_name="完成时间")),
                (
                    "station",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="import_jobs",
                        to="catalog.station",
                        verbose_name="鉴定站",
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="提交人",
                    ),
                ),
            ],
            options={
                "verbose_name": "报名导入任务",
                "verbose_name_plural": "报名导入任务",
                "ordering": ["-created_at", "-pk"],
            },
        ),
    ]
