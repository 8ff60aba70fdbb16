"""The review queue, the session supervision records and the complaints, moved here from
``certificates`` with their tables (issue 10): on a database that has them, the tables are
there already under the names set below, so this only adds the models to this app's state.
The tables are created by certificates 0003, on which this depends (through 0007)."""

import django.core.serializers.json
import django.db.models.deletion
import simple_history.models
from django.conf import settings
from django.db import migrations, models

import supervision.models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("certificates", "0007_supervision_models_move_to_supervision"),
        ("appraisals", "0006_business_clock_stamps"),
        ("catalog", "0005_business_clock_stamps"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="HistoricalComplaint",
                    fields=[
                        ("id", models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name="ID")),
                        (
                            "channel",
                            models.CharField(
                                choices=[("hotline", "监督电话"), ("public_form", "网上举报"), ("letter", "来信来访")],
                                max_length=20,
                                verbose_name="来源",
                            ),
                        ),
                        ("received_at", models.DateTimeField(verbose_name="受理时间")),
                        (
                            "complainant",
                            models.CharField(blank=True, help_text="可匿名", max_length=50, verbose_name="举报人"),
                        ),
                        ("contact", models.CharField(blank=True, max_length=50, verbose_name="联系方式")),
                        ("content", models.TextField(verbose_name="举报内容")),
                        (
                            "status",
                            models.CharField(
                                choices=[("received", "已受理"), ("investigating", "调查中"), ("closed", "已办结")],
                                default="received",
                                editable=False,
                                max_length=20,
                                verbose_name="状态",
                            ),
                        ),
                        ("finding", models.TextField(blank=True, editable=False, verbose_name="查处结论")),
                        (
                            "closed_at",
                            models.DateTimeField(blank=True, editable=False, null=True, verbose_name="办结时间"),
                        ),
                        ("history_id", models.AutoField(primary_key=True, serialize=False)),
                        ("history_date", models.DateTimeField(db_index=True)),
                        ("history_change_reason", models.TextField(null=True)),
                        (
                            "history_type",
                            models.CharField(
                                choices=[("+", "Created"), ("~", "Changed"), ("-", "Deleted")], max_length=1
                            ),
                        ),
                        (
                            "assigned_to",
                            models.ForeignKey(
                                blank=True,
                                db_constraint=False,
                                editable=False,
                                null=True,
                                on_delete=django.db.models.deletion.DO_NOTHING,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="承办人",
                            ),
                        ),
                        (
                            "closed_by",
                            models.ForeignKey(
                                blank=True,
                                db_constraint=False,
                                editable=False,
                                null=True,
                                on_delete=django.db.models.deletion.DO_NOTHING,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="办结人",
                            ),
                        ),
                        (
                            "history_user",
                            models.ForeignKey(
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "station",
                            models.ForeignKey(
                                blank=True,
                                db_constraint=False,
                                null=True,
                                on_delete=django.db.models.deletion.DO_NOTHING,
                                related_name="+",
                                to="catalog.station",
                                verbose_name="被举报鉴定站",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "historical 举报",
                        "verbose_name_plural": "historical 举报",
                        "db_table": "certificates_historicalcomplaint",
                        "ordering": ("-history_date", "-history_id"),
                        "get_latest_by": ("history_date", "history_id"),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.CreateModel(
                    name="HistoricalReviewItem",
                    fields=[
                        ("id", models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name="ID")),
                        (
                            "kind",
                            models.CharField(
                                choices=[
                                    ("rushed_batch", "疑似突击发证（发证批次被暂扣）"),
                                    ("bunched_registrations", "截止前报名异常集中"),
                                    ("identical_scores", "成绩雷同"),
                                    ("several_stations", "同一考生在多个鉴定站报名"),
                                    ("offsite_unapproved", "未经批准的异地鉴定"),
                                ],
                                max_length=30,
                                verbose_name="类型",
                            ),
                        ),
                        (
                            "key",
                            models.CharField(help_text="同一问题只立项一次", max_length=100, verbose_name="识别码"),
                        ),
                        ("summary", models.CharField(max_length=300, verbose_name="摘要")),
                        (
                            "evidence",
                            models.JSONField(
                                default=dict,
                                encoder=django.core.serializers.json.DjangoJSONEncoder,
                                verbose_name="证据",
                            ),
                        ),
                        (
                            "status",
                            models.CharField(
                                choices=[("open", "待处理"), ("in_review", "处理中"), ("closed", "已办结")],
                                default="open",
                                editable=False,
                                max_length=20,
                                verbose_name="状态",
                            ),
                        ),
                        ("flagged_on", models.DateField(verbose_name="发现日期")),
                        ("finding", models.TextField(blank=True, verbose_name="督导结论")),
                        (
                            "closed_at",
                            models.DateTimeField(blank=True, editable=False, null=True, verbose_name="办结时间"),
                        ),
                        ("history_id", models.AutoField(primary_key=True, serialize=False)),
                        ("history_date", models.DateTimeField(db_index=True)),
                        ("history_change_reason", models.TextField(null=True)),
                        (
                            "history_type",
                            models.CharField(
                                choices=[("+", "Created"), ("~", "Changed"), ("-", "Deleted")], max_length=1
                            ),
                        ),
                        (
                            "assigned_to",
                            models.ForeignKey(
                                blank=True,
                                db_constraint=False,
                                null=True,
                                on_delete=django.db.models.deletion.DO_NOTHING,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="承办督导员",
                            ),
                        ),
                        (
                            "closed_by",
                            models.ForeignKey(
                                blank=True,
                                db_constraint=False,
                                editable=False,
                                null=True,
                                on_delete=django.db.models.deletion.DO_NOTHING,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="办结人",
                            ),
                        ),
                        (
                            "history_user",
                            models.ForeignKey(
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "session",
                            models.ForeignKey(
                                blank=True,
                                db_constraint=False,
                                null=True,
                                on_delete=django.db.models.deletion.DO_NOTHING,
                                related_name="+",
                                to="appraisals.examsession",
                                verbose_name="考试场次",
                            ),
                        ),
                        (
                            "station",
                            models.ForeignKey(
                                blank=True,
                                db_constraint=False,
                                null=True,
                                on_delete=django.db.models.deletion.DO_NOTHING,
                                related_name="+",
                                to="catalog.station",
                                verbose_name="鉴定站",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "historical 督导复核事项",
                        "verbose_name_plural": "historical 督导复核事项",
                        "db_table": "certificates_historicalreviewitem",
                        "ordering": ("-history_date", "-history_id"),
                        "get_latest_by": ("history_date", "history_id"),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.CreateModel(
                    name="HistoricalSessionSupervisionRecord",
                    fields=[
                        ("id", models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name="ID")),
                        (
                            "kind",
                            models.CharField(
                                choices=[("on_site", "现场督导"), ("remote", "远程监控")],
                                max_length=10,
                                verbose_name="方式",
                            ),
                        ),
                        ("observed_at", models.DateTimeField(verbose_name="督导时间")),
                        ("observations", models.TextField(verbose_name="督导情况")),
                        ("attachment", models.TextField(blank=True, max_length=100, verbose_name="照片或文件")),
                        ("history_id", models.AutoField(primary_key=True, serialize=False)),
                        ("history_date", models.DateTimeField(db_index=True)),
                        ("history_change_reason", models.TextField(null=True)),
                        (
                            "history_type",
                            models.CharField(
                                choices=[("+", "Created"), ("~", "Changed"), ("-", "Deleted")], max_length=1
                            ),
                        ),
                        (
                            "history_user",
                            models.ForeignKey(
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "session",
                            models.ForeignKey(
                                blank=True,
                                db_constraint=False,
                                null=True,
                                on_delete=django.db.models.deletion.DO_NOTHING,
                                related_name="+",
                                to="appraisals.examsession",
                                verbose_name="考试场次",
                            ),
                        ),
                        (
                            "supervisor",
                            models.ForeignKey(
                                blank=True,
                                db_constraint=False,
                                null=True,
                                on_delete=django.db.models.deletion.DO_NOTHING,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="督导员",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "historical 现场督导与远程监控记录",
                        "verbose_name_plural": "historical 现场督导与远程监控记录",
                        "db_table": "certificates_historicalsessionsupervisionrecord",
                        "ordering": ("-history_date", "-history_id"),
                        "get_latest_by": ("history_date", "history_id"),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.CreateModel(
                    name="Complaint",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        (
                            "channel",
                            models.CharField(
                                choices=[("hotline", "监督电话"), ("public_form", "网上举报"), ("letter", "来信来访")],
                                max_length=20,
                                verbose_name="来源",
                            ),
                        ),
                        ("received_at", models.DateTimeField(verbose_name="受理时间")),
                        (
                            "complainant",
                            models.CharField(blank=True, help_text="可匿名", max_length=50, verbose_name="举报人"),
                        ),
                        ("contact", models.CharField(blank=True, max_length=50, verbose_name="联系方式")),
                        ("content", models.TextField(verbose_name="举报内容")),
                        (
                            "status",
                            models.CharField(
                                choices=[("received", "已受理"), ("investigating", "调查中"), ("closed", "已办结")],
                                default="received",
                                editable=False,
                                max_length=20,
                                verbose_name="状态",
                            ),
                        ),
                        ("finding", models.TextField(blank=True, editable=False, verbose_name="查处结论")),
                        (
                            "closed_at",
                            models.DateTimeField(blank=True, editable=False, null=True, verbose_name="办结时间"),
                        ),
                        (
                            "assigned_to",
                            models.ForeignKey(
                                blank=True,
                                editable=False,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="承办人",
                            ),
                        ),
                        (
                            "closed_by",
                            models.ForeignKey(
                                blank=True,
                                editable=False,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="办结人",
                            ),
                        ),
                        (
                            "station",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to="catalog.station",
                                verbose_name="被举报鉴定站",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "举报",
                        "verbose_name_plural": "举报",
                        "db_table": "certificates_complaint",
                        "ordering": ["status", "-received_at"],
                        "constraints": [
                            models.CheckConstraint(
                                condition=models.Q(("content", ""), _negated=True), name="complaint_has_content"
                            ),
                            models.CheckConstraint(
                                condition=models.Q(
                                    models.Q(("status", "closed"), _negated=True),
                                    models.Q(
                                        models.Q(("finding", ""), _negated=True),
                                        ("closed_at__isnull", False),
                                        ("closed_by__isnull", False),
                                    ),
                                    _connector="OR",
                                ),
                                name="complaint_closed_only_with_a_finding",
                                violation_error_message="举报必须写明查处结论才能办结。",
                            ),
                            models.CheckConstraint(
                                condition=models.Q(
                                    ("status", "received"), ("assigned_to__isnull", False), _connector="OR"
                                ),
                                name="complaint_investigated_by_someone",
                                violation_error_message="调查中或已办结的举报必须有承办人。",
                            ),
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="ReviewItem",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        (
                            "kind",
                            models.CharField(
                                choices=[
                                    ("rushed_batch", "疑似突击发证（发证批次被暂扣）"),
                                    ("bunched_registrations", "截止前报名异常集中"),
                                    ("identical_scores", "成绩雷同"),
                                    ("several_stations", "同一考生在多个鉴定站报名"),
                                    ("offsite_unapproved", "未经批准的异地鉴定"),
                                ],
                                max_length=30,
                                verbose_name="类型",
                            ),
                        ),
                        (
                            "key",
                            models.CharField(help_text="同一问题只立项一次", max_length=100, verbose_name="识别码"),
                        ),
                        ("summary", models.CharField(max_length=300, verbose_name="摘要")),
                        (
                            "evidence",
                            models.JSONField(
                                default=dict,
                                encoder=django.core.serializers.json.DjangoJSONEncoder,
                                verbose_name="证据",
                            ),
                        ),
                        (
                            "status",
                            models.CharField(
                                choices=[("open", "待处理"), ("in_review", "处理中"), ("closed", "已办结")],
                                default="open",
                                editable=False,
                                max_length=20,
                                verbose_name="状态",
                            ),
                        ),
                        ("flagged_on", models.DateField(verbose_name="发现日期")),
                        ("finding", models.TextField(blank=True, verbose_name="督导结论")),
                        (
                            "closed_at",
                            models.DateTimeField(blank=True, editable=False, null=True, verbose_name="办结时间"),
                        ),
                        (
                            "assigned_to",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="承办督导员",
                            ),
                        ),
                        (
                            "closed_by",
                            models.ForeignKey(
                                blank=True,
                                editable=False,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="办结人",
                            ),
                        ),
                        (
                            "session",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to="appraisals.examsession",
                                verbose_name="考试场次",
                            ),
                        ),
                        (
                            "station",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to="catalog.station",
                                verbose_name="鉴定站",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "督导复核事项",
                        "verbose_name_plural": "督导复核事项",
                        "db_table": "certificates_reviewitem",
                        "ordering": ["status", "-flagged_on", "pk"],
                        "constraints": [
                            models.UniqueConstraint(fields=("kind", "key"), name="review_item_flagged_once"),
                            models.CheckConstraint(
                                condition=models.Q(
                                    models.Q(("status", "closed"), _negated=True),
                                    models.Q(
                                        models.Q(("finding", ""), _negated=True),
                                        ("closed_at__isnull", False),
                                        ("closed_by__isnull", False),
                                    ),
                                    _connector="OR",
                                ),
                                name="review_item_closed_with_a_finding",
                                violation_error_message="办结复核事项必须写明督导结论。",
                            ),
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="SessionSupervisionRecord",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        (
                            "kind",
                            models.CharField(
                                choices=[("on_site", "现场督导"), ("remote", "远程监控")],
                                max_length=10,
                                verbose_name="方式",
                            ),
                        ),
                        ("observed_at", models.DateTimeField(verbose_name="督导时间")),
                        ("observations", models.TextField(verbose_name="督导情况")),
                        (
                            "attachment",
                            models.FileField(
                                blank=True,
                                upload_to=supervision.models.supervision_upload_path,
                                verbose_name="照片或文件",
                            ),
                        ),
                        (
                            "session",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="supervision_records",
                                to="appraisals.examsession",
                                verbose_name="考试场次",
                            ),
                        ),
                        (
                            "supervisor",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="督导员",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "现场督导与远程监控记录",
                        "verbose_name_plural": "现场督导与远程监控记录",
                        "db_table": "certificates_sessionsupervisionrecord",
                        "ordering": ["-observed_at"],
                        "constraints": [
                            models.CheckConstraint(
                                condition=models.Q(("observations", ""), _negated=True),
                                name="supervision_record_has_text",
                            )
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
