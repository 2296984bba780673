"""Exports of the store for the tools users already work in: relays and story items as JSONL or
CSV (spreadsheets, pandas, R), dossiers as files named like the reference dossier or as JSONL.

Every export is written beside its target and moved over it when complete, so a failed export
never leaves half a file; "-" writes to stdout.
"""

from __future__ import annotations

import csv
import hashlib
import json
import sqlite3
import sys
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

from newstrace.errors import InputError
from newstrace.extract.urls import tme_post
from newstrace.match.embed import get_embedder
from newstrace.report.dossier import build_dossier, lag_seconds, render_text
from newstrace.store.core import Store
from newstrace.stories.report import list_stories, story_record

ROW_FORMATS = ("jsonl", "csv")
RELAY_FIELDS = ("post_url", "channel", "channel_title", "posted_at", "article_url", "article_title", "outlet",
                "published_at", "stage", "score", "credited", "credit", "via", "lag_seconds")
STORY_FIELDS = ("story", "story_title", "kind", "url", "source", "time", "language", "credited")


@contextmanager
def open_output(out: str | Path, *, binary: bool = False) -> Iterator[IO[Any]]:
    """A file to export into (stdout for "-"); a path that cannot be written is an InputError
    naming it, and a partial file is never left behind."""
    if str(out) == "-":
        yield sys.stdout.buffer if binary else sys.stdout
        return
    path = Path(out)
    if path.is_dir():
        raise InputError(str(out), "is a directory, not a file")
    tmp = path.with_name(path.name + ".part")
    try:
        with (open(tmp, "wb") if binary else open(tmp, "w", encoding="utf-8", newline="")) as handle:
            yield handle
        tmp.replace(path)
    except OSError as exc:
        raise InputError(str(out), f"cannot write ({exc.strerror or exc})") from None
    finally:
        with suppress(OSError):
            tmp.unlink()


def _cell(value: Any) -> Any:
    """CSV spells booleans as JSON does, so both formats read the same."""
    return ("true" if value else "false") if isinstance(value, bool) else value


def write_rows(rows: Iterable[dict[str, Any]], out: str | Path, fields: Sequence[str],
               fmt: str | None = None) -> int:
    """Rows as JSONL or as CSV with a header row (UTF-8, empty cells for nulls); without a format,
    CSV when the file name ends in .csv. Returns the rows written."""
    fmt = fmt or ("csv" if str(out).lower().endswith(".csv") else "jsonl")
    if fmt not in ROW_FORMATS:
        raise InputError(str(out), f"unknown format {fmt!r} (one of {', '.join(ROW_FORMATS)})")
    count = 0
    with open_output(out) as handle:
        writer = csv.DictWriter(handle, fieldnames=fields) if fmt == "csv" else None
        if writer:
            writer.writeheader()
        for row in rows:
            if writer:
                writer.writerow({name: _cell(row[name]) for name in fields})
            else:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
            count += 1
    return count


def outlet_name(site_name: str | None, url: str) -> str:
    """An article's outlet as a reader names it: the site's name, or its host."""
    return site_name or (urlsplit(url).hostname or "").removeprefix("www.")


def _via(row: sqlite3.Row, evidence: dict[str, Any], channel_by_title: dict[str, str]) -> str | None:
    """The other channel whose post this relay forwards or mentions (a forward known only by the
    origin's title is resolved when exactly one stored channel has that title)."""
    pointed = tme_post(evidence["via"]) if evidence.get("via") else None
    if pointed:
        origin = pointed[0]
    else:
        origin = (row["forwarded_from"] or "").lstrip("@") or channel_by_title.get(row["forwarded_from_name"] or "")
    return origin if origin and origin != row["channel"] else None


def relay_rows(store: Store) -> list[dict[str, Any]]:
    """One row per relay (a post linked to its source article), oldest post first, with how it
    credited the source ("none" when it did not) and its lag after the source in seconds."""
    channels = store.db.execute("SELECT username, title FROM channels").fetchall()
    title_count = Counter(title for _, title in channels)
    channel_by_title = {title: username for username, title in channels if title and title_count[title] == 1}
    rows = []
    for row in store.db.execute(
        "SELECT p.channel, p.message_id, p.posted_at, p.forwarded_from, p.forwarded_from_name, "
        "c.title AS channel_title, m.stage, m.score, m.evidence, "
        "a.url, a.title, a.site_name, a.published_at "
        "FROM matches m JOIN posts p ON p.id = m.post_id JOIN articles a ON a.id = m.article_id "
        "LEFT JOIN channels c ON c.username = p.channel "
        "ORDER BY p.posted_at, p.channel, p.message_id"
    ):
        evidence = json.loads(row["evidence"])
        lag = lag_seconds(row["posted_at"], row["published_at"])
        rows.append({
            "post_url": f"https://t.me/{row['channel']}/{row['message_id']}",
            "channel": row["channel"],
            "channel_title": row["channel_title"],
            "posted_at": row["posted_at"],
            "article_url": row["url"],
            "article_title": row["title"],
            "outlet": outlet_name(row["site_name"], row["url"]),
            "published_at": row["published_at"],
            "stage": row["stage"],
            "score": row["score"],
            "credited": bool(evidence.get("credit")),
            "credit": evidence.get("credit") or "none",
            "via": _via(row, evidence, channel_by_title),
            "lag_seconds": None if lag is None else round(lag),
        })
    return rows


def export_relays(store: Store, out: str | Path, fmt: str | None = None) -> int:
    """Every relay of the store as one row; returns the rows written."""
    return write_rows(relay_rows(store), out, RELAY_FIELDS, fmt)


def story_rows(store: Store) -> list[dict[str, Any]]:
    """One row per story item (its articles and the posts relaying them), the widest stories first."""
    rows = []
    for story in list_stories(store):
        title = next(iter(story["titles"].values()), None)
        for item in story_record(store, story["id"])["items"]:
            rows.append({
                "story": story["id"], "story_title": title, "kind": item["kind"], "url": item["url"],
                "source": item["source"], "time": item["time"], "language": item.get("language"),
                "credited": item.get("credited"),
            })
    return rows


def export_stories(store: Store, out: str | Path, fmt: str | None = None) -> int:
    """Every story item of the store as one row; returns the rows written."""
    return write_rows(story_rows(store), out, STORY_FIELDS, fmt)


def dossier_filename(number: int, url_key: str, suffix: str = ".txt") -> str:
    """`NNN_<16 hex digits>`: a running number, then a stable hash of the article's URL key."""
    return f"{number:03d}_{hashlib.sha256(url_key.encode()).hexdigest()[:16]}{suffix}"


def _dossiers(store: Store, include_unrelayed: bool) -> Iterator[tuple[sqlite3.Row, dict[str, Any]]]:
    """Each source article (oldest first) with its dossier; articles no post relays only if asked."""
    for article in store.articles():
        record = build_dossier(store, article["id"], get_embedder)
        if record["relays"] or include_unrelayed:
            yield article, record


def export_dossiers(store: Store, directory: Path, *, fmt: str = "text",
                    include_unrelayed: bool = False) -> list[Path]:
    """Write one dossier file per source article; returns the files written."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(str(directory), f"cannot create the directory ({exc.strerror or exc})") from None
    written = []
    suffix = ".json" if fmt == "json" else ".txt"
    for number, (article, record) in enumerate(_dossiers(store, include_unrelayed)):
        path = directory / dossier_filename(number, article["url_key"], suffix)
        with open_output(path) as handle:
            handle.write(json.dumps(record, ensure_ascii=False, indent=2) + "\n" if fmt == "json"
                         else render_text(record))
        written.append(path)
    return written


def export_dossiers_jsonl(store: Store, out: str | Path, *, include_unrelayed: bool = False) -> int:
    """Every dossier as one JSON object a line, in one file; returns the dossiers written."""
    return write_rows((record for _, record in _dossiers(store, include_unrelayed)), out, (), "jsonl")
