"""Set-based inserts for large imports.

``bulk_create`` builds a model instance and compiles every field of every row in Python, which
for 100,000 houses and residents costs more than reading the workbook. These helpers send plain
``INSERT`` statements with the rows as tuples instead. Columns the caller does not give get the
model field's default (or ``auto_now_add`` time, or NULL), computed once per call, so a field
added to the model later with a default keeps working; a new required field without a default
fails loudly here rather than writing a wrong row.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection, models
from django.utils import timezone

# Multi-row VALUES lists are kept under both SQLite's and PostgreSQL's parameter limits.
MAX_PARAMS = 30_000
MAX_ROWS_PER_STATEMENT = 1_000


def _default(field: models.Field[Any, Any]) -> Any:
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        value: Any = (
            timezone.now() if isinstance(field, models.DateTimeField) else timezone.localdate()
        )
    elif field.has_default():
        value = field.get_default()
    elif field.null:
        value = None
    else:
        raise ValueError(
            f"{field.model.__name__}.{field.name} has no default; the import must give it."
        )
    return field.get_db_prep_save(value, connection)


def _statement_parts(
    model: type[models.Model], columns: Sequence[str]
) -> tuple[str, list[str], tuple[Any, ...]]:
    """(quoted table, quoted column names, the values of the columns not given)."""
    meta = model._meta
    given: list[models.Field[Any, Any]] = []
    for name in columns:
        field = meta.get_field(name)
        if not isinstance(field, models.Field) or not field.concrete:
            raise ValueError(f"{model.__name__}.{name} is not a column")
        given.append(field)
    given_names = {field.name for field in given}
    rest = [
        field
        for field in meta.concrete_fields
        if not field.primary_key and field.name not in given_names
    ]
    quote = connection.ops.quote_name
    names = [quote(field.column) for field in [*given, *rest] if field.column]
    return quote(meta.db_table), names, tuple(_default(field) for field in rest)


def insert_rows(
    model: type[models.Model], columns: Sequence[str], rows: Sequence[tuple[Any, ...]]
) -> None:
    """INSERT the rows (values in the order of ``columns``, field names or attnames)."""
    if not rows:
        return
    table, names, extra = _statement_parts(model, columns)
    placeholders = ", ".join(["%s"] * len(names))
    sql = f"INSERT INTO {table} ({', '.join(names)}) VALUES ({placeholders})"
    with connection.cursor() as cursor:
        step = 10_000
        for start in range(0, len(rows), step):
            cursor.executemany(sql, [row + extra for row in rows[start : start + step]])


def insert_rows_returning_ids(
    model: type[models.Model], columns: Sequence[str], rows: Sequence[tuple[Any, ...]]
) -> list[int]:
    """INSERT the rows and return their new primary keys in the same order.

    Uses multi-row ``INSERT ... RETURNING`` (SQLite 3.35+, PostgreSQL), the statement Django's
    own ``bulk_create`` relies on for the same ordering guarantee.
    """
    if not rows:
        return []
    if not connection.features.can_return_rows_from_bulk_insert:
        raise NotImplementedError("this database cannot return ids from a bulk insert")
    table, names, extra = _statement_parts(model, columns)
    pk_field = model._meta.pk
    assert pk_field is not None and pk_field.column
    pk = connection.ops.quote_name(pk_field.column)
    one = "(" + ", ".join(["%s"] * len(names)) + ")"
    per_statement = max(1, min(MAX_ROWS_PER_STATEMENT, MAX_PARAMS // len(names)))
    ids: list[int] = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            params: list[Any] = []
            for row in chunk:
                params.extend(row)
                params.extend(extra)
            values = ", ".join([one] * len(chunk))
            cursor.execute(
                f"INSERT INTO {table} ({', '.join(names)}) VALUES {values} RETURNING {pk}",
                params,
            )
            ids.extend(row[0] for row in cursor.fetchall())
    return ids
