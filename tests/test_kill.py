"""Nothing lost: `newstrace watch` and `newstrace import` killed with SIGKILL at random points, then
run to completion, leave the store a clean run builds (every item once) and a sound SQLite file.

The kill points are drawn from a seeded generator, so a failure names a reproducible sequence of
delays (the timing of the processes themselves still varies a little from run to run).
"""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from collections.abc import Callable
from pathlib import Path

import pytest

from newstrace.store.core import Store

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "telegram-ru-2024"
CLI = [sys.executable, "-c", "from newstrace.cli import main; main()"]
START = datetime(2025, 3, 1, 8, 0, tzinfo=timezone.utc)


# --- running and killing ----------------------------------------------------------------------

def run_clean(command: list[str]) -> float:
    """Run command to completion; its wall time."""
    started = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return time.monotonic() - started


Wait = Callable[[subprocess.Popen, random.Random], float]


def after_random_time(start: float, span: float) -> Wait:
    """Wait from 90% of start (a run with nothing to import) to nearly all of span (the clean
    run): kills land in the start-up's end, the parsing, the writes and the final linking."""
    def wait(process: subprocess.Popen, rng: random.Random) -> float:
        delay = rng.uniform(0.9 * start, 0.95 * span)
        try:
            process.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            pass
        return delay
    return wait


def kill_repeatedly(command: list[str], *, kills: int, seed: int, wait: Wait) -> list[float]:
    """Start command and SIGKILL it when wait returns, kills times; what each wait returned.

    A run that ends before its kill comes is not counted.
    """
    rng = random.Random(seed)
    points: list[float] = []
    for _ in range(kills * 4):
        if len(points) == kills:
            break
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        point = wait(process, rng)
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=30)
            assert process.returncode == -signal.SIGKILL
            points.append(round(point, 2))
        process.wait(timeout=30)
    assert len(points) == kills, f"only {len(points)} runs were still going when their kill came"
    return points


# --- what a store holds -----------------------------------------------------------------------

CONTENT = {
    "channels": "SELECT username, title, newest_id FROM channels",
    "posts": "SELECT channel, message_id, posted_at, text, content_hash, preview_url, forwarded_from, "
             "forwarded_from_name, reply_to, views, edited, has_media, collected_via FROM posts",
    "post_versions": "SELECT p.channel, p.message_id, v.content_hash, v.text FROM post_versions v "
                     "JOIN posts p ON p.id = v.post_id",
    "post_links": "SELECT p.channel, p.message_id, l.position, l.url, l.url_key, l.anchor, l.kind "
                  "FROM post_links l JOIN posts p ON p.id = l.post_id",
    "articles": "SELECT url, canonical_url, url_key, title, published_at, language, paragraphs, text, "
                "content_hash, raw_hash FROM articles",
    "article_urls": "SELECT u.url_key, a.url FROM article_urls u JOIN articles a ON a.id = u.article_id",
    "article_links": "SELECT a.url, l.position, l.url, l.kind FROM article_links l "
                     "JOIN articles a ON a.id = l.article_id",
    "raw_documents": "SELECT hash, content_type, size FROM raw_documents",
    "matches": "SELECT p.channel, p.message_id, a.url, m.stage, m.score, m.evidence FROM matches m "
               "JOIN posts p ON p.id = m.post_id JOIN articles a ON a.id = m.article_id",
}


def snapshot(db: str) -> dict[str, list[tuple]]:
    """Every table's content, without row ids and times (which differ between two runs)."""
    with Store(db) as store:             # reopens (and would migrate) like every command does
        if store.dialect == "sqlite":    # PostgreSQL enforces both all the time
            assert [tuple(row) for row in store.db.execute("PRAGMA integrity_check")] == [("ok",)]
            assert [tuple(row) for row in store.db.execute("PRAGMA foreign_key_check")] == []
        return {name: sorted(tuple(row) for row in store.db.execute(query).fetchall())
                for name, query in CONTENT.items()}


def assert_same_store(killed: str, clean: str) -> dict[str, list[tuple]]:
    want, got = snapshot(clean), snapshot(killed)
    for table in CONTENT:
        rows = got[table]
        assert len(rows) == len(set(rows)), f"{table}: duplicated rows after the kills"
        missing = set(want[table]) - set(rows)
        extra = set(rows) - set(want[table])
        assert not missing and not extra, (
            f"{table}: {len(missing)} rows lost, {len(extra)} rows unexpected, e.g. "
            f"{sorted(missing)[:2]} / {sorted(extra)[:2]}")
    return got


# --- the importer -----------------------------------------------------------------------------

def telethon_files(folder: Path) -> list[Path]:
    """Four real channel dumps (about 3,600 posts) when ../shared/data has them, else generated ones."""
    real = sorted(DATA.glob("*_messages.json"), key=lambda path: (path.stat().st_size, path.name))
    if len(real) >= 16:
        return real[12:16]
    files = []
    for number in range(4):
        channel = 1001000000000 + number
        items = [{"message_id": i, "sender_id": -channel, "channel": f"Generated {number}",
                  "date": (START + timedelta(minutes=7 * i)).isoformat(),
                  "text": f"**Новость {number}-{i}.** Подробнее [по ссылке](https://news{number}.example/{i}) "
                          f"и https://t.me/gen{number}/{i} __конец__"}
                 for i in range(1, 1001)]
        path = folder / f"{channel}_messages.json"
        path.write_text(json.dumps(items, ensure_ascii=False), encoding="utf-8")
        files.append(path)
    return files


def desktop_export(folder: Path, chats: int = 3, messages: int = 1200) -> list[Path]:
    """Telegram Desktop exports of a few thousand posts: links, forwards, edits, service messages."""
    files = []
    for chat in range(chats):
        items = []
        for i in range(1, messages + 1):
            moment = START + timedelta(minutes=11 * i + chat)
            message = {"id": i, "type": "message", "date": moment.strftime("%Y-%m-%dT%H:%M:%S"),
                       "date_unixtime": str(int(moment.timestamp())), "from": f"Desk {chat}",
                       "text_entities": [
                           {"type": "plain", "text": f"Item {chat}/{i}: port traffic report, "},
                           {"type": "text_link", "text": "source", "href": f"https://desk{chat}.example/n/{i}?utm=x"},
                           {"type": "plain", "text": " — see also "},
                           {"type": "link", "text": f"www.other.example/{i % 97}"}]}
            if i % 50 == 0:
                message = {"id": i, "type": "service", "date": message["date"], "action": "pin_message"}
            elif i % 7 == 0:
                message["forwarded_from"] = "Harbour Watch"
                message["forwarded_from_id"] = "channel1234567"
            elif i % 13 == 0:
                message["edited_unixtime"] = str(int((moment + timedelta(minutes=5)).timestamp()))
            items.append(message)
        path = folder / f"desk{chat}" / "result.json"
        path.parent.mkdir()
        path.write_text(json.dumps({"name": f"Desk Number {chat}", "type": "public_channel",
                                    "id": 1500000 + chat, "messages": items}, ensure_ascii=False),
                        encoding="utf-8")
        files.append(path)
    return files


@pytest.mark.parametrize("kind, kills, seed", [("telegram-json", 8, 6), ("telegram-export", 7, 7)])
def test_import_killed_at_random_points_keeps_every_post_once(new_db, tmp_path, kind, kills, seed):
    files = telethon_files(tmp_path) if kind == "telegram-json" else desktop_export(tmp_path)
    clean, killed = new_db("clean.db"), new_db("killed.db")
    command = [*CLI, "--db", str(killed), "import", kind, *map(str, files)]
    empty = tmp_path / "empty.json"
    empty.write_text("[]" if kind == "telegram-json" else '{"name": "x", "id": 1, "messages": []}')
    clean_run = [*CLI, "--db", str(clean), "import", kind, *map(str, files)]
    span = min(run_clean(clean_run), run_clean(clean_run))       # the second, warm, run changes nothing
    start = min(run_clean([*CLI, "--db", new_db("empty.db"), "import", kind, str(empty)]), 0.5 * span)
    delays = kill_repeatedly(command, kills=kills, seed=seed, wait=after_random_time(start, span))
    run_clean(command)
    store = assert_same_store(killed, clean)
    assert len(store["posts"]) >= 3500, delays
    assert len(store["post_versions"]) == len(store["posts"])      # no post seen as edited by a rerun
    assert len(store["post_links"]) > 1000


def test_importers_writing_at_once_store_every_post_once(new_db, tmp_path):
    """Three importers of overlapping exports on one store at the same time end with the store
    one importer alone makes: nothing lost, nothing twice."""
    files = desktop_export(tmp_path, chats=3, messages=400)
    clean, shared = new_db("clean.db"), new_db("shared.db")
    run_clean([*CLI, "--db", clean, "import", "telegram-export", *map(str, files)])
    run_clean([*CLI, "--db", shared, "stats"])                 # create the schema before the race
    orders = [files, files[::-1], files[1:] + files[:1]]
    importers = [subprocess.Popen([*CLI, "--db", shared, "import", "telegram-export", *map(str, order)],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for order in orders]
    for importer in importers:
        _, stderr = importer.communicate(timeout=120)
        assert importer.returncode == 0, stderr[-2000:]
    store = assert_same_store(shared, clean)
    assert len(store["posts"]) > 1100 and len(store["post_versions"]) == len(store["posts"])


# --- the daemon -------------------------------------------------------------------------------

PAGE_POSTS = 20


def preview_page(channel: str, numbers: range, articles: str) -> str:
    """A t.me/s/ page of posts numbers (oldest first), each linking one generated article."""
    posts = []
    for n in numbers:
        link = f"{articles}/news/{channel}-{n % 12}.html"
        when = (START + timedelta(minutes=5 * n)).isoformat()
        posts.append(
            f'<div class="tgme_widget_message_wrap"><div class="tgme_widget_message js-widget_message" '
            f'data-post="{channel}/{n}"><div class="tgme_widget_message_text js-message_text" dir="auto">'
            f'Post {n} of {channel} about the ferry timetable.<br><a href="{link}">{link}</a></div>'
            f'<a class="tgme_widget_message_date" href="https://t.me/{channel}/{n}">'
            f'<time datetime="{when}" class="time">08:00</time></a></div></div>')
    more = (f'<div class="tme_messages_more" data-before="{numbers.start}"></div>'
            if numbers.start > 1 else "")
    return ('<!DOCTYPE html><html><head><meta charset="utf-8"></head><body class="tgme_webpreview">'
            f'<div class="tgme_channel_info_header_title"><span dir="auto">{channel.title()}</span></div>'
            f'<section class="tgme_channel_history js-message_history">{more}{"".join(posts)}'
            '</section></body></html>')


def article_page(slug: str) -> str:
    body = "".join(f"<p>Paragraph {n} of the {slug} story: the ferry company changed its timetable for "
                   f"the winter season, and the harbour office published the new departures.</p>"
                   for n in range(6))
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{slug} | Gazette</title>'
            f'<meta property="article:published_time" content="2025-03-01T07:00:00Z"></head><body>'
            f'<article><h1>Ferry story {slug}</h1>{body}</article></body></html>')


@pytest.fixture
def big_site(http_server):
    """Three channels of 240 posts (12 preview pages each) and a feed of 36 articles, each
    answered after a short pause, as a real server would."""
    def slow(body: str, content_type: str = "text/html; charset=utf-8"):
        def reply(request):
            time.sleep(0.01)
            return 200, {"Content-Type": content_type}, body
        return reply

    items = []
    for channel in ("ferry_news", "harbour_desk", "coast_wire"):
        newest = 240
        for top in range(newest, 0, -PAGE_POSTS):
            path = f"/s/{channel}" + ("" if top == newest else f"?before={top + 1}")
            http_server.routes[path] = slow(preview_page(channel, range(top - PAGE_POSTS + 1, top + 1),
                                                         http_server.url))
        for n in range(12):
            http_server.routes[f"/news/{channel}-{n}.html"] = slow(article_page(f"{channel}-{n}"))
            items.append(f"<item><title>{channel} {n}</title><link>/news/{channel}-{n}.html</link></item>")
    http_server.routes["/rss.xml"] = slow(
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>Gazette</title>{"".join(items)}'
        '</channel></rss>', "application/rss+xml")
    return http_server


def after_random_requests(server) -> Wait:
    """Wait until the daemon has made 1 to 24 more requests (the three channels' 36 pages and
    the feed's 37 documents take 73), then up to 50 ms more, so kills land between and during
    page writes and article extractions; a run with too little left to fetch is killed after
    0.8 to 2.5 s instead (during its start-up, tracing, alerting or sleep)."""
    def wait(process: subprocess.Popen, rng: random.Random) -> float:
        seen, more = len(server.requests), rng.randint(1, 24)
        deadline = time.monotonic() + rng.uniform(0.8, 2.5)
        while len(server.requests) < seen + more and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.002)
        time.sleep(rng.uniform(0, 0.05))
        return len(server.requests) - seen
    return wait


def test_watch_killed_at_random_points_keeps_every_item_once(new_db, tmp_path, big_site):
    text = f"""
semantic = false
interval = "1h"
[[channels]]
name = "ferry_news"
backfill = 1000
[[channels]]
name = "harbour_desk"
backfill = 1000
[[channels]]
name = "coast_wire"
backfill = 1000
[[feeds]]
url = "{big_site.url_for('/rss.xml')}"
limit = 100
[alerts]
file = "alerts.jsonl"
[[alerts.rules]]
name = "ferry"
kind = "keyword"
words = ["timetable"]
[[alerts.rules]]
name = "gazette"
kind = "relay"
outlet = "127.0.0.1"
"""
    folders = {"clean": tmp_path / "clean", "killed": tmp_path / "killed"}
    stores = {name: new_db(f"{name}/w.db") for name in folders}
    for folder in folders.values():
        folder.mkdir()
        (folder / "watch.toml").write_text(text, encoding="utf-8")

    def watch(name: str, *options: str) -> list[str]:
        return [*CLI, "--db", stores[name], "watch", str(folders[name] / "watch.toml"), "--allow-private",
                "--delay", "0", "--base-url", big_site.url, *options]

    run_clean(watch("clean", "--once"))
    points = kill_repeatedly(watch("killed"), kills=10, seed=5, wait=after_random_requests(big_site))
    run_clean(watch("killed", "--once"))
    clean, killed = stores["clean"], stores["killed"]
    store = assert_same_store(killed, clean)
    assert len(store["posts"]) == 3 * 240 and len(store["articles"]) == 36, points
    assert {row[3] for row in store["matches"]} == {"url"} and len(store["matches"]) == 3 * 240
    for db in (clean, killed):
        with Store(db) as opened:
            assert {row["name"]: row["newest_id"] for row in opened.db.execute(
                "SELECT username AS name, newest_id FROM channels")} == {
                    "ferry_news": 240, "harbour_desk": 240, "coast_wire": 240}
            polled = opened.db.execute("SELECT count(*) FROM watch_sources WHERE last_ok IS NOT NULL").fetchone()[0]
            assert polled == 4
    # the alert file holds every alert the store raised, each once
    lines = [json.loads(line) for line in (folders["killed"] / "alerts.jsonl").read_text("utf-8").splitlines()]
    keys = [line["key"] for line in lines]
    assert len(keys) == len(set(keys)), "an alert was written twice"
    with Store(killed) as opened:
        raised = {key for (key,) in opened.db.execute("SELECT key FROM alerts_sent")}
    assert set(keys) == raised and raised
