"""Articles from web pages a browser printed to PDF ("Print to PDF" / "Save as PDF").

A printed page carries browser furniture on every sheet: a header (print date and time, page
title) and a footer (page URL, "1/3"). These are recognised by where they sit (a thin band at the
top or bottom of the sheet) and by either repeating on several sheets or looking like what
browsers print there (a date and time, a URL, "n/m"); they are then dropped from the text but used
for the article's URL, title and, failing better, date. Lines are grouped into paragraphs by the
vertical gap between them, first-line indents and font size; words a browser broke inside (long
URLs) are rejoined. Link annotations become links, those of a "Related article: ..." paragraph
related links.
"""

from __future__ import annotations

import io
import re
import statistics
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import pdfplumber

from newstrace import config
from newstrace.errors import InputError
from newstrace.extract.language import detect_language
from newstrace.extract.urls import url_date
from newstrace.model import Article, Link

_PRINT_TIME = re.compile(r"^\d{1,4}[./-]\d{1,2}[./-]\d{1,4},?\s+\d{1,2}:\d{2}(\s*[AP]M)?$", re.I)
_PAGE_NUMBER = re.compile(r"^(?:page\s+)?\d{1,4}\s*(?:/|of)\s*\d{1,4}$", re.I)
_URL = re.compile(r"^(?:https?|file)://\S+$")
_URLISH = re.compile(r"(?:https?://|www\.)\S+$")
_URL_CHARS = re.compile(r"^[\w\-.~:/?#\[\]@!$&'()*+,;=%]+")
_TITLE_SITE = re.compile(r"^(?P<title>.+?)\s+(?:-|\||—|–|::)\s+(?P<site>[^-|—–]{2,60})$")
_BYLINE = re.compile(r"^By\s+([A-Z][\w'’.-]+(?:\s+[A-Z][\w'’.-]+){0,3})$")
_SENTENCE_END = (".", "!", "?", ":", "\u201d", '"', "»", ")", "…")
_SPACES = str.maketrans({"\u00a0": " ", "\u202f": " ", "\u2009": " "})


@dataclass
class _Line:
    """One printed line (or, for header/footer lines, one segment of it)."""

    page: int
    page_height: float
    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float
    chars: list[dict[str, Any]] = field(default_factory=list)
    paragraph: int = -1


@dataclass
class _Chrome:
    """What the browser printed around the page."""

    title: str = ""
    printed: str = ""
    url: str = ""


def _open(data: bytes, source: str) -> pdfplumber.PDF:
    if not data:
        raise InputError(source, "empty file, not a PDF")
    if b"%PDF-" not in data[:1024]:
        raise InputError(source, "not a PDF (no %PDF- header)")
    try:
        pdf = pdfplumber.open(io.BytesIO(data))
        _ = pdf.pages
        return pdf
    except Exception as exc:      # pdfminer raises many unrelated types for broken files
        raise InputError(source, _problem(exc)) from None


def _problem(exc: Exception) -> str:
    names = f"{type(exc).__name__} {exc!r}"
    if "Password" in names or "Encrypt" in names:
        return "the PDF is encrypted (it needs a password)"
    return f"damaged or truncated PDF ({type(exc).__name__})"


def _lines(page: Any, number: int) -> list[_Line]:
    """The page's text lines, inside the sheet, top to bottom."""
    lines = []
    for raw in page.extract_text_lines(strip=True, return_chars=True):
        chars = [c for c in raw["chars"] if 0 <= c["top"] and c["bottom"] <= page.height + 0.5
                 and 0 <= c["x0"] and c["x1"] <= page.width + 0.5]
        if not "".join(c["text"] for c in chars).strip():
            continue
        line = _Line(page=number, page_height=float(page.height), text=raw["text"].translate(_SPACES), x0=chars[0]["x0"],
                     x1=chars[-1]["x1"], top=min(c["top"] for c in chars),
                     bottom=max(c["bottom"] for c in chars),
                     size=statistics.median(c["size"] for c in chars), chars=chars)
        if len(chars) < len(raw["chars"]):        # part of the line lies off the sheet
            line.text = " ".join(_runs(line.chars))
        lines.append(line)
    return lines


def _runs(chars: list[dict[str, Any]]) -> list[str]:
    """The characters as text, spaces put back at word gaps, cut at gaps wider than
    PDF_SEGMENT_GAP_EM (a header "date      title" gives two runs)."""
    parts, current, last = [], "", None
    for char in chars:
        if last is not None:
            gap = char["x0"] - last["x1"]
            if gap > config.PDF_SEGMENT_GAP_EM * char["size"]:
                parts.append(current)
                current = ""
            elif gap > 0.15 * char["size"] and not current.endswith(" "):
                current += " "
        current += char["text"]
        last = char
    parts.append(current)
    return [p.translate(_SPACES).strip() for p in parts if p.strip()]


def _looks_like_chrome(segments: list[str]) -> bool:
    return any(_PRINT_TIME.match(s) or _PAGE_NUMBER.match(s) or _URL.match(s) for s in segments)


def _shape(text: str) -> str:
    return re.sub(r"\d+", "#", text)


def _split_chrome(pages: list[tuple[Any, list[_Line]]]) -> tuple[list[_Line], _Chrome]:
    """Body lines and the browser's header/footer facts.

    Only a sheet's first and last lines can be furniture, and only inside the top/bottom band.
    """
    in_band: list[_Line] = []
    shapes: dict[str, set[int]] = {}
    for page, lines in pages:
        band = config.PDF_CHROME_BAND * page.height
        if not lines:
            continue
        top, bottom = min(lines, key=lambda x: x.top), max(lines, key=lambda x: x.bottom)
        for line in {id(top): top, id(bottom): bottom}.values():     # the sheet's outermost lines
            if line.top < band or line.bottom > page.height - band:
                in_band.append(line)
                shapes.setdefault(_shape(line.text), set()).add(line.page)
    chrome, dropped = _Chrome(), set()
    for line in in_band:
        segments = _runs(line.chars)
        repeated = len(pages) > 1 and len(shapes[_shape(line.text)]) > 1
        if not (repeated or _looks_like_chrome(segments)):
            continue
        dropped.add(id(line))
        # the page title is the free text of a top line that also holds a print time or URL
        # (Chrome: time | title; Firefox: title | URL); a site's own running head is not it
        browser_line = any(_PRINT_TIME.match(s) or _URL.match(s) for s in segments)
        for segment in segments:
            if _PRINT_TIME.match(segment):
                chrome.printed = chrome.printed or segment
            elif _URL.match(segment) and not segment.endswith("…"):
                chrome.url = chrome.url or segment
            elif (browser_line and not _PAGE_NUMBER.match(segment)
                  and line.bottom < 0.5 * line.page_height):
                chrome.title = chrome.title or segment
    body = [line for _, lines in pages for line in lines if id(line) not in dropped]
    return body, chrome


def _leading(lines: list[_Line]) -> dict[float, float]:
    """The usual line step for each font size: the most common step between two lines of that
    size, among steps short enough to be a plain line break (under two font sizes)."""
    steps: dict[float, list[float]] = {}
    for prev, line in zip(lines, lines[1:]):
        step = line.top - prev.top
        if prev.page == line.page and abs(prev.size - line.size) < 0.5 and 0 < step < 2 * line.size:
            steps.setdefault(round(line.size), []).append(round(step, 1))
    return {size: statistics.mode(values) for size, values in steps.items()}


def _starts_paragraph(prev: _Line, line: _Line, leading: dict[float, float]) -> bool:
    if abs(prev.size - line.size) >= 0.5:
        return True
    if line.x0 > prev.x0 + config.PDF_INDENT_PT:
        return True
    if prev.page != line.page:
        return prev.text.endswith(_SENTENCE_END) or not line.text[:1].islower()
    usual = leading.get(round(line.size), line.size * 1.5)
    return line.top - prev.top > usual * config.PDF_PARAGRAPH_STEP


def _broken_url(prev: _Line, line: _Line, right_edge: float) -> bool:
    """Whether a URL too long for a line was broken inside it.

    Browsers (``overflow-wrap: break-word``) move a long URL to a line of its own and break it
    only where it still overflows, so the piece before the break fills a line by itself.
    """
    alone = " " not in prev.text.strip() and _URLISH.search(prev.text) is not None
    full = prev.x1 >= right_edge - 3 * prev.size
    return alone and full and _URL_CHARS.match(line.text) is not None


def _join(text: str, prev: _Line, line: _Line, right_edge: float) -> str:
    if text.endswith("\u00ad"):
        return text[:-1] + line.text
    if _broken_url(prev, line, right_edge):
        return text + line.text
    if re.search(r"[^\W\d_]-$", text) and line.text[:1].isalpha():
        return text + line.text          # browsers break compounds after their hyphen
    return f"{text} {line.text}"


def _paragraphs(lines: list[_Line]) -> list[str]:
    leading = _leading(lines)
    right_edge = max(line.x1 for line in lines)
    paragraphs: list[str] = []
    prev: _Line | None = None
    for line in lines:
        if prev is None or _starts_paragraph(prev, line, leading):
            paragraphs.append(line.text)
        else:
            paragraphs[-1] = _join(paragraphs[-1], prev, line, right_edge)
        line.paragraph = len(paragraphs) - 1
        prev = line
    return [re.sub(r"[ \t]+", " ", p).strip() for p in paragraphs]


def _anchor(line: _Line, link: dict[str, Any]) -> str:
    chars = [c for c in line.chars
             if link["x0"] - 1 <= (c["x0"] + c["x1"]) / 2 <= link["x1"] + 1
             and link["top"] - 1 <= (c["top"] + c["bottom"]) / 2 <= link["bottom"] + 1]
    return " ".join(_runs(chars))


def _links(pdf: pdfplumber.PDF, body: list[_Line], paragraphs: list[str]) -> list[Link]:
    """Link annotations over body text; pieces of one link on consecutive lines are merged."""
    found: list[tuple[int, Link]] = []
    for number, page in enumerate(pdf.pages):
        page_lines = [line for line in body if line.page == number]
        for link in page.hyperlinks:
            uri = link.get("uri")
            if not uri:
                continue
            hits = [(line, _anchor(line, link)) for line in page_lines]
            hits = [(line, text) for line, text in hits if text]
            if not hits:
                continue
            line, anchor = hits[0]
            if found and found[-1][0] == line.paragraph and found[-1][1].url == uri:
                previous = found[-1][1]
                glue = "" if _URLISH.search(previous.anchor) and " " not in previous.anchor else " "
                previous.anchor += glue + anchor
                continue
            lead = paragraphs[line.paragraph].lower()
            kind = "related" if any(lead.startswith(m) for m in config.RELATED_LEADS) else "annotation"
            found.append((line.paragraph, Link(url=uri, anchor=anchor, kind=kind)))
    return [link for _, link in found]


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text)


def _headline_cut(first: str, title: str, url: str) -> str | None:
    """The lost start of the headline when the text opens with the end of it, else None."""
    text = _words(first.lower())
    slug = re.sub(r"-a?\d+$", "", url.rstrip("/").rsplit("/", 1)[-1]).replace("-", " ")
    for shown in (_words(title), _words(slug)):
        candidate = [word.lower() for word in shown]
        if not candidate or not text or text[: len(candidate)] == candidate:
            continue
        for start in range(1, len(candidate)):
            tail = candidate[start:]
            reaches_end = text[: len(tail)] == tail
            if reaches_end or (len(tail) >= 3 and text[:3] == tail[:3]):
                return " ".join(shown[:start])
    return None


def _print_date(printed: str) -> datetime | None:
    for pattern in config.PDF_PRINT_DATE_FORMATS:
        try:
            return datetime.strptime(printed, pattern).replace(tzinfo=timezone.utc)
        except ValueError:
            continue
    return None


def parse_pdf(data: bytes, source: str, *, url: str | None = None) -> Article:
    """The article in a browser-printed PDF; ``url`` overrides the URL read from its footer."""
    pdf = _open(data, source)
    try:
        pages = [(page, _lines(page, number)) for number, page in enumerate(pdf.pages)]
        body, chrome = _split_chrome(pages)
        if not body:
            raise InputError(source, "no text in the PDF (a scan or an empty page?)")
        paragraphs = _paragraphs(body)
        links = _links(pdf, body, paragraphs)
    except InputError:
        raise
    except Exception as exc:
        raise InputError(source, _problem(exc)) from None
    finally:
        pdf.close()

    warnings: list[str] = []
    page_url = url or chrome.url
    if not page_url:
        warnings.append("no page URL given or printed in the footer")
    title, site = chrome.title, None
    if match := _TITLE_SITE.match(title):
        title, site = match.group("title"), match.group("site")
    title = title or paragraphs[0]
    lost = _headline_cut(paragraphs[0], title, page_url)
    if lost:
        warnings.append(f"text extraction lost the start of the headline: the text opens with "
                        f"{paragraphs[0]!r}, missing about {lost!r}")
    published = None
    if page_url and (day := url_date(page_url)):
        published = datetime.fromisoformat(day).replace(tzinfo=timezone.utc)
    elif chrome.printed and (published := _print_date(chrome.printed)):
        warnings.append("publication date unknown: using the date the page was printed")
    author = next((m.group(1) for p in paragraphs[:5] if (m := _BYLINE.match(p))), None)
    return Article(
        url=page_url or source,
        title=title,
        paragraphs=paragraphs,
        canonical_url=page_url or None,
        author=author,
        published_at=published,
        language=detect_language(" ".join([title, *paragraphs])[: config.LANGUAGE_SAMPLE_CHARS]),
        site_name=site,
        links=links,
        raw=data,
        raw_type="application/pdf",
        warnings=warnings,
    )
