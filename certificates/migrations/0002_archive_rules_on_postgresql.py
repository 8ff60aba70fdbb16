"""On PostgreSQL the archive table refuses UPDATE and DELETE from any client, not only
from Django: two query-rewrite rules (no trigger) turn them into no-ops, for every role,
the table's owner and superusers included. TRUNCATE (test flushes) is not affected."""

from django.db import migrations

TABLE = "certificates_archiverecord"
RULES = {
    "archiverecord_never_updated": "UPDATE",
    "archiverecord_never_deleted": "DELETE",
}


def create_rules(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, event in RULES.items():
        schema_editor.execute(f"CREATE RULE {name} AS ON {event} TO {TABLE} DO INSTEAD NOTHING")


def drop_rules(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in RULES:
        schema_editor.execute(f"DROP RULE IF EXISTS {name} ON {TABLE}")


class Migration(migrations.Migration):
    dependencies = [("certificates", "0001_initial")]

    operations = [migrations.RunPython(create_rules, drop_rules)]
