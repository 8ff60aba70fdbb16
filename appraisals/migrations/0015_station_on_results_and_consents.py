import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery

STATION = dict(to="catalog.station", verbose_name="鉴定站", related_name="+", editable=False)
HISTORICAL_STATION = dict(
    STATION, blank=True, null=True, db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING
)
RECORDS = ["ConsentForm", "ExamResult"]


def fill_station(apps, schema_editor):
    """Every consent form and result so far, and their history, get the registration's station."""
    Registration = apps.get_model("appraisals", "Registration")
    station = Registration.objects.filter(pk=OuterRef("registration_id")).values("station_id")[:1]
    for name in RECORDS:
        for model_name in (name, f"Historical{name}"):
            model = apps.get_model("appraisals", model_name)
            model._base_manager.filter(station__isnull=True).update(station_id=Subquery(station))


class Migration(migrations.Migration):
    dependencies = [
        ("appraisals", "0014_registration_status_announcement_index"),
        ("catalog", "0009_lateentry_national_rules"),
    ]

    operations = [
        *(
            migrations.AddField(
                model_name=name.lower(),
                name="station",
                field=models.ForeignKey(
                    null=True, db_index=False, on_delete=django.db.models.deletion.PROTECT, **STATION
                ),
            )
            for name in RECORDS
        ),
        *(
            migrations.AddField(
                model_name=f"historical{name.lower()}", name="station", field=models.ForeignKey(**HISTORICAL_STATION)
            )
            for name in RECORDS
        ),
        migrations.RunPython(fill_station, migrations.RunPython.noop),
        *(
            migrations.AlterField(
                model_name=name.lower(),
                name="station",
                field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, **STATION),
            )
            for name in RECORDS
        ),
        migrations.AddIndex(
            model_name="consentform",
            index=models.Index(
                models.F("station"), models.OrderBy(models.F("id"), descending=True), name="consent_station_newest"
            ),
        ),
        migrations.AddIndex(
            model_name="examresult",
            index=models.Index(fields=["station", "registration", "attempt"], name="result_station_order"),
        ),
    ]
