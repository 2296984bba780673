"""Fits the article-pair model of story clustering on dev task folders and writes
src/newstrace/data/story_model.json (needs the dev extra: scikit-learn).

    python tools/train_stories.py /tmp/dev-s1 /tmp/dev-s2 /tmp/dev-s3 --cache /tmp/embeddings.db --background 400

With --background N each folder is also used with N unrelated real articles mixed in
(bench/background.py), each its own story: the model learns that two unrelated articles of one
day, however alike in wording, are two events (an evaluation cut alone holds few such pairs).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

from newstrace import config
from newstrace.evaluate import fresh_store, load_task, read_jsonl, share_embeddings
from newstrace.match.embed import get_embedder
from newstrace.match.semantic import load_pool
from newstrace.stories.cluster import scored_pairs

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "src" / "newstrace" / "data" / config.STORY_MODEL
sys.path.insert(0, str(ROOT / "bench"))

from background import with_background  # noqa: E402


def task_pairs(folder: Path, cache: Path) -> tuple[list[dict[str, float]], list[bool]]:
    """Features of each article's neighbour pairs, and whether the two report one event (an
    article in no gold story, a background one, is a story of its own)."""
    events = {row["id"]: row["story"] for row in read_jsonl(folder / "gold_stories.jsonl")}
    with tempfile.TemporaryDirectory() as tmp, fresh_store(Path(tmp) / "train.db") as store:
        run = load_task(store, folder / "articles.jsonl", folder / "posts.jsonl")
        share_embeddings(store, cache, save=False)
        pool = load_pool(store, get_embedder())
        share_embeddings(store, cache, save=True)
        labels = [events.get(run.article_ids[article_id], run.article_ids[article_id]) for article_id in pool.ids]
        pairs = scored_pairs(pool.vectors, list(pool.languages), pool.facts, pool.dates, pool.name_df)
    return list(pairs.values()), [labels[i] == labels[j] for i, j in pairs]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("tasks", nargs="+", type=Path)
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "newstrace-embeddings.db")
    parser.add_argument("--background", type=int, default=0,
                        help="also fit on each folder with this many unrelated real articles mixed in")
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data",
                        help="where the background articles are read (with --background)")
    parser.add_argument("--out", type=Path, default=OUT, help="where to write the model (default: the shipped one)")
    args = parser.parse_args()
    rows: list[dict[str, float]] = []
    labels: list[bool] = []
    with tempfile.TemporaryDirectory() as mixed:
        for folder in with_background(args.tasks, args.data, args.background, Path(mixed)):
            more_rows, more_labels = task_pairs(folder, args.cache)
            rows += more_rows
            labels += more_labels
    names = list(rows[0])
    fitted = LogisticRegression(C=1.0, max_iter=5000).fit(
        np.array([[row[name] for name in names] for row in rows]), np.array(labels))
    model = {"features": names, "coef": [round(float(w), 5) for w in fitted.coef_[0]],
             "intercept": round(float(fitted.intercept_[0]), 5), "threshold": 0.5}
    args.out.write_text(json.dumps(model, indent=2) + "\n", encoding="utf-8")
    for name, weight in sorted(zip(names, model["coef"]), key=lambda item: -abs(item[1])):
        print(f"{name:22s} {weight:+.3f}")
    print(f"{len(rows)} pairs, {sum(labels)} same-event -> {args.out}")


if __name__ == "__main__":
    main()
