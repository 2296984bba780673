"""Where the tracing errors of an evaluation run lie: links split by whether the post has a time
(a real Telegram post always has one; an events item without a date gives a post without one,
and with it no time window), and wrong links split by whether the article linked is about a
related event of the same story family (the event id's letter) or an unrelated one.

    .venv/bin/python bench/eval_breakdown.py --tasks /tmp/test-tasks --predictions /tmp/test-pred.jsonl \\
        [--tasks T2 --predictions P2 ...]

Task folders come from ../shared/eval/make_tasks.py, predictions from `newstrace eval`; several
pairs are pooled. Precision, recall and orphans are counted as ../shared/eval/score.py counts
them (a link is right when the article is one of the post's gold sources).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def outcomes(tasks: Path, predictions: Path) -> Counter:
    """(timed or untimed, outcome) counts of one run; outcome is right, wrong-related,
    wrong-unrelated, missed, orphan-kept or orphan-linked."""
    gold = {row["post"]: set(row["sources"]) for row in read_jsonl(tasks / "gold_links.jsonl")}
    family = {row["id"]: row["story"][:1] for row in read_jsonl(tasks / "gold_stories.jsonl")}
    timed = {row["id"]: bool(row.get("posted_at")) for row in read_jsonl(tasks / "posts.jsonl")}
    linked = {row["post"]: row.get("source") for row in read_jsonl(predictions) if "post" in row}
    found: Counter = Counter()
    for post, sources in gold.items():
        source = linked.get(post)
        if not sources:
            outcome = "orphan-linked" if source else "orphan-kept"
        elif source is None:
            outcome = "missed"
        elif source in sources:
            outcome = "right"
        else:
            outcome = "wrong-related" if family.get(source) == family.get(post) else "wrong-unrelated"
        found[("timed" if timed[post] else "untimed", outcome)] += 1
    return found


def report(found: Counter) -> str:
    lines = ["| posts | n | links P | links R | orphans left unlinked | wrong: related / unrelated event |",
             "|---|---:|---:|---:|---:|---|"]
    for kind in ("timed", "untimed", "all"):
        count: Counter = Counter()
        for (which, outcome), n in found.items():
            if kind in (which, "all"):
                count[outcome] += n
        wrong = count["wrong-related"] + count["wrong-unrelated"]
        links = count["right"] + wrong + count["orphan-linked"]
        sourced = count["right"] + wrong + count["missed"]
        orphans = count["orphan-kept"] + count["orphan-linked"]
        lines.append(f"| {kind} | {sourced + orphans} | {count['right'] / max(links, 1):.3f} | "
                     f"{count['right'] / max(sourced, 1):.3f} | {count['orphan-kept'] / max(orphans, 1):.2f} "
                     f"({orphans}) | {count['wrong-related']} / {count['wrong-unrelated']} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=Path, action="append", required=True)
    parser.add_argument("--predictions", type=Path, action="append", required=True)
    args = parser.parse_args(argv)
    if len(args.tasks) != len(args.predictions):
        parser.error("give one --predictions per --tasks")
    found: Counter = Counter()
    for tasks, predictions in zip(args.tasks, args.predictions):
        for path in (tasks / "gold_links.jsonl", predictions):
            if not path.is_file():
                print(f"error: {path}: no such file", file=sys.stderr)
                return 2
        found += outcomes(tasks, predictions)
    print(report(found))
    return 0


if __name__ == "__main__":
    sys.exit(main())
