"""The whole linking cascade, cheapest evidence first: URL, forward/mention, near-verbatim copy,
then semantic; articles are grouped into stories on the way, since the semantic step checks posts
against them. Links found from text alone get their credit (named outlet, @channel) here."""

from __future__ import annotations

from newstrace.match.attribution import credit_evidence
from newstrace.match.embed import Embedder, get_embedder
from newstrace.match.evidence_links import LinkReport, link_by_evidence
from newstrace.match.near_copy import link_near_copies
from newstrace.match.semantic import LinkerModel, link_semantic, load_pool, posts_to_link
from newstrace.model import Link, Match
from newstrace.store.core import Store
from newstrace.stories.posts import group_unlinked_posts, leave_post_stories
from newstrace.stories.store import save_stories


def with_credits(store: Store, matches: list[Match]) -> list[Match]:
    """Add how each relay credits its matched article (or that it does not) to the evidence."""
    for match in matches:
        post = store.post(match.channel, match.message_id)
        article = store.article(match.article_id)
        links = [Link(row["url"], row["anchor"], row["kind"]) for row in store.post_links(post["id"])]
        match.evidence.update(credit_evidence(
            post["text"], links, article_url=article["url"], site_name=article["site_name"],
            forwarded_from=post["forwarded_from"], forwarded_from_name=post["forwarded_from_name"],
            own_channel=post["channel"]))
    return matches


def trace(store: Store, *, semantic: bool = True, embedder: Embedder | None = None,
          model: LinkerModel | None = None) -> LinkReport:
    """Link every post of the store to its source, or leave it unlinked; returns what was decided.

    The text-only steps judge only posts that are new, edited, or older than the newest article,
    so tracing a growing store costs what is new, not what is there.
    """
    report = link_by_evidence(store)
    posts = store.posts_to_judge("copy")
    copies = with_credits(store, link_near_copies(store, posts))
    report.changed += store.save_matches(copies, stages=("copy",), scope={row["id"] for row in posts})
    store.mark_judged("copy", posts)
    report.by_stage["copy"] = len(copies)
    report.stories_changed += leave_post_stories(store)
    if semantic:
        posts = posts_to_link(store)
        decided: list[Match] = []
        if posts or store.db.execute("SELECT 1 FROM articles LEFT JOIN article_stories s ON s.article_id = articles.id "
                                     "WHERE s.link_story IS NULL LIMIT 1").fetchone():
            embedder = embedder or get_embedder()
            pool = load_pool(store, embedder)
            report.stories_changed += save_stories(store, pool.ids, pool.links, pool.reported)
            decided = with_credits(store, link_semantic(store, pool, posts, embedder=embedder, model=model))
            report.changed += store.save_matches(decided, stages=("semantic",), scope={row["id"] for row in posts})
            report.stories_changed += group_unlinked_posts(store, pool, posts, embedder)
        store.mark_judged("semantic", posts)
        report.by_stage["semantic"] = len(decided)
    return report
