"""`newstrace watch` against real loopback servers: the demo channels' preview pages, a feed of the
demo articles, and a webhook receiver recording what it is sent."""

from __future__ import annotations

import io
import json
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner

from newstrace import config, ingest
from newstrace.cli import main
from newstrace.collect.http import Fetcher
from newstrace.demo import demo_files
from newstrace.report.stats import stats
from newstrace.store.core import Store, iso
from newstrace.watch.alerts import deliver
from newstrace.watch.config import load_watch_config
from newstrace.watch.daemon import run_watch
from newstrace.watch.log import WatchLog
from newstrace.watch.schedule import pause_seconds

from factories import user_file_error

DEMO = demo_files()
A1 = "https://www.northwind-herald.example/2025/08/07/kestrel-port-workers-end-strike-after-pay-deal-a4521"
RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Kestrel news</title><link>/</link>
<item><title>Strike over</title><link>/news/a4521.html</link></item>
<item><title>Забастовка</title><link>/news/priozersk.html</link></item>
</channel></rss>"""
START = datetime(2025, 9, 1, 12, 0, tzinfo=timezone.utc)
# copy_desk/5 copies the Northwind article's lead word for word, with no link and no credit
COPY = ("Dockworkers at the port of Kestrel voted on Wednesday night to end a nine-day strike that had left "
        "more than forty cargo ships waiting at anchor in the outer roads and emptied the shelves of several "
        "island shops.")
COPY_PAGE = (
    '<!DOCTYPE html><html><head><meta charset="utf-8"></head><body class="tgme_webpreview">'
    '<div class="tgme_channel_info_header_title"><span dir="auto">Copy Desk</span></div>'
    '<section class="tgme_channel_history js-message_history">'
    '<div class="tgme_widget_message_wrap"><div class="tgme_widget_message js-widget_message" data-post="copy_desk/5">'
    f'<div class="tgme_widget_message_text js-message_text" dir="auto">{COPY}</div>'
    '<a class="tgme_widget_message_date" href="https://t.me/copy_desk/5">'
    '<time datetime="2025-08-07T10:50:00+00:00" class="time">10:50</time></a></div></div>'
    '</section></body></html>')


class Receiver:
    """A webhook on 127.0.0.1 that records every POST body; statuses are answered in turn, the
    last one repeating."""

    def __init__(self, statuses: list[int]) -> None:
        self.bodies: list[dict] = []
        self.statuses = statuses
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                status = receiver.statuses.pop(0) if len(receiver.statuses) > 1 else receiver.statuses[0]
                if status == 200:
                    receiver.bodies.append(json.loads(body))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    hook = Receiver([200])
    yield hook
    hook.close()


@pytest.fixture
def site(http_server):
    """The demo's two preview channels and a feed of its two HTML articles, on loopback."""
    tg = DEMO / "telegram"
    http_server.route("/s/kestrel_today", (tg / "kestrel_today_page1.html").read_bytes())
    http_server.route("/s/kestrel_today?before=310", (tg / "kestrel_today_page2.html").read_bytes())
    http_server.route("/s/baltic_wire", (tg / "baltic_wire.html").read_bytes())
    http_server.route("/s/copy_desk", COPY_PAGE)
    http_server.route("/rss.xml", RSS, content_type="application/rss+xml")
    http_server.route("/news/a4521.html", (DEMO / "articles" / "kestrel-port-workers-end-strike.html").read_bytes())
    http_server.route("/news/priozersk.html", (DEMO / "articles" / "priozersk-kestrel-zabastovka.html").read_bytes())
    return http_server


def write_config(tmp_path: Path, site, receiver: Receiver | None, extra: str = "") -> Path:
    webhook = f'webhook = "{receiver.url}"\n' if receiver else ""
    path = tmp_path / "watch.toml"
    path.write_text(f"""
semantic = false
interval = "10m"
[[channels]]
name = "kestrel_today"
[[channels]]
name = "https://t.me/baltic_wire"
interval = "1h"
[[channels]]
name = "@copy_desk"
[[feeds]]
url = "{site.url_for('/rss.xml')}"
{extra}
[alerts]
file = "out/alerts.jsonl"
{webhook}
[[alerts.rules]]
name = "northwind"
kind = "relay"
outlet = "northwind-herald.example"
[[alerts.rules]]
name = "no credit"
kind = "uncredited"
[[alerts.rules]]
name = "spread"
kind = "spread"
channels = 3
within = "1h"
[[alerts.rules]]
name = "strike"
kind = "keyword"
words = ["забастовка", "Dockworkers"]
""", encoding="utf-8")
    return path


class Clock:
    """A fake clock: the daemon's sleep moves it on instead of waiting."""

    def __init__(self) -> None:
        self.now = START
        self.slept: list[float] = []

    def __call__(self) -> datetime:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += timedelta(seconds=seconds)


def watch(store: Store, path: Path, clock: Clock, **options) -> tuple:
    stream = io.StringIO()
    with Fetcher(delay=0, backoff=0.01, retries=1, allow_private=True) as fetcher:
        report = run_watch(store, load_watch_config(path), fetcher=fetcher, base_url=options.pop("base_url"),
                           log=WatchLog(stream), now=clock, sleep=clock.sleep, **options)
    return report, [json.loads(line) for line in stream.getvalue().splitlines()]


def read_alerts(tmp_path: Path) -> list[dict]:
    file = tmp_path / "out" / "alerts.jsonl"
    return [json.loads(line) for line in file.read_text(encoding="utf-8").splitlines()] if file.exists() else []


def test_once_ingests_traces_and_alerts_exactly_once(new_db, tmp_path, site, receiver):
    path = write_config(tmp_path, site, receiver)
    clock = Clock()
    with Store(new_db("w.db")) as store:
        report, events = watch(store, path, clock, base_url=site.url, once=True)
        counts = store.counts()
        assert (counts["posts"], counts["articles"]) == (13, 2)
        assert counts["links_by_stage"] == {"url": 3, "copy": 1}
        assert (report.cycles, report.polls, report.failed_polls) == (1, 4, 0)
        assert [e["source"] for e in events if e["event"] == "polled"] == [
            "channel:baltic_wire", "channel:copy_desk", "channel:kestrel_today", f"feed:{site.url_for('/rss.xml')}"]
        sent = read_alerts(tmp_path)
        assert sorted(alert["key"] for alert in sent) == sorted(body["key"] for body in receiver.bodies) == [
            "no credit|copy_desk/5>1",
            "northwind|baltic_wire/88>1", "northwind|copy_desk/5>1", "northwind|kestrel_today/310>1",
            "spread|story:s1",
            "strike|article:1", "strike|article:2", "strike|post:baltic_wire/88", "strike|post:copy_desk/5",
            "strike|post:kestrel_today/310", "strike|post:kestrel_today/313"]
        assert report.alerts == 11
        relay = next(a for a in sent if a["key"] == "northwind|kestrel_today/310>1")
        assert (relay["post"], relay["credit"], relay["outlet"], relay["stage"]) == (
            "https://t.me/kestrel_today/310", "hyperlink", "Northwind Herald", "url")
        copied = next(a for a in sent if a["key"] == "no credit|copy_desk/5>1")
        assert (copied["credited"], copied["credit"], copied["text"]) == (False, "none", COPY)
        assert copied["message"].startswith("copy_desk relays without crediting Northwind Herald: Kestrel port")
        spread = next(a for a in sent if a["rule"] == "spread")
        assert spread["channels"] == ["kestrel_today", "baltic_wire", "copy_desk"]
        assert (spread["first"], spread["last"]) == ("2025-08-07T10:05:00Z", "2025-08-07T10:50:00Z")
        words = {a["key"]: a["words"] for a in sent if a["rule"] == "strike"}
        assert words["strike|article:2"] == ["забастовка"] and words["strike|article:1"] == ["dockworkers"]
        assert store.db.execute("SELECT count(*) FROM alerts_sent WHERE written_at IS NULL "
                                "OR delivered_at IS NULL").fetchone()[0] == 0

        clock.now += timedelta(hours=2)
        site.requests.clear()
        again, _ = watch(store, path, clock, base_url=site.url, once=True)
        assert again.alerts == 0 and again.posts.new == 0 and again.articles.new == 0
        assert sorted(site.paths()) == ["/rss.xml", "/s/baltic_wire", "/s/copy_desk", "/s/kestrel_today"]
        assert len(read_alerts(tmp_path)) == len(receiver.bodies) == 11


def test_semantic_watch_traces_by_text_and_alerts_on_the_uncredited_retelling(new_db, tmp_path, site):
    path = write_config(tmp_path, site, None)
    path.write_text(path.read_text(encoding="utf-8").replace("semantic = false", "semantic = true"), encoding="utf-8")
    with Store(new_db("w.db")) as store:
        watch(store, path, Clock(), base_url=site.url, once=True)
        assert store.counts()["links_by_stage"] == {"url": 3, "copy": 1, "semantic": 1}
        assert dict(store.db.execute("SELECT article_id, story FROM article_stories").fetchall()) == {1: "s1", 2: "s1"}
    uncredited = [alert for alert in read_alerts(tmp_path) if alert["rule"] == "no credit"]
    assert [(a["post"], a["article"], a["stage"]) for a in uncredited] == [
        ("https://t.me/copy_desk/5", site.url_for("/news/a4521.html"), "copy"),
        ("https://t.me/kestrel_today/313", site.url_for("/news/priozersk.html"), "semantic")]


def test_only_what_comes_after_the_first_watch_raises_alerts(new_db, tmp_path, site):
    path = write_config(tmp_path, site, None)
    with Store(new_db("w.db")) as store:
        with Fetcher(delay=0, allow_private=True) as fetcher:
            ingest.collect_telegram(store, "baltic_wire", fetcher=fetcher, base_url=site.url)
        watch(store, path, Clock(), base_url=site.url, once=True)
    keys = {alert["key"] for alert in read_alerts(tmp_path)}
    assert "northwind|kestrel_today/310>1" in keys and "strike|post:kestrel_today/310" in keys
    assert "strike|post:baltic_wire/88" not in keys          # stored before the watch began
    assert "northwind|baltic_wire/88>1" in keys              # but its relay is decided after it


def test_alerts_written_just_before_a_kill_are_not_written_again(new_db, tmp_path, site):
    path = write_config(tmp_path, site, None)
    with Store(new_db("w.db")) as store:
        watch(store, path, Clock(), base_url=site.url, once=True)
        written = read_alerts(tmp_path)
        store.db.execute("UPDATE alerts_sent SET written_at = NULL")
        again = deliver(store, webhook=None, alert_file=tmp_path / "out" / "alerts.jsonl")
        assert read_alerts(tmp_path) == written and len(written) == 11
        assert again.written == 11
        assert store.db.execute("SELECT count(*) FROM alerts_sent WHERE written_at IS NULL").fetchone()[0] == 0


def test_failed_webhook_is_retried_next_cycle_and_file_not_duplicated(new_db, tmp_path, site):
    hook = Receiver([500, 500, 200])
    try:
        path = write_config(tmp_path, site, hook)
        clock = Clock()
        with Store(new_db("w.db")) as store:
            first, events = watch(store, path, clock, base_url=site.url, once=True)
            assert first.alerts > 0 and hook.bodies == []
            failed = [e for e in events if e["event"] == "alert_delivery_failed"]
            assert len(failed) == 1 and "HTTP 500" in failed[0]["error"]
            assert stats(store)["alerts"] == {"raised": 11, "delivery_failing": 1,
                                              "last_delivery_error": "webhook answered HTTP 500 Internal Server Error"}
            assert len(read_alerts(tmp_path)) == first.alerts
            second, _ = watch(store, path, clock, base_url=site.url, once=True)
            assert second.alerts == 0 and hook.bodies == []
            third, _ = watch(store, path, clock, base_url=site.url, once=True)
            assert len(hook.bodies) == first.alerts
            assert len({body["key"] for body in hook.bodies}) == first.alerts
            assert len(read_alerts(tmp_path)) == first.alerts
            assert stats(store)["alerts"]["delivery_failing"] == 0
    finally:
        hook.close()


def test_restart_resumes_from_the_stored_schedule(new_db, tmp_path, site):
    path = write_config(tmp_path, site, None)
    clock = Clock()
    with Store(new_db("w.db")) as store:
        watch(store, path, clock, base_url=site.url, once=True)
        due = dict(store.db.execute("SELECT name, next_due FROM watch_sources").fetchall())
        assert due["channel:kestrel_today"] == iso(START + timedelta(minutes=10))
        assert due["channel:baltic_wire"] == iso(START + timedelta(hours=1))
    clock.now = START + timedelta(minutes=11)
    site.requests.clear()
    site.route("/s/kestrel_today", (DEMO / "telegram" / "kestrel_today_page1.html").read_bytes())
    with Store(new_db("w.db")) as store:
        report, _ = watch(store, path, clock, base_url=site.url, once=True)
    assert site.paths() == ["/s/copy_desk", "/s/kestrel_today", "/rss.xml"]
    assert report.polls == 3 and report.posts.new == 0


def test_max_cycles_sleeps_until_the_next_source_is_due(new_db, tmp_path, site):
    path = write_config(tmp_path, site, None)
    clock = Clock()
    with Store(new_db("w.db")) as store:
        report, events = watch(store, path, clock, base_url=site.url, max_cycles=3)
    assert report.cycles == 3
    assert clock.slept == [600.0, 600.0]
    assert [e["event"] for e in events].count("polled") == 4 + 3 + 3


def test_a_failing_source_is_paused_and_reported(new_db, tmp_path, site, monkeypatch):
    monkeypatch.setattr(config, "WATCH_FAILURE_THRESHOLD", 2)
    site.route("/rss.xml", "down", status=500)
    path = write_config(tmp_path, site, None)
    clock = Clock()
    with Store(new_db("w.db")) as store:
        report, events = watch(store, path, clock, base_url=site.url, max_cycles=4)
        feed = next(s for s in stats(store, now=clock.now)["sources"]["list"] if s["kind"] == "feed")
        record = stats(store, now=clock.now)
    paused = [e for e in events if e["event"] == "source_paused"]
    assert len(paused) == 1 and paused[0]["failures"] == 2 and paused[0]["level"] == "error"
    assert feed["failures"] == 2 and feed["errors"] == 2 and feed["paused"]
    assert feed["last_error"].endswith("HTTP 500 Internal Server Error after 1 retries")
    assert feed["paused_until"] == iso(START + timedelta(minutes=10) + timedelta(seconds=config.WATCH_PAUSE_S))
    assert record["sources"]["paused"] == 1 and record["sources"]["failing"] == 1
    # cycles at 0 and 10 min polled the feed (2 requests each: one retry); 20 and 30 min: paused
    assert site.paths().count("/rss.xml") == 4 and report.failed_polls == 2


def test_pause_grows_with_each_failure(monkeypatch):
    monkeypatch.setattr(config, "WATCH_FAILURE_THRESHOLD", 3)
    assert [pause_seconds(n) for n in (1, 2)] == [None, None]
    assert [pause_seconds(n) for n in (3, 4, 5)] == [config.WATCH_PAUSE_S * f for f in (1, 2, 4)]
    assert pause_seconds(30) == config.WATCH_PAUSE_MAX_S


def test_watch_once_through_the_cli(new_db, tmp_path, site, receiver):
    path = write_config(tmp_path, site, receiver)
    db = new_db("cli.db")
    result = CliRunner().invoke(main, ["--db", str(db), "watch", str(path), "--once", "--allow-private",
                                       "--delay", "0", "--base-url", site.url], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    events = [json.loads(line) for line in result.stderr.splitlines()]
    assert events[0]["event"] == "watch_started" and events[-1]["event"] == "watch_stopped"
    assert {"time", "level", "event"} <= set(events[1])
    assert len(receiver.bodies) == len(read_alerts(tmp_path)) == events[-1]["alerts"] > 0
    shown = CliRunner().invoke(main, ["--db", str(db), "stats", "--format", "json"], catch_exceptions=False)
    record = json.loads(shown.stdout)
    assert record["sources"]["followed"] == 4 and record["posts"] == 13
    newest = {s["name"]: s["newest_item"] for s in record["sources"]["list"]}
    assert newest["channel:kestrel_today"] == "https://t.me/kestrel_today/314"
    assert newest[f"feed:{site.url_for('/rss.xml')}"] == site.url_for("/news/a4521.html")


@pytest.mark.parametrize("text, problem", [
    ("semantic = 1\n[[urls]]\nurl = 'https://a.example/'", "semantic: expected true or false, got an integer"),
    ("[[feeds]]\nurl = 'https://a.example/rss'\nintervl = '5m'", "feeds[0].intervl: unknown key"),
    ("[[feeds]]\nurl = 'ftp://a.example/rss'", "feeds[0].url: expected an http(s) URL, got 'ftp://a.example/rss'"),
    ("[[channels]]\nname = 'x'", "channels[0].name: not a public Telegram channel name or t.me link"),
    ("[[channels]]\nname = 'kestrel_today'\ninterval = '10s'", "channels[0].interval: must be at least 60 seconds"),
    ("[[channels]]\nname = 'kestrel_today'\ninterval = 'soon'", "channels[0].interval: expected seconds or a"),
    ("[[channels]]\nname = 'kestrel_today'\n[[channels]]\nname = '@Kestrel_Today'",
     "channels[1].name: 'kestrel_today' is listed twice"),
    ("interval = '5m'", "nothing to watch"),
    ("[[urls]]\nurl = 'https://a.example/'\n[[alerts.rules]]\nkind = 'relay'",
     "alerts.rules[0]: a relay rule needs url_prefix or outlet"),
    ("[[urls]]\nurl = 'https://a.example/'\n[[alerts.rules]]\nkind = 'keyword'\nwords = 'x'\nchannels = 3",
     "alerts.rules[0].channels: unknown key"),
    ("[[urls]]\nurl = 'https://a.example/'\n[[alerts.rules]]\nkind = 'loud'", "alerts.rules[0].kind: unknown rule kind"),
    ("[[urls]]\nurl = 'https://a.example/'\n[[alerts.rules]]\nkind = 'spread'\nchannels = 1",
     "alerts.rules[0].channels: must be at least 2"),
    ("[[urls]]\nurl = 'https://a.example/'\n[alerts]\nwebhook = 'hooks'", "alerts.webhook: expected an http(s) URL"),
    ("[[urls]\nurl = 1", "not valid TOML"),
])
def test_bad_watch_list_is_one_error_naming_the_key(tmp_path, text, problem):
    error = user_file_error(tmp_path, text, load_watch_config, "bad.toml")
    assert error.problem.startswith(problem)
    path = tmp_path / "bad.toml"
    result = CliRunner().invoke(main, ["--db", str(tmp_path / "x.db"), "watch", str(path), "--once"])
    assert result.exit_code == 1
    assert result.stderr == f"error: {path}: {error.problem}\n"


def test_missing_watch_list(tmp_path):
    result = CliRunner().invoke(main, ["--db", str(tmp_path / "x.db"), "watch", str(tmp_path / "none.toml")])
    assert (result.exit_code, result.stderr) == (1, f"error: {tmp_path / 'none.toml'}: no such file\n")


def test_example_watch_list_is_valid():
    watch_list = load_watch_config(Path(__file__).parents[1] / "examples" / "watch.toml")
    assert [source.kind for source in watch_list.sources] == ["channel", "channel", "feed", "url"]
    assert [rule.kind for rule in watch_list.rules] == ["relay", "uncredited", "spread", "keyword"]


def test_terminal_gets_a_status_line_between_the_events():
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    screen = Terminal()
    log = WatchLog(screen)
    log.status("polling a")
    log.event("polled", source="a", posts_new=2)
    log.close()
    text = screen.getvalue()
    assert text.startswith("polling a\r\x1b[K{") and text.endswith('"posts_new": 2}\npolling a\r\x1b[K')


def start_daemon(new_db, tmp_path: Path, site) -> tuple[subprocess.Popen, Path]:
    """`newstrace watch` without --once in a process of its own, logging to a pipe."""
    path = write_config(tmp_path, site, None)
    db = new_db("sig.db")
    daemon = subprocess.Popen(
        [sys.executable, "-c", "from newstrace.cli import main; main()", "--db", str(db), "watch", str(path),
         "--allow-private", "--delay", "0", "--base-url", site.url], stderr=subprocess.PIPE, text=True)
    return daemon, db


def stop_daemon(daemon: subprocess.Popen, ready) -> list[dict]:
    """SIGTERM once ready() holds; the daemon's events, after checking it exited with 0."""
    deadline = time.monotonic() + 20
    while not ready():
        assert daemon.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    daemon.send_signal(signal.SIGTERM)
    _, stderr = daemon.communicate(timeout=20)
    assert daemon.returncode == 0, stderr
    events = [json.loads(line) for line in stderr.splitlines()]
    assert events[-1]["event"] == "watch_stopped" and events[-1]["reason"] == "signal"
    return events


def test_sigterm_finishes_the_item_at_hand_and_exits_cleanly(new_db, tmp_path, site):
    page = (DEMO / "telegram" / "kestrel_today_page1.html").read_bytes()

    def slow(request):
        time.sleep(1.5)
        return 200, {"Content-Type": "text/html; charset=utf-8"}, page

    site.routes["/s/kestrel_today"] = slow
    daemon, db = start_daemon(new_db, tmp_path, site)
    events = stop_daemon(daemon, lambda: "/s/kestrel_today" in site.paths())
    assert [e["source"] for e in events if e["event"] == "polled"] == [
        "channel:baltic_wire", "channel:copy_desk", "channel:kestrel_today"]
    assert "traced" not in [e["event"] for e in events]
    assert site.paths() == ["/s/baltic_wire", "/s/copy_desk", "/s/kestrel_today", "/s/kestrel_today?before=310"]
    with Store(db) as store:
        assert store.counts()["posts"] == 13
        assert store.channel_newest_id("kestrel_today") == 314
        rows = dict(store.db.execute("SELECT name, last_ok FROM watch_sources").fetchall())
        assert rows["channel:kestrel_today"] is not None and rows[f"feed:{site.url_for('/rss.xml')}"] is None


def test_sigterm_while_waiting_for_the_next_poll(new_db, tmp_path, site):
    daemon, db = start_daemon(new_db, tmp_path, site)
    started = time.monotonic()
    events = stop_daemon(daemon, lambda: (tmp_path / "out" / "alerts.jsonl").exists())
    assert time.monotonic() - started < 15          # not the 10 minutes until the next poll
    assert events[-1]["cycles"] == 1 and events[-1]["alerts"] == 11
    with Store(db) as store:
        assert store.db.execute("SELECT count(*) FROM alerts_sent WHERE written_at IS NOT NULL").fetchone()[0] == 11
