"""What the web app shares between requests: one store connection per worker thread (SQLite
connections stay in the thread that opened them), one lock for writers in this process, and
the settings `newstrace serve` was started with."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from newstrace.store.sqlite import Store, open_store


@dataclass
class AppState:
    db: str
    token: str | None
    allow_private: bool = False
    write_lock: threading.Lock = field(default_factory=threading.Lock)
    _local: threading.local = field(default_factory=threading.local)

    def __post_init__(self) -> None:
        open_store(self.db).close()

    def store(self) -> Store:
        """This thread's connection to the store, opened on first use."""
        store = getattr(self._local, "store", None)
        if store is None:
            store = self._local.store = open_store(self.db)
        return store
