"""Ranking stories by importance: reach, speed of spread and recency over a period."""

from datetime import datetime, timezone

from newstrace import config
from newstrace.stories.report import importance


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
