"""Plain records that flow through every stage: collect -> extract -> store -> match -> report.

Collectors and extractors build these; the store persists them; nothing here does I/O.
All datetimes are timezone-aware UTC.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class Link:
    """A URL found in a post or a page, with the visible text that carried it.

    kind says where it was found: "text" (a bare URL in the text), "hidden" (a text link whose
    anchor is not the URL), "preview" (a Telegram link-preview card), "outgoing" (a link in an
    article's body), "related" (a page's related-article link), "annotation" (a PDF link).
    """

    url: str
    anchor: str = ""
    kind: str = "text"


@dataclass
class LinkPreview:
    """The card Telegram draws under a post that links somewhere."""

    url: str
    site: str = ""
    title: str = ""
    description: str = ""


@dataclass
class Post:
    """One Telegram channel message, from the web preview, a Desktop export or Telethon."""

    channel: str
    message_id: int
    posted_at: datetime | None
    text: str = ""
    links: list[Link] = field(default_factory=list)
    preview: LinkPreview | None = None
    forwarded_from: str | None = None
    forwarded_from_name: str | None = None
    forwarded_message_id: int | None = None
    reply_to: int | None = None
    views: int | None = None
    edited: bool = False
    edited_at: datetime | None = None
    has_media: bool = False
    channel_title: str | None = None
    collected_via: str = ""

    @property
    def url(self) -> str:
        return f"https://t.me/{self.channel}/{self.message_id}"

    @property
    def media_only(self) -> bool:
        return self.has_media and not self.text.strip()


@dataclass
class Article:
    """A news article as extracted from its page (HTML or PDF).

    raw keeps the bytes exactly as fetched so that extraction can be redone later; aliases are
    other addresses of the same article (the URL asked for before a redirect).
    """

    url: str
    title: str = ""
    paragraphs: list[str] = field(default_factory=list)
    canonical_url: str | None = None
    author: str | None = None
    published_at: datetime | None = None
    language: str | None = None
    site_name: str | None = None
    description: str | None = None
    links: list[Link] = field(default_factory=list)
    raw: bytes = b""
    raw_type: str = "text/html"
    warnings: list[str] = field(default_factory=list)
    aliases: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n\n".join(self.paragraphs)

    @property
    def related_links(self) -> list[Link]:
        return [link for link in self.links if link.kind == "related"]


@dataclass
class Match:
    """A decision that a post relays an article: which step decided, how sure, and why."""

    channel: str
    message_id: int
    article_id: int
    stage: str
    score: float
    evidence: dict[str, Any] = field(default_factory=dict)
