"""Unrelated real news to mix into an evaluation task, so that it is scored as a store that
follows many topics would be: the events' articles among articles about everything else.

The background is the Russian documents of wmt21-ru-en (one English translation of every other
one instead) and both articles of every tgcontest-pairs pair, each dated like a random article
of the task (so a post's window holds them as densely as the task's own articles). They are
in no gold story and source no post: a post linked to one is a wrong link, and a story that
takes one in keeps the task's items the scorer counts apart only if it is wrong.
"""

from __future__ import annotations

import csv
import random
import shutil
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from typing import Any

from newstrace.evaluate import read_jsonl, write_jsonl


def _wmt(folder: Path) -> list[dict[str, Any]]:
    found = []
    root = ElementTree.parse(folder / "newstest2021.ru-en.all.xml").getroot()
    for number, doc in enumerate(root.iter("doc")):
        side = doc.find("src") if number % 2 == 0 else doc.find("ref")
        if side is None:
            continue
        lines = [seg.text or "" for seg in side.iter("seg")]
        lang = "ru" if side.tag == "src" else "en"
        found.append({"url": f"https://wmt21.example/{doc.get('id')}/{lang}", "outlet": "wmt21", "lang": lang,
                      "title": lines[0], "text": "\n".join(lines[1:])})
    return found


def _tgcontest(folder: Path) -> list[dict[str, Any]]:
    csv.field_size_limit(1 << 30)
    found: dict[str, dict[str, Any]] = {}
    for path in sorted(folder.glob("*_pool.tsv")):
        lang = path.name[:2]
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle, delimiter="\t"):
                for side in ("first", "second"):
                    url = row.get(f"INPUT:{side}_url")
                    if url and url not in found and row.get(f"INPUT:{side}_text"):
                        found[url] = {"url": url, "outlet": url.split("/")[2], "lang": lang,
                                      "title": row.get(f"INPUT:{side}_title") or "",
                                      "text": row[f"INPUT:{side}_text"]}
    return list(found.values())


def background_articles(data: Path) -> list[dict[str, Any]]:
    """Every background article, undated."""
    return _wmt(data / "wmt21-ru-en") + _tgcontest(data / "tgcontest-pairs")


def add_background(tasks: Path, data: Path, count: int, seed: int) -> int:
    """Append up to count background articles to tasks/articles.jsonl, each dated like a random
    dated article of the task; returns how many were added."""
    path = tasks / "articles.jsonl"
    rows = read_jsonl(path)
    dates = [row["published_at"] for row in rows if row.get("published_at")]
    chosen = random.Random(seed).sample(background_articles(data), k=count)
    picker = random.Random(seed + 1)
    extra = [{"id": f"bg{number}", **article, "published_at": picker.choice(dates)}
             for number, article in enumerate(chosen)]
    write_jsonl(path, rows + extra)
    return len(extra)


def with_background(folders: list[Path], data: Path, count: int, workdir: Path) -> list[Path]:
    """The task folders, then (count > 0) a copy of each under workdir with count background
    articles added (seeded by its position, so a refit draws the same ones): how the models are
    fitted for a store that follows many topics."""
    mixed = []
    for number, folder in enumerate(folders, start=1):
        if count:
            copy = workdir / f"{number}-{folder.name}"
            shutil.copytree(folder, copy)
            add_background(copy, data, count, seed=100 + number)
            mixed.append(copy)
    return list(folders) + mixed
