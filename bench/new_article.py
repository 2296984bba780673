"""What one new article costs the next trace of a big store: what a watch daemon pays each time
a source brings an article. On a copy of a store made by bench/throughput.py --keep-stores, trace
once, then add articles one at a time and time the trace (without the semantic step) after each.

    .venv/bin/python bench/new_article.py STORE.db [--articles 5]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from newstrace.match.cascade import trace
from newstrace.model import Article
from newstrace.store.core import Store


def new_article(n: int) -> Article:
    return Article(url=f"https://bench.example/news/{n}", title=f"Harbour pilots strike, day {n}",
                   paragraphs=[f"Harbour pilots in Kestrel stayed off work for day {n} of their strike over "
                               "night shifts and pay.", "The port said ferries would run on time."],
                   published_at=datetime(2024, 5, 1, tzinfo=timezone.utc), language="en")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("store", type=Path)
    parser.add_argument("--articles", type=int, default=5, help="new articles, each followed by a timed trace")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="newstrace-bench-") as folder:
        copy = Path(folder) / args.store.name
        shutil.copy(args.store, copy)
        with Store(copy) as store:
            started = time.perf_counter()
            trace(store, semantic=False)
            print(f"first trace: {time.perf_counter() - started:.2f} s "
                  f"({store.counts()['articles']} articles, {store.counts()['posts']} posts)")
            seconds = []
            for n in range(args.articles):
                store.add_article(new_article(n))
                started = time.perf_counter()
                trace(store, semantic=False)
                seconds.append(time.perf_counter() - started)
            print("trace after each new article: " + ", ".join(f"{s:.2f}" for s in seconds)
                  + f" s (median {statistics.median(seconds):.2f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
