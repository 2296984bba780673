"""Related stories: other events with the same actors ("Putin and Trump to meet" and "the
Anchorage summit was held"). Two stories are related when their articles are close in meaning
and share names that few articles outside the two stories carry; sharing a topic, or a name
every other story mentions, is not enough."""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from newstrace import config
from newstrace.match.features import facts
from newstrace.match.semantic import Pool
from newstrace.store.core import Store
from newstrace.stories.store import story_of_article

_INSIDE = re.compile(r"[\w,;:)\-–—] +([^\W\d_][\w\-]*)")


def related_stories(store: Store, pool: Pool, story: str, *, limit: int = config.RELATED_STORIES
                    ) -> list[dict[str, Any]]:
    """Up to `limit` other stories, most related first, each with the names it shares."""
    story_of = story_of_article(store)
    labels = np.array([story_of.get(article_id, "") for article_id in pool.ids])
    members = np.flatnonzero(labels == story)
    if not len(members):
        return []
    names = frozenset().union(*(pool.facts[i].names for i in members))
    rare = config.RELATED_MAX_NAME_SHARE * len(pool.ids)
    sims = (pool.vectors[members] @ pool.vectors.T).max(axis=0)
    sims[members] = -1.0
    order = np.argsort(-sims)[: config.RELATED_CANDIDATES]
    found: dict[str, dict[str, Any]] = {}
    for index in order:
        other = labels[index]
        if sims[index] < config.RELATED_MIN_SIMILARITY or not other or other == story:
            continue
        both = np.concatenate([members, np.flatnonzero(labels == other)])
        shared = {name for name in names & pool.facts[index].names
                  if pool.name_df[name] - sum(name in pool.facts[i].names for i in both) <= rare}
        if not shared:
            continue
        entry = found.setdefault(other, {"id": other, "similarity": 0.0, "shared": set(), "spelled": {}})
        entry["similarity"] = max(entry["similarity"], round(float(sims[index]), 4))
        entry["shared"] |= shared
        entry["spelled"].update({name: pool.facts[index].spelling(name) for name in shared})
    own = [pool.ids[i] for i in members]
    for entry in found.values():
        named = _names_in_sentences(store, own + [pool.ids[i] for i in np.flatnonzero(labels == entry["id"])])
        entry["shared"] &= named
    ranked = sorted((entry for entry in found.values() if entry["shared"]),
                    key=lambda entry: (-len(entry["shared"]), -entry["similarity"]))[:limit]
    titles = _titles(store, [entry["id"] for entry in ranked])
    return [{"id": entry["id"], "title": titles.get(entry["id"]), "similarity": entry["similarity"],
             "shared_names": sorted(entry["spelled"][name] for name in entry["shared"])} for entry in ranked]


def _names_in_sentences(store: Store, article_ids: list[int]) -> set[str]:
    """Name keys of the capitalised words these articles write inside a sentence at least once:
    a "The" or "These" that only ever opens a sentence is not a name."""
    marks = ",".join("?" * len(article_ids))
    words: set[str] = set()
    for row in store.db.execute(f"SELECT title, text FROM articles WHERE id IN ({marks})", article_ids):
        for text in (row["title"] or "", row["text"] or ""):
            words.update(match.group(1) for match in _INSIDE.finditer(text) if match.group(1)[0].isupper())
    return {key for word in words for key in facts(word).names}


def _titles(store: Store, stories: list[str]) -> dict[str, str]:
    """Each story's title: its oldest article's."""
    if not stories:
        return {}
    marks = ",".join("?" * len(stories))
    rows = store.db.execute(
        f"SELECT s.story, a.title FROM article_stories s JOIN articles a ON a.id = s.article_id "
        f"WHERE s.story IN ({marks}) ORDER BY a.published_at IS NOT NULL, a.published_at DESC", stories)
    return {row["story"]: row["title"] for row in rows}
