"""Prometheus metrics of the store and the watched sources, read from `stats()` at each scrape,
so that what /metrics says and what `newstrace stats` says cannot drift apart."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from prometheus_client import CollectorRegistry, Gauge, generate_latest

from newstrace.store.core import parse_iso


def exposition(stats: dict[str, Any], now: datetime | None = None) -> bytes:
    """The Prometheus text format for one stats() snapshot."""
    now = now or datetime.now(timezone.utc)
    registry = CollectorRegistry()

    def gauge(name: str, help_text: str, labels: tuple[str, ...] = ()) -> Gauge:
        return Gauge(f"newstrace_{name}", help_text, labels, registry=registry)

    items = gauge("items", "Items in the store", ("kind",))
    for kind in ("posts", "articles", "links", "stories", "channels", "unlinked_posts"):
        items.labels(kind).set(stats[kind])
    links = gauge("links_by_stage", "Links by the cascade stage that made them", ("stage",))
    for stage, count in stats["links_by_stage"].items():
        links.labels(stage).set(count)
    gauge("alerts_raised", "Alerts raised").set(stats["alerts"]["raised"])
    gauge("alerts_delivery_failing", "Alerts whose webhook delivery is failing").set(stats["alerts"]["delivery_failing"])
    errors = gauge("source_errors", "Failed polls of a watched source", ("source", "kind"))
    failing = gauge("source_consecutive_failures", "Failures in a row of a watched source", ("source", "kind"))
    lag = gauge("source_lag_seconds", "Seconds since a watched source was last polled successfully",
                ("source", "kind"))
    paused = gauge("source_paused", "1 while a watched source is paused after failures", ("source", "kind"))
    for source in stats["sources"]["list"]:
        labels = (source["name"], source["kind"])
        errors.labels(*labels).set(source["errors"])
        failing.labels(*labels).set(source["failures"])
        until = parse_iso(source["paused_until"])
        paused.labels(*labels).set(int(until is not None and until > now))
        last_ok = parse_iso(source["last_ok"])
        if last_ok:
            lag.labels(*labels).set((now - last_ok).total_seconds())
    newest = gauge("channel_newest_post_timestamp_seconds", "Time of the newest stored post of a channel",
                   ("channel",))
    for channel in stats["by_channel"]:
        posted = parse_iso(channel["newest_posted_at"])
        if posted:
            newest.labels(channel["channel"]).set(posted.timestamp())
    return generate_latest(registry)
