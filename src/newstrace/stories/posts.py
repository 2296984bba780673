"""Stories of posts alone: unlinked posts that report one event together, its source not (or
not yet) in the store. Three channels reporting the same thing with no article behind them is a
story, and its first post is where it started.

The posts are grouped as articles are (the story pair model, average linkage: stories/cluster.py),
among the unlinked posts the semantic step embedded and those that share facts with each other
though no article shares any with them; only two or more posts make a story. Each
trace regroups the posts it judged with the unlinked posts close to them (and their stories),
as new articles regroup only the stories they touch; a post that finds its source leaves its
post story for the source's story.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date, timedelta
from sqlite3 import Row

import numpy as np

from newstrace import config
from newstrace.extract.language import post_language
from newstrace.match.embed import Embedder, cached_vectors, embed_cached, get_embedder
from newstrace.match.features import DayRef, Facts, post_facts
from newstrace.match.logistic import LogisticModel
from newstrace.match.prefilter import alike_posts
from newstrace.match.semantic import Pool, post_day, post_view, posted_day
from newstrace.store.core import Store, parse_iso
from newstrace.stories.cluster import Cut, cluster
from newstrace.stories.pairs import Rarity, close_pairs
from newstrace.stories.store import save_aliases

POST_CUT = Cut(config.POST_STORY_DISTANCE)


def key_of(post_id: int) -> str:
    """A post story is named by its oldest post, as an article story by its oldest article."""
    return f"p{post_id}"


def group_unlinked_posts(store: Store, pool: Pool, judged: Sequence[Row], embedder: Embedder | None = None) -> int:
    """Regroup the unlinked posts just judged with the unlinked posts close to them and the
    post stories those are in, and drop the posts that found a source; returns how many posts
    changed story. Posts far from every judged one keep their story untouched."""
    rows = _unlinked_near(store, judged)
    views = [post_view(row["text"]) for row in rows]
    found = cached_vectors(store, views, query=True)
    judged_ids = {row["id"] for row in judged}
    fresh = [position for position, row in enumerate(rows) if row["id"] in judged_ids and position not in found]
    alike = alike_posts([row["text"] for row in rows], [posted_day(row) for row in rows], fresh, set(found)) if fresh else []
    if alike:
        vectors = embed_cached(store, embedder or get_embedder(), [views[position] for position in alike], query=True)
        found.update(zip(alike, vectors))
    rows = [row for position, row in enumerate(rows) if position in found]
    vectors = np.vstack([found[position] for position in sorted(found)]) if rows else np.zeros((0, 0))
    read = _Reader(rows, pool.name_df, len(pool.ids) + len(rows))
    scope = _touched(store, read, vectors, {row["id"] for row in judged})
    stories: dict[int, str] = {}
    if len(scope) > 1:
        labels = cluster(vectors[scope], [read.language(i) for i in scope], [read.facts(i) for i in scope],
                         [read.day(i) for i in scope], read.name_df, cuts=(POST_CUT,), total=read.total)[0]
        members: dict[int, list[int]] = {}
        for position, label in zip(scope, labels.tolist()):
            members.setdefault(label, []).append(rows[position]["id"])
        stories = {post_id: key_of(min(ids)) for ids in members.values() if len(ids) > 1 for post_id in ids}
    return _save(store, [rows[position]["id"] for position in scope], stories)


class _Reader:
    """Facts, day and language of the window's posts, read once each and only when needed
    (a judged post's day and language come back for each of its neighbours)."""

    def __init__(self, rows: list[Row], article_names: Counter, total: int) -> None:
        self.rows, self.total = rows, total
        self._facts: dict[int, Facts] = {}
        self._days: dict[int, DayRef | None] = {}
        self._languages: dict[int, str] = {}
        self.name_df = article_names.copy()

    def facts(self, position: int) -> Facts:
        if position not in self._facts:
            self._facts[position] = post_facts(self.rows[position]["text"])
            self.name_df.update(self._facts[position].names)
        return self._facts[position]

    def day(self, position: int) -> DayRef | None:
        if position not in self._days:
            self._days[position] = post_day(self.rows[position]["posted_at"], self.rows[position]["text"])
        return self._days[position]

    def language(self, position: int) -> str:
        if position not in self._languages:
            self._languages[position] = post_language(self.rows[position]["text"]) or ""
        return self._languages[position]


def _touched(store: Store, read: _Reader, vectors: np.ndarray, judged: set[int]) -> list[int]:
    """Positions to regroup: the judged posts, the posts whose pair with one of them clears the
    cut, and every post of the stories these are in (all posts when most were judged)."""
    rows = read.rows
    new = [position for position, row in enumerate(rows) if row["id"] in judged]
    if len(new) > config.STORY_REGROUP_SHARE * len(rows):
        return list(range(len(rows)))
    close = set(new) | {other for _, other in close_pairs(
        new, vectors, read.language, read.facts, read.day, Rarity(read.name_df, read.total),
        LogisticModel.load(config.STORY_MODEL), 1.0 - config.POST_STORY_DISTANCE)}
    kept = story_of_post(store)
    stories = {kept[rows[position]["id"]] for position in close if rows[position]["id"] in kept}
    return sorted(close | {position for position, row in enumerate(rows) if kept.get(row["id"]) in stories})


def _unlinked_near(store: Store, judged: Sequence[Row]) -> list[Row]:
    """The unlinked posts with text within STORY_MAX_GAP_DAYS of a judged post (all of them
    when one is undated)."""
    unlinked = ("SELECT p.id, p.posted_at, p.text FROM posts p LEFT JOIN matches m ON m.post_id = p.id "
                "WHERE m.post_id IS NULL AND p.text != ''")
    if not judged:
        return []
    days = [parse_iso(row["posted_at"]) for row in judged]
    if any(day is None for day in days):
        return store.db.execute(unlinked + " ORDER BY p.id").fetchall()
    reach = timedelta(days=config.STORY_MAX_GAP_DAYS)
    first, last = min(days).date() - reach, max(days).date() + reach + timedelta(days=1)  # type: ignore[union-attr]
    return store.db.execute(unlinked + " AND (p.posted_at IS NULL OR (p.posted_at >= ? AND p.posted_at < ?)) "
                            "ORDER BY p.id", (_stamp(first), _stamp(last))).fetchall()


def leave_post_stories(store: Store) -> int:
    """Take the posts that a step before the semantic one linked (a URL, a forward, a near copy;
    on ingest or on trace) out of their post stories: they are in their source's story now.
    Returns how many posts changed story; costs one query when none was linked, as mostly."""
    return _save(store, [], {}) if _linked(store) else 0


def _stamp(day: date) -> str:
    return day.isoformat() + "T00:00:00Z"


def _linked(store: Store) -> set[int]:
    """Posts still in a post story that have been linked since."""
    return {post_id for (post_id,) in store.db.execute(
        "SELECT s.post_id FROM post_stories s JOIN matches m ON m.post_id = s.post_id")}


def _save(store: Store, scope: list[int], stories: dict[int, str]) -> int:
    """Write the scope's post stories, remove linked posts, and dissolve stories left with one post."""
    kept = story_of_post(store)
    regrouped = set(scope) | _linked(store)
    final = {post_id: story for post_id, story in kept.items() if post_id not in regrouped}
    final.update(stories)
    sizes = Counter(final.values())
    final = {post_id: story for post_id, story in final.items() if sizes[story] > 1}
    gone = [post_id for post_id in kept if post_id not in final]
    changed = [(post_id, story) for post_id, story in final.items() if kept.get(post_id) != story]
    if not gone and not changed:
        return 0
    with store.transaction():
        store.db.executemany("DELETE FROM post_stories WHERE post_id = ?", [(post_id,) for post_id in gone])
        store.db.executemany("INSERT INTO post_stories (post_id, story) VALUES (?, ?) "
                             "ON CONFLICT (post_id) DO UPDATE SET story = excluded.story", changed)
        save_aliases(store, _heirs(store, kept, final), set(final.values()))
        store.bump("stories_version")
    return len(gone) + len(changed)


def _heirs(store: Store, kept: dict[int, str], final: dict[int, str]) -> dict[str, str]:
    """Where each post story that no longer exists went: the story most of its posts are in
    now, a post story (renamed when an older post joined, or merged) or the story of the source
    they were linked to. A story dissolved because its posts drifted apart leaves no heir."""
    current = set(final.values())
    sources = dict(store.rows_in(
        "SELECT m.post_id, s.story FROM matches m JOIN article_stories s ON s.article_id = m.article_id "
        "WHERE m.post_id IN", (), [post_id for post_id, story in kept.items() if story not in current]))
    places: dict[str, Counter] = {}
    for post_id, story in kept.items():
        place = final.get(post_id) or sources.get(post_id)
        if story not in current and place:
            places.setdefault(story, Counter())[place] += 1
    return {story: counts.most_common(1)[0][0] for story, counts in places.items()}


def story_of_post(store: Store) -> dict[int, str]:
    """post id -> its post story, for the unlinked posts that have one."""
    return dict(store.db.execute("SELECT post_id, story FROM post_stories").fetchall())
