"""`newstrace stats` and the stats() record a health endpoint can serve as it is."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from click.testing import CliRunner

from newstrace.cli import main
from newstrace.match.evidence_links import link_by_evidence
from newstrace.model import Link
from newstrace.report.stats import stats
from newstrace.store.core import Store
from newstrace.watch.config import Source
from newstrace.watch.schedule import record_failure, record_success, sync_sources

from factories import SOURCE_URL, article, post, utc

NOW = utc("2025-03-14T12:00:00")
FEED = Source("feed:https://www.gull-gazette.example/rss", "feed", "https://www.gull-gazette.example/rss", 1800, 50)
CHANNEL = Source("channel:gull_news", "channel", "gull_news", 600, 100)


@pytest.fixture
def db(new_db):
    """Two channels (one post linked to the Gazette article), a story, and two watched sources:
    the channel read fine, the feed failed twice."""
    path = new_db("stats.db")
    with Store(path) as store:
        article_id, _ = store.add_article(article())
        store.add_posts([post("gull_news", 40, "Fares frozen", links=[Link(SOURCE_URL, "Gazette", "hidden")],
                              at="2025-03-14T09:00:00"),
                         post("gull_news", 41, "Storm warning for the strait", at="2025-03-14T10:30:00")],
                        channel_title="Gull News")
        store.add_posts([post("harbour_notes", 7, "Quiet day at the quay", at="2025-03-13T18:00:00")])
        link_by_evidence(store)
        store.db.execute("INSERT INTO article_stories (article_id, story) VALUES (?, 's1')", (article_id,))
        sync_sources(store, [CHANNEL, FEED], base_url="https://t.me", now=NOW)
        record_success(store, CHANNEL, NOW, newest_item="https://t.me/gull_news/41")
        record_failure(store, FEED, NOW, "https://www.gull-gazette.example/rss: HTTP 503 Service Unavailable")
        record_failure(store, FEED, NOW + timedelta(minutes=30), "https://www.gull-gazette.example/rss: timed out")
    return path


def test_stats_counts_sources_and_newest_post_per_channel(db):
    with Store(db) as store:
        record = stats(store, now=NOW + timedelta(minutes=31))
    assert {key: record[key] for key in ("posts", "channels", "articles", "links", "links_by_stage",
                                         "unlinked_posts", "stories")} == {
        "posts": 3, "channels": 2, "articles": 1, "links": 1, "links_by_stage": {"url": 1},
        "unlinked_posts": 2, "stories": 1}
    assert record["alerts"] == {"raised": 0, "delivery_failing": 0, "last_delivery_error": None}
    assert [(c["channel"], c["title"], c["posts"], c["newest_post"], c["newest_posted_at"])
            for c in record["by_channel"]] == [
        ("gull_news", "Gull News", 2, "https://t.me/gull_news/41", "2025-03-14T10:30:00Z"),
        ("harbour_notes", None, 1, "https://t.me/harbour_notes/7", "2025-03-13T18:00:00Z")]
    sources = record["sources"]
    assert {key: sources[key] for key in ("followed", "paused", "failing", "errors")} == {
        "followed": 2, "paused": 0, "failing": 1, "errors": 2}
    channel, feed = sources["list"]
    assert (channel["name"], channel["url"], channel["last_ok"], channel["next_due"], channel["newest_item"]) == (
        "channel:gull_news", "https://t.me/s/gull_news", "2025-03-14T12:00:00Z", "2025-03-14T12:10:00Z",
        "https://t.me/gull_news/41")
    assert (feed["failures"], feed["errors"], feed["last_error"], feed["last_error_at"], feed["last_ok"]) == (
        2, 2, "https://www.gull-gazette.example/rss: timed out", "2025-03-14T12:30:00Z", None)
    json.dumps(record)   # a health endpoint serves it as it is


def test_stats_command_text_and_json(db):
    text = CliRunner().invoke(main, ["--db", str(db), "stats"], catch_exceptions=False).stdout
    lines = text.splitlines()
    assert lines[1:7] == [
        "posts     3 in 2 channels, 2 not linked",
        "articles  1",
        "links     1 (url 1)",
        "stories   1",
        "alerts    0 raised, 0 failing delivery",
        "sources   2 followed, 0 paused, 1 failing, 2 errors",
    ]
    assert lines[8:11] == ["channels (posts, newest post):",
                           "       2  https://t.me/gull_news/41     2025-03-14T10:30:00Z  Gull News",
                           "       1  https://t.me/harbour_notes/7  2025-03-13T18:00:00Z"]
    assert "  feed:https://www.gull-gazette.example/rss" in lines
    assert ("      2 errors, 2 failures in a row; last 2025-03-14T12:30:00Z: "
            "https://www.gull-gazette.example/rss: timed out") in lines
    as_json = json.loads(CliRunner().invoke(main, ["--db", str(db), "stats", "--format", "json"]).stdout)
    assert as_json["sources"]["list"][1]["errors"] == 2 and as_json["links_by_stage"] == {"url": 1}


def test_stats_of_an_empty_store(new_db):
    with Store(new_db()) as store:
        record = stats(store)
    assert (record["posts"], record["links"], record["stories"], record["by_channel"]) == (0, 0, 0, [])
    assert record["sources"] == {"followed": 0, "paused": 0, "failing": 0, "errors": 0, "list": []}
