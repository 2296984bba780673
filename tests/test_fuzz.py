"""Fuzzing every input parser with inputs close to valid ones: mutations of the fixtures and the
demo corpus (truncations, byte flips, injected markup, JSON fields of the wrong type).

Property: a parser returns a result or raises a NewstraceError whose message names the input;
never another exception. Budgets are fixed and the examples derandomized, so a run is
reproducible and fast.
"""

from __future__ import annotations

import copy
import io
import json
from pathlib import Path
from typing import Any, Callable

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
import lxml.html
from lxml import etree

from newstrace.collect.pdf import parse_pdf
from newstrace.collect.telegram_export import parse_exports
from newstrace.collect.telegram_web import parse_preview_page
from newstrace.collect.telethon_json import parse_telethon_json
from newstrace.collect.web import feed_article_urls, sitemap_article_urls
from newstrace.demo import demo_files
from newstrace.errors import NewstraceError
from newstrace.extract.html import extract_article
from newstrace.model import Article, Post
from newstrace.store.core import Store

FIXTURES = Path(__file__).parent / "fixtures"
DEMO = demo_files()


def budget(examples: int) -> settings:
    return settings(max_examples=examples, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def files(*patterns: tuple[Path, str]) -> list[bytes]:
    found = [path.read_bytes() for folder, pattern in patterns for path in sorted(folder.glob(pattern))]
    assert found, patterns
    return found


STORE = Store(":memory:")


def parses_or_names_input(parse: Callable[[], Any], source: str) -> Any:
    """The property: a result, or a NewstraceError naming the input; anything else propagates.
    Posts and articles are written to a store too: what a parser returns must be storable."""
    try:
        result = parse()
        for item in result if isinstance(result, list) else getattr(result, "posts", [result]):
            if isinstance(item, Post):
                STORE.add_posts([item])
            elif isinstance(item, Article):
                STORE.add_article(item)
        return result
    except NewstraceError as error:
        assert error.source == source and str(error).startswith(f"{source}: "), str(error)
        assert error.problem.strip(), "an error without a problem"
        return error


# --- byte-level mutations ---------------------------------------------------------------------

HTML_BITS = [b"<", b">", b"</div>", b"<div class=\"tgme_widget_message\" data-post=\"x/\">", b"<a href=\"",
             b"<a href=\"javascript:x\">", b"<br>", b"<pre>", b"<time datetime=\"9999-99-99\">",
             b"<time datetime=\"\">", b"data-post=\"chan/99999999999999999999999\"", b"<!--", b"]]>",
             b"<script>", b"</html>", b"\x00", b"\xff\xfe", b"&#0;", b"&#x110000;", b"\xed\xa0\x80",
             b"<meta charset=\"x-unknown\">", b"<meta charset=\"utf-16\">", b"<link rel=\"canonical\" href=\"",
             b"<script type=\"application/ld+json\">{\"datePublished\": [1]}</script>", b"<p>", b"<table><tr><td>",
             b"<rss><channel>", b"<url><loc>", b"<?xml version=\"1.0\" encoding=\"bogus\"?>", b"<!DOCTYPE x [",
             b"<!ENTITY e SYSTEM \"file:///etc/passwd\">", b"&e;", b"xml:base=\"::\"", b"http://[",
             b" xml:base=\"http://[x\" ", b"http://[x/", b" href=\"http://[x\" ", b"https://a:99999999/",
             b"1.2K", b"9999999999M", b"tme_messages_more\" data-before=\"", b"\x1f\x8b\x08"]


@st.composite
def mutated(draw: st.DrawFn, seeds: list[bytes], bits: list[bytes] = HTML_BITS) -> bytes:
    """A seed file with up to four edits anywhere in it (a seeded Random picks the places, which
    hypothesis's integers would crowd at the start): truncation, a flipped byte, an injected
    fragment or random bytes, a cut or a repeated range."""
    data = bytearray(draw(st.sampled_from(seeds)))
    rng = draw(st.randoms(use_true_random=False))
    for _ in range(draw(st.integers(1, 4))):
        if not data:
            break
        at = rng.randrange(len(data))
        edit = draw(st.sampled_from(["truncate", "flip", "inject", "cut", "repeat", "random"]))
        if edit == "truncate":
            del data[at:]
        elif edit == "flip":
            data[at] ^= 1 << rng.randrange(8)
        elif edit == "inject":
            data[at:at] = draw(st.sampled_from(bits))
        elif edit == "random":
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        else:
            end = min(len(data), at + rng.randint(1, 400))
            data[at:end] = b"" if edit == "cut" else data[at:end] * 2
    return bytes(data)


# --- JSON-level mutations ---------------------------------------------------------------------

WRONG = [None, True, 0, -1, 2**63, 2**70, -(10**20), 1.5, "", "x", "2025-13-45", "channel", "channel99", [],
         "0001-01-01T00:00:00+05:00", "9999-12-31T23:00:00-05:00", "²", "channel²", "-99999999999",
         [None], [1, "a"], {}, {"type": "text_link"}, {"text": 5}, {"type": "link", "text": ""},
         "\u0000", "9" * 40]


def _paths(node: Any, path: tuple = ()) -> list[tuple]:
    found = [path]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node[:6]):
            found += _paths(value, (*path, index))
    return found


@st.composite
def json_mutated(draw: st.DrawFn, seeds: list[Any]) -> bytes:
    """A seed document with up to three fields given a value of the wrong type, or removed."""
    doc = copy.deepcopy(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(doc)
        path = paths[draw(st.randoms(use_true_random=False)).randrange(len(paths))]
        if not path:
            doc = draw(st.sampled_from(WRONG)) if draw(st.booleans()) else doc
            continue
        parent = doc
        for step in path[:-1]:
            parent = parent[step]
        if isinstance(parent, dict) and draw(st.booleans()):
            del parent[path[-1]]
        else:
            parent[path[-1]] = copy.deepcopy(draw(st.sampled_from(WRONG)))
    return json.dumps(doc, ensure_ascii=False).encode("utf-8")


def json_seeds(raw: list[bytes]) -> list[Any]:
    return [json.loads(data) for data in raw if _loads(data) is not None]


def _loads(data: bytes) -> Any:
    try:
        return json.loads(data)
    except ValueError:
        return None


ODD_URLS = ["http://[x", "", " ", "javascript:alert(1)", "//other.example/a", "::", "https://a:99999999/",
            "mailto:x@example.org", "../../../a", "https://t.me/chan/²", "https://t.me/s/", "https://t.me/c/1/2",
            "https://t.me/a/99999999999999999999", "https://t.me/%ZZ/1"]
ODD_DATES = ["0001-01-01T00:00:00+05:00", "9999-12-31T23:00:00-05:00", "2025-02-30", "", "²", "Mon, 99 Foo 2025",
             "2025-08-07T10:05:00+99:00", "0000-00-00"]
ODD_NUMBERS = ["²", "١٢", "", "-1", "99999999999999999999999", "1.2.3K", "1e9M", "x"]
ODD_BY_KEY = {
    "href": ODD_URLS, "content": ODD_URLS + ODD_DATES, "datetime": ODD_DATES, "data-before": ODD_NUMBERS,
    "data-post": ["chan/²", "chan/١٢", "chan/99999999999999999999999", "chan/", "/5", "c/5", "chan/5/6"],
    "{http://www.w3.org/XML/1998/namespace}base": ODD_URLS, "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}about": ODD_URLS,
}
ODD_VALUES = sorted({*ODD_URLS, *ODD_DATES, *ODD_NUMBERS, "alternate", "text/plain", "false", "\u202e"})
XML_KEYS = ["{http://www.w3.org/XML/1998/namespace}base", "href", "rel", "type", "isPermaLink",
            "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}about"]
HTML_KEYS = ["href", "datetime", "data-post", "data-before", "content", "property", "rel", "lang", "charset",
             "class", "src", "itemprop", "name"]
HTML_CLASSES = ["tgme_widget_message_forwarded_from_name", "tgme_widget_message_reply", "tgme_widget_message_views",
                "tme_messages_more", "tgme_widget_message_link_preview", "tgme_widget_message_text"]


@st.composite
def tree_mutated(draw: st.DrawFn, seeds: list[bytes], html: bool = False) -> bytes:
    """A seed document (well-formed XML, or HTML) with up to three elements given odd text or
    attributes (URLs that do not parse, dates out of range, non-ASCII digits), or removed."""
    parse = (lambda data: lxml.html.document_fromstring(data)) if html else etree.fromstring
    root = parse(draw(st.sampled_from(seeds)))
    rng = draw(st.randoms(use_true_random=False))
    keys = HTML_KEYS if html else XML_KEYS
    for _ in range(draw(st.integers(1, 3))):
        shallow = [root, *root, *(grandchild for child in root for grandchild in child)]
        keyed = [element for element in root.iter() if any(key in element.attrib for key in keys)]
        pick = rng.random()
        elements = shallow if pick < 0.2 else keyed if pick < 0.7 and keyed else list(root.iter())
        element = elements[rng.randrange(len(elements))]
        edit = draw(st.sampled_from(["text", "attribute", "attribute", "remove"]))
        if edit == "remove" and element.getparent() is not None:
            element.getparent().remove(element)
        elif edit == "attribute" and html and rng.random() < 0.3:
            element.set("class", f"{element.get('class') or ''} {rng.choice(HTML_CLASSES)}")
            element.set("href", rng.choice(ODD_URLS))
        elif edit == "attribute":
            present = [key for key in element.attrib if key in keys]
            key = rng.choice(present) if present and rng.random() < 0.7 else draw(st.sampled_from(keys))
            element.set(key, rng.choice(ODD_BY_KEY.get(key, ODD_VALUES)))
        else:
            element.text = rng.choice(ODD_VALUES)
    return etree.tostring(root, method="html" if html else "xml")


def _xml(data: bytes) -> etree._Element | None:
    try:
        return etree.fromstring(data)
    except etree.XMLSyntaxError:
        return None


# --- the parsers ------------------------------------------------------------------------------

PREVIEW_SEEDS = files((FIXTURES / "telegram_web", "*.html"), (DEMO / "telegram", "*.html"))


@budget(300)
@given(st.one_of(mutated(PREVIEW_SEEDS), tree_mutated(PREVIEW_SEEDS, html=True)))
def test_preview_page_parser(data):
    page = parses_or_names_input(lambda: parse_preview_page(data, "https://t.me/s/fuzz"), "https://t.me/s/fuzz")
    if not isinstance(page, NewstraceError):
        assert all(post.message_id >= 0 and post.posted_at.tzinfo is not None for post in page.posts)


EXPORT_RAW = files((FIXTURES / "telegram_export", "*.json"), (DEMO / "telegram" / "harbour_watch_export", "*.json"))
EXPORT_SEEDS = json_seeds(EXPORT_RAW)
JSON_BITS = [b"{", b"}", b"[", b"]", b",", b'"', b":", b"null", b"\\u", b"\\ud800", b'"id": "x"',
             b'"text": 5', b'"date_unixtime": "-99999999999999"', b"1e999", b"\xff", b"\x00"]


@budget(300)
@given(st.one_of(json_mutated(EXPORT_SEEDS), mutated(EXPORT_RAW, JSON_BITS)))
@example(b'{"name": "\\ud800", "id": 1, "messages": [{"id": 1, "date": "2025-01-01T00:00:00", "text": "\\udfff"}]}')
@example(b'{"name": "x", "id": 1, "messages": [{"id": 9223372036854775808, "date": "2025-01-01T00:00:00"}]}')
@example(b'{"name": "x", "id": 1, "messages": [{"id": 1, "date": "2025-01-01T00:00:00", "forwarded_from": ["a"]}]}')
def test_desktop_export_parser(data):
    chats = parses_or_names_input(lambda: parse_exports(data, "result.json"), "result.json")
    for chat in chats if isinstance(chats, list) else []:
        STORE.add_posts(chat.posts)


TELETHON_SEEDS = [[
    {"message_id": 310, "sender_id": -1002094417731, "date": "2025-08-07T10:05:00+00:00",
     "channel": "Кестрел сегодня", "category": "other",
     "text": "**Забастовка** закончилась, сообщает [Northwind](https://northwind.example/a?utm=1). "
             "__Подробнее:__ https://priozersk.example/news/ `code` ```pre``` [tg](tg://resolve?x=1) ~~s~~"},
    {"message_id": 311, "sender_id": 5, "date": "2025-08-07T11:00:00", "channel": None, "text": None},
    {"message_id": 312, "sender_id": -1001, "date": "2025-08-07T12:00:00Z",
     "text": "[a](https://x.example/\\\\) [b](https://y.example/(1)) __init__ **UPD. **"},
]]
TELETHON_RAW = [json.dumps(seed, ensure_ascii=False).encode() for seed in TELETHON_SEEDS]


@budget(300)
@given(st.one_of(json_mutated(TELETHON_SEEDS), mutated(TELETHON_RAW, [*JSON_BITS, b"[", b"](", b"`", b"**"])))
@example(b'[{"message_id": 1, "date": "2025-08-07T10:05:00Z", "channel": "\\ud800", "text": "a \\udc00"}]')
@example(b'[{"message_id": 1, "date": "0001-01-01T00:00:00+05:00"}]')         # crashed: OverflowError
@example(b'[{"message_id": 9223372036854775808, "date": "2025-08-07T10:05:00Z"}]')  # crashed in the store
def test_telethon_json_parser(data):
    parses_or_names_input(lambda: parse_telethon_json(data, "posts.json"), "posts.json")


HTML_SEEDS = files((FIXTURES / "html", "*.html"), (DEMO / "articles", "*.html"), (FIXTURES / "tgnews", "rate-*.html"))
ARTICLE_URL = "https://news.example/2025/08/07/story"


@budget(120)
@given(st.one_of(mutated(HTML_SEEDS), tree_mutated(HTML_SEEDS, html=True)), st.sampled_from([None, "text/html", "text/html; charset=koi8-r",
                                              "text/html; charset=bogus", "application/pdf"]))
@example(HTML_SEEDS[0].replace(b"<head>", b'<head><link rel="canonical" href="http://[x">', 1), None)
@example(HTML_SEEDS[0].replace(b"<p>", b'<p><a href="http://[x/">link</a> ', 2), None)   # crashed: ValueError
@example(HTML_SEEDS[0].replace(b"<head>", b'<head><meta property="og:url" content="https://a:99999999/">', 1), None)
@example(b'<html><head><meta property="article:published_time" content="0001-01-01T00:00:00+05:00"></head>'
         b'<body><article><p>' + b"The harbour office published the new winter departures today. " * 3
         + b'</p></article></body></html>', None)                                  # crashed: OverflowError
def test_html_article_extraction(data, content_type):
    parses_or_names_input(lambda: extract_article(data, ARTICLE_URL, content_type=content_type), ARTICLE_URL)


FEED_SEEDS = files((FIXTURES / "feeds", "*"))
FEED_URL = "https://news.example/feed.xml"
XML_SEEDS = [seed for seed in FEED_SEEDS if _xml(seed) is not None]


@budget(400)
@given(st.one_of(mutated(FEED_SEEDS), json_mutated(json_seeds(FEED_SEEDS)), tree_mutated(XML_SEEDS)))
@example(b'{"items": [{"url": true}, {"url": "/a"}, {"external_url": ["x"]}]}')      # crashed: not a string
@example(b'<feed xmlns="http://www.w3.org/2005/Atom" xml:base="http://[x"><entry><link href="/a"/></entry></feed>')
@example(b'<feed xmlns="http://www.w3.org/2005/Atom"><entry xml:base="http://[x"><link href="/a"/></entry></feed>')
@example(b'<rss><channel><item><link>http://[x/</link></item></channel></rss>')   # crashed: ValueError
def test_feed_and_sitemap_parsers(data):
    for parse in (feed_article_urls, sitemap_article_urls):
        urls = parses_or_names_input(lambda: parse(data, FEED_URL), FEED_URL)
        if not isinstance(urls, NewstraceError):
            assert all(url.startswith(("http://", "https://")) for url in urls)


PRINTED = {"time": "8/7/25, 10:05 AM", "title": "Harbour crane tender reopened - Kestrel Weekly",
           "url": "https://kestrel-weekly.example/2025/08/07/cranes-a77",
           "lead": "The port authority reopened the tender for two new cranes.",
           "related": "Related article: bids are due by the end of November.",
           "link": "https://kestrel-weekly.example/2025/08/01/bids"}


def small_pdf(printed: dict[str, str] = PRINTED) -> bytes:
    """A two-page printed article made with reportlab: a browser header and footer, a link."""
    from reportlab.pdfgen import canvas as canvas_module

    out = io.BytesIO()
    canvas = canvas_module.Canvas(out, pagesize=(612, 792), invariant=1)
    for page in (1, 2):
        canvas.setFont("Helvetica", 8)
        canvas.drawString(30, 775, printed["time"])
        canvas.drawString(250, 775, printed["title"])
        canvas.drawString(30, 15, printed["url"])
        canvas.drawString(560, 15, f"{page}/2")
        canvas.setFont("Helvetica", 11)
        canvas.drawString(54, 700, printed["lead"])
        canvas.drawString(54, 685, printed["related"])
        canvas.linkURL(printed["link"], (54, 683, 300, 697), relative=0)
        canvas.showPage()
    canvas.save()
    return out.getvalue()


@st.composite
def odd_printouts(draw: st.DrawFn) -> bytes:
    """A well-formed printed page whose header, footer, text or link hold odd values: footer URLs
    that do not parse, dates out of range, empty lines."""
    printed = dict(PRINTED)
    for key in draw(st.lists(st.sampled_from(sorted(PRINTED)), min_size=1, max_size=3, unique=True)):
        printed[key] = draw(st.sampled_from([*ODD_URLS, *ODD_DATES, "http://[x/2025/08/07/a", "99/99/99, 99:99",
                                             "1/2", "By", "https://k.example/2025/02/30/a"]))
    return small_pdf(printed)


PDF_SEEDS = [small_pdf()]
PDF_BITS = [b"obj", b"endobj", b"stream", b"endstream", b"/Length 99999", b"/Type /Page", b"xref", b"trailer",
            b"%%EOF", b"<<", b">>", b"(", b")", b"/Encrypt", b"/Filter /FlateDecode", b"9999999 0 R", b"\x00"]


def test_the_pdf_seed_parses():
    article = parse_pdf(PDF_SEEDS[0], "print.pdf")
    assert article.url == "https://kestrel-weekly.example/2025/08/07/cranes-a77"
    assert [link.url for link in article.links] == ["https://kestrel-weekly.example/2025/08/01/bids"] * 2


@budget(150)
@given(st.one_of(mutated(PDF_SEEDS, PDF_BITS), odd_printouts()))
@example(small_pdf({**PRINTED, "url": "https://k.example/2025/02/30/a"}))        # crashed: no such day
@example(small_pdf({**PRINTED, "link": "http://[x", "url": "http://[x/2025/08/07/a"}))  # crashed in the store
def test_pdf_parser(data):
    parses_or_names_input(lambda: parse_pdf(data, "print.pdf"), "print.pdf")
