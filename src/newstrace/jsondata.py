"""JSON input read the one way every importer needs: UTF-8 (a BOM allowed), or a clear error."""

from __future__ import annotations

import json
from typing import Any

from newstrace.errors import InputError


def parse_json(data: bytes, source: str) -> Any:
    """The decoded document, or an InputError naming the source and where it breaks."""
    try:
        return json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise InputError(source, f"not UTF-8 (byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise InputError(source, f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
