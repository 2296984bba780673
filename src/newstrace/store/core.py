"""The store: posts, articles, their raw bytes, and the links decided between them, in one SQLite
file (the default) or a PostgreSQL database (a postgresql:// URL, for teams sharing one store).

Every write method is one transaction, so a crash leaves either the whole item or nothing, and
every write is idempotent: the same post or article twice gives one row. An edited post keeps its
earlier texts in post_versions.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from newstrace import config
from newstrace.config import default_db_path
from newstrace.errors import InputError
from newstrace.extract.urls import url_key
from newstrace.model import Article, Link, Match, Post
from newstrace.store import postgres
from newstrace.store.schema import MIGRATIONS, for_dialect



def iso(moment: datetime | None) -> str | None:
    """UTC ISO-8601 with a Z, the one timestamp format the store keeps."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def parse_iso(value: str | None) -> datetime | None:
    """A stored timestamp back as a datetime; None for a missing or unreadable one."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def now_iso() -> str:
    return iso(datetime.now(timezone.utc))  # type: ignore[return-value]


def content_hash(*parts: str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode("utf-8"))
        digest.update(b"\0")
    return digest.hexdigest()


@dataclass
class IngestCounts:
    """What one ingest call changed."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0

    def add(self, status: str) -> None:
        setattr(self, status, getattr(self, status) + 1)

    def __iadd__(self, other: IngestCounts) -> IngestCounts:
        self.new += other.new
        self.updated += other.updated
        self.unchanged += other.unchanged
        return self

    def __str__(self) -> str:
        return f"{self.new} new, {self.updated} updated, {self.unchanged} unchanged"


class Store:
    """One SQLite file or PostgreSQL database holding everything newstrace knows."""

    def __init__(self, path: str | Path, *, any_thread: bool = False) -> None:
        """path is a SQLite file or a postgresql:// URL. any_thread lets a server hand the
        connection to whichever worker thread serves the request that holds it (one request at a
        time)."""
        self.path = str(path)
        self.dialect = "postgresql" if postgres.is_url(self.path) else "sqlite"
        self.display = postgres.without_password(self.path)
        if self.dialect == "postgresql":
            try:
                self.db: Any = postgres.Connection(self.path)
                self.migrate()
            except postgres.Error as exc:
                message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                raise InputError(self.display, f"cannot open the store ({message})") from None
            return
        try:
            self.db = sqlite3.connect(self.path, timeout=30, isolation_level=None,
                                      check_same_thread=not any_thread)
            self.db.row_factory = sqlite3.Row
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.execute("PRAGMA foreign_keys=ON")
            self.migrate()
        except sqlite3.DatabaseError as exc:
            raise InputError(self.path, f"not a newstrace store ({exc})") from None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.db.close()

    # --- schema ------------------------------------------------------------------------------

    @property
    def schema_version(self) -> int:
        if self.dialect == "postgresql":
            return self.db.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()[0]
        return self.db.execute("PRAGMA user_version").fetchone()[0]

    def migrate(self) -> None:
        """Run the migrations this store has not seen yet, each in its own transaction (another
        process migrating at the same time waits, then finds nothing left to do)."""
        if self.dialect == "postgresql":
            self.db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        while True:
            with self.transaction():
                version = self.schema_version
                if version > len(MIGRATIONS):
                    raise InputError(self.display, f"store schema {version} is newer than this newstrace")
                if version == len(MIGRATIONS):
                    return
                script = for_dialect(MIGRATIONS[version], self.dialect)
                if self.dialect == "postgresql":
                    self.db.raw.execute(script)
                    self.db.execute("INSERT INTO schema_version (version) VALUES (?)", (version + 1,))
                else:
                    for statement in _statements(script):
                        self.db.execute(statement)
                    self.db.execute(f"PRAGMA user_version = {version + 1}")

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        """One transaction; writers take turns (BEGIN IMMEDIATE on SQLite, an advisory lock on
        PostgreSQL), so a read-then-write inside sees no other writer's half-done work."""
        if self.dialect == "postgresql":
            self.db.execute("BEGIN")
            self.db.execute("SELECT pg_advisory_xact_lock(hashtext('newstrace:' || current_schema()))")
        else:
            self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # --- posts -------------------------------------------------------------------------------

    def add_posts(self, posts: Iterable[Post], *, channel_title: str | None = None) -> IngestCounts:
        """Insert or update posts in one transaction; the same post twice changes nothing."""
        counts = IngestCounts()
        with self.transaction():
            for post in posts:
                counts.add(self._upsert_post(post))
                title = post.channel_title or channel_title
                self.db.execute(
                    "INSERT INTO channels (username, title) VALUES (?, ?) "
                    "ON CONFLICT (username) DO UPDATE SET title = coalesce(excluded.title, channels.title)",
                    (post.channel, title),
                )
        return counts

    def _upsert_post(self, post: Post) -> str:
        digest = content_hash(post.text, *(f"{link.kind} {link.url}" for link in post.links))
        row = self.db.execute(
            "SELECT id, text, content_hash, edited FROM posts WHERE channel = ? AND message_id = ?",
            (post.channel, post.message_id),
        ).fetchone()
        stamp = now_iso()
        preview = post.preview
        fields = {
            "posted_at": iso(post.posted_at),
            "text": post.text,
            "content_hash": digest,
            "preview_url": preview.url if preview else None,
            "preview_site": preview.site if preview else None,
            "preview_title": preview.title if preview else None,
            "preview_description": preview.description if preview else None,
            "forwarded_from": post.forwarded_from.lower() if post.forwarded_from else None,
            "forwarded_from_name": post.forwarded_from_name,
            "forwarded_message_id": post.forwarded_message_id,
            "reply_to": post.reply_to,
            "views": post.views,
            "edited": int(post.edited),
            "edited_at": iso(post.edited_at),
            "has_media": int(post.has_media),
            "collected_via": post.collected_via,
        }
        if row is None:
            fields.update(channel=post.channel, message_id=post.message_id,
                          first_seen=stamp, updated_at=stamp)
            columns = ", ".join(fields)
            marks = ", ".join("?" for _ in fields)
            post_id = self.db.execute(
                f"INSERT INTO posts ({columns}) VALUES ({marks}) RETURNING id", tuple(fields.values())
            ).fetchone()[0]
            self._record_version(post_id, post.text, digest, stamp)
            self._replace_post_links(post_id, post)
            self._evidence_changed(post_id)
            self.judge_text_again([post_id])
            return "new"
        if row["content_hash"] == digest:
            return "unchanged"
        self._record_version(row["id"], row["text"], row["content_hash"], stamp)
        self._record_version(row["id"], post.text, digest, stamp)
        fields["edited"] = int(post.edited or bool(row["edited"]) or row["text"] != post.text)
        fields["updated_at"] = stamp
        assignments = ", ".join(f"{name} = ?" for name in fields)
        self.db.execute(f"UPDATE posts SET {assignments} WHERE id = ?", (*fields.values(), row["id"]))
        self._replace_post_links(row["id"], post)
        self._evidence_changed(row["id"])
        self.judge_text_again([row["id"]])
        return "updated"

    def _evidence_changed(self, post_id: int) -> None:
        """The URL and forward steps judge this post again on their next pass."""
        self.db.execute("INSERT INTO evidence_dirty (post_id) VALUES (?) ON CONFLICT DO NOTHING", (post_id,))

    def _urls_answered(self, keys: list[str]) -> None:
        """Posts that link one of these URL keys are judged again: an article now answers to it,
        or no longer does."""
        self.rows_in("INSERT INTO evidence_dirty (post_id) SELECT DISTINCT post_id FROM post_links WHERE url_key IN",
                     (), keys, suffix=" ON CONFLICT DO NOTHING")

    def _record_version(self, post_id: int, text: str, digest: str, stamp: str) -> None:
        self.db.execute(
            "INSERT INTO post_versions (post_id, text, content_hash, seen_at) "
            "VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING", (post_id, text, digest, stamp))

    def _replace_post_links(self, post_id: int, post: Post) -> None:
        self._replace_links("post_links", "post_id", post_id, post.links)

    def _replace_links(self, table: str, owner: str, owner_id: int, links: list[Link]) -> None:
        """The links of one post or article, in their order, keyed for URL matching."""
        self.db.execute(f"DELETE FROM {table} WHERE {owner} = ?", (owner_id,))
        self.db.executemany(
            f"INSERT INTO {table} ({owner}, position, url, url_key, anchor, kind) VALUES (?, ?, ?, ?, ?, ?)",
            [(owner_id, n, link.url, url_key(link.url), link.anchor, link.kind) for n, link in enumerate(links)],
        )

    def post(self, channel: str, message_id: int) -> sqlite3.Row | None:
        return self.db.execute("SELECT * FROM posts WHERE channel = ? AND message_id = ?",
                               (channel.lower(), message_id)).fetchone()

    def post_versions(self, post_id: int) -> list[sqlite3.Row]:
        return self.db.execute("SELECT * FROM post_versions WHERE post_id = ? ORDER BY rowid",
                               (post_id,)).fetchall()

    def post_links(self, post_id: int) -> list[sqlite3.Row]:
        return self.db.execute("SELECT * FROM post_links WHERE post_id = ? ORDER BY position",
                               (post_id,)).fetchall()

    def channel_newest_id(self, channel: str) -> int | None:
        row = self.db.execute("SELECT newest_id FROM channels WHERE username = ?",
                              (channel,)).fetchone()
        return row["newest_id"] if row else None

    def mark_channel_collected(self, channel: str, newest_id: int | None) -> None:
        """Remember how far a completed collection run got, so the next one fetches only news."""
        with self.transaction():
            self.db.execute(
                "INSERT INTO channels (username, newest_id, collected_at) VALUES (?, ?, ?) "
                "ON CONFLICT (username) DO UPDATE SET "
                "newest_id = CASE WHEN coalesce(excluded.newest_id, 0) > coalesce(channels.newest_id, 0) "
                "THEN excluded.newest_id ELSE coalesce(channels.newest_id, 0) END, "
                "collected_at = excluded.collected_at",
                (channel, newest_id, now_iso()),
            )

    # --- articles ----------------------------------------------------------------------------

    def add_article(self, article: Article) -> tuple[int, str]:
        """Insert or update one article with its raw bytes; returns (id, new|updated|unchanged)."""
        key = url_key(article.canonical_url or article.url)
        keys = list(dict.fromkeys(url_key(u) for u in (article.canonical_url, article.url, *article.aliases) if u))
        text = article.text
        digest = content_hash(article.title, text, iso(article.published_at) or "",
                              *(f"{link.kind} {link.url}" for link in article.links))
        stamp = now_iso()
        with self.transaction():
            raw_hash = self._store_raw(article.raw, article.raw_type) if article.raw else None
            row = self.db.execute(
                "SELECT a.id, a.content_hash FROM article_urls u JOIN articles a "
                "ON a.id = u.article_id WHERE u.url_key IN (%s) LIMIT 1" % ",".join("?" * len(keys)),
                keys,
            ).fetchone()
            fields = {
                "url": article.url,
                "canonical_url": article.canonical_url,
                "title": article.title or "",
                "author": article.author,
                "published_at": iso(article.published_at),
                "language": article.language,
                "site_name": article.site_name,
                "description": article.description,
                "paragraphs": json.dumps(article.paragraphs, ensure_ascii=False),
                "text": text,
                "content_hash": digest,
                "raw_hash": raw_hash,
                "raw_type": article.raw_type,
                "warnings": json.dumps(article.warnings, ensure_ascii=False),
                "updated_at": stamp,
            }
            if row is None:
                fields.update(url_key=key, collected_at=stamp)
                columns = ", ".join(fields)
                marks = ", ".join("?" for _ in fields)
                article_id = self.db.execute(
                    f"INSERT INTO articles ({columns}) VALUES ({marks}) RETURNING id", tuple(fields.values())
                ).fetchone()[0]
                status = "new"
                self._text_window_opened(article.published_at)
            elif row["content_hash"] == digest:
                article_id, status = row["id"], "unchanged"
            else:
                article_id, status = row["id"], "updated"
                assignments = ", ".join(f"{name} = ?" for name in fields)
                self.db.execute(f"UPDATE articles SET {assignments} WHERE id = ?",
                                (*fields.values(), article_id))
            taken = {row[0] for row in self.db.execute(
                f"SELECT url_key FROM article_urls WHERE url_key IN ({','.join('?' * len(keys))})", keys)}
            self.db.executemany(
                "INSERT INTO article_urls (url_key, article_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
                [(k, article_id) for k in keys],
            )
            self._urls_answered([k for k in keys if k not in taken])
            if status != "unchanged":
                self._replace_links("article_links", "article_id", article_id, article.links)
                self.bump("articles_changed")
        return article_id, status

    def _store_raw(self, data: bytes, content_type: str) -> str:
        digest = hashlib.sha256(data).hexdigest()
        self.db.execute(
            "INSERT INTO raw_documents (hash, content_type, size, bytes) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (digest, content_type, len(data), data),
        )
        return digest

    def delete_article(self, article_id: int) -> None:
        """Remove an article and everything that refers to it (inside the caller's transaction):
        its full-text entry, and the rows of every table with a foreign key to articles, whatever
        later migrations add; its raw page when no other article shares it."""
        row = self.article(article_id)
        if row is None:
            return
        if self.dialect == "sqlite":
            self.db.execute("INSERT INTO articles_fts (articles_fts, rowid, title, text) VALUES ('delete', ?, ?, ?)",
                            (article_id, row["title"], row["text"]))
        self._urls_answered([row[0] for row in self.db.execute(
            "SELECT url_key FROM article_urls WHERE article_id = ?", (article_id,))])
        self.judge_text_again([row[0] for row in self.db.execute(
            "SELECT post_id FROM matches WHERE article_id = ?", (article_id,))])
        for table, column in self._references_to("articles"):
            self.db.execute(f"DELETE FROM {table} WHERE {column} = ?", (article_id,))
        self.db.execute("DELETE FROM articles WHERE id = ?", (article_id,))
        self.bump("articles_changed")
        if row["raw_hash"]:
            self.db.execute("DELETE FROM raw_documents WHERE hash = ? AND NOT EXISTS "
                            "(SELECT 1 FROM articles WHERE raw_hash = ?)", (row["raw_hash"], row["raw_hash"]))

    def _references_to(self, target: str) -> list[tuple[str, str]]:
        """(table, column) of every foreign key pointing at a table, read from the schema."""
        if self.dialect == "postgresql":
            return [tuple(row) for row in self.db.execute(
                "SELECT c.conrelid::regclass::text, a.attname FROM pg_constraint c "
                "JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1] "
                "WHERE c.contype = 'f' AND c.confrelid = ?::regclass", (target,)).fetchall()]
        return [(table, key["from"])
                for (table,) in self.db.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
                for key in self.db.execute(f"PRAGMA foreign_key_list({table})").fetchall()
                if key["table"] == target]

    def article(self, article_id: int) -> sqlite3.Row | None:
        return self.db.execute("SELECT * FROM articles WHERE id = ?", (article_id,)).fetchone()

    def article_by_url(self, url: str) -> sqlite3.Row | None:
        return self.db.execute(
            "SELECT a.* FROM article_urls u JOIN articles a ON a.id = u.article_id WHERE u.url_key = ?",
            (url_key(url),),
        ).fetchone()

    def article_links(self, article_id: int) -> list[sqlite3.Row]:
        return self.db.execute("SELECT * FROM article_links WHERE article_id = ? ORDER BY position",
                               (article_id,)).fetchall()

    def articles(self) -> list[sqlite3.Row]:
        return self.db.execute(
            "SELECT * FROM articles ORDER BY coalesce(published_at, collected_at), id").fetchall()

    def articles_version(self) -> tuple[str, str, str]:
        """Changes whenever an article is added, re-extracted or deleted (by any connection, even
        twice in one second): what in-process caches of article-derived indexes are keyed by."""
        store_id = self.db.execute("SELECT value FROM store_meta WHERE key = 'store_id'").fetchone()[0]
        return self.path, store_id, self.counter("articles_changed")

    def counter(self, key: str) -> str:
        """A change counter kept in store_meta ("0" until first bumped)."""
        row = self.db.execute("SELECT value FROM store_meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else "0"

    def bump(self, key: str) -> int:
        """Count one more change of a kind (inside the caller's transaction); returns the count."""
        return int(self.db.execute(
            "INSERT INTO store_meta (key, value) VALUES (?, '1') ON CONFLICT (key) "
            "DO UPDATE SET value = CAST(CAST(store_meta.value AS INTEGER) + 1 AS TEXT) RETURNING value",
            (key,)).fetchall()[0][0])

    def raw_document(self, digest: str) -> bytes | None:
        row = self.db.execute("SELECT bytes FROM raw_documents WHERE hash = ?", (digest,)).fetchone()
        return bytes(row["bytes"]) if row else None

    # --- matches -----------------------------------------------------------------------------

    def save_matches(self, matches: Iterable[Match], *, stages: Iterable[str],
                     scope: set[int] | None = None) -> int:
        """Make the stored decisions of these stages equal to `matches`; returns rows changed.

        Decisions of other stages are left alone; one that did not change keeps its time. With a
        scope (post ids), only the decisions of those posts are replaced: the rest were not judged.
        """
        with self.transaction():
            return self.write_matches(matches, stages=stages, scope=scope)[0]

    def write_matches(self, matches: Iterable[Match], *, stages: Iterable[str],
                      scope: set[int] | None = None) -> tuple[int, list[int]]:
        """save_matches inside the caller's transaction; returns the decisions changed and the
        posts whose decision was removed. With a scope, only the decisions of the scope's posts
        are read back, so judging a few posts costs a few rows however large the store."""
        stages = tuple(stages)
        stamp = now_iso()
        matches = list(matches)
        ids = self.post_ids((match.channel, match.message_id) for match in matches)
        wanted = {ids[key]: match for match in matches
                  if (key := (match.channel.lower(), match.message_id)) in ids}
        marks = ",".join("?" * len(stages))
        query = f"SELECT post_id, article_id, stage, score, evidence FROM matches WHERE stage IN ({marks})"
        found = (self.db.execute(query, stages).fetchall() if scope is None
                 else self.rows_in(f"{query} AND post_id IN", stages, sorted(set(scope) | set(wanted))))
        current = {row[0]: tuple(row[1:]) for row in found}
        stale = [post_id for post_id in current if post_id not in wanted and (scope is None or post_id in scope)]
        self.db.executemany("DELETE FROM matches WHERE post_id = ?", [(post_id,) for post_id in stale])
        rows = []
        for post_id, match in wanted.items():
            evidence = json.dumps(match.evidence, ensure_ascii=False, sort_keys=True)
            if current.get(post_id) != (match.article_id, match.stage, match.score, evidence):
                rows.append((post_id, match.article_id, match.stage, match.score, evidence, stamp))
        self.db.executemany(
            "INSERT INTO matches (post_id, article_id, stage, score, evidence, decided_at) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (post_id) DO UPDATE SET "
            "article_id = excluded.article_id, stage = excluded.stage, "
            "score = excluded.score, evidence = excluded.evidence, "
            "decided_at = excluded.decided_at", rows)
        return len(stale) + len(rows), stale

    def rows_in(self, query: str, params: Sequence[Any], values: Sequence[Any], *,
                suffix: str = "") -> list[sqlite3.Row]:
        """The rows of `query ... IN (values) suffix` (the query ends with IN; a write returns
        none), in a few statements however many values are asked. Tuple values are matched as
        rows: `(channel, message_id) IN`."""
        found: list[sqlite3.Row] = []
        for start in range(0, len(values), config.SQL_BATCH):
            chunk = values[start:start + config.SQL_BATCH]
            if isinstance(chunk[0], tuple):
                marks = "VALUES " + ",".join("(" + ",".join("?" * len(value)) + ")" for value in chunk)
                flat = [part for value in chunk for part in value]
            else:
                marks, flat = ",".join("?" * len(chunk)), list(chunk)
            cursor = self.db.execute(f"{query} ({marks}){suffix}", (*params, *flat))
            if cursor.description:
                found += cursor.fetchall()
        return found

    def post_ids(self, keys: Iterable[tuple[str, int]]) -> dict[tuple[str, int], int]:
        """Store ids of posts by (channel, message id), in a few queries however many are asked."""
        wanted = list(dict.fromkeys((channel.lower(), number) for channel, number in keys))
        return {(row[1], row[2]): row[0] for row in self.rows_in(
            "SELECT id, channel, message_id FROM posts WHERE (channel, message_id) IN", (), wanted)}

    def judge_text_again(self, post_ids: Sequence[int]) -> None:
        """The text-only steps (copy, semantic) judge these posts on their next pass (inside the
        caller's transaction). Each mark carries a new ticket, so a pass that read the post
        before it changed does not clear it."""
        if post_ids:
            self._text_pending("id IN", (), post_ids)

    def _text_window_opened(self, published: datetime | None) -> None:
        """A new article could be the source of the posts near it in time: those within
        config.REJUDGE_WINDOW_DAYS, those of unknown time, and every post if it has no date."""
        if published is None:
            self._text_pending("true", ())
            return
        spread = timedelta(days=config.REJUDGE_WINDOW_DAYS)
        self._text_pending("posted_at IS NULL OR posted_at BETWEEN ? AND ?",
                           (iso(published - spread), iso(published + spread)))

    def _text_pending(self, where: str, params: Sequence[Any], post_ids: Sequence[int] | None = None) -> None:
        """Mark the posts matching `where` (with `post_ids` when it ends with IN) for every text step."""
        ticket = self.bump("text_ticket")
        insert = f"INSERT INTO text_pending (post_id, stage, ticket) SELECT id, ?, ? FROM posts WHERE {where}"
        upsert = " ON CONFLICT (post_id, stage) DO UPDATE SET ticket = excluded.ticket"
        for stage in config.TEXT_STAGES:
            if post_ids is None:
                self.db.execute(insert + upsert, (stage, ticket, *params))
            else:
                self.rows_in(insert, (stage, ticket, *params), post_ids, suffix=upsert)

    def posts_to_judge(self, stage: str) -> list[sqlite3.Row]:
        """Posts with text that no URL or forward links, which `stage` has not judged since the
        post changed, since it lost its URL or forward link, or since an article arrived that
        could be its source (`_text_window_opened`). They are read off a queue, so a trace
        after one new post costs that post, not a pass over the store. Each row carries the
        ticket of its mark, for mark_judged."""
        return self.db.execute(
            "SELECT p.*, q.ticket AS text_ticket FROM text_pending q JOIN posts p ON p.id = q.post_id "
            "LEFT JOIN matches m ON m.post_id = p.id AND m.stage IN ('url', 'forward', 'mention') "
            "WHERE q.stage = ? AND m.post_id IS NULL AND length(trim(p.text)) > 0 "
            "ORDER BY p.id", (stage,)).fetchall()

    def epoch(self, column: str) -> str:
        """SQL for a stored timestamp as whole seconds since 1970."""
        if self.dialect == "postgresql":
            return f"CAST(extract(epoch FROM ({column})::timestamptz) AS BIGINT)"
        return f"CAST(strftime('%s', {column}) AS INTEGER)"

    def mark_judged(self, stage: str, posts: Iterable[sqlite3.Row]) -> None:
        """Clear the marks of these judged posts (rows of posts_to_judge), unless a post was
        marked again since it was read, and the marks of posts `stage` has nothing to judge in:
        linked by URL or forward, or without text (a change marks them again)."""
        with self.transaction():
            self.db.executemany("DELETE FROM text_pending WHERE post_id = ? AND stage = ? AND ticket = ?",
                                [(row["id"], stage, row["text_ticket"]) for row in posts])
            self.db.execute(
                "DELETE FROM text_pending WHERE stage = ? AND post_id IN (SELECT p.id FROM posts p "
                "JOIN text_pending q ON q.post_id = p.id AND q.stage = ? "
                "LEFT JOIN matches m ON m.post_id = p.id AND m.stage IN ('url', 'forward', 'mention') "
                "WHERE m.post_id IS NOT NULL OR length(trim(p.text)) = 0)", (stage, stage))

    def match_for_post(self, post_id: int) -> sqlite3.Row | None:
        return self.db.execute("SELECT * FROM matches WHERE post_id = ?", (post_id,)).fetchone()

    def relays(self, article_id: int) -> list[sqlite3.Row]:
        """Posts linked to an article, oldest first, with the link's stage, score and evidence."""
        return self.db.execute(
            "SELECT p.*, m.stage, m.score, m.evidence, c.title AS channel_title "
            "FROM matches m JOIN posts p ON p.id = m.post_id "
            "LEFT JOIN channels c ON c.username = p.channel "
            "WHERE m.article_id = ? ORDER BY p.posted_at, p.channel, p.message_id",
            (article_id,),
        ).fetchall()

    # --- overview ----------------------------------------------------------------------------

    def counts(self) -> dict[str, Any]:
        totals = {table: self.db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                  for table in ("posts", "channels", "articles", "matches")}
        totals["links_by_stage"] = dict(
            self.db.execute("SELECT stage, count(*) FROM matches GROUP BY stage").fetchall())
        return totals


def _statements(script: str) -> list[str]:
    """Split a migration into statements, keeping trigger bodies whole."""
    statements, buffer = [], ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        statements.append(buffer.strip())
    return statements


def fresh_store(target: str | Path) -> Store:
    """An empty store at target, whatever was there: a SQLite file is deleted; a PostgreSQL
    database has every table of its current schema dropped."""
    if postgres.is_url(target):
        with Store(target) as old:
            postgres.drop_schema_objects(old.db)
    else:
        for stale in (Path(target), Path(f"{target}-wal"), Path(f"{target}-shm")):
            stale.unlink(missing_ok=True)
    return Store(target)


def open_store(path: str | Path | None = None) -> Store:
    """Open (creating and migrating if needed) the store at path, or at the configured default."""
    return Store(path or default_db_path())
