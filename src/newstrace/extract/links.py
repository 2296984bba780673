"""Links of an article page: outgoing links of the body and the page's related-article links.

Outgoing links come from the body trafilatura kept (its ``<ref target>`` elements), so menus,
share buttons and footers are already gone. Related links are looked for on the whole page,
because a precise extraction drops the "Related articles" block: containers whose class, id,
aria-label or heading says related / read more / see also / «Читайте также», and inline
paragraphs such as "Related article: ...". A URL can appear twice, once per kind.
"""

from __future__ import annotations

import re
from urllib.parse import urldefrag, urljoin

from courlan import normalize_url
from lxml import etree
from lxml.html import HtmlElement

from newstrace import config
from newstrace.model import Link

_SKIP_SCHEMES = ("javascript:", "mailto:", "tel:", "data:", "sms:", "whatsapp:", "#")
_CONTAINER_SKIP = {"html", "body", "main", "article", "head"}
_TITLES = {"h1", "h2", "h3", "h4", "h5", "h6"}
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6", "strong", "b", "span", "div", "p", "header"}
_MAX_RELATED_LINKS = 30       # a "related" container bigger than this is a layout wrapper
_MAX_HEADING_CHARS = 40
_WS = re.compile(r"\s+")


def absolute_url(href: str | None, base_url: str) -> str | None:
    """The href made absolute and normalised, or None for script, mail and same-page links."""
    href = (href or "").strip()
    if not href or href.lower().startswith(_SKIP_SCHEMES):
        return None
    try:
        url, _ = urldefrag(urljoin(base_url, href))
    except ValueError:              # "http://[x": an unclosed IPv6 host, no URL
        return None
    if not url.lower().startswith(("http://", "https://")) or url == urldefrag(base_url)[0]:
        return None
    try:
        return normalize_url(url)
    except ValueError:
        return url


def _text(element: etree._Element) -> str:
    return _WS.sub(" ", "".join(element.itertext())).strip()


def _prefix(element: etree._Element, limit: int) -> str:
    """The first ``limit``-odd characters of the element's text, without building all of it."""
    parts, size = [], 0
    for piece in element.itertext():
        parts.append(piece)
        size += len(piece)
        if size > 2 * limit:
            break
    return _WS.sub(" ", "".join(parts)).strip()[: limit + 1]


def _marked(element: HtmlElement) -> bool:
    """Whether the element's class, id or aria-label names a related-articles block."""
    attributes = element.attrib
    if not attributes or element.tag in _CONTAINER_SKIP:
        return False
    label = " ".join((attributes.get("class", ""), attributes.get("id", ""), attributes.get("aria-label", "")))
    label = label.lower()
    return any(marker in label for marker in config.RELATED_MARKERS)


def _is_heading(element: HtmlElement) -> bool:
    """A short element whose whole text is a related-block title ("Читайте также:").

    Only elements without grandchildren are read, so no big wrapper's text is ever built.
    """
    if element.tag not in _HEADINGS or any(len(child) for child in element):
        return False
    text = _prefix(element, _MAX_HEADING_CHARS)
    if len(text) > _MAX_HEADING_CHARS:
        return False
    return text.rstrip(":.").strip().lower() in config.RELATED_MARKERS


def _inline_lead(element: HtmlElement) -> bool:
    """A paragraph opening with "Related article:", "Read more:" or «Читайте также:»."""
    if element.tag not in ("p", "li"):
        return False
    text = _prefix(element, _MAX_HEADING_CHARS).lower()
    return any(text.startswith(lead) and text[len(lead):].lstrip()[:1] in (":", "—", "-")
               for lead in config.RELATED_LEADS)


def _anchors(container: HtmlElement, base_url: str, kind: str) -> list[Link]:
    found = []
    for anchor in container.iter("a"):
        url = absolute_url(anchor.get("href"), base_url)
        if url:
            found.append(Link(url=url, anchor=_text(anchor), kind=kind))
    return found


def _after_heading(heading: HtmlElement, base_url: str) -> list[Link]:
    """Links in the siblings that follow a related-block title, up to the next title.

    When the title is wrapped (``<header><h3>Читайте также</h3></header><ul>...``), the
    wrapper's siblings are read instead.
    """
    element: HtmlElement | None = heading
    while element is not None and element.tag not in _CONTAINER_SKIP:
        links = []
        for sibling in element.itersiblings():
            if isinstance(sibling.tag, str) and sibling.tag in _TITLES:
                break
            links.extend(_anchors(sibling, base_url, "related"))
        if links:
            return links
        element = element.getparent()
    return []


def related_links(tree: HtmlElement, base_url: str) -> list[Link]:
    """Links of the page's related-article blocks and inline "Related article:" paragraphs."""
    groups: list[list[Link]] = []
    for element in tree.iter(etree.Element):
        if _marked(element):
            groups.append(_anchors(element, base_url, "related"))
        elif _is_heading(element):
            groups.append(_after_heading(element, base_url))
        elif _inline_lead(element):
            groups.append(_anchors(element, base_url, "related"))
    return dedupe([link for group in groups if len(group) <= _MAX_RELATED_LINKS for link in group])


def drop_inert_hrefs(tree: HtmlElement, base_url: str) -> None:
    """Remove script, mail and same-page hrefs, which trafilatura would turn into the site's root URL."""
    for anchor in tree.iter("a"):
        if anchor.get("href") is not None and absolute_url(anchor.get("href"), base_url) is None:
            del anchor.attrib["href"]


def body_links(body: etree._Element | None, base_url: str) -> list[Link]:
    """Outgoing links of the extracted body (trafilatura ``<ref target>`` elements)."""
    if body is None:
        return []
    found = []
    for ref in body.iter("ref"):
        url = absolute_url(ref.get("target"), base_url)
        if url:
            found.append(Link(url=url, anchor=_text(ref), kind="outgoing"))
    return found


def dedupe(links: list[Link]) -> list[Link]:
    """First occurrence of each URL, in order; an anchor found later fills an empty one."""
    seen: dict[str, Link] = {}
    for link in links:
        kept = seen.setdefault(link.url, link)
        if not kept.anchor and link.anchor:
            kept.anchor = link.anchor
    return list(seen.values())


def article_links(body: etree._Element | None, tree: HtmlElement, base_url: str) -> list[Link]:
    """Outgoing body links, then related links.

    A URL can be both (a body sentence linking a story the related block lists too); a body link
    with the same URL and anchor as a related one is the inline "Read also:" line and only related.
    """
    related = related_links(tree, base_url)
    inline = {(link.url, link.anchor) for link in related}
    outgoing = [link for link in body_links(body, base_url) if (link.url, link.anchor) not in inline]
    return dedupe(outgoing) + related
