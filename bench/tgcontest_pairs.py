"""Same-story decisions within a language on the Telegram Data Clustering Contest's labelled pairs.

Each pair of news articles (ru or en) is labelled OK (same thread) or BAD (different threads).
For every pair we compute the cosine similarity of the two texts' embeddings, each text taken
as newstrace embeds an article (``article_view``: title and lead), and the reader's checks of
``newstrace.match.features.facts`` on those views (numbers, years, day-month dates and names that
agree or conflict). Reported per language:

  * ROC-AUC of the cosine alone (e5 "passage:" encoding, as articles are embedded, and "query:");
  * ROC-AUC of cosine + checks: a standardised logistic regression, out-of-fold probabilities of
    stratified 5-fold cross-validation, averaged over 5 shuffles (needs scikit-learn, the dev extra);
  * the best threshold on the cosine (and on the model's probability) for accuracy and for F1,
    chosen on the same pairs (optimistic), and the accuracy of a threshold chosen on the training
    folds only (honest).

The threshold on the cosine is what a story-clustering step would start from.

    .venv/bin/python bench/tgcontest_pairs.py [--data ../shared/data/tgcontest-pairs]
                                              [--cache /tmp/newstrace-embeddings.db] [--json out.json]
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from newstrace.errors import InputError
from newstrace.evaluate import fresh_store, share_embeddings
from newstrace.match.embed import Embedder, embed_cached, get_embedder
from newstrace.match.features import Facts, facts
from newstrace.match.semantic import article_view

DEFAULT_DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "tgcontest-pairs"
DEFAULT_CACHE = Path(tempfile.gettempdir()) / "newstrace-embeddings.db"
FIELDS = ("INPUT:first_title", "INPUT:first_text", "INPUT:second_title", "INPUT:second_text", "GOLDEN:quality")
FOLDS = 5
SHUFFLES = 5
CHECKS = ("num_jaccard", "num_shared", "num_conflict", "year_conflict", "date_shared", "date_conflict",
          "name_jaccard", "name_idf_share")


@dataclass
class Pair:
    """Two articles of one language and whether annotators put them in one thread."""

    language: str
    pool: str
    first: str
    second: str
    same: bool


def read_pairs(folder: str | Path) -> list[Pair]:
    """Every labelled pair of the folder's ``<lang>_*_pool.tsv`` files, each unordered URL pair once."""
    folder = Path(folder)
    files = sorted(folder.glob("*_pool.tsv"))
    if not files:
        raise InputError(str(folder), "no *_pool.tsv files")
    csv.field_size_limit(1 << 30)
    pairs: list[Pair] = []
    seen: set[tuple[str, frozenset[str]]] = set()
    for path in files:
        language, pool = path.stem.split("_", 1)
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
            missing = [name for name in FIELDS if name not in (reader.fieldnames or [])]
            if missing:
                raise InputError(str(path), f"missing columns {', '.join(missing)}")
            for number, row in enumerate(reader, start=2):
                label = (row["GOLDEN:quality"] or "").strip()
                if label not in ("OK", "BAD"):
                    raise InputError(str(path), f"line {number}: GOLDEN:quality is {label!r}, not OK/BAD")
                key = (language, frozenset((row.get("INPUT:first_url") or "", row.get("INPUT:second_url") or "")))
                if key in seen and "" not in key[1]:
                    continue
                seen.add(key)
                pairs.append(Pair(language, pool,
                                  article_view(row["INPUT:first_title"] or "", row["INPUT:first_text"] or ""),
                                  article_view(row["INPUT:second_title"] or "", row["INPUT:second_text"] or ""),
                                  label == "OK"))
    return pairs


def cosines(pairs: list[Pair], store_path: Path, cache: Path, embedder: Embedder, *, query: bool) -> np.ndarray:
    """Cosine similarity of each pair's two views, embedded through the store's cache."""
    with fresh_store(store_path) as store:
        share_embeddings(store, cache, save=False)
        first = embed_cached(store, embedder, [pair.first for pair in pairs], query=query)
        second = embed_cached(store, embedder, [pair.second for pair in pairs], query=query)
        share_embeddings(store, cache, save=True)
    return np.einsum("ij,ij->i", first, second)


def _jaccard(a: frozenset, b: frozenset) -> float:
    return len(a & b) / len(a | b) if a | b else 0.0


def checks(a: Facts, b: Facts, name_df: Counter, documents: int) -> dict[str, float]:
    """Agreement of two texts' facts, symmetric (neither text is the source)."""
    def idf(name: str) -> float:
        return math.log((documents + 1) / (name_df.get(name, 0) + 1))

    shared_names = a.names & b.names
    union_idf = sum(idf(name) for name in a.names | b.names) or 1.0
    return {
        "num_jaccard": _jaccard(a.numbers, b.numbers),
        "num_shared": min(len(a.numbers & b.numbers), 3) / 3,
        "num_conflict": float(bool(a.numbers) and bool(b.numbers) and not a.numbers & b.numbers),
        "year_conflict": float(bool(a.years) and bool(b.years) and not a.years & b.years),
        "date_shared": float(bool(a.dates & b.dates)),
        "date_conflict": float(bool(a.dates) and bool(b.dates) and not a.dates & b.dates),
        "name_jaccard": _jaccard(a.names, b.names),
        "name_idf_share": sum(idf(name) for name in shared_names) / union_idf,
    }


def check_matrix(pairs: list[Pair]) -> np.ndarray:
    """One row of CHECKS per pair; name rarity is counted over the texts of the same set."""
    found = [(facts(pair.first), facts(pair.second)) for pair in pairs]
    name_df = Counter(name for a, b in found for item in (a, b) for name in item.names)
    rows = [checks(a, b, name_df, 2 * len(pairs)) for a, b in found]
    return np.array([[row[name] for name in CHECKS] for row in rows])


def best_thresholds(scores: np.ndarray, labels: np.ndarray) -> dict[str, Any]:
    """The thresholds (score >= t means same story) with the best accuracy and the best F1."""
    best_accuracy = (-1.0, 0.0)
    best_f1 = (-1.0, 0.0, 0.0)
    for threshold in np.unique(scores):
        said = scores >= threshold
        accuracy = float((said == labels).mean())
        tp = float((said & labels).sum())
        f1 = 2 * tp / (said.sum() + labels.sum()) if said.sum() + labels.sum() else 0.0
        if accuracy > best_accuracy[0]:
            best_accuracy = (accuracy, float(threshold))
        if f1 > best_f1[0]:
            best_f1 = (f1, float(threshold), accuracy)
    return {"accuracy": round(best_accuracy[0], 4), "accuracy_threshold": round(best_accuracy[1], 4),
            "f1": round(best_f1[0], 4), "f1_threshold": round(best_f1[1], 4),
            "accuracy_at_f1_threshold": round(best_f1[2], 4)}


def _cv_threshold_accuracy(scores: np.ndarray, labels: np.ndarray, seeds: range) -> float:
    """Accuracy of a threshold chosen for accuracy on the training folds, applied to the held-out fold."""
    from sklearn.model_selection import StratifiedKFold

    accuracies = []
    for seed in seeds:
        right = 0
        for train, test in StratifiedKFold(FOLDS, shuffle=True, random_state=seed).split(scores, labels):
            threshold = best_thresholds(scores[train], labels[train])["accuracy_threshold"]
            right += int(((scores[test] >= threshold) == labels[test]).sum())
        accuracies.append(right / len(labels))
    return round(float(np.mean(accuracies)), 4)


def _out_of_fold(features: np.ndarray, labels: np.ndarray, seed: int) -> np.ndarray:
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    model = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=1000))
    folds = StratifiedKFold(FOLDS, shuffle=True, random_state=seed)
    return cross_val_predict(model, features, labels, cv=folds, method="predict_proba")[:, 1]


def language_report(cos_passage: np.ndarray, cos_query: np.ndarray, check_rows: np.ndarray,
                    labels: np.ndarray) -> dict[str, Any]:
    """Every figure for one language's pairs."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    seeds = range(SHUFFLES)
    features = np.column_stack([cos_passage, check_rows])
    out_of_fold = [_out_of_fold(features, labels, seed) for seed in seeds]
    model_aucs = [roc_auc_score(labels, probabilities) for probabilities in out_of_fold]
    checks_only = [roc_auc_score(labels, _out_of_fold(check_rows, labels, seed)) for seed in seeds]
    fitted = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=1000)).fit(features, labels)
    weights = dict(zip(("cos", *CHECKS), np.round(fitted[-1].coef_[0], 3).tolist()))
    return {
        "pairs": int(len(labels)), "same": int(labels.sum()), "different": int((~labels).sum()),
        "auc": {
            "cos_passage": round(float(roc_auc_score(labels, cos_passage)), 4),
            "cos_query": round(float(roc_auc_score(labels, cos_query)), 4),
            "checks_only_cv": round(float(np.mean(checks_only)), 4),
            "cos_plus_checks_cv": round(float(np.mean(model_aucs)), 4),
            "cos_plus_checks_cv_sd": round(float(np.std(model_aucs)), 4),
        },
        "cos_passage": {**best_thresholds(cos_passage, labels),
                        "cv_accuracy": _cv_threshold_accuracy(cos_passage, labels, seeds)},
        "cos_query": {**best_thresholds(cos_query, labels),
                      "cv_accuracy": _cv_threshold_accuracy(cos_query, labels, seeds)},
        "cos_plus_checks_cv": best_thresholds(np.mean(out_of_fold, axis=0), labels),
        "cos_passage_by_label": {
            "same_median": round(float(np.median(cos_passage[labels])), 4),
            "different_median": round(float(np.median(cos_passage[~labels])), 4)},
        "standardised_weights": weights,
    }


def evaluate(pairs: list[Pair], *, cache: Path) -> dict[str, Any]:
    """The summary for every language of the pairs."""
    embedder = get_embedder()
    started = time.perf_counter()
    report: dict[str, Any] = {"embedder": embedder.name, "folds": FOLDS, "shuffles": SHUFFLES,
                              "checks": list(CHECKS), "languages": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for language in sorted({pair.language for pair in pairs}):
            chosen = [pair for pair in pairs if pair.language == language]
            labels = np.array([pair.same for pair in chosen])
            passage = cosines(chosen, Path(tmp) / f"{language}-p.db", cache, embedder, query=False)
            query = cosines(chosen, Path(tmp) / f"{language}-q.db", cache, embedder, query=True)
            report["languages"][language] = {
                "pools": dict(Counter(pair.pool for pair in chosen)),
                **language_report(passage, query, check_matrix(chosen), labels)}
    report["seconds"] = round(time.perf_counter() - started, 1)
    return report


def table(summary: dict[str, Any]) -> str:
    """A short plain-text table of the summary."""
    lines = [f"{'lang':<5}{'pairs':>6}{'AUC cos(p)':>11}{'AUC cos(q)':>11}{'AUC +checks':>12}"
             f"{'best acc @cos':>16}{'cv acc':>8}{'best F1 @cos':>15}{'best acc +chk':>15}"]
    for language, r in summary["languages"].items():
        cos = r["cos_passage"]
        model = r["cos_plus_checks_cv"]
        lines.append(f"{language:<5}{r['pairs']:>6}{r['auc']['cos_passage']:>11.3f}{r['auc']['cos_query']:>11.3f}"
                     f"{r['auc']['cos_plus_checks_cv']:>12.3f}"
                     f"{cos['accuracy']:>9.3f} @{cos['accuracy_threshold']:.3f}{cos['cv_accuracy']:>8.3f}"
                     f"{cos['f1']:>8.3f} @{cos['f1_threshold']:.3f}{model['accuracy']:>15.3f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="embedding cache store")
    parser.add_argument("--json", type=Path, help="also write the summary here")
    args = parser.parse_args(argv)
    try:
        pairs = read_pairs(args.data)
    except InputError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    summary = evaluate(pairs, cache=args.cache)
    text = json.dumps(summary, ensure_ascii=False, indent=1)
    if args.json:
        args.json.write_text(text + "\n", encoding="utf-8")
    print(text)
    print()
    print(table(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
