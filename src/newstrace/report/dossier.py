"""The dossier of one source article: its text, every relay placed after the paragraph it relays,
its original URL, related links, and flags a careful reader would raise.

Built from the store as a plain dict (the JSON format); the text format mirrors the reference
dossier in shared/seed/.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable
from typing import Any

import numpy as np

from newstrace import config
from newstrace.errors import NotFoundError
from newstrace.extract.urls import tme_post, url_date
from newstrace.match.embed import Embedder, embed_cached
from newstrace.match.semantic import load_pool, post_view
from newstrace.store.core import Store, parse_iso
from newstrace.stories.related import related_stories

_WORD = re.compile(r"\w+", re.UNICODE)


def _words(text: str) -> set[str]:
    return {w for w in (m.group(0).lower() for m in _WORD.finditer(text)) if len(w) > 2 or w.isdigit()}


def align(text: str, paragraphs: list[str]) -> tuple[int, float]:
    """The paragraph a relay relays, by the share of the relay's words found in it.

    Below config.ALIGN_MIN_OVERLAP (a retelling in another language, say) the relay is placed
    after the lead, which is what relays most often carry.
    """
    words = _words(text)
    if not words or not paragraphs:
        return 0, 0.0
    scores = [len(words & _words(p)) / len(words) for p in paragraphs]
    best = max(range(len(scores)), key=lambda i: (scores[i], -i))
    if scores[best] < config.ALIGN_MIN_OVERLAP:
        return 0, scores[best]
    return best, scores[best]


def align_semantic(store: Store, embedder: Embedder, text: str, paragraphs: list[str]) -> tuple[int, float]:
    """The paragraph a relay relays by multilingual similarity, for relays that share too few
    words with the source (other languages); paragraphs and relays are embedded once, cached."""
    vectors = embed_cached(store, embedder, paragraphs, query=False)
    sims = vectors @ embed_cached(store, embedder, [post_view(text)], query=True)[0]
    best = int(np.argmax(sims))
    return best, float(sims[best])


def lag_seconds(posted_at: str | None, published_at: str | None) -> float | None:
    """How long after its source a relay came out; None when either time is unknown."""
    posted, source_time = parse_iso(posted_at), parse_iso(published_at)
    return (posted - source_time).total_seconds() if posted and source_time else None


def _relay(row: sqlite3.Row, paragraphs: list[str], published: str | None,
           semantic_align: Callable[[str], tuple[int, float]] | None) -> dict[str, Any]:
    lag = lag_seconds(row["posted_at"], published)
    index, overlap = align(row["text"], paragraphs)
    aligned_by = "words"
    if overlap < config.ALIGN_MIN_OVERLAP and semantic_align and paragraphs:
        index, overlap = semantic_align(row["text"])
        aligned_by = "embedding"
    evidence = json.loads(row["evidence"])
    return {
        "url": f"https://t.me/{row['channel']}/{row['message_id']}",
        "channel": row["channel"],
        "channel_title": row["channel_title"],
        "posted_at": row["posted_at"],
        "lag_seconds": lag,
        "stage": row["stage"],
        "score": row["score"],
        "credited": bool(evidence.get("credit")),
        "credit": evidence.get("credit"),
        "evidence": evidence,
        "paragraph": index,
        "paragraph_overlap": round(overlap, 3),
        "aligned_by": aligned_by,
        "text": row["text"],
        "edited": bool(row["edited"]),
    }


def _flags(article: sqlite3.Row, related: list[dict[str, str]]) -> list[dict[str, Any]]:
    flags: list[dict[str, Any]] = []
    published = (article["published_at"] or "")[:10]
    for link in related:
        linked_date = url_date(link["url"])
        if published and linked_date and linked_date > published:
            flags.append({
                "type": "related_link_dated_after_source", "url": link["url"],
                "url_date": linked_date, "source_date": published,
                "message": f"related link dated {linked_date} on a page published {published}",
            })
    if not published:
        flags.append({"type": "no_publication_date", "message": "the page gives no publication date"})
    for warning in json.loads(article["warnings"] or "[]"):
        flags.append({"type": "extraction", "message": warning})
    return flags


def build_dossier(store: Store, article_id: int,
                  embedder: Callable[[], Embedder] | None = None) -> dict[str, Any]:
    """Everything known about one article and its relays, as a JSON-ready dict.

    With an embedder (a function that loads it), relays in another language are placed at their
    paragraph by similarity, and the stories related to the article's own are listed.
    """
    article = store.article(article_id)
    if article is None:
        raise NotFoundError(f"article {article_id}", "not in the store")
    paragraphs = json.loads(article["paragraphs"])
    links = store.article_links(article_id)
    related = [{"url": link["url"], "anchor": link["anchor"]} for link in links if link["kind"] == "related"]
    semantic_align = (lambda text: align_semantic(store, embedder(), text, paragraphs)) if embedder else None
    relays = [_relay(row, paragraphs, article["published_at"], semantic_align) for row in store.relays(article_id)]
    story = store.db.execute("SELECT story FROM article_stories WHERE article_id = ?", (article_id,)).fetchone()
    return {
        "article": {
            "id": article_id,
            "url": article["url"],
            "original_url": article["canonical_url"] or article["url"],
            "title": article["title"],
            "author": article["author"],
            "published_at": article["published_at"],
            "language": article["language"],
            "site_name": article["site_name"],
            "story": story["story"] if story else None,
        },
        "related_stories": (related_stories(store, load_pool(store, embedder()), story["story"])
                            if story and embedder else []),
        "paragraphs": paragraphs,
        "relays": relays,
        "related_links": related,
        "outgoing_links": [{"url": link["url"], "anchor": link["anchor"]}
                           for link in links if link["kind"] != "related"],
        "flags": _flags(article, related),
    }


def render_text(dossier: dict[str, Any]) -> str:
    """The reference format: text, each relay's t.me link after its paragraph, original URL, related links."""
    by_paragraph: dict[int, list[str]] = {}
    for relay in dossier["relays"]:
        by_paragraph.setdefault(relay["paragraph"], []).append(relay["url"])
    lines = [dossier["article"]["title"]]
    for index, paragraph in enumerate(dossier["paragraphs"]):
        lines += [paragraph, ""]
        if index in by_paragraph:
            lines += ["", *by_paragraph[index], ""]
    lines += ["Original url:", dossier["article"]["original_url"], "", ""]
    lines += [link["url"] for link in dossier["related_links"]]
    return "\n".join(lines).rstrip("\n") + "\n"


def find_article(store: Store, target: str) -> tuple[int, dict[str, Any] | None]:
    """The article a dossier is asked for, by its URL or by the t.me URL of a post relaying it.

    Returns (article id, the post's row as a dict when asked by post). A post with no source in
    the store is an InputError that says so, rather than a guess.
    """
    post_ref = tme_post(target)
    if post_ref:
        post = store.post(*post_ref)
        if post is None:
            raise NotFoundError(target, "this post is not in the store (collect its channel first)")
        match = store.match_for_post(post["id"])
        if match is None:
            linked = [link["url"] for link in store.post_links(post["id"]) if not tme_post(link["url"])]
            hint = f"; it links to {', '.join(linked)} (not collected)" if linked else ""
            raise NotFoundError(target, f"no source for this post in the store{hint}")
        return match["article_id"], dict(post)
    article = store.article_by_url(target)
    if article is None:
        raise NotFoundError(target, "no article with this URL in the store")
    return article["id"], None


def _lag(seconds: float | None) -> str:
    if seconds is None:
        return "lag ?"
    sign = "-" if seconds < 0 else "+"
    minutes = int(abs(seconds) // 60)
    return f"{sign}{minutes // 60}h{minutes % 60:02d}m" if minutes >= 60 else f"{sign}{minutes}m"


def render_summary(dossier: dict[str, Any]) -> str:
    """A reader's digest of the dossier: who relayed it, when, how it was linked, what looks off."""
    article = dossier["article"]
    lines = [f"== {article['title']} ({article['site_name'] or article['original_url']}, "
             f"{article['published_at'] or 'date unknown'})",
             f"{len(dossier['relays'])} relays:"]
    for relay in dossier["relays"]:
        credit = relay["credit"] or "no credit"
        if relay["evidence"].get("credit_phrase"):
            credit += f" «{relay['evidence']['credit_phrase']}»"
        lines.append(f"  {relay['url']:<40} {relay['posted_at']}  {_lag(relay['lag_seconds']):>8}  "
                     f"{relay['stage']:<8} {relay['score']:.2f}  {credit}  -> paragraph {relay['paragraph'] + 1}")
    for flag in dossier["flags"]:
        lines.append(f"flag: {flag['message']}")
    if article["story"]:
        lines.append(f"story: {article['story']} (see: newstrace story {article['story']})")
    for entry in dossier.get("related_stories", []):
        lines.append(f"related story {entry['id']}: {entry['title']} (shared: {', '.join(entry['shared_names'])})")
    return "\n".join(lines) + "\n"
