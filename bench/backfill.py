"""Items/s of `newstrace backfill`: one process against Ray with 1 and 2 embedding workers.

The items are grown from the real data as bench/throughput.py grows them (its generator is reused):
20% articles, half real pages of extraction-benchmark shipped as raw HTML (extracted by the
engine; copies past the first round get their own URL, their canonical and og:url tags removed so
the URL is theirs), half items of events-*.jsonl (distinct copies); 80% real posts of
telegram-ru-2024, 20% of them linking a stored article, 5% forwards, each dated a few hours
after an events article. Every configuration builds a fresh SQLite store from the same items in
this process; the per-user vector cache is off, so each one embeds everything. Phases are timed
by `backfill` itself: ingest (with extraction), the cascade's text steps, embedding, the semantic
step (every vector cached); "Ray start" is the rest of the wall time.

    .venv/bin/python bench/backfill.py [--size 100000] [--configs local,ray:1,ray:2] [--no-semantic] [--data ../shared/data]
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from throughput import DEFAULT_DATA, Articles, Timer, all_posts, perturbed_article, perturbed_url, shaped_post  # noqa: E402

from newstrace import config  # noqa: E402
from newstrace.backfill import Source, backfill  # noqa: E402
from newstrace.backfill.inputs import Page  # noqa: E402
from newstrace.evaluate import fresh_store, task_article  # noqa: E402
from newstrace.model import Article, Post  # noqa: E402

# a copy's own URL must survive extraction: the page's canonical link would give it the original's
_CANONICAL = re.compile(rb"<link[^>]*canonical[^>]*>|<meta[^>]*og:url[^>]*>", re.IGNORECASE)


def grow(data: Path, size: int, article_share: float, url_share: float, forward_share: float) -> list[Source]:
    """The benchmark's items as backfill sources: raw pages, events articles, posts."""
    source = Articles(data, Timer())
    pages: list[Page] = []
    articles: list[Article] = []
    for i in range(max(1, round(size * article_share))):
        half = i // 2
        if i % 2 == 0:
            url, raw = source.pages[half % len(source.pages)]
            round_ = half // len(source.pages)
            if round_:
                raw = _CANONICAL.sub(b"", raw) + f"<!-- copy {round_} -->".encode()
            pages.append(Page(url, perturbed_url(url, round_), raw))
        else:
            row = source.rows[half % len(source.rows)]
            articles.append(perturbed_article(task_article({**row, "published_at": row.get("date")}),
                                              half // len(source.rows)))
    targets = [(article.url, article.published_at) for article in articles]
    stream = all_posts(data, Timer())
    url_every = round(1 / url_share) if url_share else 0
    forward_every = round(1 / forward_share) if forward_share else 0
    posts: list[Post] = []
    previous = None
    while len(posts) < size - len(pages) - len(articles):
        post = shaped_post(next(stream), len(posts), previous, targets, url_every, forward_every)
        if url_every and len(posts) % url_every == 0:
            previous = post
        posts.append(post)
    return [Source("articles", "articles-jsonl", articles=articles), Source("pages", "html-folder", pages=pages),
            Source("posts", "telegram-json", posts=[(posts, None)])]


def run(sources: list[Source], workdir: Path, name: str, semantic: bool) -> dict[str, Any]:
    """One configuration ("local" or "ray:N") on a fresh store; its phase seconds and links."""
    engine, _, workers = name.partition(":")
    store = fresh_store(workdir / f"{name.replace(':', '-')}.db")
    began = time.perf_counter()
    with store:
        result = backfill(store, sources, engine=engine, workers=int(workers or 1), worker_cpus=1,
                          semantic=semantic)
        wall = time.perf_counter() - began
        links = sorted(tuple(row) for row in store.db.execute(
            "SELECT p.channel, p.message_id, a.url, m.stage, round(m.score, 5) FROM matches m "
            "JOIN posts p ON p.id = m.post_id JOIN articles a ON a.id = m.article_id"))
    items = result.posts.new + result.articles.new + len(result.errors)
    print(f"{name}: {result.summary()}; wall {wall:.1f} s", file=sys.stderr, flush=True)
    return {"name": name, "items": items, "wall": wall, "seconds": result.seconds, "embedded": result.embedded,
            "links": links, "errors": len(result.errors)}


def table(results: list[dict[str, Any]], command: str) -> str:
    phases = ("ingest", "text links", "embed", "semantic links")
    header = ["engine", "items", "items/s", "wall s", "Ray start s", *(f"{phase} s" for phase in phases),
              "texts embedded", "embedded/s", "same links as local"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    reference = results[0]["links"]
    for result in results:
        seconds = result["seconds"]
        start = result["wall"] - sum(seconds.values())
        label = "one process" if result["name"] == "local" else \
            f"Ray, {result['name'].split(':')[1]} worker(s) x 1 CPU"
        lines.append("| " + " | ".join([
            label, f"{result['items']:,}", f"{result['items'] / result['wall']:.1f}", f"{result['wall']:.1f}",
            f"{start:.1f}" if result["name"] != "local" else "-",
            *(f"{seconds.get(phase, 0.0):.1f}" for phase in phases), f"{result['embedded']:,}",
            f"{result['embedded'] / seconds['embed']:.1f}" if seconds.get("embed") else "-",
            "yes" if result["links"] == reference else "NO"]) + " |")
    return "\n".join([*lines, "", f"Command: `{command}` ({os.cpu_count()} CPUs; "
                      f"{results[0]['errors']} pages without article text in each run)"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=100_000, help="items (posts + articles)")
    parser.add_argument("--configs", default="local,ray:1,ray:2",
                        help="comma-separated: local, ray:N (N embedding workers of 1 CPU; a local Ray of N CPUs)")
    parser.add_argument("--article-share", type=float, default=0.2)
    parser.add_argument("--url-share", type=float, default=0.2)
    parser.add_argument("--forward-share", type=float, default=0.05)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--semantic", action=argparse.BooleanOptionalAction, default=True,
                        help="--no-semantic: ingest (with extraction) and the text steps only, no embedding")
    parser.add_argument("--workdir", type=Path, help="where the stores are written (default: a temporary folder)")
    args = parser.parse_args(argv)
    os.environ[config.EMBED_CACHE_ENV] = ""
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    sources = grow(args.data, args.size, args.article_share, args.url_share, args.forward_share)
    with tempfile.TemporaryDirectory(prefix="newstrace-backfill-") as scratch:
        workdir = args.workdir or Path(scratch)
        results = [run(sources, workdir, name.strip(), args.semantic)
                   for name in args.configs.split(",") if name.strip()]
    command = " ".join([".venv/bin/python bench/backfill.py", *(argv if argv is not None else sys.argv[1:])])
    print(table(results, command))
    return 0


if __name__ == "__main__":
    sys.exit(main())
