"""The watch list: a TOML file naming the channels, feeds and pages to follow and the alert rules.

Everything is checked before the daemon starts, so a typo is one line naming the file and the key
(`watch.toml: feeds[2].intervl: unknown key`), never a crash an hour later.
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from newstrace import config
from newstrace.collect.telegram_web import normalize_channel
from newstrace.errors import InputError, NewstraceError
from newstrace.extract.urls import url_key

SOURCE_KINDS = ("channel", "feed", "url")
RULE_KINDS = ("relay", "uncredited", "spread", "keyword")

_DURATION_RE = re.compile(r"(\d+)\s*([smhd])")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_RULE_KEYS = {
    "relay": {"url_prefix", "outlet"},
    "uncredited": {"url_prefix", "outlet"},
    "spread": {"channels", "within"},
    "keyword": {"words"},
}


@dataclass(frozen=True)
class Source:
    """One followed source. name is its key in the store: `channel:<name>`, `feed:<url>` or
    `url:<url>`; limit is the posts read on a channel's first poll or the new articles a feed
    poll fetches."""

    name: str
    kind: str
    target: str
    interval_s: int
    limit: int | None = None


@dataclass(frozen=True)
class Rule:
    """One alert rule. url_prefixes are URL keys (scheme and www. dropped), outlets bare hosts."""

    name: str
    kind: str
    url_prefixes: tuple[str, ...] = ()
    outlets: tuple[str, ...] = ()
    channels: int = 0
    within_s: int = config.WATCH_SPREAD_WINDOW_S
    words: tuple[str, ...] = ()


@dataclass(frozen=True)
class WatchConfig:
    path: str
    semantic: bool
    sources: tuple[Source, ...]
    rules: tuple[Rule, ...] = ()
    webhook: str | None = None
    alert_file: Path | None = None


class _Checker:
    """Reads typed values out of the parsed TOML, raising InputError(file, "key: problem")."""

    def __init__(self, path: str) -> None:
        self.path = path

    def fail(self, where: str, problem: str) -> InputError:
        return InputError(self.path, f"{where}: {problem}")

    def table(self, value: Any, where: str, allowed: set[str] | None,
              required: tuple[str, ...] = ()) -> dict[str, Any]:
        """value as a table holding the required keys and no key outside allowed (None: any)."""
        if not isinstance(value, dict):
            raise self.fail(where, f"expected a table, got {_kind(value)}")
        for key in value:
            if allowed is not None and key not in allowed:
                raise self.fail(_join(where, key), f"unknown key (expected one of {', '.join(sorted(allowed))})")
        for key in required:
            if key not in value:
                raise self.fail(_join(where, key), "missing")
        return value

    def tables(self, value: Any, where: str) -> list[Any]:
        if not isinstance(value, list):
            raise self.fail(where, f"expected an array of tables ([[{where}]]), got {_kind(value)}")
        return value

    def string(self, value: Any, where: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(where, f"expected a non-empty string, got {_kind(value)}")
        return value.strip()

    def strings(self, value: Any, where: str) -> tuple[str, ...]:
        """One string or a non-empty array of them."""
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not items:
            raise self.fail(where, f"expected a string or a non-empty array of strings, got {_kind(value)}")
        return tuple(self.string(item, f"{where}[{n}]") for n, item in enumerate(items))

    def url(self, value: Any, where: str) -> str:
        url = self.string(value, where)
        if not re.match(r"https?://[^/\s]+", url, re.IGNORECASE):
            raise self.fail(where, f"expected an http(s) URL, got {url!r}")
        return url

    def integer(self, value: Any, where: str, minimum: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(where, f"expected an integer, got {_kind(value)}")
        if value < minimum:
            raise self.fail(where, f"must be at least {minimum}, got {value}")
        return value

    def duration(self, value: Any, where: str, minimum: int = 1) -> int:
        """Seconds, from an integer or a string such as "90s", "15m", "2h", "1d"."""
        if isinstance(value, str):
            match = _DURATION_RE.fullmatch(value.strip().lower())
            if not match:
                raise self.fail(where, f'expected seconds or a duration such as "15m", "2h", got {value!r}')
            value = int(match.group(1)) * _UNITS[match.group(2)]
        elif isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(where, f'expected seconds or a duration such as "15m", "2h", got {_kind(value)}')
        if value < minimum:
            raise self.fail(where, f"must be at least {minimum} seconds, got {value}")
        return value


def _kind(value: Any) -> str:
    names = {bool: "a boolean", int: "an integer", float: "a number", str: "a string", list: "an array",
             dict: "a table"}
    return names.get(type(value), type(value).__name__)


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def load_watch_config(path: str | Path) -> WatchConfig:
    """Parse and check a watch list; InputError names the file and the bad key."""
    name = str(path)
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(name, "no such file") from None
    except (IsADirectoryError, PermissionError, UnicodeDecodeError) as exc:
        raise InputError(name, f"cannot read: {exc.__class__.__name__}") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(name, f"not valid TOML: {exc}") from None
    return parse_watch_config(data, name, base=Path(path).resolve().parent)


def parse_watch_config(data: dict[str, Any], path: str, *, base: Path) -> WatchConfig:
    """Check parsed TOML; relative paths (the alert file) are taken from base, the file's folder."""
    check = _Checker(path)
    check.table(data, "", {"semantic", "interval", "channels", "feeds", "urls", "alerts"})
    semantic = data.get("semantic", True)
    if not isinstance(semantic, bool):
        raise check.fail("semantic", f"expected true or false, got {_kind(semantic)}")
    interval = check.duration(data.get("interval", config.WATCH_INTERVAL_S), "interval", config.WATCH_MIN_INTERVAL_S)
    sources = _sources(check, data, interval)
    alerts = check.table(data.get("alerts", {}), "alerts", {"webhook", "file", "rules"})
    rules = tuple(_rule(check, entry, f"alerts.rules[{n}]")
                  for n, entry in enumerate(check.tables(alerts.get("rules", []), "alerts.rules")))
    names = [rule.name for rule in rules]
    for n, rule in enumerate(rules):
        if rule.name in names[:n]:
            raise check.fail(f"alerts.rules[{n}].name", f"{rule.name!r} names two rules")
    webhook = check.url(alerts["webhook"], "alerts.webhook") if "webhook" in alerts else None
    alert_file = base / check.string(alerts["file"], "alerts.file") if "file" in alerts else None
    return WatchConfig(path, semantic, sources, rules, webhook, alert_file)


def _sources(check: _Checker, data: dict[str, Any], interval: int) -> tuple[Source, ...]:
    sections = (
        ("channels", "channel", "name", "backfill", config.WATCH_BACKFILL_POSTS),
        ("feeds", "feed", "url", "limit", config.WATCH_FEED_ARTICLES),
        ("urls", "url", "url", None, None),
    )
    sources: dict[str, Source] = {}
    for section, kind, key, limit_key, default_limit in sections:
        for n, entry in enumerate(check.tables(data.get(section, []), section)):
            where = f"{section}[{n}]"
            allowed = {key, "interval"} | ({limit_key} if limit_key else set())
            entry = check.table(entry, where, allowed, required=(key,))
            if kind == "channel":
                try:
                    target = normalize_channel(check.string(entry[key], f"{where}.{key}")).lower()
                except NewstraceError as error:
                    raise check.fail(f"{where}.{key}", error.problem) from None
            else:
                target = check.url(entry[key], f"{where}.{key}")
            limit = check.integer(entry.get(limit_key, default_limit), f"{where}.{limit_key}", 1) if limit_key else None
            source = Source(f"{kind}:{target}", kind, target,
                            check.duration(entry.get("interval", interval), f"{where}.interval",
                                           config.WATCH_MIN_INTERVAL_S), limit)
            if source.name in sources:
                raise check.fail(f"{where}.{key}", f"{target!r} is listed twice")
            sources[source.name] = source
    if not sources:
        raise InputError(check.path, "nothing to watch: add [[channels]], [[feeds]] or [[urls]]")
    return tuple(sources.values())


def _rule(check: _Checker, entry: Any, where: str) -> Rule:
    entry = check.table(entry, where, None, required=("kind",))
    kind = check.string(entry["kind"], f"{where}.kind")
    if kind not in RULE_KINDS:
        raise check.fail(f"{where}.kind", f"unknown rule kind {kind!r} (expected one of {', '.join(RULE_KINDS)})")
    check.table(entry, where, {"name", "kind"} | _RULE_KEYS[kind])
    fields: dict[str, Any] = {}
    if "url_prefix" in entry:
        fields["url_prefixes"] = tuple(url_key(check.url(prefix, f"{where}.url_prefix"))
                                       for prefix in check.strings(entry["url_prefix"], f"{where}.url_prefix"))
    if "outlet" in entry:
        fields["outlets"] = tuple(url_key(f"https://{outlet.split('://')[-1]}").split("/")[0]
                                  for outlet in check.strings(entry["outlet"], f"{where}.outlet"))
    if kind == "relay" and not fields:
        raise check.fail(where, "a relay rule needs url_prefix or outlet: the articles or outlets followed")
    if kind == "spread":
        if "channels" not in entry:
            raise check.fail(f"{where}.channels", "missing")
        fields["channels"] = check.integer(entry["channels"], f"{where}.channels", 2)
        fields["within_s"] = check.duration(entry.get("within", config.WATCH_SPREAD_WINDOW_S), f"{where}.within")
    if kind == "keyword":
        if "words" not in entry:
            raise check.fail(f"{where}.words", "missing")
        fields["words"] = check.strings(entry["words"], f"{where}.words")
    name = check.string(entry["name"], f"{where}.name") if "name" in entry else _default_name(kind, fields)
    return Rule(name, kind, **fields)


def _default_name(kind: str, fields: dict[str, Any]) -> str:
    """A name that stays the same while the rule does, so reordering rules resends nothing."""
    digest = hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()[:8]
    return f"{kind}-{digest}"
