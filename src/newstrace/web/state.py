"""What the web app shares between requests: a pool of store connections (each held by one
request at a time, whatever worker thread serves it), one lock for writers in this process, and
the settings `newstrace serve` was started with."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from newstrace import config
from newstrace.store.core import Store, open_store


@dataclass
class AppState:
    db: str
    token: str | None
    allow_private: bool = False
    fetch_posts: bool = True
    telegram_base_url: str = config.TELEGRAM_BASE_URL
    write_lock: threading.Lock = field(default_factory=threading.Lock)
    _idle: queue.LifoQueue = field(default_factory=queue.LifoQueue)

    def __post_init__(self) -> None:
        open_store(self.db).close()

    @contextmanager
    def store(self) -> Iterator[Store]:
        """A connection for one request, back to the pool afterwards."""
        try:
            store = self._idle.get_nowait()
        except queue.Empty:
            store = Store(self.db, any_thread=True)
        try:
            yield store
        finally:
            self._idle.put(store)
