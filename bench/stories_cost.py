"""What grouping articles into stories costs as a store grows: a full regrouping of every
article, against growing the kept stories by the newest articles (what a running service does
when a few articles arrive).

On the oldest N articles of a store (bench/throughput.py --sizes 100000 --keep-stores makes one
of 20k articles), for each N: group them all; then take the newest as 'new', keep the stories
the full grouping gave the rest, and grow those by the new ones. Vectors come from the store's embedding cache, as tracing
reads them (throughput.py fills what its time budget did not embed with placeholders).

    .venv/bin/python bench/stories_cost.py STORE.db [--articles 200,2000,20000] [--new 100]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

from newstrace import config
from newstrace.match.embed import embed_cached, get_embedder
from newstrace.match.fact_store import article_facts
from newstrace.match.semantic import _article_date, article_view
from newstrace.store.core import Store
from newstrace.stories.incremental import group


def inputs(store: Store) -> tuple:
    rows = store.db.execute(
        "SELECT id, url, title, text, language, published_at, content_hash FROM articles ORDER BY id").fetchall()
    found = article_facts(store, rows)
    vectors = embed_cached(store, get_embedder(), [article_view(row["title"], row["text"]) for row in rows], query=False)
    return ([row["id"] for row in rows], vectors, [row["language"] or "" for row in rows], found,
            [_article_date(row, item) for row, item in zip(rows, found)], Counter(n for item in found for n in item.names))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("store", type=Path)
    parser.add_argument("--articles", default="200,2000,20000",
                        help="store sizes to measure, in articles: the store's oldest N (20% of 1k, 10k, 100k items)")
    parser.add_argument("--new", type=int, default=100, help="newest articles grown into the kept stories")
    args = parser.parse_args(argv)
    if not args.store.is_file():
        print(f"error: {args.store}: no such store", file=sys.stderr)
        return 1
    with Store(args.store) as store:
        ids, vectors, languages, found, days, name_df = inputs(store)
    print("| articles | full grouping s | ms per article | growing by N new articles: s | ms per new article | stories |")
    print("|---:|---:|---:|---:|---:|---:|")
    for size in (int(part) for part in args.articles.split(",")):
        size = min(size, len(ids))
        part = (ids[:size], vectors[:size], languages[:size], found[:size], days[:size],
                Counter(n for item in found[:size] for n in item.names))
        began = time.perf_counter()
        links, stories = group({}, *part)
        full = time.perf_counter() - began
        new = min(args.new, size // 10)
        kept = {a: (s, l) for a, s, l in zip(part[0][:-new], stories.keys[:-new], links.keys[:-new])}
        share, config.STORY_REGROUP_SHARE = config.STORY_REGROUP_SHARE, 1.0
        began = time.perf_counter()
        group(kept, *part)
        grown = time.perf_counter() - began
        config.STORY_REGROUP_SHARE = share
        print(f"| {size} | {full:.1f} | {1000 * full / size:.2f} | {new}: {grown:.2f} | "
              f"{1000 * grown / new:.1f} | {len(set(stories.keys))} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
