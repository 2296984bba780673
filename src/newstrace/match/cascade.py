"""The whole linking cascade, cheapest evidence first: URL, forward/mention, then semantic."""

from __future__ import annotations

from newstrace.match.embed import Embedder
from newstrace.match.evidence_links import LinkReport, link_by_evidence
from newstrace.match.semantic import LinkerModel, link_semantic
from newstrace.store.sqlite import Store


def trace(store: Store, *, semantic: bool = True, embedder: Embedder | None = None,
          model: LinkerModel | None = None) -> LinkReport:
    """Link every post of the store to its source, or leave it unlinked; returns what was decided."""
    report = link_by_evidence(store)
    if semantic:
        decided = link_semantic(store, embedder=embedder, model=model)
        report.changed += store.save_matches(decided, stages=("semantic",))
        report.by_stage["semantic"] = len(decided)
    return report
