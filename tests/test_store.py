import sqlite3
import threading

import psycopg
import pytest

from newstrace.errors import InputError
from newstrace.match.cascade import trace
from newstrace.model import Link
from newstrace.store.schema import MIGRATIONS
from newstrace.store import fulltext
from newstrace.store.core import Store, fresh_store

from factories import SOURCE_URL, article, post


@pytest.fixture
def store(new_db):
    with Store(new_db()) as opened:
        yield opened


def test_new_store_is_migrated(store):
    assert store.schema_version == len(MIGRATIONS)
    if store.dialect == "sqlite":
        assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_reopening_keeps_data_and_version(new_db):
    with Store(new_db("s.db")) as first:
        first.add_posts([post("gull_news", 1, "Ferry fares frozen")])
    with Store(new_db("s.db")) as again:
        assert again.schema_version == len(MIGRATIONS)
        assert again.counts()["posts"] == 1


def test_a_file_that_is_not_a_store_is_a_clear_error(tmp_path):
    bogus = tmp_path / "notes.db"
    bogus.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(InputError, match="notes.db: not a newstrace store"):
        Store(bogus)


def test_same_posts_twice_change_nothing(store):
    batch = [post("gull_news", n, f"Post {n}", links=[Link(SOURCE_URL, "Gazette", "hidden")]) for n in range(5)]
    first = store.add_posts(batch)
    second = store.add_posts(batch)
    assert (first.new, first.unchanged) == (5, 0)
    assert (second.new, second.updated, second.unchanged) == (0, 0, 5)
    assert store.counts()["posts"] == 5
    assert store.db.execute("SELECT count(*) FROM post_links").fetchone()[0] == 5


def test_an_edited_post_keeps_its_earlier_text(store):
    store.add_posts([post("gull_news", 7, "Fares frozen until 2025")])
    counts = store.add_posts([post("gull_news", 7, "Fares frozen until 2026")])
    assert counts.updated == 1
    row = store.post("gull_news", 7)
    assert row["text"] == "Fares frozen until 2026"
    assert row["edited"] == 1
    assert [v["text"] for v in store.post_versions(row["id"])] == ["Fares frozen until 2025",
                                                                   "Fares frozen until 2026"]


def test_a_failing_batch_leaves_no_half_written_posts(store):
    good = post("gull_news", 1, "fine")
    broken = post("gull_news", 2, "broken")
    broken.message_id = None  # violates NOT NULL on the second insert
    with pytest.raises((sqlite3.IntegrityError, psycopg.errors.IntegrityError)):
        store.add_posts([good, broken])
    assert store.counts()["posts"] == 0


def test_articles_are_keyed_by_url_variants_and_keep_raw_bytes(store):
    first_id, status = store.add_article(article())
    assert status == "new"
    again_id, status = store.add_article(article(url=SOURCE_URL + "?utm_source=tg"))
    assert (again_id, status) == (first_id, "unchanged")
    changed_id, status = store.add_article(article(title="Ferry fares frozen for islanders"))
    assert (changed_id, status) == (first_id, "updated")
    assert store.counts()["articles"] == 1
    row = store.article_by_url(SOURCE_URL.replace("www.", "m."))
    assert row["id"] == first_id
    assert store.raw_document(row["raw_hash"]) == b"<html>saved page</html>"


def test_canonical_url_is_a_second_key(store):
    article_id, _ = store.add_article(article(url="https://gull-gazette.example/?p=77",
                                              canonical_url=SOURCE_URL))
    assert store.article_by_url(SOURCE_URL)["id"] == article_id
    assert store.article_by_url("https://gull-gazette.example/?p=77")["id"] == article_id


def test_full_text_search_covers_posts_and_articles(store):
    store.add_posts([post("gull_news", 1, "Паромные тарифы заморожены до 2026 года")])
    store.add_article(article())
    hits = fulltext.posts(store, "тарифы", 10)
    assert [hit["message_id"] for hit in hits] == [1]
    assert "[тарифы]" in hits[0]["snip"].lower()
    assert len(fulltext.articles(store, "Solberg", 10)) == 1
    store.add_posts([post("gull_news", 1, "Тарифы на паром не изменятся")])
    assert fulltext.posts(store, "заморожены", 10) == []
    assert len(fulltext.posts(store, "паром", 10)) == 1


def test_postgresql_search_stems_russian_and_english(pg_server):
    """Stemming is PostgreSQL's own; SQLite's FTS5 matches words as typed."""
    with Store(pg_server.new_database()) as store:
        store.add_posts([post("gull_news", 1, "Забастовка докеров закончилась, workers returned")])
        assert len(fulltext.posts(store, "забастовки докера", 10)) == 1
        assert len(fulltext.posts(store, "worker returns", 10)) == 1
        assert fulltext.posts(store, "забастовка учителей", 10) == []


def test_channel_high_water_mark_only_rises(store):
    store.mark_channel_collected("gull_news", 40)
    store.mark_channel_collected("gull_news", 12)
    assert store.channel_newest_id("gull_news") == 40


def test_every_connection_to_a_store_shares_its_articles_version_and_a_new_store_gets_another(new_db):
    path = new_db("v.db")
    with Store(path) as first, Store(path, any_thread=True) as second:
        assert first.articles_version() == second.articles_version()
        before = first.articles_version()
    with fresh_store(path) as again:
        assert again.articles_version()[0] == before[0] and again.articles_version()[1] != before[1]


def test_a_postgresql_url_that_does_not_answer_is_a_clear_error_without_the_password():
    with pytest.raises(InputError, match=r"postgresql://me:\*\*\*@127.0.0.1:9/x\?connect_timeout=2: cannot open the store \(connection failed"):
        Store("postgresql://me:secret@127.0.0.1:9/x?connect_timeout=2")


def test_writers_at_once_lose_and_duplicate_nothing(new_db):
    """Four connections ingest overlapping batches at the same time: every post once, every
    article once, no error (on PostgreSQL the writers take turns through an advisory lock)."""
    path = new_db("shared.db")
    Store(path).close()
    errors: list[BaseException] = []

    def writer(number: int) -> None:
        try:
            with Store(path, any_thread=True) as mine:
                for start in range(0, 60, 10):
                    mine.add_posts([post("gull_news", n, f"Post {n}") for n in range(start, start + 15)])
                    mine.add_article(article(url=f"https://gull-gazette.example/news/{start % 30}"))
                    mine.mark_channel_collected("gull_news", start + number)
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with Store(path) as store:
        assert store.counts()["posts"] == 65
        assert store.counts()["articles"] == 3
        assert store.db.execute("SELECT count(DISTINCT message_id) FROM posts").fetchone()[0] == 65
        assert store.channel_newest_id("gull_news") == 53


def test_a_store_traced_before_the_linking_queues_upgrades_without_judging_again(new_db):
    """A store of schema 10 (before evidence_dirty, post_pointers and text_pending) keeps its
    decisions, and its posts judged then are not judged again by the text steps."""
    with Store(new_db("old.db")) as store:
        store.add_article(article())
        copy = "Board chair Ingrid Solberg said the freeze would cost 2.4 million crowns a year."
        store.add_posts([post("harbour", 1, "Read this", links=[Link(SOURCE_URL)]),
                         post("relay", 1, "Forwarded", forwarded_from="harbour", forwarded_message_id=1),
                         post("islands", 1, copy), post("islands", 2, "A lighthouse keeper retired.")])
        trace(store, semantic=False)
        decided = store.db.execute("SELECT * FROM matches ORDER BY post_id").fetchall()
        for statement in ["DROP TABLE evidence_dirty", "DROP TABLE post_pointers", "DROP TABLE text_pending",
                          "DROP TABLE post_stories", MIGRATIONS[3],
                          "INSERT INTO text_traced (post_id, stage, articles_seen, content_hash) "
                          "SELECT id, stage, (SELECT max(id) FROM articles), content_hash FROM posts "
                          "CROSS JOIN (SELECT 'copy' AS stage UNION ALL SELECT 'semantic' AS stage) s",
                          "PRAGMA user_version = 10" if store.dialect == "sqlite"
                          else "DELETE FROM schema_version WHERE version > 10"]:
            store.db.execute(statement)
    with Store(new_db("old.db")) as store:
        assert store.schema_version == len(MIGRATIONS)
        assert store.posts_to_judge("copy") == [] and store.posts_to_judge("semantic") == []
        assert trace(store, semantic=False).changed == 0
        assert store.posts_to_judge("copy") == [] and store.posts_to_judge("semantic") == []
        assert store.db.execute("SELECT * FROM matches ORDER BY post_id").fetchall() == decided
        store.add_posts([post("islands", 3, "Again: " + copy)])
        assert trace(store, semantic=False).by_stage["copy"] == 1
