# The reminder sweep's grouped count (pending registrations per status and announcement)
# answered by an index-only scan instead of reading half the table (issue #15).

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("appraisals", "0013_late_entry_refused"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="registration",
            index=models.Index(fields=["status", "announcement"], name="registration_status_announce"),
        ),
    ]
