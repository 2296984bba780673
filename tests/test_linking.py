import json

import pytest

from newstrace.match.evidence_links import link_by_evidence
from newstrace.model import Link, LinkPreview
from newstrace.store.core import Store

from factories import SOURCE_URL, article, post


@pytest.fixture
def store(new_db):
    with Store(new_db()) as opened:
        yield opened


def _match(store, channel, message_id):
    row = store.post(channel, message_id)
    found = store.match_for_post(row["id"])
    return None if found is None else (found["stage"], found["article_id"], json.loads(found["evidence"]))


def test_url_variants_in_text_hidden_links_and_previews_link_to_the_article(store):
    article_id, _ = store.add_article(article())
    store.add_posts([
        post("a", 1, "Паромы: " + SOURCE_URL + "?utm_source=tg", links=[Link(SOURCE_URL + "?utm_source=tg")]),
        post("a", 2, "Тарифы заморожены, пишет Gull Gazette",
             links=[Link(SOURCE_URL.replace("www.", "m.") + "/amp", "Gull Gazette", "hidden")]),
        post("a", 3, "", preview=LinkPreview(SOURCE_URL + "#top", "Gull Gazette"),
             links=[Link(SOURCE_URL + "#top", "", "preview")]),
        post("a", 4, "Unrelated", links=[Link("https://elsewhere.example/story")]),
        post("a", 6, "Тарифы", links=[Link(SOURCE_URL, "Gull Gazette", "hidden")],
             forwarded_from_name="Паромы сегодня"),
        post("a", 5, "No link at all"),
    ])
    report = link_by_evidence(store)
    assert report.by_stage == {"url": 4, "forward": 0, "mention": 0}
    assert _match(store, "a", 6)[2]["credit"] == "forward (hyperlink)"
    assert _match(store, "a", 1)[:2] == ("url", article_id)
    stage, _, evidence = _match(store, "a", 2)
    assert evidence["credit"] == "hyperlink" and evidence["anchor"] == "Gull Gazette"
    assert _match(store, "a", 3)[2]["credit"] == "link preview"
    assert _match(store, "a", 4) is None and _match(store, "a", 5) is None


def test_a_link_posted_before_its_article_is_collected_links_later(store):
    store.add_posts([post("a", 1, "", links=[Link(SOURCE_URL)])])
    assert sum(link_by_evidence(store).by_stage.values()) == 0
    store.add_article(article())
    assert link_by_evidence(store).by_stage["url"] == 1


def test_forwards_and_mentions_inherit_the_source_through_chains(store):
    article_id, _ = store.add_article(article())
    store.add_posts([
        post("origin", 10, "Тарифы", links=[Link(SOURCE_URL, "источник", "hidden")]),
        post("relay", 20, "Тарифы", forwarded_from="Origin", forwarded_message_id=10),
        post("relay2", 30, "Тарифы", forwarded_from="relay", forwarded_message_id=20),
        post("digest", 40, "Подробности: t.me/origin/10", links=[Link("https://t.me/origin/10")]),
        post("lost", 50, "Тарифы", forwarded_from="nobody", forwarded_message_id=1),
    ])
    report = link_by_evidence(store)
    assert report.by_stage == {"url": 1, "forward": 2, "mention": 1}
    stage, linked, evidence = _match(store, "relay2", 30)
    assert (stage, linked, evidence["via"]) == ("forward", article_id, "https://t.me/relay/20")
    assert _match(store, "digest", 40)[2]["credit"] == "t.me mention"
    assert _match(store, "lost", 50) is None


def test_relinking_is_idempotent_and_keeps_decision_times(store):
    store.add_article(article())
    store.add_posts([post("a", 1, "", links=[Link(SOURCE_URL)])])
    link_by_evidence(store)
    first = store.db.execute("SELECT decided_at FROM matches").fetchall()
    again = link_by_evidence(store)
    assert again.changed == 0
    assert store.db.execute("SELECT decided_at FROM matches").fetchall() == first


def test_an_edit_that_drops_the_link_drops_the_decision(store):
    store.add_article(article())
    store.add_posts([post("a", 1, "", links=[Link(SOURCE_URL)])])
    link_by_evidence(store)
    store.add_posts([post("a", 1, "link removed")])
    report = link_by_evidence(store)
    assert report.changed == 1 and _match(store, "a", 1) is None
