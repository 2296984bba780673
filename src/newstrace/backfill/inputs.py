"""What a backfill reads: each input's kind told from its path and contents, parsed on the driver
into posts, articles and raw HTML pages (extracted later, in process or on Ray workers).

Everything is parsed before anything is written, so a bad input stops the run with one error
naming the file and the problem, and the store is left as it was.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from newstrace.collect.telegram_export import parse_exports
from newstrace.collect.telethon_json import parse_telethon_json
from newstrace.errors import InputError
from newstrace.evaluate import read_jsonl, task_article, task_post
from newstrace.extract.html import extract_article
from newstrace.extract.urls import urls_in_text
from newstrace.ingest import read_input
from newstrace.model import Article, Link, Post

KINDS = ("telegram-export", "telegram-json", "posts-jsonl", "articles-jsonl", "html-folder")
HTML_SUFFIXES = (".html", ".htm", ".html.gz", ".htm.gz")


@dataclass
class Page:
    """A saved article page, extracted later; its URL is where it was published, when known."""

    path: str
    url: str
    raw: bytes


def extract_page(page: Page) -> Article:
    """A page's article, or an InputError naming the page's file; a page read from a file is
    known by the canonical URL it declares, when it declares one."""
    try:
        article = extract_article(page.raw, page.url)
    except InputError as error:
        raise InputError(page.path, error.problem) from None
    if article.url.startswith("file:") and article.canonical_url:
        article.url = article.canonical_url
    return article


@dataclass
class Source:
    """One input, parsed: posts (with the channel title an export gives), articles, or pages."""

    path: str
    kind: str
    posts: list[tuple[list[Post], str | None]] = field(default_factory=list)
    articles: list[Article] = field(default_factory=list)
    pages: list[Page] = field(default_factory=list)


def detect_kind(path: str) -> str:
    """The kind of an input: a folder of HTML pages, a .jsonl of posts or of articles (told by the
    fields of its first row), a Telegram Desktop result.json (an object) or a Telethon dump (a list)."""
    file = Path(path)
    if file.is_dir():
        return "html-folder"
    if not file.exists():
        raise InputError(path, "no such file")
    if file.suffix == ".jsonl":
        rows = read_jsonl(path)
        if not rows:
            raise InputError(path, "no rows")
        return _jsonl_kind(path, rows[0])
    if file.suffix == ".json":
        head = read_input(path)[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
        if head == b"{":
            return "telegram-export"
        if head == b"[":
            return "telegram-json"
        raise InputError(path, "not a JSON object (Telegram Desktop export) or list (Telethon dump)")
    raise InputError(path, f"cannot tell what this is; name it with --kind ({', '.join(KINDS)})")


def _jsonl_kind(path: str, row: Any) -> str:
    if not isinstance(row, dict):
        raise InputError(path, "row 1: not a JSON object")
    if "channel" in row or "message_id" in row:
        return "posts-jsonl"
    if "url" in row:
        return "articles-jsonl"
    raise InputError(path, "row 1 has neither 'channel' (posts) nor 'url' (articles)")


def read_source(path: str, kind: str | None = None) -> Source:
    """One input parsed into posts, articles or pages, or an InputError naming it."""
    kind = kind or detect_kind(path)
    source = Source(path, kind)
    if kind == "html-folder":
        source.pages = _pages(path)
    elif kind == "telegram-export":
        source.posts = [(chat.posts, chat.channel_title) for chat in parse_exports(read_input(path), path)]
    elif kind == "telegram-json":
        source.posts = [(parse_telethon_json(read_input(path), path), None)]
    elif kind == "posts-jsonl":
        source.posts = [([_post(path, number, row) for number, row in enumerate(read_jsonl(path), start=1)], None)]
    elif kind == "articles-jsonl":
        source.articles = [_article(path, number, row) for number, row in enumerate(read_jsonl(path), start=1)]
    else:
        raise InputError(path, f"unknown kind {kind!r} (use one of {', '.join(KINDS)})")
    return source


def _pages(folder: str) -> list[Page]:
    """The folder's HTML pages, by name; a page's URL is its file:// address (extraction reads
    the canonical URL from the page itself, and the store keys the article by it)."""
    root = Path(folder)
    if not root.is_dir():
        raise InputError(folder, "not a folder of HTML pages")
    files = sorted(path for path in root.rglob("*") if path.is_file() and path.name.lower().endswith(HTML_SUFFIXES))
    if not files:
        raise InputError(folder, f"no HTML pages ({', '.join(HTML_SUFFIXES)}) in this folder")
    return [Page(str(file), file.resolve().as_uri(), read_input(file)) for file in files]


def _row(path: str, number: int, row: Any, needed: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(row, dict):
        raise InputError(path, f"row {number}: not a JSON object")
    missing = [name for name in needed if not row.get(name)]
    if missing:
        raise InputError(path, f"row {number}: no {', '.join(missing)}")
    return row


def _post(path: str, number: int, row: Any) -> Post:
    """A post row: `channel` and `message_id` name a real post (bare URLs in its text become its
    links); rows without `message_id` (evaluation tasks) are numbered by row as `newstrace eval` does."""
    row = _row(path, number, row, ("channel",))
    if "message_id" not in row:
        return task_post(number, row)
    try:
        message_id = int(row["message_id"])
    except (TypeError, ValueError):
        raise InputError(path, f"row {number}: message_id is not a number") from None
    post = task_post(message_id, row)
    post.channel, post.channel_title = str(row["channel"]).lstrip("@").lower(), row.get("channel_title")
    post.links, post.collected_via = [Link(url, url, "text") for url in urls_in_text(post.text)], "backfill"
    return post


def _article(path: str, number: int, row: Any) -> Article:
    """An article row (evaluation tasks or events items: url, title, text, lang, published_at or date)."""
    row = _row(path, number, row, ("url",))
    if not isinstance(row.get("text") or "", str):
        raise InputError(path, f"row {number}: text is not a string")
    return task_article({**row, "published_at": row.get("published_at") or row.get("date")})
