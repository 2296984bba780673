"""The whole linking cascade, cheapest evidence first: URL, forward/mention, then semantic;
articles are grouped into stories on the way, since the semantic step checks posts against them."""

from __future__ import annotations

from newstrace.match.embed import Embedder, get_embedder
from newstrace.match.evidence_links import LinkReport, link_by_evidence
from newstrace.match.semantic import LinkerModel, link_semantic, load_pool
from newstrace.store.sqlite import Store
from newstrace.stories.store import save_stories


def trace(store: Store, *, semantic: bool = True, embedder: Embedder | None = None,
          model: LinkerModel | None = None) -> LinkReport:
    """Link every post of the store to its source, or leave it unlinked; returns what was decided."""
    report = link_by_evidence(store)
    if semantic:
        embedder = embedder or get_embedder()
        pool = load_pool(store, embedder)
        save_stories(store, pool.ids, pool.stories)
        decided = link_semantic(store, pool, embedder=embedder, model=model)
        report.changed += store.save_matches(decided, stages=("semantic",))
        report.by_stage["semantic"] = len(decided)
    return report
