"""Prometheus exposition of a stats snapshot: per-source errors, failures, pause and lag."""

from datetime import datetime, timezone

from newstrace.web.metrics import exposition

NOW = datetime(2025, 8, 7, 12, 0, tzinfo=timezone.utc)


def snapshot(**source) -> dict:
    return {"posts": 5, "articles": 2, "links": 3, "stories": 1, "channels": 1, "unlinked_posts": 2,
            "links_by_stage": {"url": 3}, "alerts": {"raised": 4, "delivery_failing": 1},
            "sources": {"list": [source]}, "by_channel": []}


def test_a_failing_paused_source_shows_its_errors_pause_and_lag():
    text = exposition(snapshot(name="gull", kind="channel", errors=7, failures=3,
                               paused_until="2025-08-07T12:30:00+00:00", last_ok="2025-08-07T11:00:00Z"), NOW).decode()
    lines = text.splitlines()
    assert 'newstrace_source_errors{kind="channel",source="gull"} 7.0' in lines
    assert 'newstrace_source_consecutive_failures{kind="channel",source="gull"} 3.0' in lines
    assert 'newstrace_source_paused{kind="channel",source="gull"} 1.0' in lines
    assert 'newstrace_source_lag_seconds{kind="channel",source="gull"} 3600.0' in lines
    assert "newstrace_alerts_delivery_failing 1.0" in lines


def test_a_healthy_source_is_not_paused_and_a_never_polled_one_has_no_lag():
    text = exposition(snapshot(name="feed", kind="feed", errors=0, failures=0, paused_until=None, last_ok=None),
                      NOW).decode()
    assert 'newstrace_source_paused{kind="feed",source="feed"} 0.0' in text.splitlines()
    assert "newstrace_source_lag_seconds{" not in text
