"""Stories of posts alone: unlinked posts that report one event together, its source not (or
not yet) in the store. Three channels reporting the same thing with no article behind them is a
story, and its first post is where it started.

The posts are grouped as articles are (the story pair model, average linkage: stories/cluster.py),
among the unlinked posts the semantic step embedded; only two or more posts make a story. Each
trace regroups the unlinked posts near in time to the posts it judged, and a post that finds
its source leaves its post story for the source's story.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date, timedelta
from sqlite3 import Row

import numpy as np

from newstrace import config
from newstrace.extract.language import detect_language
from newstrace.match.embed import cached_vectors
from newstrace.match.features import facts
from newstrace.match.semantic import Pool, post_day, post_view
from newstrace.store.core import Store, parse_iso
from newstrace.stories.cluster import Cut, cluster

POST_CUT = Cut(config.POST_STORY_DISTANCE)


def key_of(post_id: int) -> str:
    """A post story is named by its oldest post, as an article story by its oldest article."""
    return f"p{post_id}"


def group_unlinked_posts(store: Store, pool: Pool, judged: Sequence[Row]) -> int:
    """Regroup the unlinked posts near in time to the posts just judged (all of them when one
    is undated), and drop the posts that found a source; returns how many posts changed story."""
    scope = _scope(store, judged)
    rows = [row for row in scope if row["text"]]
    found = cached_vectors(store, [post_view(row["text"]) for row in rows], query=True)
    rows = [row for position, row in enumerate(rows) if position in found]
    stories: dict[int, str] = {}
    if len(rows) > 1:
        post_facts = [facts(row["text"]) for row in rows]
        name_df = pool.name_df + Counter(name for found_facts in post_facts for name in found_facts.names)
        labels = cluster(np.vstack([found[position] for position in sorted(found)]),
                         [detect_language(row["text"]) or "" for row in rows], post_facts,
                         [post_day(row["posted_at"], row["text"]) for row in rows], name_df,
                         cuts=(POST_CUT,), total=len(pool.ids) + len(rows))[0]
        members: dict[int, list[int]] = {}
        for row, label in zip(rows, labels.tolist()):
            members.setdefault(label, []).append(row["id"])
        stories = {post_id: key_of(min(ids)) for ids in members.values() if len(ids) > 1 for post_id in ids}
    return _save(store, [row["id"] for row in scope], stories)


def _scope(store: Store, judged: Sequence[Row]) -> list[Row]:
    unlinked = ("SELECT p.id, p.posted_at, p.text FROM posts p LEFT JOIN matches m ON m.post_id = p.id "
                "WHERE m.post_id IS NULL")
    if not judged:
        return []
    days = [parse_iso(row["posted_at"]) for row in judged]
    if any(day is None for day in days):
        return store.db.execute(unlinked + " ORDER BY p.id").fetchall()
    reach = timedelta(days=2 * config.STORY_MAX_GAP_DAYS)
    first, last = min(days).date() - reach, max(days).date() + reach + timedelta(days=1)  # type: ignore[union-attr]
    return store.db.execute(unlinked + " AND (p.posted_at IS NULL OR (p.posted_at >= ? AND p.posted_at < ?)) "
                            "ORDER BY p.id", (_stamp(first), _stamp(last))).fetchall()


def _stamp(day: date) -> str:
    return day.isoformat() + "T00:00:00Z"


def _save(store: Store, scope: list[int], stories: dict[int, str]) -> int:
    """Write the scope's post stories, remove linked posts, and dissolve stories left with one post."""
    kept = dict(store.db.execute("SELECT post_id, story FROM post_stories").fetchall())
    linked = [post_id for (post_id,) in store.db.execute(
        "SELECT s.post_id FROM post_stories s JOIN matches m ON m.post_id = s.post_id")]
    final = {post_id: story for post_id, story in kept.items() if post_id not in set(scope) | set(linked)}
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
        store.bump("stories_version")
    return len(gone) + len(changed)


def story_of_post(store: Store) -> dict[int, str]:
    """post id -> its post story, for the unlinked posts that have one."""
    return dict(store.db.execute("SELECT post_id, story FROM post_stories").fetchall())
