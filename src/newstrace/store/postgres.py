"""PostgreSQL behind the small part of the sqlite3 interface the store uses, so that one body of
SQL serves both backends.

The store writes portable SQL with `?` placeholders; `translate` turns them into psycopg's `%s`.
Rows answer both `row["name"]` and `row[0]`, like sqlite3.Row. What cannot be written portably
(full-text search, date arithmetic, catalogue queries, the schema's types) is chosen by
`Store.dialect` where it is used.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg.adapt import Loader

SCHEMES = ("postgresql://", "postgres://")


def is_url(target: object) -> bool:
    """Whether a --db value names a PostgreSQL server rather than a SQLite file."""
    return str(target).startswith(SCHEMES)


def without_password(url: str) -> str:
    """The URL to show in stats and logs: the password is never printed."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}"))


class Row(tuple):
    """A result row readable by position and by column name, as sqlite3.Row is."""

    _index: dict[str, int]

    def __new__(cls, values: Sequence[Any], index: dict[str, int]) -> Row:
        row = super().__new__(cls, values)
        row._index = index
        return row

    def __getitem__(self, key: Any) -> Any:  # type: ignore[override]
        if isinstance(key, str):
            return tuple.__getitem__(self, self._index[key])
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        return list(self._index)


def _row_factory(cursor: psycopg.Cursor) -> Any:
    description = cursor.description or []
    index = {column.name: n for n, column in enumerate(description)}
    return lambda values: Row(values, index)


class _NumberLoader(Loader):
    """sum() and avg() give NUMERIC in PostgreSQL: read whole numbers as int, others as float, as
    SQLite returns them."""

    def load(self, data: Any) -> int | float:
        value = Decimal(bytes(data).decode())
        return int(value) if value == value.to_integral_value() else float(value)


@lru_cache(maxsize=4096)
def translate(sql: str) -> str:
    """`?` placeholders outside string literals become `%s`; a literal `%` is doubled."""
    out: list[str] = []
    quoted = False
    for char in sql:
        if char == "'":
            quoted = not quoted
        if char == "%":
            out.append("%%")
        elif char == "?" and not quoted:
            out.append("%s")
        else:
            out.append(char)
    return "".join(out)


def _clean(params: Sequence[Any]) -> tuple[Any, ...]:
    """PostgreSQL text cannot hold NUL characters, which collected pages sometimes carry: they are
    dropped (the content hash, taken before, still tells an edit from a repeat)."""
    return tuple(value.replace("\0", "") if isinstance(value, str) else value for value in params)


class Connection:
    """One autocommit psycopg connection; transactions are begun and ended by the store."""

    def __init__(self, url: str) -> None:
        self.raw = psycopg.connect(url, autocommit=True, row_factory=_row_factory)
        self.raw.adapters.register_loader("numeric", _NumberLoader)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> psycopg.Cursor:
        return self.raw.execute(translate(sql), _clean(params))

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> psycopg.Cursor:
        cursor = self.raw.cursor()
        cursor.executemany(translate(sql), [_clean(row) for row in rows])
        return cursor

    def close(self) -> None:
        self.raw.close()


def drop_schema_objects(db: Connection) -> None:
    """Empty the connection's current schema: its tables, with their triggers and indexes, and the
    trigger functions the migrations made."""
    tables = [row[0] for row in db.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()").fetchall()]
    if tables:
        db.execute("DROP TABLE " + ", ".join(f'"{name}"' for name in tables) + " CASCADE")
    for (name,) in db.execute("SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
                              "WHERE n.nspname = current_schema() AND p.proname LIKE '%_fts_sync'").fetchall():
        db.execute(f'DROP FUNCTION "{name}"() CASCADE')


Error = psycopg.Error
