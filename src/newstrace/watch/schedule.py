"""When each followed source is polled next, and how healthy it is, kept in watch_sources.

A failed poll is retried at the source's usual interval; after WATCH_FAILURE_THRESHOLD failures in
a row the source is paused, for twice as long after each further failure, so a dead feed costs
one request now and then instead of a tight retry loop.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from newstrace import config
from newstrace.collect.telegram_web import preview_url
from newstrace.store.core import Store, iso, parse_iso
from newstrace.watch.config import Source


def source_url(source: Source, base_url: str) -> str:
    """The address a poll of source fetches first."""
    return preview_url(source.target, base_url=base_url) if source.kind == "channel" else source.target


def pause_seconds(failures: int) -> int | None:
    """How long a source that failed this many times in a row is paused, or None: not yet."""
    if failures < config.WATCH_FAILURE_THRESHOLD:
        return None
    return min(config.WATCH_PAUSE_MAX_S, config.WATCH_PAUSE_S * 2 ** (failures - config.WATCH_FAILURE_THRESHOLD))


def sync_sources(store: Store, sources: Sequence[Source], *, base_url: str, now: datetime) -> list[str]:
    """Make watch_sources follow the watch list: new sources are due now, a changed interval
    applies from now on (a pause stays), sources no longer listed are dropped; returns their names."""
    names = [source.name for source in sources]
    with store.transaction():
        for source in sources:
            soonest = iso(now + timedelta(seconds=source.interval_s))
            store.db.execute(
                "INSERT INTO watch_sources (name, kind, url, interval_s, next_due) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (name) DO UPDATE SET url = excluded.url, interval_s = excluded.interval_s, "
                "next_due = CASE WHEN watch_sources.paused_until IS NULL AND ? < watch_sources.next_due "
                "THEN ? ELSE watch_sources.next_due END",
                (source.name, source.kind, source_url(source, base_url), source.interval_s, iso(now),
                 soonest, soonest))
        marks = ",".join("?" * len(names))
        dropped = [row[0] for row in store.db.execute(
            f"SELECT name FROM watch_sources WHERE name NOT IN ({marks}) ORDER BY name", names)]
        store.db.execute(f"DELETE FROM watch_sources WHERE name NOT IN ({marks})", names)
    return dropped


def due_sources(store: Store, now: datetime) -> list[str]:
    """Names of the sources due at now, the longest overdue first."""
    return [row[0] for row in store.db.execute(
        "SELECT name FROM watch_sources WHERE next_due <= ? ORDER BY next_due, name", (iso(now),))]


def next_due(store: Store) -> datetime | None:
    """When the next source falls due (None when nothing is followed)."""
    return parse_iso(store.db.execute("SELECT min(next_due) FROM watch_sources").fetchone()[0])


def record_success(store: Store, source: Source, now: datetime, *, newest_item: str | None,
                   item_errors: Sequence[str] = ()) -> None:
    """A poll that read the source: due again after its interval; items it could not read are
    counted as errors without holding the source back."""
    with store.transaction():
        store.db.execute(
            "UPDATE watch_sources SET next_due = ?, failures = 0, paused_until = NULL, last_ok = ?, "
            "newest_item = coalesce(?, newest_item), errors = errors + ?, "
            "last_error = coalesce(?, last_error), last_error_at = CASE WHEN ? THEN ? ELSE last_error_at END "
            "WHERE name = ?",
            (iso(now + timedelta(seconds=source.interval_s)), iso(now), newest_item, len(item_errors),
             item_errors[-1] if item_errors else None, bool(item_errors), iso(now), source.name))


def record_failure(store: Store, source: Source, now: datetime, error: str) -> tuple[int, datetime | None]:
    """A poll that could not read the source; returns its failures in a row and until when it is
    paused, if it now is."""
    with store.transaction():
        failures = store.db.execute("SELECT failures FROM watch_sources WHERE name = ?",
                                    (source.name,)).fetchone()[0] + 1
        pause = pause_seconds(failures)
        paused_until = now + timedelta(seconds=pause) if pause is not None else None
        due = max(now + timedelta(seconds=source.interval_s), paused_until or now)
        store.db.execute(
            "UPDATE watch_sources SET next_due = ?, failures = ?, errors = errors + 1, paused_until = ?, "
            "last_error = ?, last_error_at = ? WHERE name = ?",
            (iso(due), failures, iso(paused_until), error, iso(now), source.name))
    return failures, paused_until
