"""Posts from a Telegram Desktop JSON export (``result.json``).

Two shapes exist: "Export chat history" writes one chat ``{"name", "type", "id", "messages"}``;
"Export Telegram data" writes the whole account, with chats under ``chats.list`` (and
``left_chats.list``). Messages carry ``text`` (a string, or a list of strings and entity
objects) and ``text_entities`` (always a list of ``{"type", "text", ...}``); the latter is read
when present.

Conventions (the export lacks some facts the other collectors have):
- channel key: the ``channel`` argument when given; else a slug of the chat name when it is a
  valid Telegram username (``Harbour Watch`` -> ``harbour_watch``: lower case, runs of other
  characters -> ``_``, 5-32 characters, starting with a letter); else ``c<bare chat id>``, the
  id used in ``t.me/c/<id>/<message>`` links. The export never records the username itself.
- time: ``date_unixtime`` (UTC seconds) when present; older exports only have ``date``, written
  in the exporting computer's local time without an offset, which is taken as UTC.
- forwards: ``forwarded_from`` (or ``saved_from``) is a display name -> ``forwarded_from_name``;
  a ``forwarded_from_id`` of a channel (``channel123``) gives ``forwarded_from`` = ``c123``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from newstrace.errors import InputError
from newstrace.jsondata import parse_json
from newstrace.model import Link, Post

_MARKED_CHANNEL_BASE = 1_000_000_000_000   # Bot API / Telethon mark channels as -100<id>
MAX_MESSAGE_ID = 2**63 - 1                 # the largest integer the store (SQLite) holds
_USERNAME = re.compile(r"^[a-z][a-z0-9_]{4,31}$")
_SURROGATE = re.compile("[\ud800-\udfff]")
_MEDIA_KEYS = ("photo", "file", "media_type", "poll", "location_information",
               "contact_information", "sticker_emoji")


@dataclass
class ExportResult:
    """One exported chat: its channel key, its title and its posts (service messages dropped)."""

    channel: str
    channel_title: str
    posts: list[Post] = field(default_factory=list)


def channel_from_id(chat_id: int) -> str:
    """``c<bare id>`` for a chat id, marked (``-1001234567890``) or bare (``1234567890``)."""
    if chat_id <= -_MARKED_CHANNEL_BASE:
        return f"c{-chat_id - _MARKED_CHANNEL_BASE}"
    return f"c{abs(chat_id)}"


def channel_slug(name: str, chat_id: int) -> str:
    """The channel key the module docstring describes (name slug, else ``c<id>``)."""
    slug = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
    return slug if _USERNAME.match(slug) else channel_from_id(chat_id)


def _web_url(text: str) -> str:
    return text if re.match(r"^[a-z][a-z0-9+.-]*://", text, re.I) else "https://" + text


def _pieces(message: dict[str, Any]) -> list[dict[str, Any]]:
    """The message text as entity objects; plain strings become ``{"type": "plain"}``."""
    raw = message.get("text_entities")
    if not isinstance(raw, list):
        raw = message.get("text", "")
    if isinstance(raw, str):
        return [{"type": "plain", "text": raw}]
    if not isinstance(raw, list):
        raise ValueError("text is neither a string nor a list")
    pieces = []
    for piece in raw:
        if isinstance(piece, str):
            pieces.append({"type": "plain", "text": piece})
        elif isinstance(piece, dict) and isinstance(piece.get("text", ""), str):
            pieces.append(piece)
        else:
            raise ValueError("text holds an entity that is neither a string nor an object")
    return pieces


def _text_and_links(message: dict[str, Any]) -> tuple[str, list[Link]]:
    text, links = [], []
    for piece in _pieces(message):
        chunk = piece.get("text", "")
        kind = piece.get("type")
        if kind == "text_link" and piece.get("href"):
            href = str(piece["href"])
            links.append(Link(url=href, anchor=chunk, kind="text" if chunk == href else "hidden"))
        elif kind == "link" and chunk:
            links.append(Link(url=_web_url(chunk), anchor=chunk, kind="text"))
        text.append(chunk)
    return "".join(text), links


def _time(message: dict[str, Any], unix_key: str, iso_key: str) -> datetime | None:
    unix = message.get(unix_key)
    if unix not in (None, ""):
        return datetime.fromtimestamp(int(unix), tz=timezone.utc)
    iso = message.get(iso_key)
    if isinstance(iso, str) and iso:
        moment = datetime.fromisoformat(iso)
        return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)
    return None


def _string(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _post(message: dict[str, Any], channel: str, title: str) -> Post:
    message_id = message.get("id")
    if not isinstance(message_id, int) or isinstance(message_id, bool):
        raise ValueError("id is missing or not an integer")
    if not 0 <= message_id <= MAX_MESSAGE_ID:
        raise ValueError(f"id {message_id} is out of range")
    posted_at = _time(message, "date_unixtime", "date")
    if posted_at is None:
        raise ValueError("date is missing")
    text, links = _text_and_links(message)
    forward_id = str(message.get("forwarded_from_id") or "")
    reply_to = message.get("reply_to_message_id")
    edited_at = _time(message, "edited_unixtime", "edited")
    return Post(
        channel=channel,
        message_id=message_id,
        posted_at=posted_at,
        text=text,
        links=links,
        forwarded_from=(channel_from_id(int(forward_id[len("channel"):]))
                        if re.fullmatch(r"channel\d+", forward_id) else None),
        forwarded_from_name=_string(message.get("forwarded_from")) or _string(message.get("saved_from")),
        reply_to=reply_to if isinstance(reply_to, int) and 0 <= reply_to <= MAX_MESSAGE_ID else None,
        edited=edited_at is not None,
        edited_at=edited_at,
        has_media=any(message.get(key) for key in _MEDIA_KEYS),
        channel_title=title,
        collected_via="export",
    )


def _chat(chat: Any, source: str, where: str, channel: str | None) -> ExportResult:
    if not isinstance(chat, dict) or not isinstance(chat.get("messages"), list):
        raise InputError(source, f"{where}: expected a chat object with a 'messages' list")
    title = str(chat.get("name") or "")
    chat_id = chat.get("id")
    if not isinstance(chat_id, int):
        raise InputError(source, f"{where}: chat 'id' is missing or not an integer")
    key = channel or channel_slug(title, chat_id)
    result = ExportResult(channel=key, channel_title=title)
    for index, message in enumerate(chat["messages"]):
        if not isinstance(message, dict):
            raise InputError(source, f"{where}, message {index}: expected an object")
        if message.get("type") == "service":
            continue
        try:
            result.posts.append(_post(message, key, title))
        except (ValueError, TypeError, OverflowError, OSError) as exc:
            raise InputError(source, f"{where}, message {message.get('id', index)}: {exc}") from None
    return result


def parse_json_text(data: bytes, source: str) -> Any:
    """parse_json, with the lone UTF-16 surrogates a JSON escape can carry ("\\ud83d": half an
    emoji, cut by a dump) replaced by U+FFFD: no text can hold them, nor the store take them."""
    root = parse_json(data, source)
    return _mend(root) if b"\\ud" in data.lower() else root


def _mend(node: Any) -> Any:
    if isinstance(node, str):
        return _SURROGATE.sub("\ufffd", node)
    if isinstance(node, list):
        return [_mend(item) for item in node]
    if isinstance(node, dict):
        return {_mend(key): _mend(value) for key, value in node.items()}
    return node


def parse_exports(data: bytes, source: str) -> list[ExportResult]:
    """Every chat of a result.json, single-chat or full-account export."""
    root = parse_json_text(data, source)
    if not isinstance(root, dict):
        raise InputError(source, "expected a JSON object (a Telegram Desktop result.json)")
    if "messages" in root:
        return [_chat(root, source, "chat", None)]
    chats = []
    for section in ("chats", "left_chats"):
        listing = root.get(section)
        if listing is None:
            continue
        if not isinstance(listing, dict) or not isinstance(listing.get("list"), list):
            raise InputError(source, f"'{section}' has no 'list' of chats")
        chats.extend(_chat(chat, source, f"{section}.list[{index}]", None)
                     for index, chat in enumerate(listing["list"]))
    if "chats" not in root and "left_chats" not in root:
        raise InputError(source, "neither a chat export ('messages') nor an account export ('chats.list')")
    return chats


def parse_export(data: bytes, source: str, *, chat: str | int | None = None,
                 channel: str | None = None) -> ExportResult:
    """One chat of a result.json.

    A full-account export holds many chats: ``chat`` picks one by id, name or derived key; without
    it the export must hold exactly one. ``channel`` overrides the derived channel key (the
    export does not record usernames).
    """
    results = parse_exports(data, source)
    if chat is not None:
        wanted = str(chat).lower()
        results = [r for r in results
                   if wanted in {r.channel.lower(), r.channel_title.lower(), r.channel.lower().lstrip("c")}]
        if not results:
            raise InputError(source, f"no chat {chat!r} in the export")
    if len(results) != 1:
        raise InputError(source, f"the export holds {len(results)} chats; name the one to read")
    result = results[0]
    if channel:
        result.channel = channel
        for post in result.posts:
            post.channel = channel
    return result
