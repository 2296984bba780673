"""Stories kept in the store: each article's story key, and the story of a post through its source."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from newstrace.store.sqlite import Store


def save_stories(store: Store, article_ids: Sequence[int], labels: np.ndarray) -> None:
    """Replace the story keys; a story is named by its oldest article (`s<article id>`), so keys
    stay put while a story only grows."""
    first: dict[int, int] = {}
    for article_id, label in zip(article_ids, labels.tolist()):
        first[label] = min(first.get(label, article_id), article_id)
    with store.transaction():
        store.db.execute("DELETE FROM article_stories")
        store.db.executemany(
            "INSERT INTO article_stories (article_id, story) VALUES (?, ?)",
            [(article_id, f"s{first[label]}") for article_id, label in zip(article_ids, labels.tolist())],
        )


def story_of_article(store: Store) -> dict[int, str]:
    return dict(store.db.execute("SELECT article_id, story FROM article_stories").fetchall())
