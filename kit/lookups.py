"""Lookups the lists search with (no app of the project is imported here)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db.models import CharField, Lookup
from django.db.models.functions import Substr
from django.db.models.lookups import StartsWith


class NamePrefix(Lookup):
    """A Chinese name found by how clerks type it: the whole name or its first characters
    (王伟, 王), or the given name or its first characters (伟, 小明 for 林小明). Both halves
    are a ``LIKE 'x%'`` that an index answers (the name's own pattern index, and one on the
    name without its first character, made by the migrations on PostgreSQL); a ``%x%`` search reads every row."""

    lookup_name = "nameprefix"
    prepare_rhs = False

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        whole_sql, whole_params = StartsWith(self.lhs, self.rhs).as_sql(compiler, connection)
        given_sql, given_params = StartsWith(Substr(self.lhs, 2), self.rhs).as_sql(compiler, connection)
        return f"({whole_sql} OR {given_sql})", [*whole_params, *given_params]


class AnyOf(Lookup):
    """``id_column = ANY(%s)``: a long list of integer ids (an officer's 700 stations), or of texts
    (a file's 1,000 ID numbers on a text column), sent as one array
    parameter on PostgreSQL, the same plan as ``IN (…)`` (PostgreSQL rewrites the one into
    the other) without preparing, quoting and parsing each value of the list in Python for
    every query of every page; ``IN (…)`` elsewhere. An empty list matches nothing, as
    ``__in`` does. A single id (a clerk's own station) is ``column = %s``: PostgreSQL (before
    17) takes ``= ANY`` of even one value as no equality, and would then not read a
    (station, …) index in the list's order."""

    lookup_name = "anyof"
    prepare_rhs = False

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lhs_sql, lhs_params = self.process_lhs(compiler, connection)
        text = isinstance(self.lhs.output_field, CharField)
        values = [str(value) if text else int(value) for value in self.rhs]
        if not values:
            raise EmptyResultSet
        if len(values) == 1:
            return f"{lhs_sql} = %s", [*lhs_params, values[0]]
        if connection.vendor == "postgresql":
            return f"{lhs_sql} = ANY(%s::{'text' if text else 'bigint'}[])", [*lhs_params, values]
        return f"{lhs_sql} IN ({', '.join(['%s'] * len(values))})", [*lhs_params, *values]
