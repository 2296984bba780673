import json

from newstrace.match.cascade import trace
from newstrace.match.near_copy import link_near_copies, paragraph_index
from newstrace.store.core import Store

from factories import article, post


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
