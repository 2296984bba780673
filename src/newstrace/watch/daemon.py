"""The watch loop: poll the sources that are due, one request at a time, trace what they brought,
raise and deliver alerts, sleep until the next source falls due.

All state is in the store (schedule, health, alerts, marks), so a restart resumes where the last
run stopped. SIGTERM or SIGINT lets the item being fetched finish, then the loop exits cleanly; a
second signal interrupts at once.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone

from newstrace import config, ingest
from newstrace.collect.http import Fetcher
from newstrace.errors import NewstraceError
from newstrace.match.cascade import trace
from newstrace.store.core import IngestCounts, Store, iso, now_iso
from newstrace.watch import alerts
from newstrace.watch.config import Source, WatchConfig
from newstrace.watch.log import WatchLog
from newstrace.watch.schedule import due_sources, next_due, record_failure, record_success, sync_sources


@dataclass
class Poll:
    """One poll of one source: what it ingested, why it failed (None: it read the source), and
    the newest item the source now has in the store."""

    result: ingest.IngestResult
    failure: str | None
    newest_item: str | None


@dataclass
class WatchReport:
    """What a watch run did, for the caller and the last log line."""

    cycles: int = 0
    polls: int = 0
    failed_polls: int = 0
    posts: IngestCounts = field(default_factory=IngestCounts)
    articles: IngestCounts = field(default_factory=IngestCounts)
    alerts: int = 0
    stopped_by_signal: bool = False


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


@contextmanager
def stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """SIGTERM and SIGINT set stop; a second one raises KeyboardInterrupt. Only the main thread
    can take signals, so elsewhere this does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: object) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()

    previous = {number: signal.signal(number, handler) for number in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for number, old in previous.items():
            signal.signal(number, old)


def _until(stop: threading.Event, items: Iterable[str]) -> Iterator[str]:
    """items, up to the moment stop is set: a stop lets the page at hand finish, not the list."""
    for item in items:
        if stop.is_set():
            return
        yield item


def _newest_post(store: Store, channel: str) -> str | None:
    row = store.db.execute("SELECT username, newest_id FROM channels WHERE lower(username) = ? "
                           "AND newest_id IS NOT NULL", (channel,)).fetchone()
    return f"https://t.me/{row['username']}/{row['newest_id']}" if row else None


def _stored_url(store: Store, url: str) -> str | None:
    row = store.article_by_url(url)
    return row["url"] if row else None


def poll(store: Store, source: Source, *, fetcher: Fetcher, base_url: str, stop: threading.Event) -> Poll:
    """Read one source into the store. A channel reads what is newer than its newest stored post
    (source.limit posts on its first poll); a feed fetches the articles it lists that the store
    lacks (at most source.limit); a page is fetched again (its article may have been updated)."""
    if source.kind == "channel":
        first = _newest_post(store, source.target) is None
        result = ingest.collect_telegram(store, source.target, fetcher=fetcher, base_url=base_url,
                                         limit=source.limit if first else None)
        failure = str(result.errors[0]) if result.errors else None
        return Poll(result, failure, _newest_post(store, source.target))
    if source.kind == "feed":
        try:
            urls = ingest.list_feed(fetcher, source.target)
        except NewstraceError as error:
            return Poll(ingest.IngestResult(), str(error), None)
        fresh = [url for url in urls if store.article_by_url(url) is None][:source.limit]
        result = ingest.collect_urls(store, _until(stop, fresh), fetcher=fetcher)
        failure = str(result.errors[0]) if result.nothing_done else None
        return Poll(result, failure, next(filter(None, (_stored_url(store, url) for url in urls)), None))
    result = ingest.collect_urls(store, [source.target], fetcher=fetcher)
    return Poll(result, str(result.errors[0]) if result.errors else None, _stored_url(store, source.target))


def _changed(result: ingest.IngestResult) -> bool:
    return bool(result.posts.new + result.posts.updated + result.articles.new + result.articles.updated)


def run_watch(store: Store, watch: WatchConfig, *, fetcher: Fetcher, base_url: str = config.TELEGRAM_BASE_URL,
              once: bool = False, max_cycles: int | None = None, log: WatchLog | None = None,
              now: Callable[[], datetime] = utc_now, sleep: Callable[[float], object] | None = None,
              stop: threading.Event | None = None, post: alerts.Post = alerts.post_json) -> WatchReport:
    """Follow the watch list until stopped: by a signal, after one pass (once) or max_cycles.

    now and sleep are the clock (tests pass a fake one); stop, when given, is the caller's way
    to end the run; post sends one alert to the webhook.
    """
    log = log or WatchLog()
    stop = stop or threading.Event()
    sleep = sleep or stop.wait
    sources = {source.name: source for source in watch.sources}
    report = WatchReport()
    with stop_on_signals(stop):
        for name in sync_sources(store, watch.sources, base_url=base_url, now=now()):
            log.event("source_dropped", source=name)
        alerts.start_marks(store)
        log.event("watch_started", config=watch.path, sources=len(sources), semantic=watch.semantic)
        while not stop.is_set():
            report.cycles += 1
            checked_from = now_iso()
            due = due_sources(store, now())
            changed = False
            for number, name in enumerate(due, start=1):
                if stop.is_set():
                    break
                log.status(f"cycle {report.cycles}: polling {name} ({number}/{len(due)})")
                changed |= _poll_one(store, sources[name], report, log, fetcher=fetcher, base_url=base_url,
                                     stop=stop, now=now)
            if stop.is_set():
                break
            if changed or report.cycles == 1:
                log.status(f"cycle {report.cycles}: tracing")
                started = time.monotonic()
                links = trace(store, semantic=watch.semantic)
                log.event("traced", links=sum(links.by_stage.values()), by_stage=links.by_stage,
                          changed=links.changed, seconds=round(time.monotonic() - started, 2))
            _alert(store, watch, report, log, checked_from=checked_from, post=post)
            if once or (max_cycles is not None and report.cycles >= max_cycles):
                break
            wake = next_due(store)
            wait = max(0.0, (wake - now()).total_seconds()) if wake else float(config.WATCH_INTERVAL_S)
            log.status(f"cycle {report.cycles} done; next poll {iso(wake)}")
            sleep(wait)
    report.stopped_by_signal = stop.is_set()
    log.event("watch_stopped", reason="signal" if report.stopped_by_signal else "done", cycles=report.cycles,
              polls=report.polls, failed_polls=report.failed_polls, posts_new=report.posts.new,
              articles_new=report.articles.new, alerts=report.alerts)
    log.close()
    return report


def _poll_one(store: Store, source: Source, report: WatchReport, log: WatchLog, *, fetcher: Fetcher,
              base_url: str, stop: threading.Event, now: Callable[[], datetime]) -> bool:
    """Poll one source and record the outcome in its schedule; whether it changed the store."""
    started = time.monotonic()
    polled = poll(store, source, fetcher=fetcher, base_url=base_url, stop=stop)
    result = polled.result
    report.polls += 1
    report.posts += result.posts
    report.articles += result.articles
    counts = {"posts_new": result.posts.new, "posts_updated": result.posts.updated,
              "articles_new": result.articles.new, "articles_updated": result.articles.updated,
              "seconds": round(time.monotonic() - started, 2)}
    if polled.failure is None:
        record_success(store, source, now(), newest_item=polled.newest_item,
                       item_errors=[str(error) for error in result.errors])
        log.event("polled", source=source.name, **counts, item_errors=len(result.errors),
                  newest_item=polled.newest_item)
        for error in result.errors:
            log.event("item_failed", level="warning", source=source.name, error=str(error))
        return _changed(result)
    report.failed_polls += 1
    failures, paused_until = record_failure(store, source, now(), polled.failure)
    log.event("poll_failed", level="warning", source=source.name, error=polled.failure, failures=failures, **counts)
    if paused_until is not None:
        log.event("source_paused", level="error", source=source.name, until=iso(paused_until), failures=failures,
                  error=polled.failure)
    return _changed(result)


def _alert(store: Store, watch: WatchConfig, report: WatchReport, log: WatchLog, *, checked_from: str,
           post: alerts.Post) -> None:
    """Raise this cycle's alerts and deliver every alert still owed to the file or the webhook."""
    for alert in alerts.raise_alerts(store, watch.rules, checked_from=checked_from):
        report.alerts += 1
        log.event("alert", key=alert["key"], rule=alert["rule"], message=alert["message"])
    delivery = alerts.deliver(store, webhook=watch.webhook, alert_file=watch.alert_file, post=post)
    if delivery.written or delivery.delivered:
        log.event("alerts_delivered", written=delivery.written, posted=delivery.delivered)
    for problem in delivery.failed:
        log.event("alert_delivery_failed", level="warning", error=problem)
