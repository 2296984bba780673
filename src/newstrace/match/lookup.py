"""Tracing one text on demand (a pasted post, a post URL) and searching the store, for the API
and the web UI: the same cascade as `trace`, run for one item and written nowhere but the
embedding cache, so that asking a question never changes the store's links."""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import numpy as np

from newstrace import config
from newstrace.errors import InputError, NotFoundError
from newstrace.extract.language import detect_language
from newstrace.extract.urls import tme_post, url_key, urls_in_text
from newstrace.collect.http import Fetcher
from newstrace.collect.telegram_web import fetch_preview_page
from newstrace.match.attribution import credit_evidence
from newstrace.match.cascade import trace
from newstrace.match.embed import Embedder, embed_cached, get_embedder
from newstrace.match.near_copy import link_near_copies
from newstrace.match.semantic import LinkerModel, link_semantic, load_pool, post_view
from newstrace.model import Link, Match
from newstrace.report.dossier import align, lag_seconds
from newstrace.store import fulltext
from newstrace.store.core import Store, iso

_MODEL_LOCK = threading.RLock()
_EMBEDDER: list[Embedder] = []


class _Serialized:
    """An embedder that embeds for one thread at a time, for servers with worker threads."""

    def __init__(self, inner: Embedder) -> None:
        self.inner, self.name, self.dim = inner, inner.name, inner.dim

    def embed(self, texts: Sequence[str], *, query: bool) -> np.ndarray:
        with _MODEL_LOCK:
            return self.inner.embed(texts, query=query)


def shared_embedder() -> Embedder:
    """One embedder per process, loaded on first use: loading costs seconds, embedding does not."""
    with _MODEL_LOCK:
        if not _EMBEDDER:
            _EMBEDDER.append(_Serialized(get_embedder()))
        return _EMBEDDER[0]


def article_summary(store: Store, article_id: int) -> dict[str, Any]:
    row = store.article(article_id)
    story = store.db.execute("SELECT story FROM article_stories WHERE article_id = ?", (article_id,)).fetchone()
    return {"id": article_id, "url": row["url"], "title": row["title"], "site_name": row["site_name"],
            "published_at": row["published_at"], "language": row["language"],
            "story": story["story"] if story else None}


def _by_url(store: Store, text: str) -> Match | None:
    """A URL of a stored article written in the text, or a t.me post of the store already traced."""
    for url in urls_in_text(text):
        found = store.db.execute("SELECT article_id FROM article_urls WHERE url_key = ?", (url_key(url),)).fetchone()
        if found:
            return Match("", 0, found["article_id"], "url", config.URL_LINK_SCORE["text"],
                         {"url": url, "link_kind": "text"})
        pointed = tme_post(url)
        post = store.post(*pointed) if pointed else None
        match = store.match_for_post(post["id"]) if post else None
        if match:
            return Match("", 0, match["article_id"], "mention", match["score"],
                         {"mentions": f"https://t.me/{pointed[0]}/{pointed[1]}", "via_stage": match["stage"]})
    return None


def _nearest(store: Store, embedder: Embedder, text: str, limit: int) -> list[dict[str, Any]]:
    pool = load_pool(store, embedder)
    if not pool.ids:
        return []
    vector = embed_cached(store, embedder, [post_view(text)], query=True)[0]
    sims = pool.vectors @ vector
    return [{**article_summary(store, pool.ids[i]), "similarity": round(float(sims[i]), 4)}
            for i in np.argsort(-sims)[:limit]]


def trace_text(store: Store, text: str, *, posted_at: datetime | None = None, semantic: bool = True,
               embedder: Embedder | None = None, model: LinkerModel | None = None) -> dict[str, Any]:
    """The source of a text that is not (or not yet) in the store: by URL, near-verbatim copy,
    then meaning (without a time, only dates the text gives narrow the candidates); with the
    evidence, the credit, the paragraph it relays and, when semantic, the nearest articles
    whether or not one was linked."""
    text = text.strip()
    if not text:
        raise InputError("text", "empty: paste the post's text or give its t.me URL")
    stamp = iso(posted_at) if posted_at else None
    row = {"id": 0, "channel": "", "message_id": 0, "text": text, "posted_at": stamp}
    match = _by_url(store, text) or next(iter(link_near_copies(store, [row])), None)
    nearest: list[dict[str, Any]] = []
    if semantic:
        embedder = embedder or shared_embedder()
        if match is None:
            match = next(iter(link_semantic(store, load_pool(store, embedder), [row],
                                            embedder=embedder, model=model)), None)
        nearest = _nearest(store, embedder, text, config.TRACE_NEAREST)
    result: dict[str, Any] = {"text": text, "posted_at": stamp, "language": detect_language(text),
                              "linked": match is not None, "nearest": nearest}
    if match is None:
        return result
    links = [Link(url, url, "text") for url in urls_in_text(text)]
    article = store.article(match.article_id)
    match.evidence.update(credit_evidence(text, links, article_url=article["url"], site_name=article["site_name"],
                                          forwarded_from=None, forwarded_from_name=None, own_channel=None))
    result.update(_source(store, match.article_id, text, stamp, match.stage, match.score, match.evidence))
    return result


def _source(store: Store, article_id: int, text: str, posted_at: str | None, stage: str, score: float,
            evidence: dict[str, Any]) -> dict[str, Any]:
    """What a trace answers about the source found: the article, how it was found, the credit,
    the lag and the paragraph relayed."""
    article = store.article(article_id)
    paragraphs = json.loads(article["paragraphs"])
    index, _ = align(text, paragraphs)
    return {"linked": True, "source": article_summary(store, article_id), "stage": stage, "score": score,
            "evidence": evidence, "credit": evidence.get("credit"), "credited": bool(evidence.get("credit")),
            "lag_seconds": lag_seconds(posted_at, article["published_at"]),
            "paragraph": index, "paragraph_text": paragraphs[index] if paragraphs else None}


def trace_post(store: Store, url: str, *, fetcher: Fetcher | None = None,
               base_url: str = config.TELEGRAM_BASE_URL, embedder: Embedder | None = None) -> dict[str, Any]:
    """What the store decided for a post given by its t.me URL. A post the store lacks is read
    from its channel's web preview when a fetcher is given (with its neighbours on that page),
    stored and traced first."""
    pointed = tme_post(url)
    if pointed is None:
        raise InputError(url, "not a public channel post URL (https://t.me/<channel>/<id>)")
    post = store.post(*pointed)
    if post is None and fetcher is not None:
        page = fetch_preview_page(fetcher, pointed[0], pointed[1] + 1, base_url)
        store.add_posts(page.posts, channel_title=page.channel_title)
        trace(store, embedder=embedder or shared_embedder())
        post = store.post(*pointed)
    if post is None:
        raise NotFoundError(url, "this post is not in the store (nor on its channel's preview page)"
                            if fetcher else "this post is not in the store: collect its channel first")
    result: dict[str, Any] = {"post": {"url": f"https://t.me/{pointed[0]}/{pointed[1]}", "channel": post["channel"],
                                       "posted_at": post["posted_at"], "text": post["text"]},
                              "linked": False}
    match = store.match_for_post(post["id"])
    if match is None:
        return result
    result.update(_source(store, match["article_id"], post["text"], post["posted_at"], match["stage"], match["score"],
                          json.loads(match["evidence"])))
    return result


def search(store: Store, query: str, *, semantic: bool = False, limit: int = config.SEARCH_LIMIT,
           embedder: Embedder | None = None) -> dict[str, Any]:
    """Articles and posts matching a query: full text (every word, any order) or, with
    semantic, the articles nearest in meaning in any language."""
    if not query.strip():
        raise InputError("q", "empty query")
    if semantic:
        embedder = embedder or shared_embedder()
        return {"query": query, "mode": "semantic", "articles": _nearest(store, embedder, query, limit), "posts": []}
    articles = [{**article_summary(store, row["id"]), "snippet": row["snip"]}
                for row in fulltext.articles(store, query, limit)]
    posts = []
    for row in fulltext.posts(store, query, limit):
        match = store.match_for_post(row["id"])
        posts.append({"url": f"https://t.me/{row['channel']}/{row['message_id']}", "channel": row["channel"],
                      "posted_at": row["posted_at"], "snippet": row["snip"],
                      "source": article_summary(store, match["article_id"]) if match else None})
    return {"query": query, "mode": "text", "articles": articles, "posts": posts}
