"""The bundled sample corpus (written for the project: fictional outlets and channels) and the
`newstrace demo` run that builds a fresh store from it and prints a dossier."""

from __future__ import annotations

import json
from collections.abc import Callable
from importlib import resources
from pathlib import Path

from newstrace import ingest
from newstrace.match.cascade import trace
from newstrace.match.embed import get_embedder
from newstrace.report.dossier import build_dossier, find_article, render_summary, render_text
from newstrace.store.core import Store, fresh_store

DEMO_ARTICLE = "https://www.northwind-herald.example/2025/08/07/kestrel-port-workers-end-strike-after-pay-deal-a4521"


def demo_files() -> Path:
    return Path(str(resources.files("newstrace.demo")))


def build_demo_store(path: str | Path, log: Callable[[str], None]) -> Store:
    """A fresh store holding the whole sample corpus, ingested the way a user would."""
    root = demo_files()
    manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    store = fresh_store(path)
    steps = [
        ("telegram preview pages", lambda: ingest.import_telegram_page(
            store, [str(root / f) for f in manifest["telegram_pages"]])),
        ("telegram export", lambda: ingest.import_telegram_export(
            store, [str(root / f) for f in manifest["telegram_exports"]])),
        *((f"article {item['file']}", lambda item=item: ingest.import_html(
            store, str(root / item["file"]), url=item["url"])) for item in manifest["html"]),
        ("printed PDF", lambda: ingest.import_pdf(store, [str(root / f) for f in manifest["pdf"]])),
    ]
    for label, step in steps:
        result = step()
        for error in result.errors:
            raise error
        log(f"{label}: {result.summary()}")
    log(f"traced: {trace(store)}")
    return store


def run_demo(path: str | Path, log: Callable[[str], None]) -> str:
    """Build the demo store and return the dossier of the demo's main article, with its relays."""
    with build_demo_store(path, log) as store:
        article_id, _ = find_article(store, DEMO_ARTICLE)
        record = build_dossier(store, article_id, get_embedder)
    log(f"store: {path} (try: newstrace --db {path} dossier https://t.me/baltic_wire/89)")
    return render_text(record) + "\n" + render_summary(record)
