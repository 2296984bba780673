"""What the store holds and how the watched sources are doing, as one JSON-ready dict.

`newstrace stats` prints it; it is meant to be shown as it is by a health endpoint and turned into
metrics, so it holds plain numbers, strings and lists only, and reads the store without writing.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from newstrace.store.core import Store, iso


def stats(store: Store, *, now: datetime | None = None) -> dict[str, Any]:
    """Counts of posts, channels, articles, links by stage, stories and alerts; every followed
    source with its schedule, health and newest item; every channel with its newest post.
    now (default: the clock) decides which sources are paused at the moment."""
    moment = iso(now or datetime.now(timezone.utc))
    db = store.db
    record: dict[str, Any] = {"store": store.display, "schema_version": store.schema_version, **store.counts()}
    record["links"] = sum(record["links_by_stage"].values())
    record["unlinked_posts"] = record["posts"] - record["links"]
    record["stories"] = db.execute("SELECT (SELECT count(DISTINCT story) FROM article_stories) + "
                                   "(SELECT count(DISTINCT story) FROM post_stories)").fetchone()[0]
    raised, failing = db.execute(
        "SELECT count(*), count(CASE WHEN delivered_at IS NULL AND last_error IS NOT NULL THEN 1 END) "
        "FROM alerts_sent").fetchone()
    last_error = db.execute("SELECT last_error FROM alerts_sent WHERE delivered_at IS NULL AND last_error IS NOT NULL "
                            "ORDER BY created_at DESC, rowid DESC LIMIT 1").fetchone()
    record["alerts"] = {"raised": raised, "delivery_failing": failing,
                        "last_delivery_error": last_error[0] if last_error else None}
    sources = [dict(row) for row in db.execute(
        "SELECT name, kind, url, interval_s, last_ok, next_due, failures, errors, paused_until, last_error, "
        "last_error_at, newest_item FROM watch_sources ORDER BY name")]
    for source in sources:
        source["paused"] = bool(source["paused_until"] and source["paused_until"] > moment)
    record["sources"] = {
        "followed": len(sources),
        "paused": sum(source["paused"] for source in sources),
        "failing": sum(source["failures"] > 0 for source in sources),
        "errors": sum(source["errors"] for source in sources),
        "list": sources,
    }
    record["by_channel"] = [dict(row) for row in db.execute(
        "SELECT p.channel, c.title, count(*) AS posts, max(p.posted_at) AS newest_posted_at, "
        "(SELECT q.message_id FROM posts q WHERE q.channel = p.channel "
        " ORDER BY q.posted_at IS NULL, q.posted_at DESC, q.message_id DESC LIMIT 1) AS newest_id, "
        "c.collected_at FROM posts p LEFT JOIN channels c ON c.username = p.channel "
        "GROUP BY p.channel, c.title, c.collected_at ORDER BY p.channel")]
    for channel in record["by_channel"]:
        channel["newest_post"] = f"https://t.me/{channel['channel']}/{channel.pop('newest_id')}"
    return record


def _when(stamp: str | None) -> str:
    return stamp or "never"


def _every(seconds: int) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def render_stats(record: dict[str, Any]) -> str:
    """The stats as a few aligned lines for a terminal."""
    stages = ", ".join(f"{stage} {count}" for stage, count in sorted(record["links_by_stage"].items()))
    sources = record["sources"]
    lines = [
        f"store     {record['store']} (schema {record['schema_version']})",
        f"posts     {record['posts']} in {record['channels']} channels, {record['unlinked_posts']} not linked",
        f"articles  {record['articles']}",
        f"links     {record['links']}" + (f" ({stages})" if stages else ""),
        f"stories   {record['stories']}",
        f"alerts    {record['alerts']['raised']} raised, {record['alerts']['delivery_failing']} failing delivery",
        f"sources   {sources['followed']} followed, {sources['paused']} paused, {sources['failing']} failing, "
        f"{sources['errors']} errors",
    ]
    if record["by_channel"]:
        lines += ["", "channels (posts, newest post):"]
        width = max(len(channel["newest_post"]) for channel in record["by_channel"])
        lines += [f"  {channel['posts']:>6}  {channel['newest_post']:<{width}}  {_when(channel['newest_posted_at'])}"
                  + (f"  {channel['title']}" if channel["title"] else "") for channel in record["by_channel"]]
    if sources["list"]:
        lines += ["", "sources (every, last ok, next due, newest item):"]
        for source in sources["list"]:
            lines.append(f"  {source['name']}")
            lines.append(f"      every {_every(source['interval_s'])}, ok {_when(source['last_ok'])}, "
                         f"next {source['next_due']}, newest {source['newest_item'] or 'none'}")
            if source["errors"]:
                state = f"paused until {source['paused_until']}" if source["paused"] else \
                    f"{source['failures']} failures in a row"
                lines.append(f"      {source['errors']} errors, {state}; last {source['last_error_at']}: "
                             f"{source['last_error']}")
    return "\n".join(lines) + "\n"
