import json
import random

import pytest

from newstrace.match.evidence_links import link_by_evidence
from newstrace.model import Link, LinkPreview
from newstrace.store.core import Store

from factories import SOURCE_URL, article, delete_some_article, post


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


def _evidence_matches(store):
    return store.db.execute("SELECT post_id, article_id, stage, score, evidence, decided_at FROM matches "
                            "WHERE stage IN ('url', 'forward', 'mention') ORDER BY post_id").fetchall()


@pytest.mark.parametrize("seed", range(6))
def test_judging_only_what_changed_decides_as_judging_the_whole_store(store, seed):
    """Random ingests, edits, forwards, mentions and deletions: after each incremental pass, a
    pass over every post of the store changes nothing."""
    rng = random.Random(seed)
    urls = [f"https://www.gull-gazette.example/2025/03/{day:02d}/story-a{day}" for day in range(1, 5)]
    posts = [(channel, number) for channel in ("a", "b", "c") for number in range(1, 5)]
    for step in range(40):
        action = rng.random()
        if action < 0.25:
            store.add_article(article(rng.choice(urls)))
        elif action < 0.35:
            delete_some_article(store, rng)
        else:
            channel, number = rng.choice(posts)
            links = [Link(url) for url in rng.sample(urls, rng.randint(0, 2))]
            if rng.random() < 0.3:
                target = rng.choice(posts)
                links.append(Link(f"https://t.me/{target[0]}/{target[1]}"))
            forward = rng.choice(posts) if rng.random() < 0.3 else (None, None)
            store.add_posts([post(channel, number, f"step {step}", links=links,
                                  forwarded_from=forward[0], forwarded_message_id=forward[1])])
        link_by_evidence(store)
        decided = _evidence_matches(store)
        store.db.execute("INSERT INTO evidence_dirty (post_id) SELECT id FROM posts WHERE true ON CONFLICT DO NOTHING")
        assert link_by_evidence(store).changed == 0, f"seed {seed}, step {step}"
        assert _evidence_matches(store) == decided
    assert decided, "the random store linked nothing: the test checked nothing"
