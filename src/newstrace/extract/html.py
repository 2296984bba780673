"""Article from an HTML page: main text as paragraphs, metadata, links, language.

trafilatura finds the main text and the metadata (htmldate for the date); this module decodes the
bytes first, because trafilatura ignores the HTTP charset and the page's <meta charset> and only
guesses, which garbles windows-1251 pages often enough to matter. The publication time comes from
the page's structured data (JSON-LD ``datePublished``, ``article:published_time``) when present,
since htmldate keeps only the day.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterator
from datetime import datetime, timezone
from email.message import Message
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import trafilatura
from charset_normalizer import from_bytes
from lxml import etree
from lxml.html import HtmlElement
from trafilatura.utils import handle_compressed_file, load_html

from newstrace import config
from newstrace.errors import InputError
from newstrace.extract.language import detect_language
from newstrace.extract.links import article_links, drop_inert_hrefs
from newstrace.model import Article

_META_CHARSET = re.compile(rb"""<meta[^>]+?charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.I)
_MARKUP = re.compile(r"<\s*(?:!doctype|html|head|body|meta|title|div|p|article|main|\w+[^>]*>)", re.I)
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_BINARY_MAGIC = {b"%PDF-": "a PDF file", b"\x89PNG": "a PNG image", b"GIF8": "a GIF image",
                 b"\xff\xd8\xff": "a JPEG image", b"PK\x03\x04": "a ZIP archive", b"RIFF": "a RIFF file"}
# HTML labels that browsers read as windows-1252 (the WHATWG encoding standard)
_LABEL_ALIASES = {"iso-8859-1": "cp1252", "latin1": "cp1252", "latin-1": "cp1252", "us-ascii": "cp1252",
                  "ascii": "cp1252", "x-cp1251": "cp1251", "win-1251": "cp1251"}
_DATE_KEYS = ("article:published_time", "og:published_time", "datepublished", "pubdate", "publishdate",
              "publish-date", "dc.date.issued", "sailthru.date", "parsely-pub-date")
_WS = re.compile(r"[ \t\r\n\f\v\u00a0]+")


def extract_article(raw: bytes, url: str, *, content_type: str | None = None) -> Article:
    """The article of an HTML page; content_type is the HTTP Content-Type header, if any.

    Raises InputError for empty, binary or non-HTML input and for pages with no main text.
    """
    if not raw.strip():
        raise InputError(url, "empty page")
    if _join(url, "") is None:
        raise InputError(url, "not a valid URL")
    media_type, http_charset = _parse_content_type(content_type)
    if media_type and media_type not in config.HTML_CONTENT_TYPES + config.SNIFFED_CONTENT_TYPES:
        raise InputError(url, f"not an HTML page (content type {media_type})")
    data = handle_compressed_file(raw, config.MAX_RESPONSE_BYTES)
    text, warnings = decode_html(data, url, http_charset)
    tree = _parse(text, url)
    drop_inert_hrefs(tree, url)
    document = _extract(tree, url)
    paragraphs = body_paragraphs(document.body)
    if sum(len(paragraph) for paragraph in paragraphs) < config.MIN_ARTICLE_CHARS:
        raise InputError(url, "no article text found on the page")
    published_at = published_time(tree, document.date)
    if published_at is None:
        warnings.append("no publication date found")
    sample = "\n".join([document.title or "", *paragraphs])[: config.LANGUAGE_SAMPLE_CHARS]
    return Article(
        url=url,
        title=_clean(document.title),
        paragraphs=paragraphs,
        canonical_url=canonical_url(tree, url),
        author=_clean(document.author) or None,
        published_at=published_at,
        language=detect_language(sample) or _html_lang(tree),
        site_name=_clean(document.sitename) or None,
        description=_clean(document.description) or None,
        links=article_links(document.body, tree, url),
        raw=raw,
        raw_type="text/html",
        warnings=warnings,
    )


def _parse_content_type(content_type: str | None) -> tuple[str | None, str | None]:
    """(media type, charset) of a Content-Type header value."""
    if not content_type or not content_type.strip():
        return None, None
    message = Message()
    message["content-type"] = content_type
    charset = message.get_param("charset")
    return message.get_content_type(), charset if isinstance(charset, str) else None


def _codec(label: str | None) -> str | None:
    """Python's codec name for a charset label, None when unknown."""
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    label = _LABEL_ALIASES.get(label, label)
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def decode_html(data: bytes, source: str, http_charset: str | None = None) -> tuple[str, list[str]]:
    """The page as text, and warnings about its declared charset.

    Order: byte-order mark; valid UTF-8 (a page that decodes as UTF-8 and has non-ASCII bytes is
    UTF-8 whatever it declares); the HTTP charset; the <meta charset>; charset-normalizer's guess.
    A declared charset that fails to decode the bytes is skipped with a warning.
    """
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return data.decode(codec, errors="replace"), []
    head = data[: config.HTML_SNIFF_BYTES]
    for magic, kind in _BINARY_MAGIC.items():
        if head.startswith(magic):
            raise InputError(source, f"{kind}, not an HTML page")
    if b"\x00" in head:
        raise InputError(source, "binary data, not an HTML page")
    try:
        return data.decode("utf-8"), []
    except UnicodeDecodeError:
        pass
    warnings = []
    meta = _META_CHARSET.search(head)
    for origin, label in (("HTTP", http_charset), ("meta", meta.group(1).decode("ascii") if meta else None)):
        codec = _codec(label)
        if label and codec is None:
            warnings.append(f"unknown charset {label!r} declared in {origin}")
        if codec is None or codec == "utf-8":
            continue
        try:
            return data.decode(codec), warnings
        except UnicodeDecodeError:
            warnings.append(f"page does not decode as its declared {origin} charset {label!r}")
    guess = from_bytes(data).best()
    if guess is None:
        raise InputError(source, "binary data or unknown text encoding, not an HTML page")
    warnings.append(f"charset guessed as {guess.encoding}")
    return str(guess), warnings


def _parse(text: str, url: str) -> HtmlElement:
    if not _MARKUP.search(text[: config.HTML_SNIFF_BYTES]):
        raise InputError(url, "no HTML markup, not an HTML page")
    try:
        tree = load_html(text)
    except (ValueError, TypeError, etree.LxmlError) as exc:
        raise InputError(url, f"unparseable HTML ({exc})") from None
    if tree is None:
        raise InputError(url, "unparseable HTML")
    return tree


def _extract(tree: HtmlElement, url: str) -> trafilatura.settings.Document:
    """trafilatura's document (body tree and metadata); it works on a copy of the tree."""
    try:
        document = trafilatura.bare_extraction(
            tree, url=url, favor_precision=config.FAVOR_PRECISION, include_comments=False,
            include_links=True, include_tables=True, with_metadata=True,
        )
    except (ValueError, TypeError, etree.LxmlError, RecursionError) as exc:
        raise InputError(url, f"article extraction failed ({exc})") from None
    if document is None or document.body is None:
        raise InputError(url, "no article text found on the page")
    return document


def _clean(text: str | None) -> str:
    return _WS.sub(" ", text or "").strip()


def _element_text(element: etree._Element) -> str:
    """Text of a body element, line breaks (``<lb/>``) read as spaces."""
    parts = [element.text or ""]
    for child in element:
        if child.tag == "lb":
            parts.append(" ")
        else:
            parts.append(_element_text(child))
        parts.append(child.tail or "")
    return "".join(parts)


def _blocks(body: etree._Element) -> Iterator[etree._Element]:
    """The body's paragraph-level elements in order: lists give items, tables rows, quotes paragraphs."""
    for element in body:
        if element.tag == "list":
            yield from element.iter("item")
        elif element.tag == "table":
            yield from element.iter("row")
        elif element.tag == "quote" and len(element) and all(child.tag == "p" for child in element):
            yield from element
        elif element.tag != "graphic":
            yield element


def body_paragraphs(body: etree._Element | None) -> list[str]:
    """The article's paragraphs, in order, whitespace normalised."""
    if body is None:
        return []
    paragraphs = []
    for block in _blocks(body):
        if block.tag == "row":
            text = " | ".join(_clean(_element_text(cell)) for cell in block if _clean(_element_text(cell)))
        else:
            text = _clean(_element_text(block))
        if len(text) >= config.MIN_PARAGRAPH_CHARS:
            paragraphs.append(text)
    return paragraphs


def canonical_url(tree: HtmlElement, url: str) -> str | None:
    """<link rel=canonical>, else og:url, made absolute against the page URL (one that is no
    URL at all, such as "http://[x", is skipped)."""
    for link in tree.iter("link"):
        if "canonical" in (link.get("rel") or "").lower().split() and (link.get("href") or "").strip():
            if joined := _join(url, link.get("href").strip()):
                return joined
    for meta in tree.iter("meta"):
        if (meta.get("property") or meta.get("name") or "").lower() == "og:url" and (meta.get("content") or "").strip():
            if joined := _join(url, meta.get("content").strip()):
                return joined
    return None


def _join(base: str, href: str) -> str | None:
    try:
        joined = urljoin(base, href)
        urlsplit(joined).port           # raises for a port out of range
        return joined
    except ValueError:
        return None


def _json_ld_dates(tree: HtmlElement) -> Iterator[str]:
    """datePublished values of the page's JSON-LD, articles first."""
    def walk(node: Any) -> Iterator[dict]:
        if isinstance(node, dict):
            yield node
            for value in node.values():
                yield from walk(value)
        elif isinstance(node, list):
            for value in node:
                yield from walk(value)

    found: list[tuple[int, str]] = []
    for script in tree.iter("script"):
        if (script.get("type") or "").lower() != "application/ld+json" or not script.text:
            continue
        try:
            data = json.loads(script.text)
        except ValueError:
            continue
        for node in walk(data):
            value = node.get("datePublished")
            if isinstance(value, str):
                kind = node.get("@type")
                kinds = " ".join(kind) if isinstance(kind, list) else str(kind or "")
                found.append((0 if "Article" in kinds or "Posting" in kinds else 1, value))
    yield from (value for _, value in sorted(found, key=lambda item: item[0]))


def _meta_dates(tree: HtmlElement) -> Iterator[str]:
    for element in tree.iter("meta", "time", "span", "div"):
        key = (element.get("property") or element.get("name") or element.get("itemprop") or "").lower()
        if key in _DATE_KEYS:
            value = element.get("content") or element.get("datetime")
            if value:
                yield value


def plausible_date(moment: datetime) -> bool:
    """A publication date a news page can have: placeholders such as 0001-01-01 are not dates."""
    return config.EARLIEST_PUBLICATION_YEAR <= moment.year <= datetime.now(timezone.utc).year + 1


def _to_utc(value: str) -> datetime | None:
    """An ISO 8601 or RFC 2822 ("Thu, 07 Aug 2025 09:30:00 GMT") timestamp in UTC, if plausible."""
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        try:
            parsed = parsedate_to_datetime(value.strip())
        except (TypeError, ValueError, IndexError):
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    try:
        parsed = parsed.astimezone(timezone.utc)
    except OverflowError:           # 0001-01-01T00:00+05:00 has no UTC time
        return None
    return parsed if plausible_date(parsed) else None


def published_time(tree: HtmlElement, day: str | None) -> datetime | None:
    """When the page says it was published, in UTC.

    A full timestamp from JSON-LD or meta tags wins (a timestamp without offset is taken as UTC);
    otherwise the day htmldate found, at midnight UTC.
    """
    for value in (*_json_ld_dates(tree), *_meta_dates(tree)):
        stamp = _to_utc(value)
        if stamp is not None:
            return stamp
    return _to_utc(day) if day else None


def _html_lang(tree: HtmlElement) -> str | None:
    """Primary subtag of <html lang>, the page's own claim, used when detection abstains."""
    lang = (tree.get("lang") or "").strip().lower()
    primary = lang.split("-")[0].split("_")[0]
    return primary if len(primary) == 2 and primary.isalpha() else None
