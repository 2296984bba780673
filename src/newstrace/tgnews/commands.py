"""The contest's command-line answers for a folder of pages: languages, news, categories, threads.

Every page is parsed (tgnews/parse.py) and stored as an article; a page that cannot be read is
reported and left out, the others are answered for. Output is the contest's JSON, with file
names (not paths) as the articles.
"""

from __future__ import annotations

import tempfile
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from newstrace import config
from newstrace.errors import InputError, NewstraceError
from newstrace.ingest import read_input
from newstrace.match.embed import Embedder, embed_cached, get_embedder
from newstrace.match.semantic import article_view
from newstrace.store.core import Store, open_store
from newstrace.stories.category import CATEGORIES, Categorizer
from newstrace.tgnews.parse import parse_page
from newstrace.tgnews.threads import Doc, build_threads, load_docs


@contextmanager
def folder_store(path: str | None) -> Iterator[Store]:
    """The store a folder's pages go to: the one at `path`, or a temporary one removed afterwards
    (the contest's commands keep nothing between runs)."""
    with tempfile.TemporaryDirectory(prefix="newstrace-tgnews-") as folder, \
            open_store(path or Path(folder) / "tgnews.db") as store:
        yield store


def page_files(folder: str | Path) -> list[Path]:
    """The .html files below a folder (the contest's folders nest by day and hour), in order."""
    path = Path(folder)
    if not path.exists():
        raise InputError(str(folder), "no such folder")
    if not path.is_dir():
        raise InputError(str(folder), "not a folder")
    files = sorted(file for file in path.rglob("*.html") if file.is_file())
    if not files:
        raise InputError(str(folder), "no .html files in this folder")
    return files


def ingest_folder(store: Store, folder: str | Path, on_error: Callable[[NewstraceError], None]) -> list[Doc]:
    """Store every page of the folder; a page that cannot be read goes to on_error, named by its path."""
    stored: list[tuple[str, int]] = []
    for path in page_files(folder):
        try:
            article = parse_page(read_input(path), path.name)
        except NewstraceError as error:
            on_error(InputError(str(path), error.problem))
            continue
        stored.append((path.name, store.add_article(article)[0]))
    return load_docs(store, stored)


def languages(docs: list[Doc]) -> list[dict[str, Any]]:
    """Files by language: the contest's (en, ru) always, then any other found, by code; a file
    whose language cannot be told is left out."""
    found: dict[str, list[str]] = defaultdict(list)
    for doc in docs:
        if doc.language:
            found[doc.language].append(doc.name)
    codes = [*config.TGNEWS_LANGUAGES, *sorted(set(found) - set(config.TGNEWS_LANGUAGES))]
    return [{"lang_code": code, "articles": found[code]} for code in codes]


def news(docs: list[Doc]) -> dict[str, Any]:
    """The files that are news (Doc.news)."""
    return {"articles": [doc.name for doc in docs if doc.news]}


def categories(docs: list[Doc], store: Store, embedder: Embedder) -> list[dict[str, Any]]:
    """News files by category, every category listed."""
    chosen = [doc for doc in docs if doc.news]
    categorizer = Categorizer.with_embeddings(store, embedder)
    vectors = embed_cached(store, embedder, [article_view(d.title, d.text) for d in chosen], query=False)
    found: dict[str, list[str]] = {name: [] for name in CATEGORIES}
    for doc, vector in zip(chosen, vectors):
        found[categorizer.categorize(doc.title, doc.text, vector)].append(doc.name)
    return [{"category": name, "articles": files} for name, files in found.items()]


def threads(docs: list[Doc], store: Store, embedder: Embedder) -> list[dict[str, Any]]:
    """News files grouped by event, one thread per event and language, most important first."""
    chosen = [doc for doc in docs if doc.news]
    found = build_threads(store, embedder, chosen, Categorizer.with_embeddings(store, embedder))
    return [thread.record(category=False) for thread in found]


ANSWERS: dict[str, Callable[..., Any]] = {
    "languages": lambda docs, store: languages(docs),
    "news": lambda docs, store: news(docs),
    "categories": lambda docs, store: categories(docs, store, get_embedder()),
    "threads": lambda docs, store: threads(docs, store, get_embedder()),
}


def answer(command: str, folder: str | Path, store: Store, on_error: Callable[[NewstraceError], None]) -> Any:
    """The contest's answer to `command` for a folder; pages that cannot be read go to on_error.
    InputError when the folder is missing or none of its pages could be read."""
    docs = ingest_folder(store, folder, on_error)
    if not docs:
        raise InputError(str(folder), "none of its .html files could be read")
    return ANSWERS[command](docs, store)
