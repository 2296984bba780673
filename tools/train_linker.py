"""Fits the semantic linker's logistic weights on task folders of the dev split and writes
src/newstrace/data/linker_model.json (needs the dev extra: scikit-learn).

    python ../shared/eval/make_tasks.py --items ../shared/data/events-dev.jsonl --out /tmp/dev-s1 --seed 1
    python tools/train_linker.py /tmp/dev-s1 /tmp/dev-s2 ... --cache /tmp/embeddings.db

Only dev tasks may be used: the test split is for reporting.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

from newstrace import config
from newstrace.extract.language import detect_language
from newstrace.evaluate import fresh_store, load_task, read_jsonl, share_embeddings
from newstrace.match.embed import embed_cached, get_embedder
from newstrace.match.evidence_links import link_by_evidence
from newstrace.match.semantic import candidate_features, load_pool, post_day

OUT = Path(__file__).resolve().parent.parent / "src" / "newstrace" / "data" / config.LINKER_MODEL


def task_rows(folder: Path, cache: Path) -> tuple[list[dict], list[bool], list[int]]:
    """Feature rows of every (post, candidate) pair, their labels, and the post each belongs to."""
    gold = {row["post"]: set(row["sources"]) for row in read_jsonl(folder / "gold_links.jsonl")}
    embedder = get_embedder()
    rows, labels, groups = [], [], []
    with tempfile.TemporaryDirectory() as tmp, fresh_store(Path(tmp) / "train.db") as store:
        run = load_task(store, folder / "articles.jsonl", folder / "posts.jsonl")
        share_embeddings(store, cache, save=False)
        link_by_evidence(store)
        pool = load_pool(store, embedder)
        posts = store.db.execute("SELECT message_id, text, posted_at FROM posts ORDER BY id").fetchall()
        vectors = embed_cached(store, embedder, [post["text"] for post in posts], query=True)
        share_embeddings(store, cache, save=True)
        for post, vector in zip(posts, vectors):
            sources = gold[run.post_ids[post["message_id"]]]
            for index, values, _ in candidate_features(pool, post["text"], vector,
                                                       post_day(post["posted_at"], post["text"]),
                                                       detect_language(post["text"])):
                rows.append(values)
                labels.append(run.article_ids.get(pool.ids[index]) in sources)
                groups.append(hash((str(folder), post["message_id"])))
    return rows, labels, groups


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("tasks", nargs="+", type=Path)
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "newstrace-embeddings.db")
    parser.add_argument("--threshold", type=float, default=0.5)
    parser.add_argument("--out", type=Path, default=OUT, help="where to write the model (default: the shipped one)")
    parser.add_argument("--drop", nargs="*", default=[],
                        help="leave out features whose names start with these prefixes (ablations)")
    args = parser.parse_args()
    rows, labels = [], []
    for folder in args.tasks:
        more_rows, more_labels, _ = task_rows(folder, args.cache)
        rows += more_rows
        labels += more_labels
    names = [name for name in rows[0] if not any(name.startswith(prefix) for prefix in args.drop)]
    features = np.array([[row[name] for name in names] for row in rows])
    fitted = LogisticRegression(C=1.0, max_iter=5000).fit(features, np.array(labels))
    model = {"features": names, "coef": [round(float(w), 5) for w in fitted.coef_[0]],
             "intercept": round(float(fitted.intercept_[0]), 5), "threshold": args.threshold}
    args.out.write_text(json.dumps(model, indent=2) + "\n", encoding="utf-8")
    for name, weight in sorted(zip(names, model["coef"]), key=lambda item: -abs(item[1])):
        print(f"{name:22s} {weight:+.3f}")
    print(f"{len(rows)} pairs, {sum(labels)} positive -> {args.out}")


if __name__ == "__main__":
    main()
