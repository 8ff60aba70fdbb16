"""The review queue, the session supervision records and the complaints move to the
``supervision`` app (issue 10). Only Django's idea of where the models live changes: the
tables and their rows stay (``supervision`` declares the same table names), so this removes
the models from this app's state and touches no table."""

from django.db import migrations

MOVED = [
    "Complaint",
    "HistoricalComplaint",
    "ReviewItem",
    "HistoricalReviewItem",
    "SessionSupervisionRecord",
    "HistoricalSessionSupervisionRecord",
]


class Migration(migrations.Migration):
    dependencies = [
        ("certificates", "0006_export_certificate_permission"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name=name) for name in MOVED],
            database_operations=[],
        ),
    ]
