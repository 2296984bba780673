"""The cheap, certain steps of the linking cascade: a URL of the article in the post, then a
forward or a ``t.me/<channel>/<id>`` mention of a post whose source is already known.

Each decision records its stage, score and evidence, and how the relay credited the source.
"""

from __future__ import annotations

from collections import defaultdict
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


def url_matches(store: Store) -> dict[tuple[str, int], Match]:
    """Posts that carry a URL of a stored article, in text, hidden link or preview card."""
    rows = store.db.execute(
        "SELECT p.channel, p.message_id, p.forwarded_from, p.forwarded_from_name, "
        "l.position, l.url, l.anchor, l.kind, u.article_id "
        "FROM post_links l JOIN article_urls u ON u.url_key = l.url_key "
        "JOIN posts p ON p.id = l.post_id ORDER BY p.id, l.position"
    ).fetchall()
    found: dict[tuple[str, int], list] = defaultdict(list)
    for row in rows:
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


def _pointers(store: Store) -> list[tuple[tuple[str, int], tuple[str, int], str]]:
    """(post, post it points at, how) for every forward and t.me post mention."""
    pointers = []
    for row in store.db.execute(
        "SELECT channel, message_id, forwarded_from, forwarded_message_id FROM posts "
        "WHERE forwarded_from IS NOT NULL AND forwarded_message_id IS NOT NULL"
    ):
        pointers.append(((row[0], row[1]), (row[2], row[3]), "forward"))
    for row in store.db.execute(
        "SELECT p.channel, p.message_id, l.url FROM post_links l JOIN posts p ON p.id = l.post_id "
        "WHERE l.url_key LIKE 't.me/%' OR l.url_key LIKE 'telegram.me/%'"
    ):
        target = tme_post(row[2])
        if target and target != (row[0], row[1]):
            pointers.append(((row[0], row[1]), target, "mention"))
    return pointers


def pointer_matches(store: Store, known: dict[tuple[str, int], Match]) -> dict[tuple[str, int], Match]:
    """Forwards and mentions inherit the source of the post they point at, through chains."""
    pointers = _pointers(store)
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
    """Run the URL, forward and mention steps over the whole store and save their decisions."""
    by_url = url_matches(store)
    by_pointer = pointer_matches(store, by_url)
    decided = list(by_url.values()) + list(by_pointer.values())
    changed = store.save_matches(decided, stages=STAGES)
    by_stage = {stage: 0 for stage in STAGES}
    for match in decided:
        by_stage[match.stage] += 1
    return LinkReport(by_stage, changed)
