"""Attribution: did a relay credit its source, and how.

A post credits an outlet by a hyperlink to the outlet's site, by being a forward of its channel, by
naming it next to a reporting verb or preposition («пишет The Moscow Times», «со ссылкой на
Reuters», "according to the BBC", «джерело: Суспільне», "Reuters reported", «ТАСС: …»), or by
pointing at a Telegram channel ("via @channel", «Источник: @channel», a t.me post link).
A name without such a cue is not a credit (the Kremlin, a ministry, «Подписывайся на Mash»), and
nothing in a self-promotion line («Подписаться | Прислать новость») or of the post's own channel is.

Outlets and their written forms come from ``newstrace/data/outlets.json``, extended by the JSON
file named in ``NEWSTRACE_OUTLETS`` (see :func:`load_outlets`). Everything is regular
expressions compiled once per catalogue, so a post costs tens of microseconds.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from newstrace import config
from newstrace.errors import InputError
from newstrace.jsondata import parse_json
from newstrace.model import Link

KINDS = ("hyperlink", "forward", "named", "via_channel", "none")
_RANK = {kind: index for index, kind in enumerate(KINDS)}
_TME_HOSTS = {"t.me", "telegram.me", "telegram.dog"}
_TME_NOT_CHANNELS = {"joinchat", "addlist", "boost", "share", "c", "proxy", "socks", "iv", "setlanguage",
                     "addstickers", "addemoji", "login", "contact"}
_USERNAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{3,31}$")
_HANDLE = re.compile(r"(?<![\w.@/])@([A-Za-z][A-Za-z0-9_]{3,31})(?![\w@])")
_CUE_WORDS = re.compile(r"(?i)^\W*(?:источник|джерело|source|оригинал|original|via)\W*$")


@dataclass(frozen=True)
class Credit:
    """One way a post credits a source.

    kind is one of KINDS; outlet the catalogue key (None for a channel or site not in it); phrase
    the words as written in the post (cue and name, the link's anchor, or the forward's origin);
    span their (start, end) in the text, None where the credit is not in the text (a forward, a
    link whose anchor is not in it); channel the Telegram username credited; url the link.
    """

    kind: str
    outlet: str | None = None
    phrase: str = ""
    span: tuple[int, int] | None = None
    channel: str | None = None
    url: str | None = None


NO_CREDIT = Credit("none")


@dataclass(frozen=True)
class Outlet:
    """An outlet and every way a post may refer to it."""

    key: str
    name: str
    domains: tuple[str, ...] = ()
    names: tuple[str, ...] = ()
    stems: tuple[str, ...] = ()
    telegram: tuple[str, ...] = ()
    parent: str | None = None


_STEM_END = "\0stem"


def _trie_pattern(names: list[str], stems: list[str]) -> str:
    """One regex for all names and stems, shaped as a trie so that each position costs one branch."""
    trie: dict = {}
    for word, end in [(name, "") for name in names] + [(stem, _STEM_END) for stem in stems]:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[end] = True

    def pattern(node: dict) -> str:
        branches = [re.escape(char) + pattern(child) for char, child in node.items() if char not in ("", _STEM_END)]
        if _STEM_END in node:   # a stem plus an inflected ending; tried before shorter exact names
            branches.insert(0, r"[^\W\d_]{0,%d}" % config.ATTRIBUTION_STEM_SUFFIX_MAX)
        elif "" in node:
            branches.append("")
        if len(branches) == 1:
            return branches[0]
        return "(?:" + "|".join(branches) + ")"

    return pattern(trie) if trie else r"(?!x)x"


def _cue_regexes() -> tuple[re.Pattern, re.Pattern, re.Pattern]:
    descriptor = r"(?:\s+[a-zа-яёіїєґ'’\-]+){0,%d}" % config.ATTRIBUTION_DESCRIPTOR_WORDS
    before = re.compile(r"(?:^|(?<=[^\w]))(?i:%s)%s\s*[«\"“„']?\s*$"
                        % ("|".join(config.ATTRIBUTION_CUES_BEFORE), descriptor))
    after = re.compile(r"^[»\"”']?\s*,?\s*(?i:(?:also|further|earlier|ранее|также|тоже|теж)\s+)?(?i:%s)(?!\w)"
                       % "|".join(config.ATTRIBUTION_CUES_AFTER))
    promo = re.compile(r"(?i)%s" % "|".join(config.ATTRIBUTION_PROMO_MARKERS))
    return before, after, promo


_BEFORE, _AFTER, _PROMO = _cue_regexes()
_DASH_BEFORE = re.compile(r"(?:[—–|]|\s-|\()\s*[«\"“]?$")
_DASH_AFTER = re.compile(r"^[»\"”]?\s*(?:\)|\||\.?\s*$|\.\s|\n)")
_LINE_START = re.compile(r"(?:^|\n)[^\w\n]*$")
_COLON_AFTER = re.compile(r"^[»\"”]?\s*:")
_CHAIN_GAP = re.compile(r"^[»\"”]?\s*(?:,|(?i:и|и\s+агентство|and|та|і|й|&|/))\s*[«\"“]?\s*$")


@lru_cache(maxsize=200_000)
def without_self_promotion(text: str) -> str:
    """The text less its self-promotion lines («👉 Топор Live. Подписаться», "Subscribe"): a
    channel's footer, not its news (a footer is a short line). A text with none, or with
    nothing else, comes back as it was. Kept per text: grouping reads every post of the window
    on every trace."""
    if not _PROMO.search(text):
        return text
    news = "\n".join(line for line in text.splitlines()
                      if len(line) > config.PROMO_LINE_MAX_CHARS or not _PROMO.search(line)).strip()
    return news or text


class Catalogue:
    """Outlets indexed for fast lookup by name, domain and Telegram username."""

    def __init__(self, outlets: list[Outlet]) -> None:
        self.outlets = {outlet.key: outlet for outlet in outlets}
        self._by_name: dict[str, str] = {}
        self._stems: list[tuple[str, str]] = []
        self._by_channel: dict[str, str] = {}
        self._by_host: dict[str, list[tuple[str, str]]] = {}
        for outlet in outlets:
            for name in outlet.names:
                self._by_name[name] = outlet.key
            for stem in outlet.stems:
                self._stems.append((stem, outlet.key))
            for username in outlet.telegram:
                self._by_channel[username.lower()] = outlet.key
            for domain in outlet.domains:
                host, _, path = domain.lower().partition("/")
                self._by_host.setdefault(host.removeprefix("www."), []).append(
                    ("/" + path.strip("/") if path else "", outlet.key))
        self._stems.sort(key=lambda pair: len(pair[0]), reverse=True)
        body = _trie_pattern(list(self._by_name), [stem for stem, _ in self._stems])
        self._names = re.compile(r"(?<![\w@#/.\-])%s(?!\w|[-.]\w)" % body)
        numbered = sorted((name for name in self._by_name if re.search(r"\d", name)), key=len, reverse=True)
        self._numbered = re.compile("|".join(map(re.escape, numbered))) if numbered else None

    def outlet_for_name(self, surface: str) -> str | None:
        """The outlet a written form names (an exact name, or a stem plus an ending)."""
        if surface in self._by_name:
            return self._by_name[surface]
        for stem, key in self._stems:
            if surface.startswith(stem) and len(surface) - len(stem) <= config.ATTRIBUTION_STEM_SUFFIX_MAX:
                return key
        return None

    def outlet_for_channel(self, username: str) -> str | None:
        return self._by_channel.get(username.lstrip("@").lower())

    def outlet_for_url(self, url: str) -> str | None:
        """The outlet whose site serves this URL (subdomains, path-prefixed sections, Turbo/AMP caches)."""
        parts = urlsplit(url if "://" in url else "https://" + url)
        host = _uncached_host((parts.hostname or "").lower()).removeprefix("www.")
        path = parts.path.lower()
        labels = host.split(".")
        for start in range(len(labels) - 1):
            entries = self._by_host.get(".".join(labels[start:]))
            if entries:
                fitting = [(prefix, key) for prefix, key in entries
                           if not prefix or path == prefix or path.startswith(prefix + "/")]
                if fitting:
                    return max(fitting, key=lambda pair: len(pair[0]))[1]
        return None

    def related(self, a: str | None, b: str | None) -> bool:
        """Same outlet, or one is the other's parent (BBC Russian counts as BBC and back)."""
        if a is None or b is None:
            return False
        if a == b:
            return True
        outlet_a, outlet_b = self.outlets.get(a), self.outlets.get(b)
        return bool(outlet_a and outlet_a.parent == b) or bool(outlet_b and outlet_b.parent == a)

    def name_matches(self, text: str) -> list[re.Match]:
        return list(self._names.finditer(text))

    def numbered_spans(self, text: str) -> list[tuple[int, int]]:
        """Where the text names an outlet with a number in its name ("24 Канал", "France 24"):
        that number is a name, not a fact of the news."""
        return [match.span() for match in self._numbered.finditer(text)] if self._numbered else []


def _uncached_host(host: str) -> str:
    """The original host behind a Yandex Turbo or Google AMP cache host (``rbc-ru.turbopages.org``)."""
    for suffix in config.ATTRIBUTION_CACHE_HOSTS:
        if host.endswith("." + suffix):
            encoded = host[: -len(suffix) - 1]
            return encoded.replace("--", "\0").replace("-", ".").replace("\0", "-")
    return host


# --- loading ---------------------------------------------------------------------------------------

def _strings(value: Any, field_name: str, where: str, source: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(item, str) and item.strip() for item in value):
        raise InputError(source, f"{where}: {field_name} must be a list of non-empty strings")
    return tuple(item.strip() for item in value)


def _outlet_from(entry: Any, where: str, source: str) -> Outlet:
    if not isinstance(entry, dict):
        raise InputError(source, f"{where}: expected an object")
    key = entry.get("key")
    if not isinstance(key, str) or not key.strip():
        raise InputError(source, f"{where}: key is missing or not a string")
    name = entry.get("name", key)
    if not isinstance(name, str):
        raise InputError(source, f"{where}: name is not a string")
    parent = entry.get("parent")
    if parent is not None and not isinstance(parent, str):
        raise InputError(source, f"{where}: parent is not a string")
    telegram = tuple(u.lstrip("@") for u in _strings(entry.get("telegram"), "telegram", where, source))
    for username in telegram:
        if not _USERNAME.match(username):
            raise InputError(source, f"{where}: {username!r} is not a Telegram username")
    domains = _strings(entry.get("domains"), "domains", where, source) + _strings(
        entry.get("domain"), "domain", where, source)
    return Outlet(key=key.strip(), name=name, parent=parent, telegram=telegram,
                  domains=tuple(d.lower().removeprefix("https://").removeprefix("http://") for d in domains),
                  names=_strings(entry.get("names"), "names", where, source),
                  stems=_strings(entry.get("stems"), "stems", where, source))


def parse_outlets(data: bytes, source: str) -> list[Outlet]:
    """The outlets of one catalogue file: ``{"outlets": [{"key": …, "name": …, "domains": […], …}]}``."""
    document = parse_json(data, source)
    if not isinstance(document, dict) or not isinstance(document.get("outlets"), list):
        raise InputError(source, 'expected an object with an "outlets" list')
    return [_outlet_from(entry, f"outlet {index}", source) for index, entry in enumerate(document["outlets"])]


def _merge(base: Outlet, extra: Outlet) -> Outlet:
    def union(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(dict.fromkeys(a + b))
    return Outlet(key=base.key, name=extra.name if extra.name != extra.key else base.name,
                  domains=union(base.domains, extra.domains), names=union(base.names, extra.names),
                  stems=union(base.stems, extra.stems), telegram=union(base.telegram, extra.telegram),
                  parent=extra.parent or base.parent)


def load_outlets(user_file: str | os.PathLike | None = None) -> Catalogue:
    """The built-in outlets, extended by ``user_file`` (default: the file ``NEWSTRACE_OUTLETS`` names).

    A user entry with a new key adds an outlet; one with a built-in key adds its names, stems,
    domains and usernames to the built-in ones (and may rename it or give it a parent).
    """
    builtin = resources.files("newstrace").joinpath("data/outlets.json")
    outlets = {o.key: o for o in parse_outlets(builtin.read_bytes(), "newstrace/data/outlets.json")}
    path = user_file if user_file is not None else os.environ.get(config.OUTLETS_ENV)
    if path:
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise InputError(str(path), f"cannot read the outlets file ({exc.strerror or exc})") from None
        for extra in parse_outlets(data, str(path)):
            outlets[extra.key] = _merge(outlets[extra.key], extra) if extra.key in outlets else extra
    return Catalogue(list(outlets.values()))


@lru_cache(maxsize=4)
def _catalogue_for(user_file: str | None) -> Catalogue:
    return load_outlets(user_file or "")


def catalogue() -> Catalogue:
    """The catalogue in use: built-in plus ``NEWSTRACE_OUTLETS``, loaded once per value of the variable."""
    return _catalogue_for(os.environ.get(config.OUTLETS_ENV) or None)


@lru_cache(maxsize=256)
def _with_source(base: Catalogue, source_json: str) -> tuple[Catalogue, str]:
    source = json.loads(source_json)
    key = source.get("key") or "_source"
    extra = _outlet_from({"name": key, **source, "key": key}, "source_outlet", "source_outlet")
    outlets = dict(base.outlets)
    outlets[key] = _merge(outlets[key], extra) if key in outlets else extra
    return Catalogue(list(outlets.values())), key


# --- detection -------------------------------------------------------------------------------------

def _line_of(text: str, start: int, end: int) -> str:
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    return text[line_start: line_end if line_end >= 0 else len(text)]


def _cued(text: str, start: int, end: int) -> tuple[int, int] | None:
    """The (start, end) of cue and name when a reporting cue stands next to text[start:end]."""
    head = text[max(0, start - config.ATTRIBUTION_WINDOW_CHARS): start]
    tail = text[end: end + config.ATTRIBUTION_WINDOW_CHARS]
    found = _BEFORE.search(head)
    if found:
        return start - len(head) + found.start(), end
    found = _AFTER.match(tail)
    if found:
        return start, end + found.end()
    if _DASH_BEFORE.search(head) and _DASH_AFTER.match(tail):
        return start, end
    if _LINE_START.search(head) and _COLON_AFTER.match(tail):
        return start, end + _COLON_AFTER.match(tail).end()
    return None


def _with_closing_quote(text: str, span: tuple[int, int]) -> tuple[int, int]:
    """A phrase that opens a quote («Ведомостям») keeps its closing one."""
    start, end = span
    opened = text[start:end]
    if end < len(text) and text[end] in "»”\"" and opened.count("«") + opened.count("“") + opened.count('"') % 2:
        return start, end + 1
    return span


def _named(text: str, cat: Catalogue) -> list[Credit]:
    """Outlets and @channels named next to a reporting cue, lists of names included («Reuters и AFP пишут»)."""
    found: list[tuple[int, int, str | None, str | None]] = []
    for match in cat.name_matches(text):
        found.append((match.start(), match.end(), cat.outlet_for_name(match.group(0)), None))
    for match in _HANDLE.finditer(text):
        found.append((match.start(), match.end(), cat.outlet_for_channel(match.group(1)), match.group(1)))
    found.sort()
    spans = [_cued(text, start, end) for start, end, _, _ in found]
    for _ in range(2):       # a cued name lends its cue to the names listed next to it
        for i in range(len(found) - 1):
            gap = text[found[i][1]: found[i + 1][0]]
            if _CHAIN_GAP.match(gap):
                if spans[i] is None and spans[i + 1] is not None:
                    spans[i] = (found[i][0], spans[i + 1][1])
                elif spans[i + 1] is None and spans[i] is not None:
                    spans[i + 1] = (spans[i][0], found[i + 1][1])
    credits = []
    for (start, end, key, handle), span in zip(found, spans):
        if span is None or _PROMO.search(_line_of(text, start, end)):
            continue
        kind = "via_channel" if handle else "named"
        span = _with_closing_quote(text, span)
        credits.append(Credit(kind, key, text[span[0]: span[1]], span, channel=handle))
    return credits


def _tme_channel(url: str) -> tuple[str | None, bool]:
    """(channel username, whether the link points at one post) of a t.me link; (None, False) otherwise."""
    if "t.me/" not in url and "telegram." not in url:
        return None, False
    parts = urlsplit(url if "://" in url else "https://" + url)
    if (parts.hostname or "").lower().removeprefix("www.") not in _TME_HOSTS:
        return None, False
    segments = [s for s in parts.path.split("/") if s]
    if segments[:1] == ["s"]:
        segments = segments[1:]
    if not segments or segments[0].lower() in _TME_NOT_CHANNELS or not _USERNAME.match(segments[0]):
        return None, False
    if segments[0].lower().endswith("bot"):
        return None, False
    return segments[0], len(segments) > 1 and segments[1].isdigit()


def _linked(text: str, links: list[Link], cat: Catalogue) -> list[Credit]:
    """Links to catalogued sites; t.me post links hidden under words («видео», «сообщают») or
    introduced by a cue («Источник: t.me/…»), but not a digest's list of t.me links."""
    telegram = [_tme_channel(link.url) for link in links]
    digest = sum(is_post for _, is_post in telegram) > config.ATTRIBUTION_DIGEST_TME_LINKS
    credits = []
    for link, (channel, is_post) in zip(links, telegram):
        anchor = link.anchor.strip()
        start = text.find(anchor) if anchor else -1
        span = (start, start + len(anchor)) if start >= 0 else None
        context = _line_of(text, *span) if span else anchor
        if _PROMO.search(context):
            continue
        if channel:
            cued = bool(_CUE_WORDS.match(anchor)) or bool(span and _cued(text, *span))
            hidden = is_post and link.kind == "hidden" and not digest
            if hidden or cued:
                credits.append(Credit("via_channel", cat.outlet_for_channel(channel), anchor, span,
                                      channel=channel, url=link.url))
            continue
        key = cat.outlet_for_url(link.url)
        if key:
            credits.append(Credit("hyperlink", key, anchor, span, url=link.url))
    return credits


def _forward(forwarded_from: str | None, forwarded_from_name: str | None, cat: Catalogue) -> Credit | None:
    if not (forwarded_from or forwarded_from_name):
        return None
    key = cat.outlet_for_channel(forwarded_from) if forwarded_from else None
    if key is None and forwarded_from_name:
        names = cat.name_matches(forwarded_from_name)
        key = cat.outlet_for_name(names[0].group(0)) if names else None
    return Credit("forward", key, forwarded_from_name or forwarded_from or "",
                  channel=forwarded_from.lstrip("@") if forwarded_from else None)


def _not_own(credits: list[Credit], own_channel: str | None, cat: Catalogue) -> list[Credit]:
    if not own_channel:
        return credits
    own = own_channel.lstrip("@").lower()
    own_outlet = cat.outlet_for_channel(own)
    return [c for c in credits
            if (c.channel or "").lower() != own and not cat.related(c.outlet, own_outlet)]


def credited_outlets(text: str, links: list[Link], *, forwarded_from: str | None = None,
                     forwarded_from_name: str | None = None, own_channel: str | None = None,
                     catalogue_: Catalogue | None = None) -> list[Credit]:
    """Every credit in a post, in the order of the text (a forward first): links to catalogued
    sites, t.me post links, forwards, and outlets or @channels named next to a reporting cue.

    own_channel is the post's own channel: links to it and its outlet's name are not credits.
    """
    cat = catalogue_ or catalogue()
    credits = _linked(text, links, cat) + _named(text, cat)
    credits.sort(key=lambda c: c.span or (len(text), len(text)))
    forward = _forward(forwarded_from, forwarded_from_name, cat)
    return _not_own(([forward] if forward else []) + credits, own_channel, cat)


def detect_credit(text: str, links: list[Link], *, forwarded_from: str | None = None,
                  forwarded_from_name: str | None = None, source_outlet: dict | None = None,
                  own_channel: str | None = None) -> Credit:
    """How the post credits its source: the strongest of its credits (hyperlink, forward, named,
    via_channel), or kind "none".

    source_outlet asks about one source: a catalogue entry or any dict with some of key, name,
    names, stems, domain(s), telegram (a source not in the catalogue is added for this call). Then
    only credits of that outlet (or its parent or child) count, and a forward counts when it comes
    from one of its channels or names it.
    """
    cat, source_key = catalogue(), None
    if source_outlet:
        cat, source_key = _with_source(cat, json.dumps(source_outlet, sort_keys=True, ensure_ascii=False))
    credits = credited_outlets(text, links, forwarded_from=forwarded_from,
                               forwarded_from_name=forwarded_from_name, own_channel=own_channel,
                               catalogue_=cat)
    if source_key is not None:
        credits = [c for c in credits if cat.related(c.outlet, source_key)]
    return min(credits, key=lambda c: _RANK[c.kind], default=NO_CREDIT)


def outlet_for_url(url: str) -> Outlet | None:
    """The catalogued outlet whose site serves this URL, e.g. to pass as detect_credit's source_outlet."""
    cat = catalogue()
    key = cat.outlet_for_url(url)
    return cat.outlets[key] if key else None


def outlet_for_channel(username: str) -> Outlet | None:
    """The catalogued outlet that runs this Telegram channel."""
    cat = catalogue()
    key = cat.outlet_for_channel(username)
    return cat.outlets[key] if key else None


def outlet_as_source(outlet: Outlet) -> dict[str, Any]:
    """An Outlet as detect_credit's source_outlet."""
    return {"key": outlet.key, "name": outlet.name, "domains": list(outlet.domains),
            "names": list(outlet.names), "stems": list(outlet.stems), "telegram": list(outlet.telegram)}


def source_of(article_url: str, site_name: str | None) -> dict[str, Any]:
    """detect_credit's source_outlet for an article: its catalogued outlet, else its host and name."""
    outlet = outlet_for_url(article_url)
    if outlet:
        return outlet_as_source(outlet)
    host = (urlsplit(article_url).hostname or "").removeprefix("www.")
    return {"key": host or "source", "domains": [host] if host else [],
            "names": [site_name] if site_name else []}


def credit_evidence(text: str, links: list[Link], *, article_url: str, site_name: str | None,
                    forwarded_from: str | None = None, forwarded_from_name: str | None = None,
                    own_channel: str | None = None) -> dict[str, Any]:
    """How a relay credits the article it was matched to, as evidence fields for the store."""
    credit = detect_credit(text, links, forwarded_from=forwarded_from, forwarded_from_name=forwarded_from_name,
                           source_outlet=source_of(article_url, site_name), own_channel=own_channel)
    if credit.kind == "none":
        return {"credit": None}
    return {"credit": credit.kind, "credit_phrase": credit.phrase, "credit_outlet": credit.outlet}


__all__ = ["KINDS", "NO_CREDIT", "Catalogue", "Credit", "Outlet", "catalogue", "credited_outlets",
           "credit_evidence", "detect_credit", "load_outlets", "outlet_as_source", "outlet_for_channel", "outlet_for_url",
           "parse_outlets", "source_of"]
