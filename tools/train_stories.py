"""Fits the article-pair model of story clustering on dev task folders and writes
src/newstrace/data/story_model.json (needs the dev extra: scikit-learn).

    python tools/train_stories.py /tmp/dev-s1 /tmp/dev-s2 /tmp/dev-s3 --cache /tmp/embeddings.db
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

from newstrace import config
from newstrace.evaluate import fresh_store, load_task, read_jsonl, share_embeddings
from newstrace.match.embed import get_embedder
from newstrace.match.semantic import load_pool
from newstrace.stories.cluster import scored_pairs

OUT = Path(__file__).resolve().parent.parent / "src" / "newstrace" / "data" / config.STORY_MODEL


def task_pairs(folder: Path, cache: Path) -> tuple[list[dict[str, float]], list[bool]]:
    events = {row["id"]: row["story"] for row in read_jsonl(folder / "gold_stories.jsonl")}
    with tempfile.TemporaryDirectory() as tmp, fresh_store(Path(tmp) / "train.db") as store:
        run = load_task(store, folder / "articles.jsonl", folder / "posts.jsonl")
        share_embeddings(store, cache, save=False)
        pool = load_pool(store, get_embedder())
        share_embeddings(store, cache, save=True)
        labels = [events[run.article_ids[article_id]] for article_id in pool.ids]
        pairs = scored_pairs(pool.vectors, list(pool.languages), pool.facts, pool.dates, pool.name_df)
    return list(pairs.values()), [labels[i] == labels[j] for i, j in pairs]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("tasks", nargs="+", type=Path)
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "newstrace-embeddings.db")
    parser.add_argument("--out", type=Path, default=OUT, help="where to write the model (default: the shipped one)")
    args = parser.parse_args()
    rows: list[dict[str, float]] = []
    labels: list[bool] = []
    for folder in args.tasks:
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
