"""collect/web.py against a real HTTP server on 127.0.0.1, and feed/sitemap parsing of fixture files."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from newstrace.collect.http import Fetcher
from newstrace.collect.web import collect_feed, collect_sitemap, collect_url, feed_article_urls, sitemap_article_urls
from newstrace.errors import FetchError, InputError

FIXTURES = Path(__file__).parent / "fixtures"
FEEDS = FIXTURES / "feeds"
HTML = FIXTURES / "html"
DEMO = Path(__file__).resolve().parents[1] / "src" / "newstrace" / "demo" / "articles"


@pytest.fixture
def fetcher():
    with Fetcher(delay=0, retries=0, allow_private=True) as client:
        yield client


def test_collect_url_uses_the_http_charset(http_server, fetcher):
    url = http_server.route("/society/most.html", (HTML / "ru_cp1251_no_meta.html").read_bytes(),
                            content_type="text/html; charset=windows-1251")
    article = collect_url(fetcher, url)
    assert article.url == url
    assert article.title == "В Заречье открыли новый мост через Сосновку"
    assert "312 миллионов рублей" in article.text
    assert article.language == "ru"
    assert article.warnings == []
    assert article.raw == (HTML / "ru_cp1251_no_meta.html").read_bytes()


def test_collect_url_follows_redirects_and_keeps_the_final_url(http_server, fetcher):
    final = http_server.route("/2025/08/07/a4521", (DEMO / "kestrel-port-workers-end-strike.html").read_bytes())
    start = http_server.route("/a4521", b"", status=301, headers={"Location": "/2025/08/07/a4521"})
    article = collect_url(fetcher, start)
    assert article.url == final
    assert f"redirected from {start}" in article.warnings
    assert article.canonical_url.startswith("https://www.northwind-herald.example/")
    assert article.related_links[0].anchor == "Kestrel Port Container Volumes Recover"


def test_collect_url_reads_a_pdf_and_keeps_the_asked_url_as_alias(http_server, fetcher):
    printed = (Path(__file__).parent / "fixtures" / "pdf" / "lighthouse-museum-reopens.pdf").read_bytes()
    final = http_server.route("/2025/05/02/lighthouse.pdf", printed, content_type="application/pdf")
    start = http_server.route("/short/lh", b"", status=301, headers={"Location": final})
    article = collect_url(fetcher, start)
    assert article.raw_type == "application/pdf" and article.raw == printed
    assert article.url == final and article.aliases == [start]
    assert len(article.paragraphs) > 3
    broken = http_server.route("/broken.pdf", b"%PDF-1.7\n...", content_type="application/pdf")
    with pytest.raises(InputError, match="broken.pdf"):
        collect_url(fetcher, broken)


def test_collect_url_rejects_non_html_and_empty_pages(http_server, fetcher):
    image = http_server.route("/pic.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 64, content_type="image/png")
    with pytest.raises(InputError, match="not an HTML page"):
        collect_url(fetcher, image)
    empty = http_server.route("/empty", b"")
    with pytest.raises(InputError, match="empty page"):
        collect_url(fetcher, empty)
    login = http_server.route("/login", (HTML / "no_article_text.html").read_bytes())
    with pytest.raises(InputError, match="no article text"):
        collect_url(fetcher, login)


def test_collect_url_http_error_is_a_fetch_error(http_server, fetcher):
    with pytest.raises(FetchError, match="404"):
        collect_url(fetcher, http_server.url_for("/missing"))


def test_rss2_items_in_order_absolute_once_each():
    urls = feed_article_urls((FEEDS / "rss2.xml").read_bytes(), "https://zarechye-news.example/rss/")
    assert urls == [
        "https://zarechye-news.example/society/2024/10/02/most-sosnovka.html",
        "https://zarechye-news.example/society/2024/08/20/remont-dorogi-klyuchi.html",   # relative, CDATA
        "https://zarechye-news.example/society/2024/10/01/yarmarka.html",               # feedburner:origLink
        "https://zarechye-news.example/transport/2024/09/30/raspisanie.html",           # permalink guid
    ]


def test_atom_alternate_links_and_xml_base():
    urls = feed_article_urls((FEEDS / "atom.xml").read_bytes(), "https://www.northwind-herald.example/kestrel/atom.xml")
    assert urls == [
        "https://www.northwind-herald.example/2025/08/12/kestrel-council-approves-overnight-bus-pilot-a4588",
        "https://www.northwind-herald.example/2025/08/07/kestrel-port-workers-end-strike-after-pay-deal-a4521",
        "https://www.northwind-herald.example/2025/08/04/kestrel-traders-count-cost-of-port-strike-a4497",
    ]


def test_rss1_and_json_feed():
    assert feed_article_urls((FEEDS / "rss1.rdf").read_bytes(), "https://gazette.lakeview.example/rss") == [
        "https://gazette.lakeview.example/local/2024/03/18/central-library-reopens/",
        "https://gazette.lakeview.example/local/2024/03/17/maple-street-bridge-repaving/",
    ]
    assert feed_article_urls((FEEDS / "feed.json").read_bytes(), "https://gazette.lakeview.example/feed.json") == [
        "https://gazette.lakeview.example/local/2024/03/18/central-library-reopens/",
        "https://gazette.lakeview.example/local/2024/03/16/school-board-budget-vote/",
        "https://www.lakeview.example/council/minutes/2024-02-27",
    ]


@pytest.mark.parametrize(("data", "problem"), [
    ((FEEDS / "truncated.xml").read_bytes(), "malformed feed"),
    ((HTML / "en_library_reopens.html").read_bytes(), "malformed feed"),
    ((FEEDS / "sitemap.xml").read_bytes(), "not an RSS or Atom feed (root element <urlset>)"),
    (b'<?xml version="1.0"?><rss version="2.0"></rss>', "RSS without a <channel>"),
    (b"", "empty feed"),
    (b"{\"items\": ", "malformed JSON feed"),
    (b"{\"title\": \"x\"}", "not a JSON feed"),
])
def test_malformed_feeds_raise_input_error(data, problem):
    with pytest.raises(InputError) as caught:
        feed_article_urls(data, "https://news.example/feed")
    assert caught.value.source == "https://news.example/feed"
    assert problem in caught.value.problem


def test_external_entities_are_not_resolved():
    data = (b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY e SYSTEM "file:///etc/hostname">]>'
            b"<rss><channel><item><link>https://news.example/&e;</link></item></channel></rss>")
    urls = feed_article_urls(data, "https://news.example/feed")
    hostname = Path("/etc/hostname").read_text().strip() if Path("/etc/hostname").is_file() else "\0"
    assert not any(hostname in url for url in urls)


def test_sitemap_urlset_and_index():
    assert sitemap_article_urls((FEEDS / "sitemap.xml").read_bytes(), "https://priozersk-vestnik.example/sitemap.xml") == [
        "https://priozersk-vestnik.example/news/2025-08-07/kestrel-zabastovka-zavershena/",
        "https://priozersk-vestnik.example/news/2025-08-04/kestrel-port-ocheredi-sudov/",
        "https://priozersk-vestnik.example/news/2025-07-29/dokery-kestrela-obyavili-zabastovku/",
    ]
    index = sitemap_article_urls((FEEDS / "sitemap_index.xml").read_bytes(), "https://priozersk-vestnik.example/sitemap.xml")
    assert index == ["https://priozersk-vestnik.example/sitemaps/news-2025-08.xml",
                     "https://priozersk-vestnik.example/sitemaps/news-2025-07.xml.gz"]
    with pytest.raises(InputError, match="not a sitemap"):
        sitemap_article_urls((FEEDS / "atom.xml").read_bytes(), "https://news.example/sitemap.xml")


def test_collect_sitemap_follows_the_index_including_gzip(http_server, fetcher):
    http_server.route("/sitemaps/news-2025-08.xml", (FEEDS / "sitemap.xml").read_bytes(), content_type="application/xml")
    http_server.route("/sitemaps/news-2025-07.xml.gz", gzip.compress((FEEDS / "sitemap_2025_07.xml").read_bytes()),
                      content_type="application/gzip")
    index = http_server.route("/sitemap.xml", (FEEDS / "sitemap_index.xml").read_bytes(), content_type="application/xml")
    urls = collect_sitemap(fetcher, index)
    assert urls == [
        "https://priozersk-vestnik.example/news/2025-08-07/kestrel-zabastovka-zavershena/",
        "https://priozersk-vestnik.example/news/2025-08-04/kestrel-port-ocheredi-sudov/",
        "https://priozersk-vestnik.example/news/2025-07-29/dokery-kestrela-obyavili-zabastovku/",
        "https://priozersk-vestnik.example/news/2025-07-15/festival-ryby-anons/",
    ]
    assert http_server.paths() == ["/sitemap.xml", "/sitemaps/news-2025-08.xml", "/sitemaps/news-2025-07.xml.gz"]
    assert collect_sitemap(fetcher, index, max_files=1) == []


def test_collect_feed(http_server, fetcher):
    url = http_server.route("/rss/", (FEEDS / "rss2.xml").read_bytes(), content_type="application/rss+xml")
    urls = collect_feed(fetcher, url)
    assert urls[0] == "https://zarechye-news.example/society/2024/10/02/most-sosnovka.html"
    assert urls[1] == http_server.url_for("/society/2024/08/20/remont-dorogi-klyuchi.html")   # relative to the feed
