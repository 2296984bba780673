import sqlite3

import pytest

from newstrace.errors import InputError
from newstrace.model import Link
from newstrace.store.schema import MIGRATIONS
from newstrace.store.sqlite import Store

from factories import SOURCE_URL, article, post


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "store.db") as opened:
        yield opened


def test_new_store_is_migrated_and_in_wal_mode(store):
    assert store.schema_version == len(MIGRATIONS)
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_reopening_keeps_data_and_version(tmp_path):
    with Store(tmp_path / "s.db") as first:
        first.add_posts([post("gull_news", 1, "Ferry fares frozen")])
    with Store(tmp_path / "s.db") as again:
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
    with pytest.raises(sqlite3.IntegrityError):
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
    hits = store.db.execute("SELECT rowid FROM posts_fts WHERE posts_fts MATCH 'тарифы'").fetchall()
    assert len(hits) == 1
    hits = store.db.execute("SELECT rowid FROM articles_fts WHERE articles_fts MATCH 'Solberg'").fetchall()
    assert len(hits) == 1
    store.add_posts([post("gull_news", 1, "Тарифы на паром не изменятся")])
    hits = store.db.execute("SELECT rowid FROM posts_fts WHERE posts_fts MATCH 'заморожены'").fetchall()
    assert hits == []


def test_channel_high_water_mark_only_rises(store):
    store.mark_channel_collected("gull_news", 40)
    store.mark_channel_collected("gull_news", 12)
    assert store.channel_newest_id("gull_news") == 40


def test_every_connection_to_a_store_shares_its_articles_version_and_a_new_store_gets_another(tmp_path):
    path = tmp_path / "v.db"
    with Store(path) as first, Store(path, any_thread=True) as second:
        assert first.articles_version() == second.articles_version()
        before = first.articles_version()
    for stale in tmp_path.glob("v.db*"):
        stale.unlink()
    with Store(path) as again:
        assert again.articles_version()[0] == before[0] and again.articles_version()[1] != before[1]
