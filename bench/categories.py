"""Agreement of newstrace's news categories with the machine labels of ``telegram-ru-2024``.

The posts of ``telegram-ru-2024`` carry a category given by an LLM (Qwen 2.5), not by people, in
a scheme of twelve labels; the eight that have a counterpart among the contest's seven categories
are mapped to it (political, personal -> society; business, finances -> economy; it -> technology;
science -> science; stuff, gaming -> entertainment; weather -> other) and posts labelled other,
moscow or advertisement are left out. The set has no sports label, so sports is never expected.
A post's first line is its title, as in most news channels.

Two disjoint random samples are drawn: one to choose the weights (``--grid`` searches them
there), one to report. For each, agreement of keywords alone, embeddings alone (similarity to the
category descriptions) and both (the shipped Categorizer with config's weights), then, for the
reported sample, a confusion summary of both.

    .venv/bin/python bench/categories.py [--data ../shared/data/telegram-ru-2024] [--sample 500]
                                         [--seed 0] [--cache /tmp/newstrace-embeddings.db] [--grid]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from newstrace import config
from newstrace.collect.telethon_json import parse_telethon_json
from newstrace.evaluate import fresh_store, share_embeddings
from newstrace.match.embed import embed_cached, get_embedder
from newstrace.match.semantic import article_view
from newstrace.stories.category import CATEGORIES, Categorizer, best, keyword_hits

DEFAULT_DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "telegram-ru-2024"
DEFAULT_CACHE = Path(tempfile.gettempdir()) / "newstrace-embeddings.db"
LABELS = {"political": "society", "personal": "society", "business": "economy", "finances": "economy",
          "it": "technology", "science": "science", "stuff": "entertainment", "gaming": "entertainment",
          "weather": "other"}
MIN_CHARS = 40


@dataclass
class Item:
    """One labelled post: its first line as title, the rest as text, the mapped label."""

    title: str
    text: str
    label: str


def read_items(folder: Path) -> list[Item]:
    """Every post with a mappable label and some text, in file and message order."""
    items = []
    for path in sorted(folder.glob("*_messages.json")):
        data = path.read_bytes()
        labels = {m["message_id"]: m.get("category") for m in json.loads(data)}
        for post in parse_telethon_json(data, str(path)):
            label = LABELS.get(labels.get(post.message_id) or "")
            text = post.text.strip()
            if label and len(text) >= MIN_CHARS:
                title, _, rest = text.partition("\n")
                items.append(Item(title.strip(), rest.strip(), label))
    return items


def agreement(predicted: list[str], items: list[Item]) -> float:
    return sum(p == item.label for p, item in zip(predicted, items)) / max(1, len(items))


def confusion(predicted: list[str], items: list[Item]) -> str:
    """Rows: the label; columns: newstrace's category; then recall and precision per category."""
    counts = Counter((item.label, p) for p, item in zip(predicted, items))
    short = [name[:5] for name in CATEGORIES]
    lines = ["label \\ newstrace " + " ".join(f"{name:>6}" for name in short) + "  recall"]
    for label in CATEGORIES:
        total = sum(counts[(label, p)] for p in CATEGORIES)
        if not total:
            continue
        row = " ".join(f"{counts[(label, p)]:>6}" for p in CATEGORIES)
        lines.append(f"{label:<17} {row}  {counts[(label, label)] / total:.2f} of {total}")
    precision = []
    for p in CATEGORIES:
        said = sum(counts[(label, p)] for label in CATEGORIES)
        precision.append(f"{counts[(p, p)] / said:.2f}" if said else "  -")
    lines.append("precision         " + " ".join(f"{value:>6}" for value in precision))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--sample", type=int, default=500, help="posts per sample (tuning and reported)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="embedding cache store")
    parser.add_argument("--grid", action="store_true", help="search the two weights on the tuning sample")
    args = parser.parse_args(argv)
    items = read_items(args.data)
    if len(items) < 2 * args.sample:
        print(f"only {len(items)} labelled posts in {args.data}", file=sys.stderr)
        return 1
    random.Random(args.seed).shuffle(items)
    samples = {"tuning": items[: args.sample], "reported": items[args.sample: 2 * args.sample]}
    embedder = get_embedder()
    with tempfile.TemporaryDirectory() as tmp, fresh_store(Path(tmp) / "bench.db") as store:
        share_embeddings(store, args.cache, save=False)
        categorizer = Categorizer.with_embeddings(store, embedder)
        vectors = {name: embed_cached(store, embedder, [article_view(i.title, i.text) for i in sample], query=False)
                   for name, sample in samples.items()}
        share_embeddings(store, args.cache, save=True)
    print(f"telegram-ru-2024: {len(items)} posts with a mappable label; samples of {args.sample} (seed {args.seed}); "
          f"labels of the reported sample: {dict(Counter(i.label for i in samples['reported']).most_common())}")
    for name, sample in samples.items():
        hits = [keyword_hits(i.title, i.text) for i in sample]
        similarity = vectors[name] @ categorizer.prototypes.T
        both = [categorizer.categorize(i.title, i.text, v) for i, v in zip(sample, vectors[name])]
        print(f"{name}: keywords {agreement([best(h) for h in hits], sample):.3f}, "
              f"embeddings {agreement([CATEGORIES[int(k)] for k in similarity.argmax(axis=1)], sample):.3f}, "
              f"both {agreement(both, sample):.3f}  (keyword weight {config.CATEGORY_KEYWORD_WEIGHT}, "
              f"embedding scale {config.CATEGORY_EMBED_SCALE})")
        if name == "tuning" and args.grid:
            results = []
            for weight in (0.25, 0.5, 1.0, 2.0):
                for scale in (0.005, 0.01, 0.02, 0.04):
                    found = [best(np.log1p(h) * weight + (s - s.mean()) / scale) for h, s in zip(hits, similarity)]
                    results.append((agreement(found, sample), weight, scale))
            print("  grid (agreement, keyword weight, embedding scale), best first: "
                  + "; ".join(f"{a:.3f} {w} {s}" for a, w, s in sorted(results, reverse=True)[:6]))
        if name == "reported":
            print(confusion(both, sample))
    return 0


if __name__ == "__main__":
    sys.exit(main())
