"""An article from a page in the Telegram Data Clustering Contest's format.

The contest's pages are Telegram's own rendering of an article: Open Graph metadata in the head
(og:url, og:site_name, og:title, og:description, article:published_time) and one <article> with
an <h1>, an <address> holding <time datetime=…> and the author, then the text as <p> (and
headings, list items, quotes). That structure is read as it is, which is exact and much faster
than finding the main text; a page without it goes through the general extractor.
"""

from __future__ import annotations

from lxml import etree
from lxml.html import HtmlElement, document_fromstring

from newstrace import config
from newstrace.errors import InputError
from newstrace.extract.html import canonical_url, decode_html, extract_article, published_time
from newstrace.extract.language import detect_language
from newstrace.model import Article

_BLOCKS = ("p", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre")


def _text(element: etree._Element | None) -> str:
    return " ".join(element.text_content().split()) if element is not None else ""


def _meta(tree: HtmlElement, name: str) -> str:
    for meta in tree.iter("meta"):
        if (meta.get("property") or meta.get("name") or "").lower() == name:
            return " ".join((meta.get("content") or "").split())
    return ""


def _paragraphs(article: etree._Element) -> list[str]:
    """The text blocks of the <article> in order, a block inside another counted once."""
    found = []
    for element in article.iter(*_BLOCKS):
        if any(parent.tag in _BLOCKS for parent in element.iterancestors()):
            continue
        text = _text(element)
        if text:
            found.append(text)
    return found


def file_url(name: str) -> str:
    """Where a page with no og:url is said to live: its file name, so that two such files stay
    two articles."""
    return f"file:///tgnews/{name}"


def parse_page(raw: bytes, name: str) -> Article:
    """The article of one contest page called `name`; InputError naming the file when it is not
    an HTML page or has no text."""
    if not raw.strip():
        raise InputError(name, "empty file")
    text, warnings = decode_html(raw, name)
    try:
        tree = document_fromstring(text)
    except (ValueError, etree.LxmlError) as exc:
        raise InputError(name, f"unparseable HTML ({exc})") from None
    url = _meta(tree, "og:url") or file_url(name)
    article = next(tree.iter("article"), None)
    paragraphs = _paragraphs(article) if article is not None else []
    if not paragraphs:
        try:
            return extract_article(raw, url)
        except InputError as error:
            raise InputError(name, error.problem) from None
    title = _meta(tree, "og:title") or _text(next(article.iter("h1"), None)) or _text(tree.find(".//title"))
    stamp = next((time.get("datetime") for time in article.iter("time") if time.get("datetime")), None)
    published_at = published_time(tree, stamp)
    if published_at is None:
        warnings.append("no publication date found")
    sample = "\n".join([title, *paragraphs])[: config.LANGUAGE_SAMPLE_CHARS]
    author = next((_text(a) for a in article.iter("a") if a.get("rel") == "author"), "")
    return Article(
        url=url,
        title=title,
        paragraphs=paragraphs,
        canonical_url=canonical_url(tree, url),
        author=author or None,
        published_at=published_at,
        language=detect_language(sample),
        site_name=_meta(tree, "og:site_name") or None,
        description=_meta(tree, "og:description") or None,
        raw=raw,
        raw_type="text/html",
        warnings=warnings,
    )
