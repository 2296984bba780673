"""Exports of the store for other tools: dossier files named like the reference dossier."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from newstrace.match.embed import get_embedder
from newstrace.report.dossier import build_dossier, render_text
from newstrace.store.sqlite import Store


def dossier_filename(number: int, url_key: str, suffix: str = ".txt") -> str:
    """`NNN_<16 hex digits>`: a running number, then a stable hash of the article's URL key."""
    return f"{number:03d}_{hashlib.sha256(url_key.encode()).hexdigest()[:16]}{suffix}"


def export_dossiers(store: Store, directory: Path, *, fmt: str = "text",
                    include_unrelayed: bool = False) -> list[Path]:
    """Write one dossier per source article (oldest first); returns the files written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    number = 0
    for article in store.articles():
        record = build_dossier(store, article["id"], get_embedder)
        if not record["relays"] and not include_unrelayed:
            continue
        suffix = ".json" if fmt == "json" else ".txt"
        path = directory / dossier_filename(number, article["url_key"], suffix)
        body = json.dumps(record, ensure_ascii=False, indent=2) + "\n" if fmt == "json" else render_text(record)
        tmp = path.with_suffix(path.suffix + ".part")
        tmp.write_text(body, encoding="utf-8")
        tmp.replace(path)
        written.append(path)
        number += 1
    return written
