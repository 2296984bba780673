"""Articles from the web: one page by URL, and the article URLs an RSS/Atom feed or a sitemap lists.

Feeds and sitemaps are parsed as XML with lxml (entities and network off), strictly: a truncated
or broken feed is reported, not half-read. Element names are matched without their namespace so
that RSS 2.0, RSS 1.0 (RDF), Atom and sitemaps from any generator read the same way.
"""

from __future__ import annotations

import json
from urllib.parse import urljoin

from lxml import etree
from trafilatura.utils import handle_compressed_file

from newstrace import config
from newstrace.collect.http import Fetcher
from newstrace.collect.pdf import parse_pdf
from newstrace.errors import InputError
from newstrace.extract.html import extract_article
from newstrace.model import Article

def collect_url(fetcher: Fetcher, url: str) -> Article:
    """Fetch one article page (HTML or PDF) and extract it; Article.url is the address after
    redirects and the address asked for stays a key of the article.

    Raises FetchError when the page cannot be fetched, InputError when it is no article page.
    """
    response = fetcher.get(url)
    if response.content_type == "application/pdf" or response.content.startswith(b"%PDF-"):
        article = parse_pdf(response.content, response.url, url=response.url)
    else:
        article = extract_article(response.content, response.url,
                                  content_type=response.headers.get("content-type"))
    if response.url != url:
        article.warnings.append(f"redirected from {url}")
        article.aliases.append(url)
    return article


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname.lower() if isinstance(element.tag, str) else ""


def _children(element: etree._Element, name: str) -> list[etree._Element]:
    return [child for child in element if _local(child) == name]


def _parse_xml(data: bytes, source: str, what: str) -> etree._Element:
    data = handle_compressed_file(data, config.MAX_RESPONSE_BYTES).strip()
    if not data:
        raise InputError(source, f"empty {what}")
    try:
        parser = etree.XMLParser(resolve_entities=False, no_network=True, recover=False, huge_tree=False)
        return etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise InputError(source, f"malformed {what}: {exc.msg}") from None


def _absolute(href: object, base: str) -> str | None:
    """href made absolute against base; None when it is no http(s) URL (or no string at all, as a
    JSON feed may give)."""
    href = href.strip() if isinstance(href, str) else ""
    if not href:
        return None
    try:
        url = urljoin(base, href)
    except ValueError:              # "http://[x": an unclosed IPv6 host
        return None
    return url if url.lower().startswith(("http://", "https://")) else None


def _with_base(base: str, element: etree._Element) -> str:
    """base moved by the element's xml:base, when that is a URL at all."""
    try:
        return urljoin(base, element.get("{http://www.w3.org/XML/1998/namespace}base") or "")
    except ValueError:
        return base


def _unique(urls: list[str | None]) -> list[str]:
    return list(dict.fromkeys(url for url in urls if url))


def _rss_item_url(item: etree._Element, base: str) -> str | None:
    """An RSS item's article URL: FeedBurner's original link, <link>, a permalink <guid>, rdf:about."""
    for name in ("origlink", "link"):
        for child in _children(item, name):
            url = _absolute(child.text, base)
            if url:
                return url
    for guid in _children(item, "guid"):
        if (guid.get("isPermaLink") or "true").lower() != "false":
            url = _absolute(guid.text, base)
            if url:
                return url
    return _absolute(item.get("{http://www.w3.org/1999/02/22-rdf-syntax-ns#}about"), base)


def _atom_entry_url(entry: etree._Element, base: str) -> str | None:
    """An Atom entry's rel="alternate" (or rel-less) link, against xml:base when given."""
    base = _with_base(base, entry)
    for link in _children(entry, "link"):
        if (link.get("rel") or "alternate") == "alternate" and (link.get("type") or "text/html").startswith(
            ("text/html", "application/xhtml")
        ):
            url = _absolute(link.get("href"), base)
            if url:
                return url
    return None


def _json_feed_urls(data: bytes, feed_url: str) -> list[str]:
    try:
        feed = json.loads(data)
    except ValueError as exc:
        raise InputError(feed_url, f"malformed JSON feed: {exc}") from None
    if not isinstance(feed, dict) or not isinstance(feed.get("items"), list):
        raise InputError(feed_url, "not a JSON feed (no items list)")
    return _unique([_absolute(item.get("url") or item.get("external_url"), feed_url)
                    for item in feed["items"] if isinstance(item, dict)])


def feed_article_urls(data: bytes, feed_url: str) -> list[str]:
    """Article URLs of an RSS 2.0, RSS 1.0, Atom or JSON feed, in the feed's order, absolute, once each."""
    if data.lstrip()[:1] == b"{":
        return _json_feed_urls(data, feed_url)
    root = _parse_xml(data, feed_url, "feed")
    base = _with_base(feed_url, root)
    kind = _local(root)
    if kind in ("rss", "rdf"):
        channels = _children(root, "channel")
        if not channels:
            raise InputError(feed_url, "malformed feed: RSS without a <channel>")
        # RSS 2.0 nests items in <channel>; RSS 1.0 puts them beside it
        items = [item for parent in (root, *channels) for item in _children(parent, "item")]
        return _unique([_rss_item_url(item, base) for item in items])
    if kind == "feed":
        return _unique([_atom_entry_url(entry, base) for entry in _children(root, "entry")])
    raise InputError(feed_url, f"not an RSS or Atom feed (root element <{kind}>)")


def _sitemap(data: bytes, url: str) -> tuple[bool, list[str]]:
    """(is an index, its <loc>s) of a sitemap."""
    root = _parse_xml(data, url, "sitemap")
    kind = _local(root)
    if kind not in ("urlset", "sitemapindex"):
        raise InputError(url, f"not a sitemap (root element <{kind}>)")
    entry = "url" if kind == "urlset" else "sitemap"
    locs = [_absolute(loc.text, url) for item in _children(root, entry) for loc in _children(item, "loc")]
    return kind == "sitemapindex", _unique(locs)


def sitemap_article_urls(data: bytes, url: str) -> list[str]:
    """The <loc>s of a sitemap (gzipped or not), in order, absolute, once each.

    A sitemap index lists further sitemaps: their URLs are returned (collect_sitemap follows them).
    """
    return _sitemap(data, url)[1]


def collect_feed(fetcher: Fetcher, feed_url: str) -> list[str]:
    """Fetch a feed and list its article URLs."""
    response = fetcher.get(feed_url)
    return feed_article_urls(response.content, response.url)


def collect_sitemap(fetcher: Fetcher, url: str, *, max_files: int = config.SITEMAP_MAX_FILES) -> list[str]:
    """Page URLs of a sitemap, following sitemap indexes breadth-first up to max_files fetches."""
    queue, seen, pages = [url], set(), []
    while queue and len(seen) < max_files:
        current = queue.pop(0)
        if current in seen:
            continue
        seen.add(current)
        response = fetcher.get(current)
        is_index, urls = _sitemap(response.content, response.url)
        if is_index:
            queue.extend(urls)
        else:
            pages.extend(urls)
    return _unique(pages)
