import json
import random

import pytest

from newstrace.match.cascade import trace
from newstrace.match.near_copy import link_near_copies, paragraph_index
from newstrace.model import Link
from newstrace.store.core import Store

from factories import SOURCE_URL, article, delete_some_article, post, utc


def test_a_verbatim_copy_is_linked_without_embeddings_and_its_credit_read(new_db):
    with Store(new_db()) as store:
        article_id, _ = store.add_article(article())
        store.add_article(article(url="https://other.example/2025/03/14/ferry-queue",
                                  title="Queues at the ferry terminal",
                                  paragraphs=["Long queues formed at the ferry terminal on Friday morning "
                                              "as the new timetable started."]))
        store.add_posts([
            post("islands", 1, "Board chair Ingrid Solberg said the freeze would cost 2.4 million crowns a year, "
                               "writes Gull Gazette."),
            post("islands", 2, "Ingrid Solberg thinks island ferries have become too expensive for tourists."),
            post("islands", 3, "A completely different story about a lighthouse and its new keeper."),
        ])
        report = trace(store, semantic=False)
        assert report.by_stage["copy"] == 1
        row = store.db.execute("SELECT m.* FROM matches m JOIN posts p ON p.id = m.post_id "
                               "WHERE p.message_id = 1").fetchone()
        evidence = json.loads(row["evidence"])
        assert (row["stage"], row["article_id"]) == ("copy", article_id)
        assert evidence["containment"] >= 0.6 and 0.9 < row["score"] <= 1.0
        assert evidence["credit"] == "named" and "Gull Gazette" in evidence["credit_phrase"]
        assert trace(store, semantic=False).changed == 0


def test_a_copy_of_an_article_added_later_is_found_by_the_next_trace(new_db):
    with Store(new_db()) as store:
        store.add_article(article())
        store.add_posts([post("islands", 1, "Lighthouse keepers on Gull Island will be replaced by automatic "
                                            "lamps next spring, the coast authority announced on Monday.")])
        assert trace(store, semantic=False).by_stage["copy"] == 0
        later_id, _ = store.add_article(article(
            url="https://www.gull-gazette.example/2025/03/17/lighthouses-automated-a80",
            title="Gull Island lighthouses to be automated",
            paragraphs=["Lighthouse keepers on Gull Island will be replaced by automatic lamps next spring, "
                        "the coast authority announced on Monday.", "The union said it would appeal."]))
        assert trace(store, semantic=False).by_stage["copy"] == 1
        assert store.match_for_post(store.post("islands", 1)["id"])["article_id"] == later_id


def test_the_paragraph_index_follows_the_store_one_article_at_a_time(new_db):
    """A new article is added to the index, an edited one re-indexed, a deleted one dropped;
    the articles that did not change keep the entries they had."""
    lighthouse = ("Lighthouse keepers on Gull Island will be replaced by automatic lamps next spring, "
                  "the coast authority announced on Monday.")
    ferry = "Long queues formed at the ferry terminal on Friday morning as the new timetable started."
    with Store(new_db()) as store:
        first_id, _ = store.add_article(article())
        index = paragraph_index(store)
        kept = index.indexed[first_id]
        url = "https://www.gull-gazette.example/2025/03/17/lighthouses-automated-a80"
        later_id, _ = store.add_article(article(url=url, title="Gull Island lighthouses", paragraphs=[lighthouse]))
        assert paragraph_index(store) is index and index.indexed[first_id] is kept
        assert set(index.indexed) == {first_id, later_id}
        store.add_posts([post("islands", 1, lighthouse), post("islands", 2, ferry)])
        posts = [store.post("islands", 1), store.post("islands", 2)]
        assert [m.message_id for m in link_near_copies(store, posts)] == [1]
        assert store.add_article(article(url=url, title="Gull Island lighthouses", paragraphs=[ferry])) == (
            later_id, "updated")
        assert [m.message_id for m in link_near_copies(store, posts)] == [2]
        assert index.indexed[first_id] is kept
        with store.transaction():
            store.delete_article(later_id)
        assert link_near_copies(store, posts) == [] and set(index.indexed) == {first_id}


def _copy_matches(store):
    return store.db.execute("SELECT post_id, article_id, stage, score, evidence, decided_at FROM matches "
                            "ORDER BY post_id").fetchall()


@pytest.mark.parametrize("seed", range(4))
def test_judging_only_queued_posts_decides_as_judging_every_post(new_db, seed):
    """Random articles (some undated), deletions, posts copying them or not, edits, URL links and
    forwards:
    after each incremental trace, a trace that judges every post again changes nothing."""
    store = Store(new_db())
    rng = random.Random(seed)
    sources = {f"https://www.gull-gazette.example/2025/03/1{day}/story-{day}": [
        f"Harbour {word} report number {day}: the {word} committee met on Tuesday and agreed "
        f"to spend {day}.5 million crowns on the {word} quay." for word in ("north", "south")]
        for day in range(4)}
    lines = [line for paragraphs in sources.values() for line in paragraphs] + [
        "A lighthouse keeper retired after forty years of service on the rocks.", ""]
    posts = [(channel, number) for channel in ("a", "b") for number in range(1, 5)]
    for step in range(30):
        action = rng.random()
        if action < 0.3:
            url = rng.choice(list(sources))
            day = rng.choice([None, "2025-03-12T08:00:00", "2025-03-14T08:00:00"])
            store_article = article(url, title=f"Harbour story {url[-1]}", paragraphs=sources[url],
                                    published_at=day and utc(day), links=[])
            store.add_article(store_article)
        elif action < 0.4:
            delete_some_article(store, rng)
        else:
            channel, number = rng.choice(posts)
            links = [Link(rng.choice(list(sources)))] if rng.random() < 0.2 else []
            forward = rng.choice(posts) if rng.random() < 0.3 else (None, None)
            store.add_posts([post(channel, number, rng.choice(lines), links=links,
                                  at=rng.choice(["2025-03-13T09:00:00", "2025-03-15T09:00:00"]),
                                  forwarded_from=forward[0], forwarded_message_id=forward[1])])
        trace(store, semantic=False)
        decided = _copy_matches(store)
        store.db.execute("INSERT INTO text_pending (post_id, stage, ticket) SELECT id, 'copy', 0 FROM posts "
                         "WHERE true ON CONFLICT DO NOTHING")
        assert trace(store, semantic=False).changed == 0, f"seed {seed}, step {step}"
        assert _copy_matches(store) == decided
    assert any(row["stage"] == "copy" for row in decided), "nothing was copied: the test checked nothing"
    store.close()


def test_a_forward_that_loses_its_source_is_judged_by_its_own_text(new_db):
    with Store(new_db()) as store:
        store.add_article(article())
        store.add_posts([
            post("harbour", 1, "Read this", links=[Link(SOURCE_URL)]),
            post("relay", 1, "Board chair Ingrid Solberg said the freeze would cost 2.4 million crowns a year.",
                 forwarded_from="harbour", forwarded_message_id=1)])
        assert trace(store, semantic=False).by_stage == {"url": 1, "forward": 1, "mention": 0, "copy": 0}
        store.add_posts([post("harbour", 1, "Read this (link removed)")])
        assert trace(store, semantic=False).by_stage == {"url": 0, "forward": 0, "mention": 0, "copy": 1}
        assert store.match_for_post(store.post("relay", 1)["id"])["stage"] == "copy"


def test_a_copy_with_its_channel_footer_is_a_copy(new_db):
    """The channel's footer is not its news: a copied passage under a footer as long as itself
    is still a near-verbatim copy (the footer's words once halved its containment)."""
    footer = "👉 Island Wire: the ferries, the harbour and the weather first. Subscribe and share with friends"
    with Store(new_db()) as store:
        article_id, _ = store.add_article(article())
        store.add_posts([post("islands", 1, "Board chair Ingrid Solberg said the freeze would cost 2.4 million "
                                            "crowns a year.\n" + footer),
                         post("islands", 2, footer)])
        trace(store, semantic=False)
        rows = store.db.execute("SELECT p.message_id, m.stage, m.article_id FROM matches m "
                                "JOIN posts p ON p.id = m.post_id").fetchall()
        assert [tuple(row) for row in rows] == [(1, "copy", article_id)]
