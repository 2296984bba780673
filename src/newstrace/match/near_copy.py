"""The near-verbatim step of the cascade: a post that copies a passage of an article (channels and
mirror sites often do, word for word) is linked to it without any embedding.

Article paragraphs go into a MinHash LSH index (datasketch) of word 3-shingles; a post's
candidates come from the index and are confirmed by exact containment: the share of the post's
shingles found in the article.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from sqlite3 import Row

from datasketch import MinHash, MinHashLSH

from newstrace import config
from newstrace.model import Match
from newstrace.store.sqlite import Store

_WORD = re.compile(r"\w+", re.UNICODE)


def shingles(text: str, size: int = config.SHINGLE_WORDS) -> set[str]:
    words = [word.lower() for word in _WORD.findall(text)]
    if len(words) < size:
        return {" ".join(words)} if words else set()
    return {" ".join(words[i:i + size]) for i in range(len(words) - size + 1)}


def _minhashes(sets: Iterable[set[str]]) -> list[MinHash]:
    return MinHash.bulk([[item.encode("utf-8") for item in items] for items in sets],
                        num_perm=config.MINHASH_PERMUTATIONS)


_INDEX: dict[tuple, tuple[MinHashLSH, dict[int, set[str]]] | None] = {}


def paragraph_index(store: Store) -> tuple[MinHashLSH, dict[int, set[str]]] | None:
    """The LSH index of all article paragraphs and each article's shingles, kept in this process
    while the articles do not change (so tracing one new post does not rebuild it)."""
    key = store.articles_version()
    if key in _INDEX:
        return _INDEX[key]
    articles = store.db.execute("SELECT id, title, text FROM articles ORDER BY id").fetchall()
    article_shingles = {row["id"]: shingles(f"{row['title']}\n{row['text']}") for row in articles}
    keys, sets = [], []
    for row in articles:
        for number, paragraph in enumerate([row["title"], *row["text"].split("\n\n")]):
            found = shingles(paragraph)
            if found:
                keys.append(f"{row['id']}:{number}")
                sets.append(found)
    built = None
    if keys:
        index = MinHashLSH(threshold=config.COPY_LSH_THRESHOLD, num_perm=config.MINHASH_PERMUTATIONS)
        with index.insertion_session() as session:
            for name, minhash in zip(keys, _minhashes(sets)):
                session.insert(name, minhash)
        built = (index, article_shingles)
    _INDEX.clear()
    _INDEX[key] = built
    return built


def link_near_copies(store: Store, posts: list[Row]) -> list[Match]:
    """Which of these posts copy an article passage near-verbatim."""
    posts = [row for row in posts if len(row["text"]) >= config.COPY_MIN_CHARS]
    if not posts:
        return []
    found_index = paragraph_index(store)
    if found_index is None:
        return []
    index, article_shingles = found_index
    post_sets = [shingles(row["text"]) for row in posts]
    decided = []
    for row, found, minhash in zip(posts, post_sets, _minhashes(post_sets)):
        candidates = {int(key.split(":")[0]) for key in index.query(minhash)}
        best = max(((len(found & article_shingles[a]) / len(found), a) for a in candidates), default=None)
        if best and best[0] >= config.COPY_MIN_CONTAINMENT:
            containment, article_id = best
            decided.append(Match(row["channel"], row["message_id"], article_id, "copy",
                                 round(config.COPY_SCORE_BASE + (1 - config.COPY_SCORE_BASE) * containment, 4),
                                 {"containment": round(containment, 3), "shingles": len(found), "credit": None}))
    return decided
