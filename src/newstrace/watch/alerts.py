"""Alert rules over what a watch cycle brought, each alert raised once and delivered until it lands.

An alert's key (rule + what it is about) is its row in alerts_sent, so it is raised once however
often the rules run, across restarts. Rules look only at what is new since the last check (marks
in watch_marks): relays decided since then, posts and articles stored since then. Delivery goes
to a JSON-lines file and a webhook; each alert row remembers which of them it reached, so a
webhook that is down gets the alert on a later cycle and the file never gets it twice.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from newstrace import config
from newstrace.errors import FetchError, NewstraceError
from newstrace.store.core import Store, now_iso, parse_iso
from newstrace.watch.config import Rule

Alert = dict[str, Any]
Post = Callable[[str, bytes], None]

_RELAYS = (
    "SELECT m.article_id, m.stage, m.evidence, p.channel, p.message_id, p.posted_at, p.text, "
    "a.url, a.title, a.site_name, a.url_key, a.published_at "
    "FROM matches m JOIN posts p ON p.id = m.post_id JOIN articles a ON a.id = m.article_id ")


@dataclass
class Delivery:
    """What one delivery pass did."""

    written: int = 0
    delivered: int = 0
    failed: list[str] = field(default_factory=list)


def start_marks(store: Store) -> None:
    """On a store's first watch, look only at what comes after it: what the store held before
    raises no alert."""
    top_post, top_article = _tops(store)
    with store.transaction():
        store.db.executemany("INSERT INTO watch_marks (name, value) VALUES (?, ?) ON CONFLICT DO NOTHING",
                             [("checked_at", now_iso()), ("post_id", str(top_post)),
                              ("article_id", str(top_article))])


def _tops(store: Store) -> tuple[int, int]:
    return store.db.execute(
        "SELECT (SELECT coalesce(max(id), 0) FROM posts), (SELECT coalesce(max(id), 0) FROM articles)").fetchone()


def raise_alerts(store: Store, rules: Iterable[Rule], *, checked_from: str) -> list[Alert]:
    """Run the rules over what is new since the last check; store and return the alerts not
    raised before. checked_from (taken before this cycle's polls) is where the next check starts."""
    rules = list(rules)
    marks = dict(store.db.execute("SELECT name, value FROM watch_marks").fetchall())
    top_post, top_article = _tops(store)
    relays = store.db.execute(_RELAYS + "WHERE m.decided_at >= ? ORDER BY p.posted_at, p.id",
                              (marks["checked_at"],)).fetchall()
    posts = store.db.execute("SELECT * FROM posts WHERE id > ? AND id <= ? ORDER BY id",
                             (int(marks["post_id"]), top_post)).fetchall()
    articles = store.db.execute("SELECT * FROM articles WHERE id > ? AND id <= ? ORDER BY id",
                                (int(marks["article_id"]), top_article)).fetchall()
    found: list[Alert] = []
    for rule in rules:
        if rule.kind in ("relay", "uncredited"):
            found += _relay_alerts(store, rule, relays)
        elif rule.kind == "spread":
            found += _spread_alerts(store, rule, relays)
        else:
            found += _keyword_alerts(rule, posts, articles)
    stamp = now_iso()
    new = []
    with store.transaction():
        for alert in found:
            alert["time"] = stamp
            cursor = store.db.execute(
                "INSERT INTO alerts_sent (key, rule, created_at, payload) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                (alert["key"], alert["rule"], stamp, json.dumps(alert, ensure_ascii=False, sort_keys=True)))
            if cursor.rowcount:
                new.append(alert)
        store.db.executemany("UPDATE watch_marks SET value = ? WHERE name = ?",
                             [(checked_from, "checked_at"), (str(top_post), "post_id"),
                              (str(top_article), "article_id")])
    return new


def _post_fields(row: sqlite3.Row) -> dict[str, Any]:
    return {"post": f"https://t.me/{row['channel']}/{row['message_id']}", "channel": row["channel"],
            "posted_at": row["posted_at"], "text": row["text"][:config.WATCH_ALERT_TEXT_CHARS]}


def _article_fields(row: sqlite3.Row) -> dict[str, Any]:
    return {"article": row["url"], "title": row["title"], "outlet": _outlet(row),
            "published_at": row["published_at"]}


def _outlet(row: sqlite3.Row) -> str:
    return row["site_name"] or row["url_key"].split("/")[0]


def _alert(rule: Rule, about: str, message: str, **fields: Any) -> Alert:
    return {"key": f"{rule.name}|{about}", "rule": rule.name, "kind": rule.kind, "message": message, **fields}


def _follows(store: Store, rule: Rule, article_id: int) -> bool:
    """Whether an article is one the rule follows: a URL under one of its prefixes, or from one
    of its outlets (the host or a subdomain); a rule with neither follows every article."""
    if not rule.url_prefixes and not rule.outlets:
        return True
    keys = [row[0] for row in store.db.execute("SELECT url_key FROM article_urls WHERE article_id = ?",
                                               (article_id,))]
    hosts = {key.split("/")[0] for key in keys}
    return (any(key.startswith(prefix) for key in keys for prefix in rule.url_prefixes)
            or any(host == outlet or host.endswith(f".{outlet}") for host in hosts for outlet in rule.outlets))


def _relay_alerts(store: Store, rule: Rule, relays: list[sqlite3.Row]) -> list[Alert]:
    alerts = []
    for row in relays:
        evidence = json.loads(row["evidence"])
        credit = evidence.get("credit")
        if (rule.kind == "uncredited" and credit) or not _follows(store, rule, row["article_id"]):
            continue
        how = "relays" if credit else "relays without crediting"
        alerts.append(_alert(
            rule, f"{row['channel']}/{row['message_id']}>{row['article_id']}",
            f"{row['channel']} {how} {_outlet(row)}: {row['title']}",
            **_post_fields(row), **_article_fields(row), stage=row["stage"], credited=bool(credit),
            credit=credit or "none"))
    return alerts


def _spread_alerts(store: Store, rule: Rule, relays: list[sqlite3.Row]) -> list[Alert]:
    """Stories that a relay decided since the last check brought to rule.channels channels
    within rule.within_s of each other (by post time)."""
    stories = dict(store.db.execute("SELECT article_id, story FROM article_stories").fetchall())
    touched = dict.fromkeys(stories.get(row["article_id"], f"s{row['article_id']}") for row in relays)
    alerts = []
    for story in touched:
        members = [aid for aid, key in stories.items() if key == story] or [int(story[1:])]
        marks = ",".join("?" * len(members))
        rows = store.db.execute(
            _RELAYS + f"WHERE m.article_id IN ({marks}) AND p.posted_at IS NOT NULL "
            "ORDER BY p.posted_at, p.id", members).fetchall()
        window = _spread_window(rows, rule.channels, rule.within_s)
        if window is None:
            continue
        lead = store.db.execute(
            f"SELECT * FROM articles WHERE id IN ({marks}) ORDER BY coalesce(published_at, collected_at), id",
            members).fetchone()
        channels = list(dict.fromkeys(row["channel"] for row in window))
        alerts.append(_alert(
            rule, f"story:{story}", f"{lead['title']}: relayed in {len(channels)} channels within "
            f"{rule.within_s // 60} min", story=story, **_article_fields(lead), channels=channels,
            posts=[f"https://t.me/{row['channel']}/{row['message_id']}" for row in window],
            first=window[0]["posted_at"], last=window[-1]["posted_at"]))
    return alerts


def _spread_window(rows: list[sqlite3.Row], channels: int, within_s: int) -> list[sqlite3.Row] | None:
    """The first run of relays (in time order) spanning at most within_s seconds that covers
    `channels` distinct channels, or None."""
    times = [_seconds(row["posted_at"]) for row in rows]
    start = 0
    for end in range(len(rows)):
        while times[end] - times[start] > within_s:
            start += 1
        if len({row["channel"] for row in rows[start:end + 1]}) >= channels:
            return rows[start:end + 1]
    return None


def _seconds(stamp: str) -> float:
    moment = parse_iso(stamp)
    return moment.timestamp() if moment else 0.0


def _keyword_alerts(rule: Rule, posts: list[sqlite3.Row], articles: list[sqlite3.Row]) -> list[Alert]:
    pattern = re.compile("|".join(rf"(?<!\w){re.escape(word)}(?!\w)" for word in rule.words), re.IGNORECASE)

    def hits(text: str) -> list[str]:
        return list(dict.fromkeys(match.group(0).lower() for match in pattern.finditer(text)))

    alerts = []
    for row in posts:
        if words := hits(row["text"]):
            alerts.append(_alert(rule, f"post:{row['channel']}/{row['message_id']}",
                                 f"{row['channel']} mentions {', '.join(words)}", words=words, **_post_fields(row)))
    for row in articles:
        if words := hits(f"{row['title']}\n{row['text']}"):
            alerts.append(_alert(rule, f"article:{row['id']}", f"{_outlet(row)} mentions {', '.join(words)}: "
                                 f"{row['title']}", words=words, **_article_fields(row)))
    return alerts


def post_json(url: str, body: bytes) -> None:
    """POST one alert to a webhook; FetchError unless it answers 2xx. The webhook is named by the
    operator's own watch list, so, unlike links found in posts, it may be a local address."""
    try:
        with httpx.Client(timeout=config.HTTP_TIMEOUT_S, trust_env=False,
                          headers={"User-Agent": config.USER_AGENT}) as client:
            response = client.post(url, content=body, headers={"Content-Type": "application/json"})
    except httpx.HTTPError as exc:
        raise FetchError(url, f"webhook failed: {exc or type(exc).__name__}") from None
    if not 200 <= response.status_code < 300:
        raise FetchError(url, f"webhook answered HTTP {response.status_code} {response.reason_phrase}")


def _tail_lines(path: Path, size: int) -> set[str]:
    """The whole lines among the last `size` bytes of a file: alerts a run wrote just before it
    was killed, ahead of recording that it had (so the next run does not write them again)."""
    if not path.exists():
        return set()
    with path.open("rb") as source:
        source.seek(max(0, path.stat().st_size - size - 1))
        tail = source.read().decode("utf-8", errors="replace")
    return set(tail.split("\n")[1:] if path.stat().st_size > size + 1 else tail.split("\n"))


def deliver(store: Store, *, webhook: str | None, alert_file: Path | None, post: Post = post_json) -> Delivery:
    """Append the alerts not yet written to alert_file and POST those not yet delivered to the
    webhook, oldest first. The first webhook failure ends this pass: the rest wait for the next."""
    done = Delivery()
    if alert_file is not None:
        pending = store.db.execute(
            "SELECT key, payload FROM alerts_sent WHERE written_at IS NULL ORDER BY created_at, rowid").fetchall()
        if pending:
            try:
                alert_file.parent.mkdir(parents=True, exist_ok=True)
                written = _tail_lines(alert_file, sum(len(row["payload"].encode("utf-8")) + 1 for row in pending))
                with alert_file.open("a", encoding="utf-8") as out:
                    out.writelines(f"{row['payload']}\n" for row in pending if row["payload"] not in written)
                    out.flush()
                    os.fsync(out.fileno())
            except OSError as exc:
                done.failed.append(f"{alert_file}: cannot write alerts: {exc.strerror or exc}")
            else:
                with store.transaction():
                    store.db.executemany("UPDATE alerts_sent SET written_at = ? WHERE key = ?",
                                         [(now_iso(), row["key"]) for row in pending])
                done.written = len(pending)
    if webhook is not None:
        for row in store.db.execute(
                "SELECT key, payload FROM alerts_sent WHERE delivered_at IS NULL ORDER BY created_at, rowid").fetchall():
            try:
                post(webhook, row["payload"].encode("utf-8"))
            except NewstraceError as error:
                with store.transaction():
                    store.db.execute("UPDATE alerts_sent SET attempts = attempts + 1, last_error = ? WHERE key = ?",
                                     (error.problem, row["key"]))
                done.failed.append(str(error))
                break
            with store.transaction():
                store.db.execute("UPDATE alerts_sent SET attempts = attempts + 1, delivered_at = ?, last_error = NULL "
                                 "WHERE key = ?", (now_iso(), row["key"]))
            done.delivered += 1
    return done
