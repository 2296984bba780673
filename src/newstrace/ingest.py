"""Library front of every way data enters the store; each CLI verb of `collect`/`import` calls one.

Each function parses its whole input before it writes, writes in one transaction per page or
file, and finishes by re-running the evidence links, so a bad input leaves the store unchanged
and a repeated input changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from newstrace import config
from newstrace.collect.http import Fetcher
from newstrace.collect.pdf import parse_pdf
from newstrace.collect.telegram_export import parse_export
from newstrace.collect.telegram_web import collect_channel, normalize_channel, parse_preview_page
from newstrace.collect.telethon_json import parse_telethon_json
from newstrace.collect.web import collect_url, feed_article_urls, sitemap_article_urls
from newstrace.errors import InputError, NewstraceError
from newstrace.extract.html import extract_article
from newstrace.match.evidence_links import LinkReport, link_by_evidence
from newstrace.extract.urls import urls_in_text
from newstrace.model import Article, Link, Post
from newstrace.store.core import IngestCounts, Store
from newstrace.stories.posts import leave_post_stories

Progress = Callable[[int], None]


@dataclass
class IngestResult:
    """Counts of one command, the errors it reported and skipped, and what linking decided."""

    posts: IngestCounts = field(default_factory=IngestCounts)
    articles: IngestCounts = field(default_factory=IngestCounts)
    errors: list[NewstraceError] = field(default_factory=list)
    links: LinkReport | None = None

    @property
    def nothing_done(self) -> bool:
        touched = (self.posts.new + self.posts.updated + self.posts.unchanged
                   + self.articles.new + self.articles.updated + self.articles.unchanged)
        return touched == 0 and bool(self.errors)

    def summary(self) -> str:
        parts = []
        if self.posts.new + self.posts.updated + self.posts.unchanged:
            parts.append(f"posts: {self.posts}")
        if self.articles.new + self.articles.updated + self.articles.unchanged:
            parts.append(f"articles: {self.articles}")
        if self.links is not None:
            parts.append(f"links: {self.links}")
        if self.errors:
            parts.append(f"{len(self.errors)} input(s) failed")
        return "; ".join(parts) or "nothing to do"


def read_input(path: str | Path) -> bytes:
    """A file's bytes, or an InputError naming it: missing, a folder, unreadable or too large."""
    file = Path(path)
    try:
        size = file.stat().st_size
        if file.is_dir():
            raise InputError(str(path), "is a folder, not a file")
        if size > config.MAX_FILE_BYTES:
            raise InputError(str(path), f"file is {size} bytes, over the {config.MAX_FILE_BYTES}-byte limit")
        return file.read_bytes()
    except FileNotFoundError:
        raise InputError(str(path), "no such file") from None
    except PermissionError:
        raise InputError(str(path), "permission denied") from None


def _finish(store: Store, result: IngestResult) -> IngestResult:
    """Link what the ingest made linkable by URL or forward; a post so linked leaves its post story."""
    result.links = link_by_evidence(store)
    result.links.stories_changed += leave_post_stories(store)
    return result


def _each(inputs: Iterable[str], result: IngestResult, work: Callable[[str], None],
          progress: Progress | None) -> None:
    for item in inputs:
        try:
            work(item)
        except NewstraceError as error:
            result.errors.append(error)
        if progress:
            progress(1)


def add_posts(store: Store, posts: list[Post], result: IngestResult,
              channel_title: str | None = None) -> None:
    result.posts += store.add_posts(posts, channel_title=channel_title)


def collect_telegram(store: Store, channel: str, *, fetcher: Fetcher, since: datetime | None = None,
                     limit: int | None = None, base_url: str = config.TELEGRAM_BASE_URL,
                     progress: Progress | None = None) -> IngestResult:
    """Read a public channel's web preview, newest first, down to what the store already has.

    Posts are written a page at a time, so an interrupted run keeps what it fetched; the
    channel's high-water mark moves only when a run completes, so the next run fills any gap.
    """
    result = IngestResult()
    name = channel.rstrip("/").split("/")[-1].lstrip("@").lower()
    newest_stored = store.channel_newest_id(name)
    batch: list[Post] = []
    newest_seen: int | None = None
    try:
        for post in collect_channel(fetcher, channel, base_url=base_url, since=since, limit=limit,
                                    newer_than=newest_stored):
            name = post.channel
            newest_seen = max(newest_seen or 0, post.message_id)
            batch.append(post)
            if len(batch) >= config.POST_BATCH:
                add_posts(store, batch, result)
                if progress:
                    progress(len(batch))
                batch = []
    except NewstraceError as error:
        result.errors.append(error)
    if batch:
        add_posts(store, batch, result)
        if progress:
            progress(len(batch))
    if not result.errors:
        store.mark_channel_collected(name, newest_seen or newest_stored)
    return _finish(store, result)


def import_telegram_page(store: Store, paths: Iterable[str], *, progress: Progress | None = None) -> IngestResult:
    """Saved `t.me/s/<channel>` pages, one transaction per page."""
    result = IngestResult()

    def one(path: str) -> None:
        page = parse_preview_page(read_input(path), f"file://{Path(path).resolve()}")
        add_posts(store, page.posts, result, page.channel_title)

    _each(paths, result, one, progress)
    return _finish(store, result)


def import_telegram_export(store: Store, paths: Iterable[str], *, progress: Progress | None = None) -> IngestResult:
    """Telegram Desktop `result.json` exports."""
    result = IngestResult()

    def one(path: str) -> None:
        export = parse_export(read_input(path), path)
        add_posts(store, export.posts, result, export.channel_title)

    _each(paths, result, one, progress)
    return _finish(store, result)


def import_telegram_json(store: Store, paths: Iterable[str], *, channel: str | None = None,
                         progress: Progress | None = None) -> IngestResult:
    """JSON lists of Telethon-dumped messages (markdown text)."""
    result = IngestResult()

    def one(path: str) -> None:
        add_posts(store, parse_telethon_json(read_input(path), path, channel=channel), result)

    _each(paths, result, one, progress)
    return _finish(store, result)


def _add_article(store: Store, article: Article, result: IngestResult) -> None:
    result.articles.add(store.add_article(article)[1])


def import_html(store: Store, path: str, *, url: str) -> IngestResult:
    """A saved article page, with the URL it was published at."""
    result = IngestResult()

    def one(file: str) -> None:
        try:
            article = extract_article(read_input(file), url)
        except InputError as error:
            raise InputError(file, error.problem) from None
        _add_article(store, article, result)

    _each([path], result, one, None)
    return _finish(store, result)


def import_pdf(store: Store, paths: Iterable[str], *, url: str | None = None,
               progress: Progress | None = None) -> IngestResult:
    """Web pages printed to PDF; the URL comes from the printed footer unless given."""
    result = IngestResult()
    _each(paths, result, lambda p: _add_article(store, parse_pdf(read_input(p), p, url=url), result), progress)
    return _finish(store, result)


def collect_urls(store: Store, urls: Iterable[str], *, fetcher: Fetcher,
                 progress: Progress | None = None) -> IngestResult:
    """Fetch and extract article pages."""
    result = IngestResult()
    _each(urls, result, lambda u: _add_article(store, collect_url(fetcher, u), result), progress)
    return _finish(store, result)


def add_article_html(store: Store, html: bytes, *, url: str) -> IngestResult:
    """An article page sent as HTML (the API's ingest), with the URL it was published at."""
    result = IngestResult()
    _each([url], result, lambda u: _add_article(store, extract_article(html, u), result), None)
    return _finish(store, result)


def add_post_text(store: Store, channel: str, message_id: int, text: str, *,
                  posted_at: datetime | None = None) -> IngestResult:
    """One channel post given as text (the API's ingest); its bare URLs become its links."""
    post = Post(normalize_channel(channel).lower(), message_id, posted_at, text,
                links=[Link(url, url, "text") for url in urls_in_text(text)], collected_via="api")
    result = IngestResult()
    add_posts(store, [post], result)
    return _finish(store, result)


def list_feed(fetcher: Fetcher, feed_url: str) -> list[str]:
    """The article URLs an RSS/Atom feed or a sitemap lists, in its order."""
    response = fetcher.get(feed_url)
    head = response.content[:2048].lower()
    if b"<urlset" in head or b"<sitemapindex" in head:
        return sitemap_article_urls(response.content, response.url)
    return feed_article_urls(response.content, response.url)
