"""Contest threads from newstrace stories: the news of one event in one language, its most
representative title first, the most important threads first.

Stories come from the store's article pool (match/semantic.load_pool: the same clustering
`newstrace link` saves), so a folder, the server's index and a user's store group articles alike.
A story spans languages; the contest wants a thread per language, so each story is cut by language.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from sqlite3 import Row
from typing import Any

import numpy as np

from newstrace import config
from newstrace.match.embed import Embedder
from newstrace.match.semantic import load_pool
from newstrace.store.core import Store, parse_iso
from newstrace.stories.category import Categorizer, is_news, story_category
from newstrace.stories.cluster import centrality


@dataclass
class Doc:
    """One contest file and what its article says, as the store keeps it."""

    name: str
    article_id: int
    title: str
    text: str
    language: str | None
    outlet: str
    published_at: datetime | None

    @classmethod
    def from_row(cls, name: str, row: Row) -> Doc:
        """From an articles row (id, title, text, language, site_name, url, published_at)."""
        return cls(name=name, article_id=row["id"], title=row["title"], text=row["text"], language=row["language"],
                   outlet=row["site_name"] or row["url"].split("/")[2], published_at=parse_iso(row["published_at"]))

    @property
    def news(self) -> bool:
        """In a contest language and read as news (stories.category.is_news)."""
        return self.language in config.TGNEWS_LANGUAGES and is_news(self.title, self.text, self.published_at)


def load_docs(store: Store, files: Iterable[tuple[str, int]]) -> list[Doc]:
    """The Doc of each (file name, article id)."""
    return [Doc.from_row(name, store.article(article_id)) for name, article_id in files]


@dataclass
class Thread:
    """The docs of one story in one language, most representative first."""

    title: str
    category: str
    docs: list[Doc]

    @property
    def importance(self) -> tuple[int, int, str]:
        """Outlets reporting it, then articles, then how recent: what the threads are sorted by."""
        latest = max((d.published_at.isoformat() for d in self.docs if d.published_at), default="")
        return len({d.outlet for d in self.docs}), len(self.docs), latest

    def record(self, *, category: bool) -> dict[str, Any]:
        """The contest's JSON of a thread (with its category where the answer has one)."""
        found: dict[str, Any] = {"title": self.title}
        if category:
            found["category"] = self.category
        found["articles"] = [d.name for d in self.docs]
        return found


def build_threads(store: Store, embedder: Embedder, docs: list[Doc], categorizer: Categorizer) -> list[Thread]:
    """Threads of these docs (articles of the store), most important first.

    Within a thread, docs are ordered by their similarity to the thread's mean vector; the first
    one's title is the thread's. A thread's category weighs the scores of all its docs
    (stories.category.story_category)."""
    if not docs:
        return []
    pool = load_pool(store, embedder)
    where = {article_id: index for index, article_id in enumerate(pool.ids)}
    groups: dict[tuple[int, str], list[Doc]] = defaultdict(list)
    for doc in docs:
        groups[(int(pool.reported_stories[where[doc.article_id]]), doc.language or "")].append(doc)
    threads = []
    for members in groups.values():
        vectors = pool.vectors[[where[d.article_id] for d in members]]
        order = np.argsort(-centrality(vectors), kind="stable")
        ranked = [members[i] for i in order]
        category = story_category([categorizer.scores(d.title, d.text, vectors[i])
                                   for d, i in zip(ranked, order)])
        threads.append(Thread(title=ranked[0].title, category=category, docs=ranked))
    threads.sort(key=lambda t: t.importance, reverse=True)
    return threads
