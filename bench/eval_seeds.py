"""Tracing and story quality over several cuts of one split, with their mean and range: one cut
holds ~90 sourced posts, so one post moves precision or recall by about a point, and a change
should be judged against the spread between cuts, not one figure.

    .venv/bin/python bench/eval_seeds.py --split dev --seeds 6,7,8 [--data ../shared/data]
        [--workdir DIR] [--linker-model MODEL.json] [--background N]

For each seed: ../shared/eval/make_tasks.py cuts the split, `newstrace eval` traces it (vectors
shared through DIR/cache.db), ../shared/eval/score.py scores it. Tune on dev; test is for
reporting (the README's rule). --background N mixes N unrelated real articles into each cut
(bench/background.py): the store of a service that follows many topics.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from background import add_background  # noqa: E402
COLUMNS = {
    "links P": ("links", "all", "precision"), "links R": ("links", "all", "recall"),
    "cross-language P": ("links", "cross-language", "precision"),
    "cross-language R": ("links", "cross-language", "recall"),
    "orphans left unlinked": ("links", "orphans", "left_unlinked"), "ECE": ("calibration", "ece"),
    "stories B³ F1": ("stories", "bcubed", "f1"),
}


def figures(score: dict) -> dict[str, float]:
    """The columns of one score.py result."""
    found = {}
    for column, path in COLUMNS.items():
        value = score
        for key in path:
            value = value.get(key, {}) if isinstance(value, dict) else {}
        found[column] = float(value) if isinstance(value, (int, float)) else float("nan")
    return found


def table(rows: dict[int, dict[str, float]]) -> str:
    """A markdown table: one row per seed, then the mean and the range of each column."""
    lines = ["| seed | " + " | ".join(COLUMNS) + " |", "|---|" + "---:|" * len(COLUMNS)]
    for seed, values in rows.items():
        lines.append(f"| {seed} | " + " | ".join(f"{values[c]:.3f}" for c in COLUMNS) + " |")
    columns = {c: [values[c] for values in rows.values()] for c in COLUMNS}
    lines.append("| mean | " + " | ".join(f"**{statistics.fmean(v):.3f}**" for v in columns.values()) + " |")
    lines.append("| range | " + " | ".join(f"{min(v):.3f}–{max(v):.3f}" for v in columns.values()) + " |")
    return "\n".join(lines)


def run_seed(args: argparse.Namespace, seed: int) -> dict[str, float]:
    tasks = args.workdir / f"{args.split}-{seed}"
    predictions = args.workdir / f"{args.split}-{seed}.jsonl"
    subprocess.run([sys.executable, str(args.data.parent / "eval" / "make_tasks.py"), "--items",
                    str(args.data / f"events-{args.split}.jsonl"), "--out", str(tasks), "--seed", str(seed)],
                   check=True, capture_output=True)
    if args.background:
        add_background(tasks, args.data, args.background, seed)
    command = [sys.executable, "-c", "from newstrace.cli import main; main()", "eval", "--articles", str(tasks / "articles.jsonl"),
               "--posts", str(tasks / "posts.jsonl"), "--predictions", str(predictions),
               "--store", str(args.workdir / f"{args.split}-{seed}.db"),
               "--embedding-cache", str(args.workdir / "cache.db")]
    if args.linker_model:
        command += ["--linker-model", str(args.linker_model)]
    subprocess.run(command, check=True, capture_output=True)
    scored = subprocess.run([sys.executable, str(args.data.parent / "eval" / "score.py"), "--tasks", str(tasks),
                             "--predictions", str(predictions)], check=True, capture_output=True, text=True)
    return figures(json.loads(scored.stdout.splitlines()[0]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", choices=("dev", "test"), default="dev")
    parser.add_argument("--seeds", default="6,7,8", help="comma-separated make_tasks.py seeds")
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/newstrace-eval-seeds"))
    parser.add_argument("--linker-model", type=Path, help="weights from tools/train_linker.py --out")
    parser.add_argument("--background", type=int, default=0, help="unrelated real articles mixed into each cut")
    args = parser.parse_args(argv)
    source = args.data / f"events-{args.split}.jsonl"
    if not source.is_file():
        print(f"error: {source}: no such file", file=sys.stderr)
        return 2
    args.workdir.mkdir(parents=True, exist_ok=True)
    rows = {}
    for seed in (int(part) for part in args.seeds.split(",")):
        try:
            rows[seed] = run_seed(args, seed)
        except subprocess.CalledProcessError as failed:
            print(f"error: seed {seed}: {' '.join(failed.cmd[:3])} failed: {(failed.stderr or '')[-500:]}",
                  file=sys.stderr)
            return 1
        print(f"seed {seed} done", file=sys.stderr, flush=True)
    print(table(rows))
    extra = f" --background {args.background}" if args.background else ""
    print(f"\nCommand: `.venv/bin/python bench/eval_seeds.py --split {args.split} --seeds {args.seeds}{extra}`")
    return 0


if __name__ == "__main__":
    sys.exit(main())
