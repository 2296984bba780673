"""Articles' facts are read once per text and kept in the store."""

from newstrace import config
from newstrace.evaluate import fresh_store
from newstrace.match import fact_store
from newstrace.match.fact_store import article_facts
from newstrace.match.features import facts, facts_version

from factories import article


def rows(store):
    return store.db.execute("SELECT id, title, text, content_hash FROM articles ORDER BY id").fetchall()


def test_facts_come_back_from_the_store_as_they_were_read_and_a_changed_text_is_read_again(new_db):
    with fresh_store(new_db()) as store:
        store.add_article(article(paragraphs=["Глава Нацбанка Амалия Стренк 14 марта снизила ставку до 7,5%.",
                                              "The ninth round of talks with Witkoff ends on April 2, 2025."]))
        first = article_facts(store, rows(store))
        assert store.db.execute("SELECT count(*) FROM article_facts").fetchone()[0] == 1
        again = article_facts(store, rows(store))
        assert again == first
        expected = facts(f"{rows(store)[0]['title']}\n{rows(store)[0]['text']}")
        assert again[0] == expected and again[0].dates == frozenset({(3, 14), (4, 2)}) and 9 in again[0].ordinals
        store.add_article(article(paragraphs=["Board chair Ingrid Solberg resigned on May 5."]))
        changed = article_facts(store, rows(store))
        assert changed[0].dates == frozenset({(5, 5)}) and changed[0] != first[0]


def test_facts_kept_by_an_older_version_of_the_rules_are_read_again(new_db, monkeypatch):
    with fresh_store(new_db()) as store:
        store.add_article(article(paragraphs=["The Fed cut its rate to 4% on September 17."]))
        first = article_facts(store, rows(store))
        stale = facts("Stale")
        store.db.execute("UPDATE article_facts SET facts = ?", (fact_store._dumps(stale),))
        assert article_facts(store, rows(store)) == first, "read once per process"
        monkeypatch.setattr(fact_store, "_KNOWN", {})
        assert article_facts(store, rows(store))[0] == stale, "a new process reads the store"
        monkeypatch.setattr(config, "FACTS_VERSION", config.FACTS_VERSION + 1)
        assert article_facts(store, rows(store)) == first and "fed" in first[0].names


def test_facts_are_read_again_when_the_user_files_change_what_they_read(new_db, tmp_path, monkeypatch):
    """An event kinds file (or an outlets file) changes what a text's facts are: facts stored
    without it are read again, and again when it changes."""
    kinds = tmp_path / "kinds.json"
    with fresh_store(new_db()) as store:
        store.add_article(article(paragraphs=["A Valdorian court sentenced the former minister to five years."]))
        assert article_facts(store, rows(store))[0].lead_event is None
        facts.cache_clear()
        kinds.write_text('{"kinds": {"sentenced": ["sentenced"]}}', encoding="utf-8")
        monkeypatch.setenv("NEWSTRACE_EVENT_KINDS", str(kinds))
        assert article_facts(store, rows(store))[0].lead_event == "sentenced"
        stored = store.db.execute("SELECT content_hash FROM article_facts").fetchone()[0]
        assert stored.endswith(facts_version()) and facts_version() != str(config.FACTS_VERSION)
        outlets = tmp_path / "outlets.json"
        outlets.write_text("[]", encoding="utf-8")
        before = facts_version()
        monkeypatch.setenv("NEWSTRACE_OUTLETS", str(outlets))
        assert facts_version() != before
