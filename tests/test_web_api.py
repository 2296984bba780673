"""The JSON API of `newstrace serve`, over a real uvicorn server on loopback and the demo store."""

from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor
import shutil
from pathlib import Path

import httpx
import pytest
from conftest import running_app

from newstrace.demo import build_demo_store
from newstrace.store.core import Store
from newstrace import config
from newstrace.match import near_copy, semantic
from newstrace.match.lookup import shared_embedder
from newstrace.web.app import create_app, warm_up

TOKEN = "s3cret-token"
DEMO_ARTICLE = "https://www.northwind-herald.example/2025/08/07/kestrel-port-workers-end-strike-after-pay-deal-a4521"


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    db = tmp_path_factory.mktemp("web") / "demo.db"
    build_demo_store(db, lambda line: None).close()
    return db


@pytest.fixture
def api(demo_db, new_db, backend):
    """A client of a server over a copy of the demo store (ingest writes to it); on PostgreSQL, the
    demo built afresh in a schema of its own."""
    db = new_db("demo.db")
    if backend == "postgresql":
        build_demo_store(db, lambda line: None).close()
    else:
        shutil.copy(demo_db, db)
    with running_app(create_app(str(db), token=TOKEN, fetch_posts=False)) as base, \
            httpx.Client(base_url=base, timeout=60) as client:
        client.db = db
        yield client


def test_trace_by_post_url_gives_the_source_with_credit_lag_and_paragraph(api):
    found = api.get("/api/trace", params={"url": "https://t.me/harbour_watch/1201"}).json()
    assert found["linked"] is True
    assert found["source"]["url"] == DEMO_ARTICLE
    assert found["stage"] == "url" and found["credit"] == "hyperlink" and found["credited"] is True
    assert found["lag_seconds"] == 2 * 3600 + 45 * 60
    assert "14" in found["paragraph_text"]


def test_trace_by_pasted_text_finds_the_story_and_the_credit(api):
    text = ("Dockers in Kestrel are going back to work: the nine-day strike is over after a deal that "
            "raises pay by 14% over two years, according to the Northwind Herald")
    found = api.post("/api/trace", json={"text": text, "posted_at": "2025-08-07T14:00:00Z"}).json()
    assert found["linked"] is True, found
    assert found["source"]["story"] == api.get("/api/trace", params={
        "url": "https://t.me/harbour_watch/1201"}).json()["source"]["story"]
    assert found["credited"] is True and "Northwind" in json.dumps(found["evidence"], ensure_ascii=False)
    assert 0 < found["score"] <= 1
    assert found["lag_seconds"] > 0
    assert found["nearest"][0]["similarity"] >= found["nearest"][-1]["similarity"]


def test_trace_of_an_unrelated_text_stays_unlinked(api):
    found = api.post("/api/trace", json={"text": "Футбольный клуб из Казани выиграл кубок по мини-футболу в серии пенальти"}).json()
    assert found["linked"] is False
    assert "source" not in found


def test_bad_requests_answer_json_errors_with_the_right_status(api):
    empty = api.post("/api/trace", json={"text": "   "})
    assert empty.status_code == 400 and "empty" in empty.json()["error"]
    unknown_post = api.get("/api/trace", params={"url": "https://t.me/harbour_watch/999999"})
    assert unknown_post.status_code == 404 and "not in the store" in unknown_post.json()["error"]
    not_post = api.get("/api/trace", params={"url": "https://example.org/x"})
    assert not_post.status_code == 400 and "t.me" in not_post.json()["error"]
    story = api.get("/api/stories/nope")
    assert story.status_code == 404 and "nope" in story.json()["error"]
    bad_date = api.get("/api/stories", params={"since": "yesterday"})
    assert bad_date.status_code == 400 and "since" in bad_date.json()["error"]
    malformed = api.post("/api/trace", content=b"{not json", headers={"content-type": "application/json"})
    assert malformed.status_code == 422 and "error" in malformed.json()
    assert api.get("/api/nothing-here").status_code == 404


def test_dossier_lists_each_relay_with_time_credit_and_paragraph(api):
    dossier = api.get("/api/dossier", params={"target": "https://t.me/harbour_watch/1202"}).json()
    relays = {relay["url"]: relay for relay in dossier["relays"]}
    assert dossier["article"]["url"] == DEMO_ARTICLE
    assert relays["https://t.me/harbour_watch/1201"]["credit"] == "hyperlink"
    assert relays["https://t.me/harbour_watch/1201"]["posted_at"] == "2025-08-07T12:15:00Z"
    assert all(0 <= relay["paragraph"] < len(dossier["paragraphs"]) for relay in dossier["relays"])


def test_stories_filter_by_period_language_and_story_has_a_timeline(api):
    stories = api.get("/api/stories").json()["stories"]
    strike = next(story for story in stories if "en" in story["titles"] and "strike" in story["titles"]["en"])
    assert set(strike["languages"]) == {"en", "ru"}
    assert not any(s["id"] == strike["id"] for s in api.get("/api/stories", params={"since": "2025-08-09"}).json()["stories"])
    assert any(s["id"] == strike["id"] for s in api.get("/api/stories", params={"until": "2025-08-07"}).json()["stories"])
    assert all("ru" in s["languages"] for s in api.get("/api/stories", params={"lang": "ru"}).json()["stories"])
    assert strike["category"] == "society"
    assert [s["id"] for s in api.get("/api/stories", params={"category": "society"}).json()["stories"]] == \
        [s["id"] for s in stories if s["category"] == "society"]
    assert api.get("/api/stories", params={"category": "sports"}).json()["count"] == 0
    assert [s["importance"] for s in stories] == sorted((s["importance"] for s in stories), reverse=True)
    record = api.get(f"/api/stories/{strike['id']}").json()
    day = record["timeline"]["2025-08-07"]
    assert day["articles"] == 2 and day["credited relays"] + day.get("uncredited relays", 0) == strike["posts"]
    assert sum(sum(counts.values()) for counts in record["hourly"].values()) == len(record["items"])
    first = record["by_source"][0]
    assert first["kind"] == "outlet" and first["first"] == record["first_item"]["time"]


def test_search_full_text_and_by_meaning_across_languages(api):
    text = api.get("/api/search", params={"q": "night buses"}).json()
    assert any("bus" in article["title"].lower() for article in text["articles"])
    assert all("[" in article["snippet"] for article in text["articles"])
    quoted = api.get("/api/search", params={"q": 'strike" OR "x'})
    assert quoted.status_code == 200
    meaning = api.get("/api/search", params={"q": "забастовка докеров", "mode": "semantic"}).json()
    assert meaning["mode"] == "semantic"
    assert {"en", "ru"} <= {article["language"] for article in meaning["articles"][:2]}


def test_ingest_needs_the_token_and_then_links_the_new_post(api):
    post = {"channel": "kestrel_today", "message_id": 990, "posted_at": "2025-08-07T16:00:00Z",
            "text": f"Подробности о конце забастовки: {DEMO_ARTICLE}"}
    def strike_posts() -> int:
        return next(s["posts"] for s in api.get("/api/stories").json()["stories"] if "strike" in s["titles"].get("en", ""))

    before = strike_posts()
    assert api.post("/api/ingest/post", json=post).status_code == 401
    assert api.post("/api/ingest/post", json=post, headers={"Authorization": "Bearer wrong"}).status_code == 401
    created = api.post("/api/ingest/post", json=post, headers={"Authorization": f"Bearer {TOKEN}"})
    assert created.status_code == 201 and created.json()["posts"]["new"] == 1
    again = api.post("/api/ingest/post", json=post, headers={"Authorization": f"Bearer {TOKEN}"})
    assert again.json()["posts"] == {"new": 0, "updated": 0, "unchanged": 1}
    found = api.get("/api/trace", params={"url": "https://t.me/kestrel_today/990"}).json()
    assert found["stage"] == "url" and found["source"]["url"] == DEMO_ARTICLE
    assert strike_posts() == before + 1


def test_ingest_article_html_and_bad_html_leaves_the_store_unchanged(api):
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with Store(api.db) as store:
        before = store.counts()["articles"]
    page = ("<html><head><title>Ferry to Heron Island resumes after storm</title></head><body><article>"
            "<h1>Ferry to Heron Island resumes after storm</h1><p>The ferry to Heron Island resumed "
            "on Sunday morning after a two-day pause, the operator said, with extra crossings.</p>"
            "<p>Passengers with cancelled tickets can travel on any crossing until Wednesday.</p></article></body></html>")
    created = api.post("/api/ingest/article", json={"url": "https://news.example/ferry-resumes", "html": page},
                       headers=headers)
    assert created.status_code == 201, created.text
    bad = api.post("/api/ingest/article", json={"url": "https://news.example/empty", "html": "<html></html>"},
                   headers=headers)
    assert bad.status_code == 400 and "news.example/empty" in bad.json()["error"]
    with Store(api.db) as store:
        assert store.counts()["articles"] == before + 1


def test_ingest_is_off_without_a_token(demo_db, tmp_path):
    db = tmp_path / "copy.db"
    shutil.copy(demo_db, db)
    with running_app(create_app(str(db), fetch_posts=False)) as base:
        answer = httpx.post(f"{base}/api/ingest/post", json={"channel": "a", "message_id": 1, "text": "x"})
    assert answer.status_code == 403 and "token" in answer.json()["error"]


def test_openapi_document_lists_every_endpoint(api):
    spec = api.get("/openapi.json").json()
    assert {"/api/trace", "/api/dossier", "/api/stories", "/api/stories/{story_id}", "/api/search",
            "/api/ingest/post", "/api/ingest/article", "/api/health"} <= set(spec["paths"])
    assert "/stories/{story_id}" not in spec["paths"]


def test_a_pasted_text_with_the_articles_url_is_linked_by_url_and_credited(api):
    found = api.post("/api/trace", json={"text": f"Забастовка окончена {DEMO_ARTICLE}?utm_source=tg"}).json()
    assert found["stage"] == "url" and found["source"]["url"] == DEMO_ARTICLE
    assert found["credit"] == "hyperlink"


def test_concurrent_requests_are_all_answered(api):
    paths = ["/api/stories", "/api/trace?url=https://t.me/harbour_watch/1201", "/api/search?q=strike",
             "/api/health", "/api/dossier?target=https://t.me/harbour_watch/1202"] * 8
    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(lambda path: httpx.get(str(api.base_url).rstrip("/") + path, timeout=60).status_code,
                                 paths))
    assert statuses == [200] * len(paths)


def test_a_post_the_store_lacks_is_read_from_its_channel_preview_and_traced(demo_db, tmp_path, http_server):
    page = (Path(__file__).parent / "fixtures" / "telegram_web" / "coastline_briefs.html").read_bytes()
    http_server.route("/s/coastline_briefs?before=203", page)
    db = tmp_path / "demo.db"
    shutil.copy(demo_db, db)
    app = create_app(str(db), allow_private=True, telegram_base_url=http_server.url)
    with running_app(app) as base:
        found = httpx.get(f"{base}/api/trace", params={"url": "https://t.me/coastline_briefs/202"}, timeout=60).json()
    assert found["post"]["url"] == "https://t.me/coastline_briefs/202" and found["post"]["text"]
    assert http_server.paths() == ["/s/coastline_briefs?before=203"]
    with Store(db) as store:
        assert store.db.execute("SELECT count(*) FROM posts WHERE channel = 'coastline_briefs'").fetchone()[0] == 3


def test_health_and_metrics_say_what_stats_says(api):
    health = api.get("/api/health").json()
    with Store(api.db) as store:
        counts = store.counts()
    assert health["status"] == "ok" and health["posts"] == counts["posts"]
    assert health["links_by_stage"] == counts["links_by_stage"] and health["stories"] >= 1
    metrics = api.get("/metrics")
    assert metrics.headers["content-type"].startswith("text/plain")
    lines = metrics.text.splitlines()
    assert f'newstrace_items{{kind="posts"}} {float(counts["posts"])}' in lines
    assert f'newstrace_links_by_stage{{stage="url"}} {float(counts["links_by_stage"]["url"])}' in lines
    assert any(line.startswith('newstrace_channel_newest_post_timestamp_seconds{channel="kestrel_today"}')
               for line in lines)


def test_warm_up_builds_what_the_first_trace_needs(demo_db, tmp_path):
    db = tmp_path / "warm.db"
    shutil.copy(demo_db, db)
    warm_up(str(db))
    with Store(db) as store:
        assert (*store.articles_version(), shared_embedder().name) in semantic._POOL
        index = near_copy._INDEXES[tuple(store.articles_version()[:2])]
        assert index.version == store.articles_version() and len(index.indexed) == store.counts()["articles"]


def test_the_story_list_page_is_paged_and_keeps_its_filters(api, monkeypatch):
    monkeypatch.setattr(config, "STORIES_PAGE", 1)
    first = api.get("/", params={"lang": "en"}).text
    assert "2 stories" in first and "page 1 of 2" in first
    assert 'href="/?lang=en&amp;page=2"' in first and 'id="previous"' not in first
    second = api.get("/", params={"lang": "en", "page": 2}).text
    assert 'href="/?lang=en&amp;page=1"' in second and 'id="next"' not in second
    links = [re.findall(r'class="story-link" href="(/stories/[^"]+)"', text) for text in (first, second)]
    assert len(links[0]) == len(links[1]) == 1 and links[0] != links[1]
    assert api.get("/", params={"page": 0}).status_code == 422
