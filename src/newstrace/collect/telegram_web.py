"""Public channels through Telegram's web preview (t.me/s/<channel>), no login needed.

A preview page shows about 20 posts oldest first and a link to the next older page
(`?before=<id>`). parse_preview_page reads one page into Posts; collect_channel pages back
through a channel newest first, stopping where the caller already has everything.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from urllib.parse import unquote, urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from newstrace import config
from newstrace.collect.http import Fetcher
from newstrace.collect.telegram_export import MAX_MESSAGE_ID
from newstrace.errors import InputError
from newstrace.model import Link, LinkPreview, Post

COLLECTED_VIA = "web-preview"
NOT_A_PREVIEW = "no public channel preview here"

_CHANNEL_RE = re.compile(r"[A-Za-z][A-Za-z0-9_]{3,31}")
_CHANNEL_INPUT_RE = re.compile(
    r"(?:(?:https?://)?(?:www\.)?(?:t\.me|telegram\.me)/(?:s/)?|@)?([A-Za-z0-9_]+)(?:[/?#].*)?"
)
_URL_IN_TEXT_RE = re.compile(
    r"(?<![\w.@/])(?:https?://|www\.|t\.me/|telegram\.me/)[^\s<>\"'«»]+", re.IGNORECASE
)
_URL_TRAILING = ".,;:!?)]}»…'\""
_VIEWS_RE = re.compile(r"([\d.,]+)\s*([KMB]?)", re.IGNORECASE)
_VIEW_SCALE = {"": 1, "K": 1_000, "M": 1_000_000, "B": 1_000_000_000}
_BLOCK_TAGS = {"div", "p", "blockquote", "pre", "ul", "ol", "li", "h1", "h2", "h3", "h4", "table", "tr"}
_MEDIA = (
    ".tgme_widget_message_photo_wrap, .tgme_widget_message_video_player,"
    " .tgme_widget_message_roundvideo_player, .tgme_widget_message_video,"
    " .tgme_widget_message_document_wrap, .tgme_widget_message_document,"
    " .tgme_widget_message_voice, .tgme_widget_message_sticker_wrap,"
    " .message_media_not_supported_wrap"
)


@dataclass
class PreviewPage:
    """One t.me/s/ page: its posts oldest first and the cursor of the next older page."""

    channel: str
    channel_title: str | None = None
    posts: list[Post] = field(default_factory=list)
    before: int | None = None


def normalize_channel(value: str) -> str:
    """The bare channel name from "name", "@name", "t.me/name" or "https://t.me/s/name"."""
    match = _CHANNEL_INPUT_RE.fullmatch(value.strip())
    if not match or not _CHANNEL_RE.fullmatch(match.group(1)):
        raise InputError(value, "not a public Telegram channel name or t.me link")
    return match.group(1)


def preview_url(channel: str, before: int | None = None, base_url: str = config.TELEGRAM_BASE_URL) -> str:
    url = f"{base_url.rstrip('/')}/s/{normalize_channel(channel)}"
    return f"{url}?before={before}" if before is not None else url


def parse_preview_page(html: bytes | str, page_url: str) -> PreviewPage:
    """Read one preview page; InputError when it is not HTML or shows no channel preview."""
    tree = LexborHTMLParser(_as_html_text(html, page_url))
    messages = tree.css(".tgme_widget_message[data-post]")
    if not messages and tree.css_first(".tgme_channel_history") is None:
        raise InputError(page_url, NOT_A_PREVIEW)
    title = _first_text(tree, ".tgme_channel_info_header_title", ".tgme_header_title") or None
    posts = [
        _parse_post(node, page_url, title)
        for node in messages
        if "service_message" not in node.attributes.get("class", "").split()
    ]
    return PreviewPage(
        channel=posts[0].channel if posts else _page_channel(tree, page_url),
        channel_title=title,
        posts=posts,
        before=_before_cursor(tree, messages),
    )


def fetch_preview_page(
    fetcher: Fetcher,
    channel: str,
    before: int | None = None,
    base_url: str = config.TELEGRAM_BASE_URL,
) -> PreviewPage:
    url = preview_url(channel, before, base_url)
    response = fetcher.get(url)
    return parse_preview_page(response.content, response.url)


def collect_channel(
    fetcher: Fetcher,
    channel: str,
    *,
    base_url: str = config.TELEGRAM_BASE_URL,
    since: datetime | None = None,
    limit: int | None = None,
    newer_than: int | None = None,
) -> Iterator[Post]:
    """Yield a channel's posts newest first, paging back with ?before=<id>.

    Stops after limit posts, below since (posts older than it are not yielded and no older page
    is fetched), at ids <= newer_than (the newest one already stored, so that a second run only
    fetches what is new), when a page brings nothing new, or after PREVIEW_PAGE_LIMIT pages.
    A naive since is taken as UTC.
    """
    if limit is not None and limit <= 0:
        return
    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=timezone.utc)
    seen: set[int] = set()
    yielded = 0
    before: int | None = None
    for _ in range(config.PREVIEW_PAGE_LIMIT):
        page = fetch_preview_page(fetcher, channel, before, base_url)
        fresh = [post for post in reversed(page.posts) if post.message_id not in seen]
        reached_old = False
        for post in fresh:
            seen.add(post.message_id)
            if newer_than is not None and post.message_id <= newer_than:
                return
            if since is not None and post.posted_at < since:
                reached_old = True
                continue
            yield post
            yielded += 1
            if limit is not None and yielded >= limit:
                return
        if not fresh or reached_old or page.before is None:
            return
        before = page.before


def _as_html_text(html: bytes | str, page_url: str) -> str:
    if isinstance(html, bytes):
        if b"\x00" in html[:4096]:
            raise InputError(page_url, "not an HTML page (binary data)")
        html = html.decode("utf-8", errors="replace")
    if "<" not in html:
        raise InputError(page_url, "not an HTML page")
    return html


def _parse_post(node: LexborNode, page_url: str, title: str | None) -> Post:
    data_post = node.attributes.get("data-post") or ""
    channel, _, number = data_post.partition("/")
    if not _CHANNEL_RE.fullmatch(channel) or not _is_id(number):
        raise InputError(page_url, f"post with a malformed data-post {data_post!r}")
    text_node = _own_text_node(node)
    text, links = _render(text_node) if text_node is not None else ("", [])
    preview = _link_preview(node)
    if preview is not None:
        links.append(Link(url=preview.url, anchor=preview.title or preview.site, kind="preview"))
    forwarded_from, forwarded_id, forwarded_name = _forward(node)
    return Post(
        channel=channel,
        message_id=int(number),
        posted_at=_posted_at(node, page_url, data_post),
        text=text,
        links=links,
        preview=preview,
        forwarded_from=forwarded_from,
        forwarded_from_name=forwarded_name,
        forwarded_message_id=forwarded_id,
        reply_to=_reply_to(node),
        views=_views(node),
        edited=_edited(node),
        has_media=node.css_first(_MEDIA) is not None,
        channel_title=title,
        collected_via=COLLECTED_VIA,
    )


def _own_text_node(message: LexborNode) -> LexborNode | None:
    """The post's own text, not the quoted text of the message it replies to."""
    for candidate in message.css(".tgme_widget_message_text"):
        if not _inside(candidate, message, "tgme_widget_message_reply"):
            return candidate
    return None


def _inside(node: LexborNode, stop: LexborNode, css_class: str) -> bool:
    parent = node.parent
    while parent is not None and parent.mem_id != stop.mem_id:
        if css_class in (parent.attributes.get("class") or "").split():
            return True
        parent = parent.parent
    return False


def _render(text_node: LexborNode) -> tuple[str, list[Link]]:
    """Plain text with <br> as newlines and blocks (quotes, code) as paragraphs, plus its links.

    Whitespace inside text nodes is only markup indentation (Telegram writes line breaks as
    <br>), so it collapses to one space, except inside <pre>.
    """
    parts: list[str] = []
    links: list[Link] = []
    bare: list[str] = []

    def walk(node: LexborNode, preformatted: bool) -> None:
        for child in node.iter(include_text=True):
            tag = child.tag
            if tag == "-text":
                chunk = child.text_content or ""
                parts.append(chunk if preformatted else re.sub(r"\s+", " ", chunk))
                bare.extend(_urls_in(chunk))
            elif tag == "br":
                parts.append("\n")
            elif tag == "a":
                parts.append(re.sub(r"\s+", " ", child.text(deep=True)))
                link = _anchor_link(child)
                if link is not None:
                    links.append(link)
            elif tag in _BLOCK_TAGS:
                parts.append("\n\n")
                walk(child, preformatted or tag == "pre")
                parts.append("\n\n")
            elif tag not in ("script", "style"):
                walk(child, preformatted)

    walk(text_node, False)
    known = {_url_key(link.url) for link in links}
    for url in bare:
        if _url_key(url) not in known:
            known.add(_url_key(url))
            links.append(Link(url=url if "://" in url else f"https://{url}", anchor=url, kind="text"))
    lines = (line.strip() for line in "".join(parts).split("\n"))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip(), links


def _anchor_link(anchor: LexborNode) -> Link | None:
    """A link from <a href>: "text" when it shows its own URL, "hidden" when it shows words.

    Relative hrefs are Telegram's hashtag searches ("?q=%23tag") and are not links out.
    """
    href = (anchor.attributes.get("href") or "").strip()
    if _scheme(href) not in ("http", "https"):
        return None
    visible = re.sub(r"\s+", " ", anchor.text(deep=True)).strip()
    if _shows_url(visible, href):
        return Link(url=href, anchor=visible, kind="text")
    return Link(url=href, anchor=visible, kind="hidden")


def _shows_url(visible: str, href: str) -> bool:
    shown = _url_key(visible.rstrip("…"))
    target = _url_key(unquote(href))
    if not shown:
        return False
    return target == shown or (visible.endswith("…") and target.startswith(shown))


def _url_key(url: str) -> str:
    return re.sub(r"^https?://", "", url.strip().lower()).rstrip("/")


def _urls_in(text: str) -> list[str]:
    return [match.group(0).rstrip(_URL_TRAILING) for match in _URL_IN_TEXT_RE.finditer(text)]


def _link_preview(message: LexborNode) -> LinkPreview | None:
    card = message.css_first("a.tgme_widget_message_link_preview[href]")
    if card is None:
        return None
    return LinkPreview(
        url=card.attributes.get("href") or "",
        site=_first_text(card, ".link_preview_site_name"),
        title=_first_text(card, ".link_preview_title"),
        description=_first_text(card, ".link_preview_description"),
    )


def _forward(message: LexborNode) -> tuple[str | None, int | None, str | None]:
    """(channel, message id, shown name) of a forward; hidden users give only a name."""
    name_node = message.css_first(".tgme_widget_message_forwarded_from_name")
    if name_node is None:
        return None, None, None
    name = re.sub(r"\s+", " ", name_node.text(deep=True)).strip() or None
    href = name_node.attributes.get("href")
    if not href:
        return None, None, name
    channel, number = _post_ref(href)
    return channel, number, name


def _reply_to(message: LexborNode) -> int | None:
    reply = message.css_first(".tgme_widget_message_reply[href]")
    return _post_ref(reply.attributes.get("href") or "")[1] if reply is not None else None


def _post_ref(href: str) -> tuple[str | None, int | None]:
    """("channel", id) from https://t.me/channel/id (id None for a link to the channel only)."""
    try:
        path = urlsplit(href).path
    except ValueError:                  # "https://[x": not a URL
        return None, None
    segments = [unquote(part) for part in path.split("/") if part]
    if segments and segments[0] == "s":
        segments = segments[1:]
    if not segments:
        return None, None
    number = int(segments[1]) if len(segments) > 1 and _is_id(segments[1]) else None
    return segments[0], number


def _is_id(text: str) -> bool:
    """ASCII digits that fit a store id ("²" is a digit to str.isdigit but not to int)."""
    return text.isascii() and text.isdigit() and int(text) <= MAX_MESSAGE_ID


def _scheme(href: str) -> str:
    try:
        return urlsplit(href).scheme
    except ValueError:
        return ""


def _edited(message: LexborNode) -> bool:
    """The footer says "edited" in its own text (not inside the author's signature)."""
    meta = message.css_first(".tgme_widget_message_meta")
    if meta is None:
        return False
    own = (child.text_content or "" for child in meta.iter(include_text=True) if child.tag == "-text")
    return "edited" in "".join(own).lower()


def _posted_at(message: LexborNode, page_url: str, data_post: str) -> datetime:
    stamp = message.css_first(".tgme_widget_message_date time[datetime]") or message.css_first(
        "time[datetime]"
    )
    if stamp is None:
        raise InputError(page_url, f"post {data_post} has no time[datetime]")
    value = stamp.attributes.get("datetime") or ""
    try:
        when = datetime.fromisoformat(value)
        return when.replace(tzinfo=timezone.utc) if when.tzinfo is None else when.astimezone(timezone.utc)
    except (ValueError, OverflowError):     # OverflowError: no UTC time for 0001-01-01T00:00+05:00
        raise InputError(page_url, f"post {data_post} has a malformed time {value!r}") from None


def _views(message: LexborNode) -> int | None:
    """"1.2K" -> 1200, "10.7M" -> 10700000, "842" -> 842."""
    node = message.css_first(".tgme_widget_message_views")
    match = _VIEWS_RE.search(node.text()) if node is not None else None
    if match is None:
        return None
    try:
        number = Decimal(match.group(1).replace(",", "."))
    except InvalidOperation:
        return None
    return int(number * _VIEW_SCALE[match.group(2).upper()])


def _before_cursor(tree: LexborHTMLParser, messages: list[LexborNode]) -> int | None:
    """The next older page's cursor: the page's own link, or its smallest id if the link is bare.

    No link at all means the page already shows the channel's first post.
    """
    more = tree.css_first(".tme_messages_more[data-before]")
    if more is None:
        return None
    value = (more.attributes.get("data-before") or "").strip()
    if _is_id(value):
        return int(value)
    ids = [_post_ref("/" + (node.attributes.get("data-post") or ""))[1] for node in messages]
    return min((number for number in ids if number is not None), default=None)


def _page_channel(tree: LexborHTMLParser, page_url: str) -> str:
    username = _first_text(tree, ".tgme_channel_info_header_username").lstrip("@")
    if _CHANNEL_RE.fullmatch(username):
        return username
    from_url = _post_ref(page_url)[0] or ""
    return from_url if _CHANNEL_RE.fullmatch(from_url) else ""


def _first_text(node: LexborHTMLParser | LexborNode, *selectors: str) -> str:
    for selector in selectors:
        found = node.css_first(selector)
        if found is not None:
            text = re.sub(r"\s+", " ", found.text(deep=True)).strip()
            if text:
                return text
    return ""
