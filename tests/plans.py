"""PostgreSQL's plan for a query when it may not read the table itself."""

from django.db import connection


def plan_without_the_table(queryset) -> str:
    """EXPLAIN of ``queryset`` with every plan that reads the table ruled out (sequential,
    bitmap and plain index scans): a test database is tiny and never vacuumed, so the planner
    may prefer any plan, and only an index that holds every column the query needs can still
    answer it (as an Index Only Scan)."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())
