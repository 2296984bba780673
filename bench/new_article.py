"""What one new article costs the next trace of a big store: what a watch daemon pays each time
a source brings an article. On a copy of a store made by bench/throughput.py --keep-stores, trace
once, then add articles one at a time and time the trace after each.

    .venv/bin/python bench/new_article.py STORE.db [--articles 5] [--semantic]

With --semantic the trace runs the semantic step too, and the article pool it rebuilds after each
new article is timed apart. The posts already in the store count as judged by the semantic step
(its queue is emptied after the first trace), as in a daemon that has been running: what is timed
is the pool and the posts near the new article. Every text is given a random placeholder vector instead of being
embedded (bench/throughput.py's PlaceholderEmbedder), so the figures are the pool, the story
grouping and the linking without the model; the decisions mean nothing. The shared vector cache
is switched off, so no placeholder leaves the copy.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from newstrace import config
from newstrace.match import cascade
from newstrace.match.cascade import trace
from newstrace.match.embed import get_embedder
from newstrace.model import Article
from newstrace.store.core import Store
from throughput import PlaceholderEmbedder


def new_article(n: int) -> Article:
    return Article(url=f"https://bench.example/news/{n}", title=f"Harbour pilots strike, day {n}",
                   paragraphs=[f"Harbour pilots in Kestrel stayed off work for day {n} of their strike over "
                               "night shifts and pay.", "The port said ferries would run on time."],
                   published_at=datetime(2024, 5, 1, tzinfo=timezone.utc), language="en")


class PoolClock:
    """Wraps the load_pool that cascade.trace calls and keeps its last duration."""

    def __init__(self) -> None:
        self.inner = cascade.load_pool
        self.last = 0.0
        cascade.load_pool = self

    def __call__(self, *args, **kwargs):
        started = time.perf_counter()
        try:
            return self.inner(*args, **kwargs)
        finally:
            self.last = time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("store", type=Path)
    parser.add_argument("--articles", type=int, default=5, help="new articles, each followed by a timed trace")
    parser.add_argument("--semantic", action="store_true", help="trace with the semantic step (placeholder vectors)")
    args = parser.parse_args(argv)
    os.environ[config.EMBED_CACHE_ENV] = ""
    embedder = PlaceholderEmbedder(get_embedder()) if args.semantic else None
    pool = PoolClock()
    with tempfile.TemporaryDirectory(prefix="newstrace-bench-") as folder:
        copy = Path(folder) / args.store.name
        shutil.copy(args.store, copy)
        with Store(copy) as store:
            started = time.perf_counter()
            trace(store, semantic=False)
            print(f"first trace: {time.perf_counter() - started:.2f} s "
                  f"({store.counts()['articles']} articles, {store.counts()['posts']} posts)")
            if args.semantic:
                store.db.execute("DELETE FROM text_pending WHERE stage = 'semantic'")
                started = time.perf_counter()
                trace(store, embedder=embedder)
                print(f"first article pool and stories: {time.perf_counter() - started:.2f} s")
            seconds, pools = [], []
            for n in range(args.articles):
                store.add_article(new_article(n))
                started = time.perf_counter()
                trace(store, semantic=args.semantic, embedder=embedder)
                seconds.append(time.perf_counter() - started)
                pools.append(pool.last)
            print("trace after each new article: " + ", ".join(f"{s:.2f}" for s in seconds)
                  + f" s (median {statistics.median(seconds):.2f} s)")
            if args.semantic:
                print("of which the article pool: " + ", ".join(f"{s:.2f}" for s in pools)
                      + f" s (median {statistics.median(pools):.2f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
