"""extract_article on the demo pages, written fixtures, broken input and a few real benchmark pages."""

from __future__ import annotations

import gzip
import json
import random
import re
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import pytest

from newstrace.errors import InputError
from newstrace.extract.html import decode_html, extract_article
from newstrace.extract.links import absolute_url, dedupe
from newstrace.model import Link

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "src" / "newstrace" / "demo" / "articles"
HTML = Path(__file__).parent / "fixtures" / "html"
BENCHMARK = ROOT / ".." / "shared" / "data" / "extraction-benchmark"

A1_URL = "https://www.northwind-herald.example/2025/08/07/kestrel-port-workers-end-strike-after-pay-deal-a4521"
A3_URL = "https://priozersk-vestnik.example/news/2025-08-07/kestrel-zabastovka-zavershena/"
GAZETTE_URL = "https://gazette.lakeview.example/local/2024/03/18/central-library-reopens/"
ZARECHYE_URL = "https://zarechye-news.example/society/2024/10/02/most-sosnovka.html"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def a1():
    return extract_article((DEMO / "kestrel-port-workers-end-strike.html").read_bytes(), A1_URL)


@pytest.fixture(scope="module")
def a3():
    return extract_article((DEMO / "priozersk-kestrel-zabastovka.html").read_bytes(), A3_URL)


@pytest.fixture(scope="module")
def gazette():
    return extract_article((HTML / "en_library_reopens.html").read_bytes(), GAZETTE_URL)


def test_demo_a1_metadata(a1):
    assert a1.title == "Kestrel port workers end nine-day strike after 14% pay deal"
    assert a1.author == "Maria Lindqvist"
    assert a1.published_at == utc(2025, 8, 7, 9, 30)
    assert a1.canonical_url == A1_URL
    assert a1.site_name == "Northwind Herald"
    assert a1.language == "en"
    assert a1.description.startswith("Dockers at Kestrel return to work")
    assert a1.raw == (DEMO / "kestrel-port-workers-end-strike.html").read_bytes()
    assert a1.raw_type == "text/html"
    assert a1.warnings == []


def test_demo_a1_paragraphs_are_the_article_in_order(a1):
    assert 6 <= len(a1.paragraphs) <= 9
    assert a1.paragraphs[0].startswith("Dockworkers at the port of Kestrel voted on Wednesday night")
    assert a1.paragraphs[1] == ("The agreement raises wages by 14 percent over two years and restores the old "
                                "night-shift rota, the Kestrel Dockworkers' Union said on Thursday.")
    assert a1.paragraphs[-1].startswith("The city council, which owns a minority stake")
    text = a1.text
    for chrome in ("We use cookies", "Subscribe from", "harbourlights", "All rights reserved",
                   "Related articles", "The Morning Tide", "Share"):
        assert chrome not in text


def test_demo_a1_links(a1):
    outgoing = [(link.url, link.anchor) for link in a1.links if link.kind == "outgoing"]
    assert outgoing == [
        ("https://kestrel-dockers.example/news/ballot-result-august-2025", "statement on the union's website"),
        ("https://www.northwind-herald.example/2025/08/04/kestrel-traders-count-cost-of-port-strike-a4497",
         "warned of shortages of fresh produce"),
    ]
    related = a1.related_links
    assert related[0] == Link(
        url="https://www.northwind-herald.example/2026/01/09/kestrel-port-container-volumes-recover-a5120",
        anchor="Kestrel Port Container Volumes Recover", kind="related")
    assert len(related) == 3
    assert not any(link.url.startswith(("mailto:", "javascript:")) or "social.example" in link.url
                   for link in a1.links)


def test_demo_a3_windows_1251(a3):
    assert (DEMO / "priozersk-kestrel-zabastovka.html").read_bytes().find("забастовка".encode("cp1251")) > 0
    assert a3.title == "В порту Кестрел завершилась девятидневная забастовка"
    assert ("По данным профсоюза докеров, соглашение предусматривает повышение зарплат на 14% в течение двух "
            "лет и возвращение ночных смен к прежнему графику.") in a3.paragraphs
    assert a3.published_at == utc(2025, 8, 7, 11, 0)   # the page says 14:00+03:00
    assert a3.language == "ru"
    assert a3.author == "Ольга Сомова"
    assert a3.site_name == "Приозёрский вестник"
    assert a3.canonical_url == A3_URL
    credit = [link for link in a3.links if link.kind == "outgoing"]
    assert credit == [Link(url=A1_URL, anchor="Northwind Herald", kind="outgoing")]
    assert [link.anchor for link in a3.related_links] == [
        "Из-за забастовки в Кестреле на рейде скопились десятки судов", "Докеры Кестрела объявили забастовку"]
    assert "Популярное" not in a3.text and "Ремонт набережной" not in a3.text


def test_fixture_page_without_chrome_and_with_list_items(gazette):
    assert gazette.title == "Lakeview central library reopens after two-year rebuild"
    assert gazette.author == "Dana Whitcombe"
    assert gazette.published_at == utc(2024, 3, 18, 12, 45)
    assert gazette.canonical_url == GAZETTE_URL        # relative <link rel=canonical> made absolute
    assert gazette.site_name == "The Lakeview Gazette"
    assert "Monday to Friday, 9am to 9pm" in gazette.paragraphs
    assert gazette.paragraphs.index("Monday to Friday, 9am to 9pm") + 1 == gazette.paragraphs.index(
        "Saturday, 10am to 5pm")
    for chrome in ("214 partners", "Copy link", "Advertisement", "potholes", "Gazette Media Group", "e-Edition"):
        assert chrome not in gazette.text


def test_fixture_links_skip_inert_hrefs_and_find_inline_read_more(gazette):
    assert [link.url for link in gazette.links if link.kind == "outgoing"] == [
        "https://www.lakeview.example/council/minutes/2024-02-27",
        "https://gazette.lakeview.example/local/2023/09/04/library-unveils-childrens-wing-plans/",
    ]   # the "#events" book-sale anchor is dropped, not turned into the site root
    assert [(link.url, link.anchor) for link in gazette.related_links] == [
        ("https://gazette.lakeview.example/local/2022/04/11/central-library-closes-for-repairs/",
         "Central library closes for repairs as roof fails inspection"),
    ]   # "More from Local" is a section list, not related articles


@pytest.mark.parametrize("content_type", ["text/html; charset=windows-1251", "text/html", None])
def test_cp1251_without_meta_charset(content_type):
    raw = (HTML / "ru_cp1251_no_meta.html").read_bytes()
    assert b"charset" not in raw
    article = extract_article(raw, ZARECHYE_URL, content_type=content_type)
    assert article.title == "В Заречье открыли новый мост через Сосновку"
    assert article.paragraphs[0].startswith("В среду в Заречье открыли движение по новому мосту")
    assert "312 миллионов рублей" in article.text
    assert article.published_at == utc(2024, 10, 2, 6, 15)
    assert article.language == "ru"
    assert article.canonical_url == ZARECHYE_URL      # from og:url
    guessed = any("guessed" in warning for warning in article.warnings)
    assert guessed == (content_type != "text/html; charset=windows-1251")
    assert [link.anchor for link in article.related_links] == [
        "Старый мост через Сосновку закрыли для транспорта", "Дорогу на Ключи отремонтируют к зиме"]


def test_meta_charset_honoured_and_valid_utf8_wins_over_a_wrong_declaration():
    body = "<p>" + "Соглашение предусматривает повышение зарплат на 14% в течение двух лет. " * 3 + "</p>"
    page = f"<html><head><meta charset=\"windows-1251\"><title>т</title></head><body><article>{body}</article></body></html>"
    assert decode_html(page.encode("cp1251"), "x")[0] == page
    assert decode_html(page.encode("utf-8"), "x")[0] == page
    assert decode_html(page.encode("koi8-r"), "x", "koi8-r")[0] == page      # HTTP charset first


def test_wrong_or_unknown_declared_charset_falls_back_to_detection_with_a_warning():
    sentence = "Паромное сообщение между Кестрелом и островами должно полностью восстановиться к концу недели. "
    page = f"<html><body><p>{sentence * 3}</p></body></html>"
    for declared, warning in (("utf-8", "charset guessed as cp1251"), ("x-no-such-charset", "unknown charset")):
        text, warnings = decode_html(page.encode("cp1251"), "x", declared)
        assert text == page
        assert any(warning in item for item in warnings)


def test_truncated_html_keeps_the_text_before_the_cut():
    article = extract_article((HTML / "truncated.html").read_bytes(), GAZETTE_URL)
    assert article.paragraphs[0].startswith("The central branch of the Lakeview Public Library reopened")
    assert article.paragraphs[-1].startswith("The rebuild cost 11.4 million dollars")


def test_html_served_as_octet_stream_is_sniffed():
    raw = (HTML / "en_library_reopens.html").read_bytes()
    assert extract_article(raw, GAZETTE_URL, content_type="application/octet-stream").author == "Dana Whitcombe"


def test_gzipped_page_is_read():
    raw = gzip.compress((HTML / "en_library_reopens.html").read_bytes())
    assert extract_article(raw, GAZETTE_URL).title == "Lakeview central library reopens after two-year rebuild"


def test_date_from_htmldate_when_no_structured_data_and_warning_when_none():
    body = "<p>" + "The harbour master said the new buoys would be laid before the autumn storms. " * 3 + "</p>"
    dated = f"<html><head><title>Buoys</title></head><body><article><time>14 May 2024</time>{body}</article></body></html>"
    article = extract_article(dated.encode(), "https://news.example/buoys")
    assert article.published_at == utc(2024, 5, 14)
    undated = f"<html><head><title>Buoys</title></head><body><article>{body}</article></body></html>"
    article = extract_article(undated.encode(), "https://news.example/buoys")
    assert article.published_at is None
    assert "no publication date found" in article.warnings


@pytest.mark.parametrize(("stamp", "expected"), [
    ("2025-08-07T14:00:00+03:00", utc(2025, 8, 7, 11, 0)),
    ("2025-08-07T09:30:00.000+0000", utc(2025, 8, 7, 9, 30)),
    ("Thu, 07 Aug 2025 12:30:00 +0300", utc(2025, 8, 7, 9, 30)),
    ("2025-08-07T09:30:00", utc(2025, 8, 7, 9, 30)),        # no offset: taken as UTC
])
def test_meta_published_time_formats(stamp, expected):
    body = "<p>" + "The ferry timetable returns to normal on Monday after the strike ends. " * 3 + "</p>"
    page = (f'<html><head><title>Ferries</title><meta property="article:published_time" content="{stamp}">'
            f"</head><body><article>{body}</article></body></html>")
    assert extract_article(page.encode(), "https://news.example/ferries").published_at == expected


@pytest.mark.parametrize(("raw", "content_type", "problem"), [
    (b"", None, "empty page"),
    (b"  \n\t ", None, "empty page"),
    (random.Random(7).randbytes(4096), None, "binary data"),
    (b"\x89PNG\r\n\x1a\n" + bytes(range(256)), None, "PNG image"),
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", None, "PDF file"),
    (b"<html><body><p>ok</p></body></html>", "application/pdf", "content type application/pdf"),
    (json.dumps({"title": "not html", "text": "a JSON document " * 20}).encode(), None, "no HTML markup"),
    (b"A plain text file with no markup, long enough to look like an article. " * 4, None, "no HTML markup"),
    ((HTML / "no_article_text.html").read_bytes(), "text/html", "no article text"),
])
def test_bad_input_raises_input_error_naming_the_url(raw, content_type, problem):
    with pytest.raises(InputError) as caught:
        extract_article(raw, "https://news.example/page", content_type=content_type)
    assert caught.value.source == "https://news.example/page"
    assert problem in caught.value.problem


def test_absolute_url_and_dedupe():
    base = "https://news.example/a/b.html"
    assert absolute_url("../c.html#x", base) == "https://news.example/c.html"
    assert absolute_url("//cdn.example/x", base) == "https://cdn.example/x"
    for inert in ("javascript:void(0)", "mailto:x@news.example", "#top", "tel:+123", "", None, "b.html#comments"):
        assert absolute_url(inert, base) is None
    links = [Link("https://a.example/1", "", "related"), Link("https://a.example/1", "One", "related"),
             Link("https://a.example/2", "Two", "related")]
    assert dedupe(links) == [Link("https://a.example/1", "One", "related"), Link("https://a.example/2", "Two", "related")]


def _shingle_f1(gold: str, predicted: str) -> float:
    def grams(text: str) -> Counter:
        tokens = re.findall(r"\w+", text)
        return Counter(tuple(tokens[i:i + 4]) for i in range(max(1, len(tokens) - 3)))
    true, pred = grams(gold), grams(predicted)
    tp = sum((true & pred).values())
    return 2 * tp / (sum(true.values()) + sum(pred.values()))


def test_real_benchmark_pages_extract_close_to_gold():
    if not (BENCHMARK / "ground-truth.json").is_file():
        pytest.skip("extraction benchmark not present")
    truth = json.loads((BENCHMARK / "ground-truth.json").read_text(encoding="utf-8"))
    scores = []
    for key in sorted(truth)[:8]:
        raw = gzip.decompress((BENCHMARK / "html" / f"{key}.html.gz").read_bytes())
        article = extract_article(raw, truth[key]["url"])
        assert article.title
        scores.append(_shingle_f1(truth[key]["articleBody"], article.text))
    assert sum(scores) / len(scores) > 0.85


def test_placeholder_publication_dates_are_not_dates():
    page = (b'<html><head><script type="application/ld+json">{"@type": "NewsArticle", '
            b'"datePublished": "0001-01-01T00:00:00Z", "headline": "Harbour reopens"}</script></head>'
            b'<body><article><h1>Harbour reopens</h1><p>' + b"The harbour reopened on Monday after repairs. " * 8
            + b"</p></article></body></html>")
    article = extract_article(page, "https://example.org/harbour-reopens")
    assert article.published_at is None or article.published_at.year >= 1990
