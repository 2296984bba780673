"""Fits the article-pair model of story clustering on dev task folders and writes
src/newstrace/data/story_model.json (needs the dev extra: scikit-learn).

    python tools/train_stories.py /tmp/dev-s1 /tmp/dev-s2 /tmp/dev-s3 --cache /tmp/embeddings.db --background 400

With --background N each folder is also used with N unrelated real articles mixed in
(bench/background.py), each its own story: the model learns that two unrelated articles of one
day, however alike in wording, are two events (an evaluation cut alone holds few such pairs).
With --cv it writes nothing and prints a leave-one-event-group-out estimate of the stories
instead (B-cubed of the held-out group's articles, grouped at the cut users see).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

from newstrace import config
from newstrace.evaluate import held_out_family, fresh_store, load_task, read_jsonl, share_embeddings
from newstrace.match.embed import get_embedder
from newstrace.match.logistic import LogisticModel
from newstrace.match.semantic import Pool, load_pool
from newstrace.stories.cluster import STORY_CUT, Cut, cluster, scored_pairs

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "src" / "newstrace" / "data" / config.STORY_MODEL
sys.path.insert(0, str(ROOT / "bench"))

from background import with_background  # noqa: E402


@dataclass
class Folder:
    """One task folder's articles ready to group: the pool, each article's gold event (a
    background article is an event of its own, in no group) and its neighbour pairs' features."""

    pool: Pool
    events: list[str]
    groups: list[str | None]
    pairs: dict[tuple[int, int], dict[str, float]]
    kind: str

    def labels(self) -> list[bool]:
        return [self.events[i] == self.events[j] for i, j in self.pairs]


def task_pairs(folder: Path, cache: Path, kind: str, held_out: str) -> Folder:
    """Features of each article's neighbour pairs in one task folder, with the gold events and
    what a cross-validation leaves out with each (held_out_family)."""
    events = {row["id"]: row["story"] for row in read_jsonl(folder / "gold_stories.jsonl")}
    with tempfile.TemporaryDirectory() as tmp, fresh_store(Path(tmp) / "train.db") as store:
        run = load_task(store, folder / "articles.jsonl", folder / "posts.jsonl")
        share_embeddings(store, cache, save=False)
        pool = load_pool(store, get_embedder())
        share_embeddings(store, cache, save=True)
    ids = [run.article_ids[article_id] for article_id in pool.ids]
    pairs = scored_pairs(pool.vectors, list(pool.languages), pool.facts, pool.dates, pool.name_df)
    return Folder(pool, [events.get(item, item) for item in ids],
                  [held_out_family(events[item], held_out) if item in events else None for item in ids], pairs, kind)


def fit(folders: list[Folder], names: list[str], strength: float, held: str | None = None) -> LogisticModel:
    """The pair model fitted on every folder's pairs, less those touching the held-out group."""
    rows, labels = [], []
    for folder in folders:
        for ((i, j), values), same in zip(folder.pairs.items(), folder.labels()):
            if held is None or held not in (folder.groups[i], folder.groups[j]):
                rows.append([values[name] for name in names])
                labels.append(same)
    fitted = LogisticRegression(C=strength, max_iter=5000).fit(np.array(rows), np.array(labels))
    return LogisticModel(names, [round(float(w), 5) for w in fitted.coef_[0]], round(float(fitted.intercept_[0]), 5), 0.5)


def grouped_cv(folders: list[Folder], names: list[str], strength: float, cut: Cut, held_out: str) -> None:
    """Leave one event group out: fit on the pairs of the other groups, group every folder with
    that model and score the held-out group's articles (B-cubed: each article's found story
    against its event). Seeds of one split share their items, so a model fitted on some seeds and
    scored on others has seen the scored items; this is the honest estimate on dev. Prints each
    kind of folder's precision, recall and F1, and F1 of the dated and undated articles."""
    totals: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
    for held in sorted({group for folder in folders for group in folder.groups if group}):
        model = fit(folders, names, strength, held)
        for folder in folders:
            pool = folder.pool
            found = cluster(pool.vectors, list(pool.languages), pool.facts, pool.dates, pool.name_df,
                            model=model, cuts=(cut,))[0].tolist()
            stories, events = _members(found), _members(folder.events)
            for article in (i for i, group in enumerate(folder.groups) if group == held):
                story, event = stories[found[article]], events[folder.events[article]]
                dated = "dated" if isinstance(pool.dates[article], date) else "undated"
                for key in (folder.kind, f"{folder.kind}, {dated}"):
                    total = totals[key]
                    total[0] += len(story & event) / len(story)
                    total[1] += len(story & event) / len(event)
                    total[2] += 1
    for key, (precision, recall, count) in totals.items():
        precision, recall = precision / count, recall / count
        print(f"leave-one-{held_out}-out, {key} ({int(count)} articles): B-cubed precision {precision:.3f}, "
              f"recall {recall:.3f}, F1 {2 * precision * recall / (precision + recall):.4f}")


def _members(labels: list) -> dict[object, set[int]]:
    """The articles (by position) under each label."""
    found: dict[object, set[int]] = defaultdict(set)
    for article, label in enumerate(labels):
        found[label].add(article)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("tasks", nargs="+", type=Path)
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "newstrace-embeddings.db")
    parser.add_argument("--background", type=int, default=0,
                        help="also fit on each folder with this many unrelated real articles mixed in")
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data",
                        help="where the background articles are read (with --background)")
    parser.add_argument("--out", type=Path, default=OUT, help="where to write the model (default: the shipped one)")
    parser.add_argument("--c", type=float, default=1.0, help="inverse regularisation strength (see --cv)")
    parser.add_argument("--cv", action="store_true",
                        help="only print a leave-one-event-group-out estimate of the stories; write no model")
    parser.add_argument("--held-out", choices=("group", "event"), default="group",
                        help="what --cv leaves out: an event group (default) or one event")
    parser.add_argument("--distance", type=float, default=STORY_CUT.distance,
                        help="with --cv: the cut of the stories users see (config.STORY_DISTANCE)")
    parser.add_argument("--drop", nargs="*", default=[],
                        help="leave out features whose names start with these prefixes (ablations)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as mixed:
        paths = with_background(args.tasks, args.data, args.background, Path(mixed))
        folders = [task_pairs(path, args.cache, "as given" if n < len(args.tasks) else "with background", args.held_out)
                   for n, path in enumerate(paths)]
    names = [name for name in next(iter(folders[0].pairs.values()))
             if not any(name.startswith(prefix) for prefix in args.drop)]
    if args.cv:
        grouped_cv(folders, names, args.c, Cut(args.distance, STORY_CUT.tighten_from, STORY_CUT.tighten_rate,
                                               STORY_CUT.floor), args.held_out)
        return
    model = fit(folders, names, args.c)
    shipped = {"features": model.features, "coef": model.coef, "intercept": model.intercept, "threshold": model.threshold}
    args.out.write_text(json.dumps(shipped, indent=2) + "\n", encoding="utf-8")
    for name, weight in sorted(zip(names, model.coef), key=lambda item: -abs(item[1])):
        print(f"{name:22s} {weight:+.3f}")
    print(f"{sum(len(folder.pairs) for folder in folders)} pairs, "
          f"{sum(sum(folder.labels()) for folder in folders)} same-event -> {args.out}")


if __name__ == "__main__":
    main()
