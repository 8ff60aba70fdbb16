from django.db import migrations

# A two-character name is a few hundred people among a million, but with the default sample
# PostgreSQL guessed ten thousand and walked the newest registrations of a whole province
# (0.6–1 s a search, bench/admin_bench.py); a tenfold sample brings the guess within 2×.
STATISTICS = 1000


def larger_sample(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f'ALTER TABLE candidates_candidate ALTER COLUMN "name" SET STATISTICS {STATISTICS}')
        schema_editor.execute(f"ALTER INDEX candidate_given_name_prefix ALTER COLUMN 1 SET STATISTICS {STATISTICS}")
        schema_editor.execute("ANALYZE candidates_candidate")


def default_sample(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute('ALTER TABLE candidates_candidate ALTER COLUMN "name" SET STATISTICS -1')
        schema_editor.execute("ALTER INDEX candidate_given_name_prefix ALTER COLUMN 1 SET STATISTICS -1")


class Migration(migrations.Migration):
    dependencies = [("candidates", "0009_station_scope_indexes")]

    operations = [migrations.RunPython(larger_sample, default_sample)]
