"""What the daemon tells its operator: one JSON object a line on stderr, for log shippers and jq,
and, when stderr is a terminal, a status line kept below them saying what it is doing now."""

from __future__ import annotations

import json
import sys
from typing import Any, TextIO

from newstrace.store.core import now_iso


class WatchLog:
    """JSON-lines events (time, level, event, source, counts) and a live status on a terminal."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self._status = ""

    def event(self, event: str, *, level: str = "info", source: str | None = None, **fields: Any) -> None:
        record: dict[str, Any] = {"time": now_iso(), "level": level, "event": event}
        if source is not None:
            record["source"] = source
        record.update(fields)
        self._clear()
        self.stream.write(json.dumps(record, ensure_ascii=False) + "\n")
        self._draw()

    def status(self, text: str) -> None:
        """Replace the status line (terminals only: a pipe gets the events alone)."""
        if self.tty:
            self._clear()
            self._status = text
            self._draw()

    def close(self) -> None:
        self._clear()
        self._status = ""
        self.stream.flush()

    def _clear(self) -> None:
        if self.tty and self._status:
            self.stream.write("\r\x1b[K")

    def _draw(self) -> None:
        if self.tty and self._status:
            self.stream.write(self._status)
        self.stream.flush()
