"""The moved models' content types change app (certificates → supervision) in place: their
permissions (and the roles and users holding them), admin log entries and anything else
pointing at a content type keep pointing at the same rows.

A fresh database has no such rows yet (content types are made after ``migrate``), so there
is nothing to do there."""

from django.db import migrations

MODELS = [
    "complaint",
    "historicalcomplaint",
    "reviewitem",
    "historicalreviewitem",
    "sessionsupervisionrecord",
    "historicalsessionsupervisionrecord",
]


def relabel(apps, old, new):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MODELS:
        moved = ContentType.objects.filter(app_label=old, model=model).first()
        if moved is None:
            continue
        # A row made under the new label before this ran (a post-migrate signal on a partly
        # migrated database) holds only fresh default permissions: the old row wins.
        ContentType.objects.filter(app_label=new, model=model).delete()
        moved.app_label = new
        moved.save(update_fields=["app_label"])


def forwards(apps, schema_editor):
    relabel(apps, "certificates", "supervision")


def backwards(apps, schema_editor):
    relabel(apps, "supervision", "certificates")


class Migration(migrations.Migration):
    dependencies = [
        ("supervision", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
