"""Full-text search on each backend's own terms: SQLite's FTS5 (every word as typed, diacritics
ignored) and PostgreSQL's text search (Russian and English stemming, so «забастовки» finds
«забастовка»). Both find rows holding every word of the query, best first, with a snippet whose
matches are marked [like this]."""

from __future__ import annotations

from typing import Any

from newstrace.store.core import Store

_HEADLINE = "'StartSel=[, StopSel=], MaxWords=14, MinWords=5, MaxFragments=1, FragmentDelimiter=…'"
_PG_QUERY = "(SELECT plainto_tsquery('russian', ?) || plainto_tsquery('english', ?) AS query) q"


def _fts5_terms(query: str) -> str:
    """Words as quoted FTS5 terms, so that user input is never read as FTS syntax."""
    return " ".join('"{}"'.format(word.replace('"', '""')) for word in query.split())


def articles(store: Store, query: str, limit: int) -> list[Any]:
    """Rows of (id, snip) for the articles matching every word of the query."""
    if store.dialect == "postgresql":
        return store.db.execute(
            f"SELECT a.id, ts_headline('russian', a.text, q.query, {_HEADLINE}) AS snip FROM {_PG_QUERY} "
            "JOIN articles_fts f ON f.fts @@ q.query JOIN articles a ON a.id = f.article_id "
            "ORDER BY ts_rank(f.fts, q.query) DESC, a.id LIMIT ?", (query, query, limit)).fetchall()
    return store.db.execute(
        "SELECT rowid AS id, snippet(articles_fts, 1, '[', ']', '…', 12) AS snip FROM articles_fts "
        "WHERE articles_fts MATCH ? ORDER BY rank LIMIT ?", (_fts5_terms(query), limit)).fetchall()


def posts(store: Store, query: str, limit: int) -> list[Any]:
    """Rows of (id, channel, message_id, posted_at, snip) for the posts matching every word."""
    if store.dialect == "postgresql":
        return store.db.execute(
            "SELECT p.id, p.channel, p.message_id, p.posted_at, "
            f"ts_headline('russian', p.text, q.query, {_HEADLINE}) AS snip FROM {_PG_QUERY} "
            "JOIN posts_fts f ON f.fts @@ q.query JOIN posts p ON p.id = f.post_id "
            "ORDER BY ts_rank(f.fts, q.query) DESC, p.id LIMIT ?", (query, query, limit)).fetchall()
    return store.db.execute(
        "SELECT p.id, p.channel, p.message_id, p.posted_at, snippet(posts_fts, 0, '[', ']', '…', 12) AS snip "
        "FROM posts_fts JOIN posts p ON p.id = posts_fts.rowid "
        "WHERE posts_fts MATCH ? ORDER BY rank LIMIT ?", (_fts5_terms(query), limit)).fetchall()
