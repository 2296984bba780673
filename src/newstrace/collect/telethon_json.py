"""Posts from JSON lists of messages dumped with Telethon (``message.text``, i.e. Telethon markdown).

The shape is the one of the telegram-ru-2024 data set: a list of objects with ``message_id``,
``sender_id`` (the marked channel id, ``-100…``), ``text``, ``date`` (ISO 8601), ``channel`` (the
channel's title) and ``category``.

Telethon writes entities as ``**bold**``, ``__italic__``, ``~~strike~~``, `` `code` ``,
```` ```pre``` ```` and ``[anchor](url)``, without escaping anything. markdown-it-py parses the
links and code spans; the bold/italic/strike markers are then dropped wherever they stand, since
Telethon only emits them as entity boundaries (CommonMark's flanking rules would leave
``**UPD. **`` unparsed). Inside code spans newlines become spaces (CommonMark's rule).
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any

from markdown_it import MarkdownIt

from newstrace.collect.telegram_export import MAX_MESSAGE_ID, channel_from_id, parse_json_text
from newstrace.errors import InputError
from newstrace.extract.urls import URL_IN_TEXT, urls_in_text
from newstrace.model import Link, Post

_MARKERS = re.compile(r"\*\*|__|~~")
_URL_TAIL = re.compile(r"(?:\*\*|__|~~|[.,;:!?…—])+$")
# Python dunder names (``__init__``) look like italics but are text: kept as written.
_DUNDER = re.compile(r"(?<![\w])__[a-z][a-z0-9]*(?:_[a-z0-9]+)*__(?![\w])")
_PROTECTED = re.compile(f"(?i:{URL_IN_TEXT.pattern})|{_DUNDER.pattern}")
# Telethon does not escape URLs, so ``[a](https://x/\\)`` defeats CommonMark; caught afterwards.
_LEFTOVER_LINK = re.compile(r"\[([^\[\]]*)\]\((https?://[^\s()]*(?:\([^\s()]*\)[^\s()]*)*)\)")


def _markdown() -> MarkdownIt:
    md = MarkdownIt("zero").enable(["link", "backticks"])   # newlines stay as written
    md.validateLink = lambda url: True          # keep every link; we decide below what is a URL
    md.normalizeLink = lambda url: url          # keep URLs as written (no percent-encoding)
    md.normalizeLinkText = lambda url: url
    return md


_MD = _markdown()


def _strip_markers(text: str) -> str:
    """Drop Telethon's formatting markers, but not from inside URLs or dunder names."""
    out, pos = [], 0
    for match in _PROTECTED.finditer(text):
        out.append(_MARKERS.sub("", text[pos:match.start()]))
        word = match.group(0)
        tail = _URL_TAIL.search(word) if not _DUNDER.fullmatch(word) else None
        out.append(word[:tail.start()] + _MARKERS.sub("", tail.group(0)) if tail else word)
        pos = match.end()
    out.append(_MARKERS.sub("", text[pos:]))
    return "".join(out)


class _Builder:
    """Accumulates plain text and the links whose anchors it holds."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.length = 0
        self.links: list[Link] = []
        self.anchor_spans: list[tuple[int, int]] = []

    def add(self, piece: str) -> None:
        self.parts.append(piece)
        self.length += len(piece)

    def add_text(self, text: str) -> None:
        pos = 0
        for match in _LEFTOVER_LINK.finditer(text):
            self.add(_strip_markers(text[pos:match.start()]))
            start = self.length
            self.add(_strip_markers(match.group(1)))
            self.link(match.group(2), start)
            pos = match.end()
        self.add(_strip_markers(text[pos:]))

    def link(self, href: str, start: int) -> None:
        if not href.lower().startswith(("http://", "https://")):
            return
        anchor = "".join(self.parts)[start:].strip()
        kind = "text" if anchor.rstrip("/") == href.rstrip("/") else "hidden"
        self.links.append(Link(url=href, anchor=anchor, kind=kind))
        self.anchor_spans.append((start, self.length))


def markdown_to_text(markdown: str) -> tuple[str, list[Link]]:
    """Plain text and links of one Telethon-markdown message.

    ``[anchor](url)`` gives a "hidden" link (a "text" link when the anchor is the URL itself);
    bare URLs outside links give "text" links. Non-web links (``tg://``, ``mailto:``) keep
    their anchor text and give no Link.
    """
    out = _Builder()
    if "[" not in markdown and "`" not in markdown:     # nothing for markdown-it to find
        out.add_text(markdown)
        return _with_bare_urls(out)
    link_start: list[tuple[str, int]] = []
    for block in _MD.parseInline(markdown):
        for token in block.children or []:
            if token.type == "text":
                out.add_text(token.content)
            elif token.type == "link_open":
                link_start.append((str(token.attrs.get("href", "")), out.length))
            elif token.type == "link_close" and link_start:
                out.link(*link_start.pop())
            else:
                out.add(token.content)
    return _with_bare_urls(out)


def _with_bare_urls(out: _Builder) -> tuple[str, list[Link]]:
    """The finished text, with "text" links for the bare URLs outside link anchors."""
    text = "".join(out.parts)
    known = {link.url for link in out.links}
    for match in URL_IN_TEXT.finditer(text):
        if any(start <= match.start() < end for start, end in out.anchor_spans):
            continue
        for url in urls_in_text(match.group(0)):
            if url not in known:
                known.add(url)
                out.links.append(Link(url=url, anchor=match.group(0).rstrip(".,;:!?…—"), kind="text"))
    return text, out.links


def _parse_date(value: Any, where: str, source: str) -> datetime:
    if not isinstance(value, str):
        raise InputError(source, f"{where}: date is missing or not a string")
    try:
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        return moment.astimezone(timezone.utc)
    except ValueError:
        raise InputError(source, f"{where}: date {value!r} is not ISO 8601") from None
    except OverflowError:           # 0001-01-01T00:00+05:00 has no UTC time
        raise InputError(source, f"{where}: date {value!r} is out of range") from None


def _channel_of(item: dict[str, Any], channel: str | None,
                channel_map: dict[int, str] | None) -> str:
    if channel:
        return channel
    sender = item.get("sender_id")
    if isinstance(sender, int):
        if channel_map:
            bare = int(channel_from_id(sender)[1:])
            for key in (sender, bare, -sender):
                if key in channel_map:
                    return channel_map[key]
        return channel_from_id(sender)
    return "unknown"


def parse_telethon_json(data: bytes, source: str, *, channel: str | None = None,
                        channel_map: dict[int, str] | None = None) -> list[Post]:
    """Posts of one JSON list of Telethon-dumped messages.

    The channel key is ``channel`` when given; else ``channel_map[sender_id]`` (keys may be the
    marked id ``-1001234567890``, the bare channel id ``1234567890`` or its negation), which is how
    a caller supplies usernames it knows; else ``c<bare channel id>`` (see
    :func:`newstrace.collect.telegram_export.channel_from_id`). The item's ``channel`` field (a
    title) becomes ``channel_title``.
    """
    items = parse_json_text(data, source)
    if not isinstance(items, list):
        raise InputError(source, "expected a JSON list of messages")
    posts = []
    for index, item in enumerate(items):
        where = f"item {index}"
        if not isinstance(item, dict):
            raise InputError(source, f"{where}: expected an object")
        message_id = item.get("message_id")
        if not isinstance(message_id, int) or isinstance(message_id, bool):
            raise InputError(source, f"{where}: message_id is missing or not an integer")
        if not 0 <= message_id <= MAX_MESSAGE_ID:
            raise InputError(source, f"{where}: message_id {message_id} is out of range")
        raw_text = item.get("text") or ""
        if not isinstance(raw_text, str):
            raise InputError(source, f"{where}: text is not a string")
        text, links = markdown_to_text(raw_text)
        title = item.get("channel")
        posts.append(Post(
            channel=_channel_of(item, channel, channel_map),
            message_id=message_id,
            posted_at=_parse_date(item.get("date"), where, source),
            text=text,
            links=links,
            channel_title=title if isinstance(title, str) else None,
            collected_via="telethon-json",
        ))
    return posts
