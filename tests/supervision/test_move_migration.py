"""The supervision models moved out of certificates (issue 10). A database in the old layout,
holding rows of every moved model with their history, a permission given to a user, an admin
log entry and the beat's entry for the daily sweep, is migrated forward: everything is found
through the new app, and nothing was copied (same tables, same rows, same content types)."""

import datetime

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from catalog import roles
from catalog.models import User
from catalog.roles import sync_roles
from supervision.models import Complaint, ReviewItem, SessionSupervisionRecord
from tests.factories import UserFactory

D = datetime.date
SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))
AT = datetime.datetime(2020, 11, 20, 9, 30, tzinfo=SHANGHAI)
BEFORE_THE_MOVE = ("certificates", "0006_export_certificate_permission")
OLD_TASK, NEW_TASK = "certificates.tasks.daily_sweep", "supervision.tasks.daily_sweep"
SWEEP = "每日截止提醒与督导复核"


def migrate(targets):
    """Migrate the test database to ``targets`` and return the models of that state."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state([t for t in targets if t[1] is not None]).apps


def latest():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def history_fields(row, user):
    """The columns of a simple-history row for ``row`` (a historical model instance)."""
    values = {f.attname: getattr(row, f.attname) for f in row._meta.concrete_fields}
    return {**values, "history_date": AT, "history_type": "+", "history_user_id": user.pk}


def old_layout_rows(old, case, staff, orgs):
    """Rows of every moved model, written with the models of the state before the move."""
    supervisor, officer = staff["supervisor_fj"], staff["officer_fj"]
    item = old.get_model("certificates", "ReviewItem").objects.create(
        kind="several_stations",
        key="candidate:1:2",
        station_id=orgs["xm1"].pk,
        summary="同一考生同一职业在 2 个鉴定站报名",
        evidence={"stations": 2},
        status="closed",
        flagged_on=D(2020, 9, 20),
        assigned_to_id=supervisor.pk,
        finding="已退费一处，无违规。",
        closed_by_id=supervisor.pk,
        closed_at=AT,
    )
    record = old.get_model("certificates", "SessionSupervisionRecord").objects.create(
        session_id=case.session.pk,
        kind="on_site",
        supervisor_id=supervisor.pk,
        observed_at=AT,
        observations="考场秩序良好。",
        attachment=f"supervision/{case.session.pk}/photo.jpg",
    )
    complaint = old.get_model("certificates", "Complaint").objects.create(
        channel="hotline",
        received_at=AT,
        station_id=orgs["xm1"].pk,
        content="考场纪律松散",
        status="investigating",
        assigned_to_id=supervisor.pk,
    )
    for name, row in (("ReviewItem", item), ("SessionSupervisionRecord", record), ("Complaint", complaint)):
        old.get_model("certificates", f"Historical{name}").objects.create(**history_fields(row, officer))
    return item, record, complaint


ADDED_AFTER_THE_MOVE = ["personaldataaccess"]


@pytest.mark.django_db(transaction=True)
def test_rows_of_the_old_layout_are_found_through_the_supervision_app(committed_db, case, staff, orgs, client):
    case.register().review().consent().apply().approve().schedule()  # a session (its tables do not move)
    try:
        old = migrate([BEFORE_THE_MOVE, ("supervision", None)])
        # The old layout: the models, their content types and the task name are certificates'.
        old_types = old.get_model("contenttypes", "ContentType").objects
        assert old_types.filter(app_label="certificates", model="reviewitem").exists()
        # (Models supervision got after the move keep their content types: nothing moved them.)
        assert not old_types.filter(app_label="supervision").exclude(model__in=ADDED_AFTER_THE_MOVE).exists()
        item, record, complaint = old_layout_rows(old, case, staff, orgs)
        reviewitem_type = old_types.get(app_label="certificates", model="reviewitem")
        complaint_type = old_types.get(app_label="certificates", model="complaint")
        handler = UserFactory(username="handler")  # a permission given to one user, not through a role
        handler.user_permissions.add(
            Permission.objects.get(content_type_id=complaint_type.pk, codename="change_complaint")
        )
        LogEntry.objects.create(
            user=staff["supervisor_fj"],
            content_type_id=reviewitem_type.pk,
            object_id=str(item.pk),
            object_repr="同一考生同一职业在 2 个鉴定站报名",
            action_flag=CHANGE,
            change_message="办结（旧版本）",
        )
        crontab = old.get_model("django_celery_beat", "CrontabSchedule").objects.create(
            minute="30", hour="6", timezone="Asia/Shanghai"
        )
        old.get_model("django_celery_beat", "PeriodicTask").objects.update_or_create(
            name=SWEEP, defaults={"task": OLD_TASK, "crontab": crontab, "enabled": False}
        )
    finally:
        migrate(latest())
    ContentType.objects.clear_cache()

    # Rows and history, through the new models.
    found = ReviewItem.objects.get(pk=item.pk)
    assert (found.status, found.finding, found.closed_by_id) == (
        "closed",
        "已退费一处，无违规。",
        staff["supervisor_fj"].pk,
    )
    assert (
        SessionSupervisionRecord.objects.get(pk=record.pk).attachment.name == f"supervision/{case.session.pk}/photo.jpg"
    )
    assert Complaint.objects.get(pk=complaint.pk).assigned_to == staff["supervisor_fj"]
    for model, pk in ((ReviewItem, item.pk), (SessionSupervisionRecord, record.pk), (Complaint, complaint.pk)):
        [row] = model.history.filter(id=pk)
        assert (row.history_type, row.history_user, row.history_date) == ("+", staff["officer_fj"], AT)

    # The same content type rows, relabelled: permissions and admin history follow them.
    assert ContentType.objects.get_for_model(ReviewItem).pk == reviewitem_type.pk
    assert ContentType.objects.get_for_model(Complaint).pk == complaint_type.pk
    moved = [m._meta.model_name for m in (ReviewItem, Complaint, SessionSupervisionRecord)]
    assert not ContentType.objects.filter(app_label="certificates", model__in=moved).exists()
    assert User.objects.get(pk=handler.pk).has_perm("supervision.change_complaint")
    sync_roles(Group, Permission)  # what every migrate ends with: the roles read catalog.roles
    supervisor = User.objects.get(pk=staff["supervisor_fj"].pk)
    assert supervisor.has_perm("supervision.change_reviewitem") and supervisor.has_perm("supervision.view_complaint")
    assert not supervisor.has_perm("supervision.delete_complaint")
    assert LogEntry.objects.get(object_id=str(item.pk)).get_edited_object() == found
    # The admin's history page: the trace (simple-history) rows, the old one among them.
    client.force_login(staff["sysadmin"])
    page = client.get(reverse("admin:supervision_reviewitem_history", args=[item.pk]))
    assert page.status_code == 200
    assert "2020年11月20日 09:30" in page.content.decode() and "officer_fj" in page.content.decode()

    # The beat's entry keeps its schedule and switch, under the task's new name.
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(name=SWEEP)
    assert (task.task, task.enabled, task.crontab.hour) == (NEW_TASK, False, "6")
    assert roles.SUPERVISOR in supervisor.groups.values_list("name", flat=True)
