"""The cheap, certain steps of the linking cascade: a URL of the article in the post, then a
forward or a ``t.me/<channel>/<id>`` mention of a post whose source is already known.

Each decision records its stage, score and evidence, and how the relay credited the source.
The steps judge only what changed: the store marks posts that are new or edited and posts
linking a URL that a new article answers to (``evidence_dirty``); with them go the posts that
forward or mention those, through chains (``post_pointers``, kept here). So a trace of a
100,000-item store after one new post reads a few rows, not every link of the store.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from newstrace import config
from newstrace.extract.urls import tme_post
from newstrace.model import Match
from newstrace.store.core import Store

STAGES = ("url", "forward", "mention")

# a hyperlink names its source outright; a preview card only shows it
_KIND_RANK = {"hidden": 0, "text": 1, "preview": 2}
_CREDIT = {"hidden": "hyperlink", "text": "hyperlink", "preview": "link preview"}


@dataclass
class LinkReport:
    """What one linking pass decided."""

    by_stage: dict[str, int]
    changed: int
    stories_changed: int = 0

    def __str__(self) -> str:
        stages = ", ".join(f"{count} by {stage}" for stage, count in self.by_stage.items())
        return f"{sum(self.by_stage.values())} posts linked ({stages}); {self.changed} changed"


def url_matches(store: Store, post_ids: list[int]) -> dict[tuple[str, int], Match]:
    """Which of these posts carry a URL of a stored article, in text, hidden link or preview card."""
    rows = store.rows_in(
        "SELECT p.id, p.channel, p.message_id, p.forwarded_from, p.forwarded_from_name, "
        "l.position, l.url, l.anchor, l.kind, u.article_id "
        "FROM post_links l JOIN article_urls u ON u.url_key = l.url_key "
        "JOIN posts p ON p.id = l.post_id WHERE l.post_id IN", (), post_ids)
    found: dict[tuple[str, int], list] = defaultdict(list)
    for row in sorted(rows, key=lambda row: (row["id"], row["position"])):
        found[(row["channel"], row["message_id"])].append(row)
    matches = {}
    for (channel, message_id), links in found.items():
        best = min(links, key=lambda row: (_KIND_RANK.get(row["kind"], 3), row["position"]))
        others = sorted({row["article_id"] for row in links} - {best["article_id"]})
        evidence = {
            "url": best["url"], "link_kind": best["kind"], "anchor": best["anchor"],
            "credit": _CREDIT.get(best["kind"], "hyperlink"),
        }
        if others:
            evidence["also_links_articles"] = others
        origin = best["forwarded_from"] or best["forwarded_from_name"]
        if origin:
            evidence.update(forwarded_from=origin, credit=f"forward ({evidence['credit']})")
        matches[(channel, message_id)] = Match(
            channel, message_id, best["article_id"], "url",
            config.URL_LINK_SCORE.get(best["kind"], min(config.URL_LINK_SCORE.values())), evidence)
    return matches


Pointer = tuple[tuple[str, int], tuple[str, int], str]


def _read_pointers(store: Store, post_ids: list[int]) -> None:
    """Write down what each of these posts forwards or mentions (``t.me/<channel>/<id>``)."""
    found: list[tuple[int, str, int, str]] = []
    for row in store.rows_in("SELECT id, forwarded_from, forwarded_message_id FROM posts WHERE id IN", (), post_ids):
        if row["forwarded_from"] and row["forwarded_message_id"] is not None:
            found.append((row["id"], row["forwarded_from"], row["forwarded_message_id"], "forward"))
    for row in store.rows_in(
            "SELECT l.post_id, l.url, p.channel, p.message_id FROM post_links l JOIN posts p ON p.id = l.post_id "
            "WHERE (l.url_key LIKE 't.me/%' OR l.url_key LIKE 'telegram.me/%') AND l.post_id IN", (), post_ids):
        target = tme_post(row["url"])
        if target and target != (row["channel"], row["message_id"]):
            found.append((row["post_id"], *target, "mention"))
    store.rows_in("DELETE FROM post_pointers WHERE post_id IN", (), post_ids)
    store.db.executemany("INSERT INTO post_pointers (post_id, channel, message_id, how) VALUES (?, ?, ?, ?)", found)


def _with_pointers_to(store: Store, post_ids: list[int]) -> dict[int, tuple[str, int]]:
    """These posts and every post that forwards or mentions one of them, through chains: their
    ids and (channel, message id)."""
    affected: dict[int, tuple[str, int]] = {}
    frontier = post_ids
    for _ in range(config.POINTER_CHAIN_MAX):
        keys = {row[0]: (row[1], row[2]) for row in store.rows_in(
            "SELECT id, channel, message_id FROM posts WHERE id IN", (), frontier)}
        affected.update(keys)
        pointing = {row[0] for row in store.rows_in(
            "SELECT post_id FROM post_pointers WHERE (channel, message_id) IN", (), list(keys.values()))}
        frontier = sorted(pointing - affected.keys())
        if not frontier:
            break
    return dict(sorted(affected.items()))


def _pointers(store: Store, post_ids: list[int]) -> list[Pointer]:
    return [((row[0], row[1]), (row[2], row[3]), row[4]) for row in store.rows_in(
        "SELECT p.channel, p.message_id, t.channel, t.message_id, t.how FROM post_pointers t "
        "JOIN posts p ON p.id = t.post_id WHERE t.post_id IN", (), post_ids)]


def _decided_elsewhere(store: Store, pointers: list[Pointer], judged: set[tuple[str, int]]) -> dict[tuple[str, int], Match]:
    """The stored URL/forward decisions of the posts these pointers point at, outside those judged now."""
    targets = {target for _, target, _ in pointers if target not in judged}
    ids = store.post_ids(targets)
    marks = ",".join("?" * len(STAGES))
    found = {}
    for row in store.rows_in(
            "SELECT p.channel, p.message_id, m.article_id, m.stage, m.score, m.evidence FROM matches m "
            f"JOIN posts p ON p.id = m.post_id WHERE m.stage IN ({marks}) AND m.post_id IN", STAGES,
            sorted(ids.values())):
        found[(row[0], row[1])] = Match(row[0], row[1], row[2], row[3], row[4], json.loads(row[5]))
    return found


def pointer_matches(pointers: Iterable[Pointer], known: dict[tuple[str, int], Match]) -> dict[tuple[str, int], Match]:
    """Forwards and mentions inherit the source of the post they point at, through chains."""
    pointers = list(pointers)
    decided = dict(known)
    added: dict[tuple[str, int], Match] = {}
    for _ in range(config.POINTER_CHAIN_MAX):
        progress = False
        for post, target, how in pointers:
            if post in decided or target not in decided:
                continue
            origin = decided[target]
            evidence = {
                "via": f"https://t.me/{target[0]}/{target[1]}", "via_stage": origin.stage,
                "credit": "forward" if how == "forward" else "t.me mention",
            }
            match = Match(post[0], post[1], origin.article_id, how,
                          round(origin.score * config.FORWARD_LINK_SCORE_FACTOR, 4), evidence)
            decided[post] = added[post] = match
            progress = True
        if not progress:
            break
    return added


def link_by_evidence(store: Store) -> LinkReport:
    """Run the URL, forward and mention steps over what changed since they last ran (the whole
    store the first time) and save their decisions."""
    by_stage = {stage: 0 for stage in STAGES}
    with store.transaction():
        dirty = [row[0] for row in store.db.execute("SELECT post_id FROM evidence_dirty ORDER BY post_id")]
        if not dirty:
            return LinkReport(by_stage, 0)
        _read_pointers(store, dirty)
        judged = _with_pointers_to(store, dirty)
        by_url = url_matches(store, list(judged))
        pointers = _pointers(store, list(judged))
        known = {**_decided_elsewhere(store, pointers, set(judged.values())), **by_url}
        decided = list(by_url.values()) + list(pointer_matches(pointers, known).values())
        changed, unlinked = store.write_matches(decided, stages=STAGES, scope=set(judged))
        store.judge_text_again(sorted(unlinked))
        store.rows_in("DELETE FROM evidence_dirty WHERE post_id IN", (), dirty)
    for match in decided:
        by_stage[match.stage] += 1
    return LinkReport(by_stage, changed)
