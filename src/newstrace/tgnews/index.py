"""The contest server's index: which file holds which article, and for how long, kept in the store.

A file stays indexed for its max-age (the PUT's Cache-Control) counted from its article's
publication time; the index's clock is the newest publication time it holds, as in the contest,
whose articles are not of today. Articles the index added are deleted with their last file;
articles the store held before a file named them are left in place.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from newstrace import config
from newstrace.errors import InputError
from newstrace.match.embed import get_embedder
from newstrace.store.core import Store, now_iso
from newstrace.stories.category import CATEGORIES, Categorizer
from newstrace.tgnews.parse import parse_page
from newstrace.tgnews.threads import Doc, build_threads


class Index:
    """Files put into and deleted from one store, and the threads of what is indexed."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._categorizer: Categorizer | None = None

    def docs(self) -> list[Doc]:
        """Every indexed file, by name."""
        rows = self.store.db.execute(
            "SELECT f.name, a.id, a.title, a.text, a.language, a.site_name, a.url, a.published_at "
            "FROM tgnews_files f JOIN articles a ON a.id = f.article_id ORDER BY f.name").fetchall()
        return [Doc.from_row(row["name"], row) for row in rows]

    def put(self, name: str, raw: bytes, max_age: int | None) -> bool:
        """Index (or re-index) one file; True when the name is new. InputError for a page that
        is not an article or has no publication time (the index could never expire it)."""
        article = parse_page(raw, name)
        if article.published_at is None:
            raise InputError(name, "no publication time (article:published_time or <time datetime>)")
        before = self.store.db.execute("SELECT article_id, owned FROM tgnews_files WHERE name = ?", (name,)).fetchone()
        article_id, status = self.store.add_article(article)
        with self.store.transaction():
            owned = status == "new" or self.store.db.execute(
                "SELECT 1 FROM tgnews_files WHERE article_id = ? AND owned = 1", (article_id,)).fetchone() is not None
            self.store.db.execute(
                "INSERT INTO tgnews_files (name, article_id, max_age, owned, put_at) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (name) DO UPDATE SET article_id = excluded.article_id, max_age = excluded.max_age, "
                "owned = excluded.owned, put_at = excluded.put_at",
                (name, article_id, max_age, int(owned), now_iso()))
            if before is not None and before["article_id"] != article_id:
                self._release(before["article_id"], bool(before["owned"]))
        self.expire()
        return before is None

    def delete(self, name: str) -> bool:
        """Forget one file; False when it is not indexed."""
        row = self.store.db.execute("SELECT article_id, owned FROM tgnews_files WHERE name = ?", (name,)).fetchone()
        if row is None:
            return False
        with self.store.transaction():
            self.store.db.execute("DELETE FROM tgnews_files WHERE name = ?", (name,))
            self._release(row["article_id"], bool(row["owned"]))
        return True

    def expire(self) -> None:
        """Forget the files whose max-age has run out by the index's clock."""
        epoch = self.store.epoch("a.published_at")
        stale = [row["name"] for row in self.store.db.execute(
            f"SELECT f.name FROM tgnews_files f JOIN articles a ON a.id = f.article_id "
            f"WHERE f.max_age IS NOT NULL AND {epoch} + f.max_age < (SELECT max({epoch}) "
            f"FROM tgnews_files f JOIN articles a ON a.id = f.article_id)")]
        for name in stale:
            self.delete(name)

    def _release(self, article_id: int, owned: bool) -> None:
        """Delete an article the index added (owned) once no file names it (inside a transaction)."""
        db = self.store.db
        if not owned or db.execute("SELECT 1 FROM tgnews_files WHERE article_id = ?", (article_id,)).fetchone():
            return
        self.store.delete_article(article_id)

    def threads(self, *, period: int, language: str, category: str) -> list[dict[str, Any]]:
        """The contest's threads: news in `language` published in the last `period` seconds of
        the index's clock, of `category` ("any" for all), most important first."""
        if period < 0:
            raise InputError("period", f"{period} is negative (seconds back from the newest article)")
        if language not in config.TGNEWS_LANGUAGES:
            raise InputError("lang_code", f"{language!r} is not one of {', '.join(config.TGNEWS_LANGUAGES)}")
        if category != "any" and category not in CATEGORIES:
            raise InputError("category", f"{category!r} is not 'any' or one of {', '.join(CATEGORIES)}")
        self.expire()
        docs = self.docs()
        clock = max((d.published_at for d in docs if d.published_at), default=None)
        if clock is None:
            return []
        start = clock - timedelta(seconds=period)
        chosen = [d for d in docs if d.language == language and d.news and d.published_at and d.published_at >= start]
        if not chosen:
            return []
        embedder = get_embedder()
        if self._categorizer is None:
            self._categorizer = Categorizer.with_embeddings(self.store, embedder)
        found = build_threads(self.store, embedder, chosen, self._categorizer)
        return [t.record(category=True) for t in found if category in ("any", t.category)]
