"""Stories kept in the store: each article's story and link story, the ids of stories merged
into others, and the story of a post through its source."""

from __future__ import annotations

from collections.abc import Sequence

from newstrace.store.core import Store
from newstrace.stories.incremental import Grouping


def kept_stories(store: Store) -> dict[int, tuple[str, str | None]]:
    """article id -> (story, link story) as the last grouping left them."""
    return {row[0]: (row[1], row[2]) for row in store.db.execute(
        "SELECT article_id, story, link_story FROM article_stories")}


def save_stories(store: Store, article_ids: Sequence[int], links: Grouping, stories: Grouping) -> int:
    """Write what changed; returns how many articles changed story. A merged story's id is kept
    as an alias of the story it went into; an id that names a story again is no alias."""
    kept = kept_stories(store)
    changed = [(article_id, story, link) for article_id, story, link in zip(article_ids, stories.keys, links.keys)
               if kept.get(article_id) != (story, link)]
    with store.transaction():
        store.db.executemany(
            "INSERT INTO article_stories (article_id, story, link_story) VALUES (?, ?, ?) "
            "ON CONFLICT (article_id) DO UPDATE SET story = excluded.story, link_story = excluded.link_story",
            changed)
        save_aliases(store, stories.aliases, set(stories.keys))
        if changed or stories.aliases:
            store.bump("stories_version")
    return len(changed)


def save_aliases(store: Store, aliases: dict[str, str], current: set[str]) -> None:
    """Keep each merged or renamed story id as an alias of the story it went into (in the open
    transaction): aliases of an alias follow it, so one lookup resolves any old id; an id that
    names a story again is no alias."""
    store.db.executemany("INSERT INTO story_aliases (alias, story) VALUES (?, ?) "
                         "ON CONFLICT (alias) DO UPDATE SET story = excluded.story",
                         [(alias, story) for alias, story in aliases.items() if alias not in current])
    store.db.executemany("UPDATE story_aliases SET story = ? WHERE story = ?",
                         [(story, alias) for alias, story in aliases.items()])
    store.db.executemany("DELETE FROM story_aliases WHERE alias = ?", [(key,) for key in current])


def stories_version(store: Store) -> tuple:
    """Changes whenever an article, a link or a story assignment changes: what in-process caches
    of story summaries are keyed by."""
    links = store.db.execute("SELECT count(*), coalesce(max(decided_at), '') FROM matches").fetchone()
    return (*store.articles_version(), *links, store.counter("stories_version"))


def resolve_story(store: Store, story: str) -> str:
    """The story an id names now: itself, or the story it was merged into."""
    row = store.db.execute("SELECT story FROM story_aliases WHERE alias = ?", (story,)).fetchone()
    return row[0] if row else story


def story_of_article(store: Store) -> dict[int, str]:
    return dict(store.db.execute("SELECT article_id, story FROM article_stories").fetchall())
