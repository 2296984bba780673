"""Stories of posts alone on real channels: the posts of telegram-ru-2024 between two days, in a
fresh store with no articles, traced once. No article shares a fact with them, so the semantic
step links nothing; the posts that share facts with each other are embedded and grouped into
stories of posts (stories/posts.py). Prints how many posts were embedded, how many stories
formed, how many posts they hold, their sizes, what it cost, and the largest stories (posts,
channels, first post) for a reader to judge: the set has no story labels.

    .venv/bin/python bench/post_stories.py [--data ../shared/data] [--first 2024-11-26] [--last 2024-11-26]
        [--top 12] [--store FILE]

Vectors come from the shared embedding cache (NEWSTRACE_EMBED_CACHE), so a second run costs
grouping only; run it with the variable set to an empty file's path to time the embedding too.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from newstrace.collect.telethon_json import parse_telethon_json
from newstrace.evaluate import fresh_store
from newstrace.ingest import IngestResult, add_posts
from newstrace.match.cascade import trace
from newstrace.model import Post
from newstrace.stories.report import list_stories

ROOT = Path(__file__).resolve().parents[1]


def posts_between(data: Path, first: str, last: str) -> list[Post]:
    """The real posts of every channel whose day (UTC) lies from `first` to `last`."""
    found = []
    for path in sorted((data / "telegram-ru-2024").glob("*_messages.json")):
        found += [post for post in parse_telethon_json(path.read_bytes(), str(path))
                  if post.posted_at and first <= post.posted_at.strftime("%Y-%m-%d") <= last]
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--first", default="2024-11-26", help="first day (the big channels overlap 2024-11-26..12-04)")
    parser.add_argument("--last", default="2024-11-26", help="last day, inclusive")
    parser.add_argument("--top", type=int, default=12, help="largest stories to print")
    parser.add_argument("--store", type=Path, help="keep the store here (default: a temporary file)")
    args = parser.parse_args(argv)
    if not (args.data / "telegram-ru-2024").is_dir():
        print(f"error: {args.data / 'telegram-ru-2024'}: no such folder", file=sys.stderr)
        return 1
    posts = posts_between(args.data, args.first, args.last)
    with tempfile.TemporaryDirectory() as tmp:
        path = args.store or Path(tmp) / "posts.db"
        path.unlink(missing_ok=True)
        with fresh_store(path) as store:
            began = time.perf_counter()
            add_posts(store, posts, IngestResult())
            ingested = time.perf_counter()
            trace(store)
            traced = time.perf_counter()
            embedded = store.db.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0]
            sizes = Counter(story for (story,) in store.db.execute("SELECT story FROM post_stories"))
            stories = [story for story in list_stories(store) if story["id"] in sizes][: args.top]
    print(f"{len(posts)} posts of {args.first}..{args.last}: ingest {ingested - began:.1f} s, trace {traced - ingested:.1f} s; "
          f"{embedded} embedded; {len(sizes)} stories of posts alone hold {sum(sizes.values())} posts; "
          f"largest: {sorted(sizes.values(), reverse=True)[:15]}")
    print("| posts | channels | first post |")
    print("|---:|---:|---|")
    for story in stories:
        title = next(iter(story["titles"].values()), "").replace("|", "/").replace("\n", " ")
        print(f"| {story['posts']} | {story['channels']} | {title} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
