"""Writing checked rows: ``bulk_create`` through the models' ``TracedQuerySet``
everywhere, and PostgreSQL ``COPY`` (rows and history rows) where the database is
PostgreSQL and the tables are plain enough."""

from __future__ import annotations

from typing import Any

from django.db import connection

from candidates.models import Candidate
from catalog.models import User
from catalog.trace import current_reason
from kit import clock, privacy

from ..models import Registration

# The models an import writes, each with its simple_history ``history``.
ImportedModel = type[Candidate] | type[Registration]


class OrmWriter:
    """``bulk_create`` through the models' ``TracedQuerySet``: each batch writes its rows
    and their history rows (who, when, why) in two statements per table."""

    def __init__(self, actor: User | None) -> None:
        self.actor = actor
        self.statements = 0  # statements Django's query counting does not see

    def create_candidates(self, batch: list[dict[str, Any]]) -> dict[str, int]:
        created = Candidate.objects.bulk_create([Candidate(**values, created_by=self.actor) for values in batch])
        return {c.id_number: c.pk for c in created}

    def create_registrations(self, batch: list[tuple]) -> None:
        Registration.objects.bulk_create(
            [
                Registration(
                    candidate_id=candidate_id,
                    announcement_id=announcement_id,
                    station_id=station_id,
                    registration_date=day,
                    fee=fee,
                    registered_by=self.actor,
                )
                for candidate_id, announcement_id, station_id, day, fee in batch
            ]
        )


class CopyWriter(OrmWriter):
    """PostgreSQL ``COPY`` for the rows and for their history rows.

    Django's ``bulk_create`` spends most of an import's time building and quoting
    parameters (about 0.35 ms a row with history, here). ``COPY`` writes the same rows:
    ids reserved from the table's sequence, every column from the model's own defaults,
    and one history row per row with the values ``bulk_history_create`` would write
    (history_type “+”, the actor, the reason, the time). Used only where the historical
    model has exactly the fields this knows; otherwise the ORM path is taken."""

    HISTORY_FIELDS = {"history_id", "history_date", "history_change_reason", "history_type", "history_user_id"}

    def __init__(self, actor: User | None) -> None:
        super().__init__(actor)
        self.now = clock.now()
        self.reason = current_reason()
        self._tables = {model: _CopyTable(model) for model in (Candidate, Registration)}
        self.usable = all(t.usable for t in self._tables.values())

    def _copy(self, model: ImportedModel, rows: list[dict[str, Any]]) -> list[int]:
        table = self._tables[model]
        with connection.cursor() as cursor, connection.wrap_database_errors:  # psycopg's errors as Django's
            cursor.execute(f"SELECT nextval(%s) FROM generate_series(1, {len(rows)})", [table.sequence])
            ids = [row[0] for row in cursor.fetchall()]
            with cursor.copy(table.copy_sql) as copy:
                for pk, row in zip(ids, rows, strict=True):
                    row["id"] = pk
                    copy.write_row([row[name] for name in table.columns])
            history = [
                self.now,
                self.reason,
                "+",
                getattr(self.actor, "pk", None),
            ]
            # The history columns as the history model writes them: ID numbers masked, the
            # number's keyed hash beside it (kit.privacy).
            with cursor.copy(table.history_copy_sql) as copy:
                make = privacy.history_row_maker(table.history_fields)
                for row in rows:
                    copy.write_row(make(row) + history)
        self.statements += 2  # the COPYs (Django does not see them)
        return ids

    def create_candidates(self, batch: list[dict[str, Any]]) -> dict[str, int]:
        if not self.usable:
            return super().create_candidates(batch)
        defaults = self._tables[Candidate].defaults
        actor_id = getattr(self.actor, "pk", None)
        ids = self._copy(Candidate, [{**defaults, **values, "created_by_id": actor_id} for values in batch])
        return {values["id_number"]: pk for values, pk in zip(batch, ids, strict=True)}

    def create_registrations(self, batch: list[tuple]) -> None:
        if not self.usable:
            super().create_registrations(batch)
            return
        defaults = self._tables[Registration].defaults
        actor_id = getattr(self.actor, "pk", None)
        self._copy(
            Registration,
            [
                {
                    **defaults,
                    "candidate_id": candidate_id,
                    "announcement_id": announcement_id,
                    "station_id": station_id,
                    "registration_date": day,
                    "fee": fee,
                    "registered_by_id": actor_id,
                }
                for candidate_id, announcement_id, station_id, day, fee in batch
            ],
        )


# Column types whose Python values psycopg writes exactly as Django would.
_COPYABLE = {
    "AutoField",
    "BigAutoField",
    "BigIntegerField",
    "BooleanField",
    "CharField",
    "DateField",
    "DateTimeField",
    "DecimalField",
    "FileField",  # the candidate's photo: a path, "" for a new person (ImageField reports FileField)
    "ForeignKey",
    "IntegerField",
    "PositiveIntegerField",
    "PositiveSmallIntegerField",
    "SmallIntegerField",
    "TextField",
}


class _CopyTable:
    def __init__(self, model: ImportedModel) -> None:
        qn = connection.ops.quote_name
        fields = model._meta.concrete_fields
        history_model = model.history.model
        tracked = [f.attname for f in history_model.tracked_fields]
        history_fields = {f.attname for f in history_model._meta.concrete_fields}
        self.columns = [f.attname for f in fields]
        # A column the database fills in itself (db_default, generated) cannot be copied.
        # Field.db_returning is Django's; django-stubs declares it on auto fields only.
        copyable = all(
            (f.get_internal_type() in _COPYABLE and not f.db_returning)  # type: ignore[attr-defined]
            or f.primary_key
            for f in fields
        )
        # The tracked columns, then any column the history model derives from them (the ID
        # number's keyed hash).
        self.history_fields = [history_model._meta.get_field(name) for name in self.columns] + [
            f for f in history_model._meta.concrete_fields if isinstance(f, privacy.IdNumberDigestField)
        ]
        derived = {f.attname for f in self.history_fields[len(self.columns) :]}
        self.usable = (
            connection.vendor == "postgresql"
            and copyable
            and tracked == self.columns
            and history_fields == set(tracked) | derived | CopyWriter.HISTORY_FIELDS
        )
        self.defaults = {f.attname: f.get_default() for f in fields if not f.primary_key}
        table = qn(model._meta.db_table)
        self.copy_sql = f"COPY {table} ({', '.join(qn(f.column) for f in fields)}) FROM STDIN"
        history_columns = [f.column for f in self.history_fields] + [
            "history_date",
            "history_change_reason",
            "history_type",
            "history_user_id",
        ]
        self.history_copy_sql = (
            f"COPY {qn(history_model._meta.db_table)} ({', '.join(qn(c) for c in history_columns)}) FROM STDIN"
        )
        self.sequence = f"{model._meta.db_table}_id_seq"
        if self.usable:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [model._meta.db_table, fields[0].column])
                self.sequence = cursor.fetchone()[0]
