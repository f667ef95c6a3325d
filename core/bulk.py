"""Bulk inserts for the hot paths (the clock sweep, delivery outbox).

``bulk_insert(objs)`` is ``bulk_create`` for plain model instances, with a
PostgreSQL fast path: above ``COPY_THRESHOLD`` rows it sends them with
``COPY … FROM STDIN`` instead of ``INSERT … SELECT FROM UNNEST(arrays)``.
Django's INSERT spends most of its time in Python (preparing every value of
every row, then psycopg quoting each array element); COPY streams the rows
and lets psycopg's C dumpers do the work. Ids, when asked for, are taken
from the table's sequence in one query first, so callers get saved
instances exactly as from ``bulk_create`` (docs/decisions/0022).

Only what our sweep needs: no signals (bulk_create sends none either), no
multi-table inheritance, no ``ignore_conflicts``. The statement goes through
the connection's execute wrappers and query log, so query counts and
``CaptureQueriesContext`` see it like any other.
"""

from __future__ import annotations

import operator
import time
from collections.abc import Sequence
from typing import Any, TypeVar

from django.db import connections, models, router

M = TypeVar("M", bound=models.Model)

#: Below this many rows, INSERT is as fast and keeps the SQL familiar.
COPY_THRESHOLD = 100


#: Fields whose Python value is not already what the driver takes: these go
#: through Django's preparation (JSON wrapping, time zones, decimals, …).
_PREPARED = (
    models.JSONField,
    models.DateField,  # DateTimeField too
    models.TimeField,
    models.DecimalField,
    models.UUIDField,
    models.BinaryField,
    models.DurationField,
    models.FileField,
)


def _getter(field: models.Field[Any, Any], connection: Any) -> Any:
    """How to read one column's value off an instance. Strings, numbers,
    booleans and foreign-key ids are passed as they are (what
    ``get_db_prep_save`` would return for them); everything else, and any
    field with its own ``pre_save``, goes through Django."""
    if isinstance(field, _PREPARED) or type(field).pre_save is not models.Field.pre_save:
        return lambda obj: field.get_db_prep_save(field.pre_save(obj, True), connection)
    return operator.attrgetter(field.attname)


def bulk_insert(objs: Sequence[M], *, need_ids: bool = True) -> list[M]:
    """Insert ``objs`` (all of one model); return them saved, with ids when asked."""
    objs = list(objs)
    if not objs:
        return objs
    model = type(objs[0])
    alias = router.db_for_write(model)
    connection = connections[alias]
    if connection.vendor != "postgresql" or len(objs) < COPY_THRESHOLD:
        return model._default_manager.using(alias).bulk_create(objs)
    meta = model._meta
    pk = meta.pk
    assert pk is not None
    fields = [f for f in meta.concrete_fields if f is not pk]
    qn = connection.ops.quote_name
    table = qn(meta.db_table)
    with connection.cursor() as cursor:
        if need_ids:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [meta.db_table, pk.column, len(objs)],
            )
            for obj, (new_id,) in zip(objs, cursor.fetchall(), strict=True):
                obj.pk = new_id
            fields = [pk, *fields]
        getters = [_getter(f, connection) for f in fields]
        rows = [[get(obj) for get in getters] for obj in objs]
        columns = ", ".join(qn(f.column) for f in fields)
        sql = f"COPY {table} ({columns}) FROM STDIN"

        def copy(sql: str, params: Any, many: bool, context: Any) -> None:
            with cursor.cursor.copy(sql) as stream:
                for row in rows:
                    stream.write_row(row)

        started = time.monotonic()
        cursor._execute_with_wrappers(sql, None, False, executor=copy)
        if connection.queries_logged:
            connection.queries_log.append(
                {"sql": f"{sql} -- {len(rows)} rows", "time": f"{time.monotonic() - started:.3f}"}
            )
    for obj in objs:
        obj._state.adding = False
        obj._state.db = alias
    return objs
