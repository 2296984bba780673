"""The near-verbatim step of the cascade: a post that copies a passage of an article (channels and
mirror sites often do, word for word) is linked to it without any embedding.

Article paragraphs go into a MinHash LSH index (datasketch) of word 3-shingles, kept in the
process and grown with the store; a post's candidates come from the index and are confirmed by
exact containment: the share of the post's shingles found in the article. Shingles are hashed
by MurmurHash3 (mmh3, as datasketch suggests), and an article's own shingles are read only when
it is a candidate: at 100k items the index is built over 300,000 paragraphs.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from sqlite3 import Row

import mmh3
from datasketch import MinHash, MinHashLSH

from newstrace import config
from newstrace.match.attribution import without_self_promotion
from newstrace.model import Match
from newstrace.store.core import Store

_WORD = re.compile(r"\w+", re.UNICODE)


def shingles(text: str, size: int = config.SHINGLE_WORDS) -> set[str]:
    words = [word.lower() for word in _WORD.findall(text)]
    if len(words) < size:
        return {" ".join(words)} if words else set()
    return {" ".join(words[i:i + size]) for i in range(len(words) - size + 1)}


def _hash(shingle: str) -> int:
    return mmh3.hash(shingle, signed=False)


def _minhashes(sets: Iterable[set[str]]) -> list[MinHash]:
    return MinHash.bulk([list(items) for items in sets], num_perm=config.MINHASH_PERMUTATIONS, hashfunc=_hash)


class ParagraphIndex:
    """The LSH index of every article paragraph of one store, and the shingles of the articles
    asked about.

    It follows the store: `sync` adds the articles that are new, re-indexes the ones whose text
    changed and drops the ones deleted, so a daemon that collects one article pays for that
    article, not for all of them again. One lock guards syncing and querying, since the server's
    worker threads share it."""

    def __init__(self) -> None:
        self.lsh = MinHashLSH(threshold=config.COPY_LSH_THRESHOLD, num_perm=config.MINHASH_PERMUTATIONS)
        self.article_shingles: dict[int, set[str]] = {}
        self.indexed: dict[int, tuple[str, list[str]]] = {}   # article id -> (content hash, LSH keys)
        self.version: tuple | None = None
        self.lock = threading.Lock()

    def sync(self, store: Store) -> None:
        version = store.articles_version()
        if version == self.version:
            return
        current = dict(store.db.execute("SELECT id, content_hash FROM articles").fetchall())
        for article_id in [a for a, (digest, _) in self.indexed.items() if current.get(a) != digest]:
            for key in self.indexed.pop(article_id)[1]:
                self.lsh.remove(key)
            self.article_shingles.pop(article_id, None)
        fresh = [a for a in current if a not in self.indexed]
        for start in range(0, len(fresh), config.SQL_BATCH):
            chunk = fresh[start:start + config.SQL_BATCH]
            self._add(store.db.execute(
                f"SELECT id, title, text, content_hash FROM articles WHERE id IN ({','.join('?' * len(chunk))})",
                chunk).fetchall())
        self.version = version

    def _add(self, articles: list[Row]) -> None:
        keys, sets = [], []
        for row in articles:
            own = []
            for number, paragraph in enumerate([row["title"], *row["text"].split("\n\n")]):
                found = shingles(paragraph)
                if found:
                    own.append(f"{row['id']}:{number}")
                    sets.append(found)
            keys += own
            self.indexed[row["id"]] = (row["content_hash"], own)
        with self.lsh.insertion_session() as session:
            for name, minhash in zip(keys, _minhashes(sets)):
                session.insert(name, minhash)

    def candidates(self, minhash: MinHash) -> set[int]:
        return {int(key.split(":")[0]) for key in self.lsh.query(minhash)}

    def shingles_of(self, store: Store, article_ids: set[int]) -> dict[int, set[str]]:
        """The shingles of these indexed articles' whole text, read from the store the first time
        one is a candidate (most never are)."""
        missing = [a for a in article_ids if a in self.indexed and a not in self.article_shingles]
        for row in store.rows_in("SELECT id, title, text FROM articles WHERE id IN", (), missing):
            self.article_shingles[row["id"]] = shingles(f"{row['title']}\n{row['text']}")
        return {a: self.article_shingles[a] for a in article_ids if a in self.article_shingles}


_INDEXES: dict[tuple[str, str], ParagraphIndex] = {}
_INDEXES_LOCK = threading.Lock()


def paragraph_index(store: Store) -> ParagraphIndex:
    """This store's paragraph index, brought up to date; kept in the process between traces."""
    path, store_id = store.articles_version()[:2]
    with _INDEXES_LOCK:
        if (path, store_id) not in _INDEXES:
            _INDEXES.clear()
            _INDEXES[(path, store_id)] = ParagraphIndex()
        index = _INDEXES[(path, store_id)]
    with index.lock:
        index.sync(store)
    return index


def link_near_copies(store: Store, posts: list[Row]) -> list[Match]:
    """Which of these posts copy an article passage near-verbatim (their news, not their
    channel's footer: a copied paragraph with a long footer is a copy still)."""
    kept = [(row, news) for row in posts
            if len(news := without_self_promotion(row["text"])) >= config.COPY_MIN_CHARS]
    if not kept:
        return []
    index = paragraph_index(store)
    posts = [row for row, _ in kept]
    post_sets = [shingles(news) for _, news in kept]
    decided = []
    for row, found, minhash in zip(posts, post_sets, _minhashes(post_sets)):
        with index.lock:
            scored = [(len(found & own) / len(found), a)
                      for a, own in index.shingles_of(store, index.candidates(minhash)).items()]
        best = max(scored, default=None)
        if best and best[0] >= config.COPY_MIN_CONTAINMENT:
            containment, article_id = best
            decided.append(Match(row["channel"], row["message_id"], article_id, "copy",
                                 round(config.COPY_SCORE_BASE + (1 - config.COPY_SCORE_BASE) * containment, 4),
                                 {"containment": round(containment, 3), "shingles": len(found), "credit": None}))
    return decided
