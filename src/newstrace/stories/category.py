"""A news category per article, post or story, and whether a page is news at all.

The seven categories are the Telegram Data Clustering Contest's (society, economy, technology,
sports, entertainment, science, other). The classifier is cheap and explainable: keywords per
category in Russian and English (``newstrace/data/categories.json``, extended by the file
``$NEWSTRACE_CATEGORIES`` names), and, when a text's embedding is at hand, its similarity to short
descriptions of each category in both languages. The embeddings carry texts with no keyword and
other languages; the keywords correct the embeddings where the wording is plain
(bench/categories.py measures both).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np

from newstrace import config
from newstrace.errors import InputError
from newstrace.jsondata import parse_json
from newstrace.match.embed import Embedder, embed_cached
from newstrace.store.core import Store

CATEGORIES = ("society", "economy", "technology", "sports", "entertainment", "science", "other")
_BUILTIN = "newstrace/data/categories.json"


@dataclass(frozen=True)
class Lexicon:
    """Keywords (compiled, one pattern per category), descriptions and not-news title patterns."""

    keywords: tuple[re.Pattern[str], ...]
    descriptions: tuple[tuple[str, ...], ...]
    not_news_titles: re.Pattern[str] | None


def _normal(text: str) -> str:
    return text.lower().replace("ё", "е")


def _keyword_pattern(words: Sequence[str]) -> str:
    """One alternation of whole-word keywords; `*` ends a stem, a space any whitespace."""
    parts = []
    for word in dict.fromkeys(_normal(w).strip() for w in words if w.strip()):
        pieces = [re.escape(piece.rstrip("*")) + (r"\w*" if piece.endswith("*") else "")
                  for piece in word.split()]
        parts.append(r"\s+".join(pieces))
    return r"(?<!\w)(?:" + "|".join(sorted(parts, key=len, reverse=True)) + r")(?!\w)"


def _merge(data: object, source: str, keywords: dict[str, list[str]], descriptions: dict[str, list[str]],
           titles: list[str]) -> None:
    if not isinstance(data, dict):
        raise InputError(source, "expected a JSON object with 'categories' and/or 'not_news'")
    for name, entry in (data.get("categories") or {}).items():
        if name not in keywords:
            raise InputError(source, f"unknown category {name!r} (one of {', '.join(CATEGORIES)})")
        if not isinstance(entry, dict):
            raise InputError(source, f"category {name!r}: expected an object with 'keywords' and 'descriptions'")
        keywords[name] += [str(word) for word in entry.get("keywords", [])]
        descriptions[name] += [str(text) for text in entry.get("descriptions", [])]
    titles += [str(pattern) for pattern in (data.get("not_news") or {}).get("title_patterns", [])]


@lru_cache(maxsize=4)
def load_lexicon(user_file: str | None = None) -> Lexicon:
    """The built-in lexicon extended by `user_file` (its keywords, descriptions and title patterns
    are added to the built-in ones)."""
    keywords: dict[str, list[str]] = {name: [] for name in CATEGORIES}
    descriptions: dict[str, list[str]] = {name: [] for name in CATEGORIES}
    titles: list[str] = []
    builtin = resources.files("newstrace").joinpath("data/categories.json").read_bytes()
    _merge(parse_json(builtin, _BUILTIN), _BUILTIN, keywords, descriptions, titles)
    if user_file:
        try:
            data = Path(user_file).read_bytes()
        except OSError as exc:
            raise InputError(user_file, f"cannot read the categories file ({exc.strerror})") from None
        _merge(parse_json(data, user_file), user_file, keywords, descriptions, titles)
    try:
        not_news = re.compile("|".join(f"(?:{p})" for p in titles), re.IGNORECASE) if titles else None
    except re.error as exc:
        raise InputError(user_file or _BUILTIN, f"bad not_news title pattern ({exc})") from None
    return Lexicon(keywords=tuple(re.compile(_keyword_pattern(keywords[name])) for name in CATEGORIES),
                   descriptions=tuple(tuple(descriptions[name]) for name in CATEGORIES),
                   not_news_titles=not_news)


def lexicon() -> Lexicon:
    """The lexicon in use: built-in, extended by the file $NEWSTRACE_CATEGORIES names."""
    return load_lexicon(os.environ.get(config.CATEGORIES_ENV) or None)


def keyword_hits(title: str, text: str, words: Lexicon | None = None) -> np.ndarray:
    """Keyword matches per category; a title's count more (config.CATEGORY_TITLE_WEIGHT)."""
    words = words or lexicon()
    head, body = _normal(title), _normal(text[: config.CATEGORY_TEXT_CHARS])
    return np.array([config.CATEGORY_TITLE_WEIGHT * len(pattern.findall(head)) + len(pattern.findall(body))
                     for pattern in words.keywords], dtype=np.float32)


class Categorizer:
    """Scores a text per category from its keywords and, given prototypes, its embedding."""

    def __init__(self, words: Lexicon | None = None, prototypes: np.ndarray | None = None) -> None:
        self.words = words or lexicon()
        self.prototypes = prototypes

    @classmethod
    def with_embeddings(cls, store: Store, embedder: Embedder) -> Categorizer:
        """A categorizer that also compares embeddings (passage vectors, as articles are embedded)
        with the mean of each category's descriptions, embedded the same way (cached in the store)."""
        words = lexicon()
        rows = []
        for texts in words.descriptions:
            mean = embed_cached(store, embedder, list(texts), query=False).mean(axis=0)
            rows.append(mean / (np.linalg.norm(mean) or 1.0))
        return cls(words, np.vstack(rows))

    def scores(self, title: str, text: str = "", vector: np.ndarray | None = None) -> np.ndarray:
        """One score per category (CATEGORIES order): log-damped keyword hits, plus the embedding's
        similarity to each category against the mean of all, in units of config.CATEGORY_EMBED_SCALE."""
        found = np.log1p(keyword_hits(title, text, self.words)) * config.CATEGORY_KEYWORD_WEIGHT
        if vector is not None and self.prototypes is not None:
            similarity = self.prototypes @ vector
            found = found + (similarity - similarity.mean()) / config.CATEGORY_EMBED_SCALE
        return found

    def categorize(self, title: str, text: str = "", vector: np.ndarray | None = None) -> str:
        return best(self.scores(title, text, vector))


def best(scores: np.ndarray) -> str:
    """The category of a score vector; with no evidence at all, "other"."""
    if not np.any(scores):
        return "other"
    return CATEGORIES[int(np.argmax(scores))]


def story_category(item_scores: Sequence[np.ndarray]) -> str:
    """A story's category: the best of its items' summed scores, so that one off-topic item
    does not decide and a story with more evidence outweighs a stray keyword."""
    if not item_scores:
        return "other"
    return best(np.sum(np.vstack(item_scores), axis=0))


def article_scores(store: Store, article_ids: Sequence[int] | None = None) -> dict[int, np.ndarray]:
    """Every article's (or these articles') keyword scores, computed once per article text and
    kept in the store, so that listing stories by category costs a read, not a pass over every
    text."""
    stale = store.db.execute(
        "SELECT a.id, a.title, a.text, a.content_hash FROM articles a LEFT JOIN article_categories c "
        "ON c.article_id = a.id WHERE c.content_hash IS DISTINCT FROM a.content_hash").fetchall()
    if stale:
        categorizer = Categorizer()
        with store.transaction():
            store.db.executemany(
                "INSERT INTO article_categories (article_id, content_hash, scores) VALUES (?, ?, ?) "
                "ON CONFLICT (article_id) DO UPDATE SET content_hash = excluded.content_hash, scores = excluded.scores",
                [(row["id"], row["content_hash"], json.dumps([round(float(v), 4) for v in
                                                             categorizer.scores(row["title"] or "", row["text"] or "")]))
                 for row in stale])
    if article_ids is not None and not article_ids:
        return {}
    where = f" WHERE article_id IN ({','.join(str(int(a)) for a in article_ids)})" if article_ids is not None else ""
    return {row[0]: np.array(json.loads(row[1]), dtype=np.float32)
            for row in store.db.execute(f"SELECT article_id, scores FROM article_categories{where}")}


def categorize(title: str, text: str = "", vector: np.ndarray | None = None,
               categorizer: Categorizer | None = None) -> str:
    """The category of an article or post (by title and text); the embedding counts when the
    categorizer has prototypes (Categorizer.with_embeddings)."""
    return (categorizer or Categorizer()).categorize(title, text, vector)


def is_news(title: str, text: str, published_at: datetime | None, words: Lexicon | None = None) -> bool:
    """Whether a page reads as news: it is dated, its text is of a news item's length
    (config.NEWS_MIN_CHARS..NEWS_MAX_CHARS), and its title is not a how-to, a list, an
    advertisement or a reference page (the lexicon's not_news title patterns)."""
    words = words or lexicon()
    if published_at is None:
        return False
    if not config.NEWS_MIN_CHARS <= len(text) <= config.NEWS_MAX_CHARS:
        return False
    return not (words.not_news_titles and words.not_news_titles.search(title))

