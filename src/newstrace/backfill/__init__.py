"""`newstrace backfill`: load a large archive (Telegram exports, JSONL of posts or articles,
folders of HTML pages) into the store and link it, in one process or with extraction and
embedding spread over Ray workers.

Both engines run the same phases on the driver, which alone writes to the store: ingest (HTML
pages extracted by the engine), the cascade's text-only steps, embedding of exactly the texts the
semantic step will ask for (`texts_to_embed`), then the whole cascade, which finds every vector
cached. Only where extraction and embedding run differs, so both engines decide the same links
and stories on the same input.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from newstrace import config
from newstrace.backfill.inputs import KINDS, Page, Source, extract_page, read_source
from newstrace.backfill.ray_engine import RayEngine, ray_session, uncached
from newstrace.errors import InputError
from newstrace.ingest import IngestResult
from newstrace.match.cascade import trace
from newstrace.match.embed import embed_cached, get_embedder
from newstrace.match.semantic import texts_to_embed
from newstrace.model import Article
from newstrace.store.core import Store

__all__ = ["ENGINES", "KINDS", "BackfillResult", "Source", "backfill"]

ENGINES = ("local", "ray")
T = TypeVar("T")
PHASES = ("ingest", "text links", "embed", "semantic links")


class Engine(Protocol):
    """Where pages are extracted and texts embedded; the driver writes whatever comes back."""

    def extract(self, pages: Sequence[Page]) -> Iterator[Article | InputError]: ...

    def embed(self, store: Store, passages: Sequence[str], queries: Sequence[str]) -> int: ...


class LocalEngine:
    """The single-process path: extraction and embedding in this process."""

    def extract(self, pages: Sequence[Page]) -> Iterator[Article | InputError]:
        for page in pages:
            try:
                yield extract_page(page)
            except InputError as error:
                yield error

    def embed(self, store: Store, passages: Sequence[str], queries: Sequence[str]) -> int:
        count = len(uncached(store, passages, query=False)) + len(uncached(store, queries, query=True))
        if count:
            embedder = get_embedder()
            embed_cached(store, embedder, passages, query=False)
            embed_cached(store, embedder, queries, query=True)
        return count


@dataclass
class BackfillResult(IngestResult):
    """An ingest result with the seconds of each phase and how many texts were embedded."""

    seconds: dict[str, float] = field(default_factory=dict)
    embedded: int = 0

    def summary(self) -> str:
        timing = ", ".join(f"{phase} {self.seconds[phase]:.1f} s" for phase in PHASES if phase in self.seconds)
        return f"{super().summary()}; {self.embedded} texts embedded; {timing}"


def _engine(engine: str, address: str | None, workers: int, worker_cpus: int,
            batch_size: int) -> tuple[Engine, AbstractContextManager[None]]:
    if engine == "local":
        return LocalEngine(), nullcontext()
    if engine != "ray":
        raise InputError(engine, f"unknown engine (use one of {', '.join(ENGINES)})")
    for name, value in (("--workers", workers), ("--worker-cpus", worker_cpus), ("--batch-size", batch_size)):
        if value < 1:
            raise InputError(name, "must be at least 1")
    return RayEngine(workers, worker_cpus, batch_size), ray_session(address, workers * worker_cpus)


def backfill(store: Store, inputs: Sequence[str | Source], *, engine: str = "local", kind: str | None = None,
             address: str | None = None, workers: int = config.BACKFILL_WORKERS,
             worker_cpus: int = config.BACKFILL_WORKER_CPUS, batch_size: int = config.BACKFILL_BATCH,
             semantic: bool = True) -> BackfillResult:
    """Ingest every input and link the store. Inputs are parsed before anything is written (a
    bad one raises InputError); writes are the importers' (idempotent, a transaction per file
    of posts and per article), so a rerun, or a rerun after a crash, leaves each item once.
    A page that cannot be extracted is reported in the result's errors, like `import html`."""
    if not inputs:
        raise InputError("backfill", "no inputs given")
    runner, session = _engine(engine, address, workers, worker_cpus, batch_size)
    sources = [item if isinstance(item, Source) else read_source(item, kind) for item in inputs]
    result = BackfillResult()
    with session:
        started = time.perf_counter()
        for source in sources:
            for posts, channel_title in source.posts:
                result.posts += store.add_posts(posts, channel_title=channel_title)
            for article in source.articles:
                result.articles.add(store.add_article(article)[1])
            for found in runner.extract(source.pages):
                if isinstance(found, InputError):
                    result.errors.append(found)
                else:
                    result.articles.add(store.add_article(found)[1])
        result.seconds["ingest"] = time.perf_counter() - started
        result.links = _timed(result, "text links", lambda: trace(store, semantic=False))
        if semantic:
            result.embedded = _timed(result, "embed", lambda: runner.embed(store, *texts_to_embed(store)))
            cheap = result.links
            result.links = _timed(result, "semantic links", lambda: trace(store, semantic=True))
            result.links.by_stage["copy"] = cheap.by_stage.get("copy", 0)
            result.links.changed += cheap.changed
    return result


def _timed(result: BackfillResult, phase: str, work: Callable[[], T]) -> T:
    started = time.perf_counter()
    try:
        return work()
    finally:
        result.seconds[phase] = time.perf_counter() - started
