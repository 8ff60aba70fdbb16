"""On PostgreSQL the access record table refuses UPDATE and DELETE from any client, as the
archive does (certificates 0002): two rewrite rules make them no-ops for every role."""

from django.db import migrations

TABLE = "supervision_personaldataaccess"
RULES = {
    "personaldataaccess_never_updated": "UPDATE",
    "personaldataaccess_never_deleted": "DELETE",
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
    dependencies = [("supervision", "0004_personal_data_access")]

    operations = [migrations.RunPython(create_rules, drop_rules)]
