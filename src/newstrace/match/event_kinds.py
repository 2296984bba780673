"""What a lead says happened: the kind of event a text reports first (an appointment, a
resignation, a reappointment, an election), when sibling events of the same people differ by it
alone. Lecornu appointed in September, resigning in October and reappointed four days later share
every name; a post without a time has no day to tell them apart; the verb does.

The kinds and their patterns are data (`newstrace/data/event_kinds.json`), extended by the file
that NEWSTRACE_EVENT_KINDS names: a newsroom adds its own (sentenced, acquitted)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from newstrace import config
from newstrace.errors import InputError
from newstrace.jsondata import parse_json

_BUILTIN = "newstrace/data/event_kinds.json"


@dataclass(frozen=True)
class EventKinds:
    """Each kind's pattern, in the order ties are broken, and the recap test."""

    kinds: tuple[tuple[str, re.Pattern[str]], ...]
    recap: re.Pattern[str]


def _merge(data: object, source: str, kinds: dict[str, list[str]], cues: list[str]) -> None:
    if not isinstance(data, dict):
        raise InputError(source, "expected a JSON object with 'kinds' and/or 'recap_cues'")
    found = data.get("kinds") or {}
    if not isinstance(found, dict):
        raise InputError(source, "'kinds': expected an object of kind -> list of patterns")
    for kind, patterns in found.items():
        if not isinstance(patterns, list) or not all(isinstance(item, str) and item for item in patterns):
            raise InputError(source, f"kind {kind!r}: expected a list of patterns (strings)")
        kinds.setdefault(kind, []).extend(patterns)
    extra = data.get("recap_cues") or []
    if not isinstance(extra, list) or not all(isinstance(item, str) and item for item in extra):
        raise InputError(source, "'recap_cues': expected a list of words")
    cues.extend(extra)


@lru_cache(maxsize=4)
def load_event_kinds(user_file: str | None = None) -> EventKinds:
    """The built-in kinds extended by `user_file`: a new kind is added after the built-in ones, a
    built-in kind's patterns and the recap cues are extended."""
    kinds: dict[str, list[str]] = {}
    cues: list[str] = []
    builtin = resources.files("newstrace").joinpath("data/event_kinds.json").read_bytes()
    _merge(parse_json(builtin, _BUILTIN), _BUILTIN, kinds, cues)
    if user_file:
        try:
            data = Path(user_file).read_bytes()
        except OSError as exc:
            raise InputError(user_file, f"cannot read the event kinds file ({exc.strerror})") from None
        _merge(parse_json(data, user_file), user_file, kinds, cues)
    compiled = []
    for kind, patterns in kinds.items():
        try:
            compiled.append((kind, re.compile(r"\b(?:" + "|".join(f"(?:{p})" for p in patterns) + ")", re.I)))
        except re.error as exc:
            raise InputError(user_file or _BUILTIN, f"kind {kind!r}: bad pattern ({exc})") from None
    try:
        recap = re.compile(r"\b(?:" + "|".join(cues) + r")\s+(?:[\w'’-]+\s+){0,3}$", re.I)
    except re.error as exc:
        raise InputError(user_file or _BUILTIN, f"bad recap cue ({exc})") from None
    return EventKinds(tuple(compiled), recap)


def event_kinds() -> EventKinds:
    """The kinds in use: built-in, extended by the file $NEWSTRACE_EVENT_KINDS names."""
    return load_event_kinds(os.environ.get(config.EVENT_KINDS_ENV) or None)


def lead_event(text: str) -> str | None:
    """The kind of event the lead names first, a recap aside: "Macron appointed Lecornu after
    Bayrou's resignation" and "after Bayrou's resignation, Macron appointed Lecornu" report an
    appointment."""
    lead = text[: config.LEAD_EVENT_CHARS]
    found = event_kinds()
    hits = [(match.start(), rank, kind) for rank, (kind, pattern) in enumerate(found.kinds)
            for match in pattern.finditer(lead) if not found.recap.search(lead, max(0, match.start() - config.RECAP_LOOKBACK_CHARS), match.start())]
    return min(hits)[2] if hits else None
