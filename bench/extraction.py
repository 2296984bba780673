"""Article-body extraction quality and speed on the Scrapinghub article-extraction-benchmark.

Runs newstrace's extract_article and, for comparison, trafilatura's plain ``extract()`` with the
settings the benchmark's own runner uses, over html/*.html.gz, and scores each body against
ground-truth.json the way the benchmark's evaluate.py does: word tokens (``\\w+``), shingles of 4
tokens counted as a bag, TP/FP/FN normalised per page, precision and recall averaged over pages,
F1 of the two means. Plain bag-of-words (1-token) scores are printed too.

    .venv/bin/python bench/extraction.py [--data ../shared/data/extraction-benchmark] [--limit N]
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import trafilatura

from newstrace.errors import InputError
from newstrace.extract.html import extract_article

_TOKEN = re.compile(r"\w+")
DEFAULT_DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "extraction-benchmark"


def shingles(text: str, n: int) -> Counter:
    tokens = _TOKEN.findall(text or "")
    return Counter(tuple(tokens[i:i + n]) for i in range(max(1, len(tokens) - n + 1)) if tokens[i:i + n])


def tp_fp_fn(gold: str, predicted: str, n: int) -> tuple[float, float, float]:
    """Per-page counts, normalised so that long pages weigh as much as short ones."""
    true, pred = shingles(gold, n), shingles(predicted, n)
    tp = sum((true & pred).values())
    fp = sum((pred - true).values())
    fn = sum((true - pred).values())
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def scores(counts: list[tuple[float, float, float]]) -> tuple[float, float, float]:
    """Mean precision, mean recall and their F1, as the benchmark's evaluate.py computes them."""
    def precision(tp: float, fp: float, fn: float) -> float:
        return 1.0 if fp == fn == 0 else (0.0 if tp == fp == 0 else tp / (tp + fp))

    def recall(tp: float, fp: float, fn: float) -> float:
        return 1.0 if fp == fn == 0 else (0.0 if tp == fn == 0 else tp / (tp + fn))

    p = statistics.mean(precision(*c) for c in counts if c[0] + c[1] > 0)
    r = statistics.mean(recall(*c) for c in counts if c[0] + c[2] > 0)
    return p, r, 2 * p * r / (p + r)


def newstrace_body(raw: bytes, url: str) -> str:
    try:
        return extract_article(raw, url).text
    except InputError:
        return ""


def trafilatura_default(raw: bytes, url: str) -> str:
    """What the benchmark's run_trafilatura.py does: UTF-8 text in, default settings."""
    return trafilatura.extract(raw.decode("utf-8"), include_comments=False) or ""


def run(name: str, extractor: Callable[[bytes, str], str], pages: list[tuple[bytes, str, str]]) -> None:
    extractor(pages[0][0], pages[0][2])   # warm-up: lazy imports and the language models
    bodies, started = [], time.perf_counter()
    for raw, _, url in pages:
        bodies.append(extractor(raw, url))
    ms = (time.perf_counter() - started) * 1000 / len(pages)
    empty = sum(not body for body in bodies)
    for n, label in ((4, "4-shingles (benchmark)"), (1, "bag of words")):
        p, r, f1 = scores([tp_fp_fn(gold, body, n) for (_, gold, _), body in zip(pages, bodies)])
        print(f"{name:<34} {label:<23} P={p:.3f} R={r:.3f} F1={f1:.3f}")
    print(f"{name:<34} {ms:.1f} ms/page, {empty} empty of {len(pages)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="benchmark folder (html/, ground-truth.json)")
    parser.add_argument("--limit", type=int, default=0, help="only the first N pages")
    args = parser.parse_args()
    truth_path = args.data / "ground-truth.json"
    if not truth_path.is_file():
        print(f"{args.data}: no ground-truth.json (is the benchmark there?)", file=sys.stderr)
        return 2
    truth = json.loads(truth_path.read_text(encoding="utf-8"))
    pages = []
    for key in sorted(truth)[: args.limit or None]:
        raw = gzip.decompress((args.data / "html" / f"{key}.html.gz").read_bytes())
        pages.append((raw, truth[key].get("articleBody", ""), truth[key].get("url", "")))
    print(f"{len(pages)} pages from {args.data.resolve()}")
    run("newstrace extract_article", newstrace_body, pages)
    run("trafilatura.extract() default", trafilatura_default, pages)
    return 0


if __name__ == "__main__":
    sys.exit(main())
