"""Cross-language sanity check of the semantic linker on WMT21 news (ru -> en).

Each Russian document's lead (title and first sentences, about 300 characters) is a "post"; the
English documents (translator A, one translation each) are the articles. Everything goes through
newstrace's real pieces: a fresh store, Article/Post records, ``trace()``, the matches table.

Reported, per variant:
  * ranking: top-1 / top-5 / MRR of the raw embedding ranking (the pool the linker itself builds);
  * linker: precision, recall, abstentions and wrong links at the model's own threshold;
  * orphans: the correct English document is removed for a random 30% of posts (fixed seed), and
    we count how many of those posts the linker rightly leaves unlinked;
  * a threshold sweep over the linker's best probability per post (same features, threshold 0).

WMT documents carry no dates, so the ``undated`` variants run with no dates at all; the
``same-day`` variants give every post and article one (made-up) day, as a real stream would have
a post the day its source appeared. The set is easy for ranking (the English text is a
translation of the post's document); what it tests is whether the linker dares to link.

    .venv/bin/python bench/wmt21_crosslang.py [--data FILE] [--cache /tmp/newstrace-embeddings.db]
                                              [--limit N] [--json out.json]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote

import numpy as np
from lxml import etree

from newstrace.errors import InputError
from newstrace.evaluate import fresh_store, share_embeddings
from newstrace.match.cascade import trace
from newstrace.match.embed import Embedder, embed_cached, get_embedder
from newstrace.match.semantic import LinkerModel, Pool, link_semantic, load_pool
from newstrace.model import Article, Post
from newstrace.store.core import Store

DEFAULT_DATA = (Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "wmt21-ru-en"
                / "newstest2021.ru-en.all.xml")
DEFAULT_CACHE = Path(tempfile.gettempdir()) / "newstrace-embeddings.db"
CHANNEL = "wmt"
LEAD_CHARS = 300
ORPHAN_SHARE = 0.3
SEED = 2021
SAME_DAY_ARTICLE = datetime(2021, 1, 15, 9, 0, tzinfo=timezone.utc)
SAME_DAY_POST = datetime(2021, 1, 15, 12, 0, tzinfo=timezone.utc)
SWEEP = (0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)


@dataclass
class WmtDoc:
    """One WMT document: its Russian segments and translator A's English segments (first = title)."""

    doc_id: str
    ru: list[str]
    en: list[str]
    testsuite: bool

    @property
    def url(self) -> str:
        return f"https://wmt21-news.example/{quote(self.doc_id)}"


def _segments(element: etree._Element | None) -> list[str]:
    if element is None:
        return []
    return [" ".join((seg.text or "").split()) for seg in element.iter("seg") if (seg.text or "").strip()]


def read_docs(path: str | Path) -> list[WmtDoc]:
    """The documents of a WMT21 ``.all.xml`` file that have a Russian source and translation A."""
    try:
        tree = etree.parse(str(path))
    except (OSError, etree.XMLSyntaxError) as error:
        raise InputError(str(path), f"not a readable WMT XML file ({error})") from None
    docs = []
    for doc in tree.iter("doc"):
        ru = _segments(doc.find("src"))
        en = _segments(doc.find("ref[@translator='A']")) or _segments(doc.find("ref"))
        if ru and en:
            docs.append(WmtDoc(doc.get("id", ""), ru, en, bool(doc.get("testsuite"))))
    if not docs:
        raise InputError(str(path), "no <doc> with a <src> and an English <ref>")
    return docs


def lead(segments: list[str], chars: int = LEAD_CHARS) -> str:
    """Title and the whole sentences after it that fit in about `chars` characters (at least one)."""
    title, body = segments[0], segments[1:]
    sentences: list[str] = []
    for sentence in body:
        if sentences and len(title) + 1 + len(" ".join([*sentences, sentence])) > chars:
            break
        sentences.append(sentence)
    text = f"{title}\n{' '.join(sentences)}".strip()
    if len(text) > chars:
        text = text[:chars].rsplit(" ", 1)[0]
    return text


def build_store(path: Path, docs: list[WmtDoc], corpus: set[int], *, dated: bool) -> tuple[Store, dict[int, int]]:
    """A fresh store with the English documents in `corpus` as articles and every lead as a post;
    returns it and the map store article id -> document index."""
    store = fresh_store(path)
    article_doc: dict[int, int] = {}
    for index in sorted(corpus):
        doc = docs[index]
        article_id, _ = store.add_article(Article(
            url=doc.url, title=doc.en[0], paragraphs=doc.en[1:], language="en",
            published_at=SAME_DAY_ARTICLE if dated else None, site_name=doc.doc_id.split(".")[0]))
        article_doc[article_id] = index
    store.add_posts([Post(channel=CHANNEL, message_id=number, posted_at=SAME_DAY_POST if dated else None,
                          text=lead(doc.ru), collected_via="bench")
                     for number, doc in enumerate(docs)])
    return store, article_doc


def _ranking(store: Store, embedder: Embedder, pool: Pool, article_doc: dict[int, int],
             posts: list[Any]) -> tuple[dict[str, float], dict[int, float]]:
    """Top-1/top-5/MRR of the raw similarity ranking for posts whose document is in the corpus,
    and every post's best cosine."""
    vectors = embed_cached(store, embedder, [row["text"] for row in posts], query=True)
    sims = vectors @ pool.vectors.T
    doc_of_column = np.array([article_doc[article_id] for article_id in pool.ids])
    ranks = []
    for row, scores in zip(posts, sims):
        where = np.flatnonzero(doc_of_column == row["message_id"])
        if where.size:
            ranks.append(int((scores > scores[where[0]]).sum()) + 1)
    ranks_array = np.array(ranks)
    top_cos = {row["message_id"]: float(scores.max()) for row, scores in zip(posts, sims)}
    return ({"posts": len(ranks), "top1": round(float((ranks_array == 1).mean()), 4),
             "top5": round(float((ranks_array <= 5).mean()), 4),
             "mrr": round(float((1.0 / ranks_array).mean()), 4)}, top_cos)


def auc(positives: list[float], negatives: list[float]) -> float | None:
    """Probability that a random positive scores above a random negative (ties count half)."""
    if not positives or not negatives:
        return None
    pos, neg = np.asarray(positives)[:, None], np.asarray(negatives)[None, :]
    return round(float((pos > neg).mean() + 0.5 * (pos == neg).mean()), 4)


def _scores(decisions: dict[int, tuple[int, float]], sources: dict[int, int | None],
            threshold: float) -> dict[str, Any]:
    """Precision/recall/abstentions of the decisions whose probability reaches `threshold`."""
    with_source = [n for n, source in sources.items() if source is not None]
    orphans = [n for n, source in sources.items() if source is None]
    linked = {n: doc for n, (doc, probability) in decisions.items() if probability >= threshold}
    correct = sum(1 for n in with_source if linked.get(n) == sources[n])
    wrong = sum(1 for n in with_source if n in linked and linked[n] != sources[n])
    orphans_linked = sum(1 for n in orphans if n in linked)
    return {
        "threshold": threshold, "linked": len(linked), "correct": correct,
        "wrong_article": wrong, "abstained": sum(1 for n in with_source if n not in linked),
        "precision": round(correct / len(linked), 4) if linked else None,
        "recall": round(correct / len(with_source), 4) if with_source else None,
        "orphans": len(orphans), "orphans_linked": orphans_linked,
        "orphans_left_unlinked": len(orphans) - orphans_linked,
    }


def run_variant(docs: list[WmtDoc], corpus: set[int], *, dated: bool, cache: Path,
                embedder: Embedder, model: LinkerModel, workdir: Path, name: str) -> dict[str, Any]:
    """Build, trace and score one variant; the embeddings go to and come from the cache."""
    started = time.perf_counter()
    store, article_doc = build_store(workdir / f"{name}.db", docs, corpus, dated=dated)
    with store:
        share_embeddings(store, cache, save=False)
        posts = store.db.execute("SELECT id, message_id, text FROM posts WHERE channel = ? ORDER BY message_id",
                                 (CHANNEL,)).fetchall()
        pool = load_pool(store, embedder)
        ranking, top_cos = _ranking(store, embedder, pool, article_doc, posts)
        report = trace(store, embedder=embedder, model=model)
        matched = {row["message_id"]: (article_doc[row["article_id"]], row["score"], row["stage"])
                   for row in store.db.execute(
                       "SELECT p.message_id, m.article_id, m.score, m.stage FROM matches m "
                       "JOIN posts p ON p.id = m.post_id WHERE p.channel = ?", (CHANNEL,))}
        every_post = store.db.execute("SELECT * FROM posts WHERE channel = ?", (CHANNEL,)).fetchall()
        everyone = link_semantic(store, pool, every_post, embedder=embedder,
                                 model=dataclasses.replace(model, threshold=0.0))
        best = {match.message_id: (article_doc[match.article_id], match.score) for match in everyone}
        share_embeddings(store, cache, save=True)
    sources = {n: (n if n in corpus else None) for n in range(len(docs))}
    at_threshold = _scores({n: (doc, score) for n, (doc, score, _) in matched.items()}, sources, 0.0)
    abstained = [n for n, source in sources.items() if source is not None and n not in matched]
    wrongly_linked = [n for n, (doc, _, _) in matched.items() if doc != sources[n]]
    return {
        "variant": name, "dated": dated, "articles": len(corpus), "posts": len(docs),
        "stages": dict(report.by_stage),
        "ranking": ranking,
        "linker": {**at_threshold, "threshold": model.threshold},
        "sweep": [_scores(best, sources, threshold) for threshold in SWEEP],
        "best_probability_of_correct_top1": _quantiles(
            [p for n, (doc, p) in best.items() if sources[n] is not None and doc == sources[n]]),
        "best_probability_of_orphans": _quantiles([p for n, (_, p) in best.items() if sources[n] is None]),
        "orphan_detection_auc": {
            "linker_best_probability": auc([p for n, (_, p) in best.items() if sources[n] is not None],
                                           [p for n, (_, p) in best.items() if sources[n] is None]),
            "top1_cosine": auc([c for n, c in top_cos.items() if sources[n] is not None],
                               [c for n, c in top_cos.items() if sources[n] is None]),
        },
        "top1_cosine_with_source": _quantiles([c for n, c in top_cos.items() if sources[n] is not None]),
        "top1_cosine_of_orphans": _quantiles([c for n, c in top_cos.items() if sources[n] is None]),
        "abstained": [_case(docs[n], best.get(n), docs) for n in abstained],
        "wrong": [_case(docs[n], best.get(n), docs) for n in wrongly_linked],
        "seconds": round(time.perf_counter() - started, 1),
    }


def _quantiles(values: list[float]) -> dict[str, float] | None:
    if not values:
        return None
    q = np.quantile(values, [0.1, 0.5, 0.9])
    return {"n": len(values), "p10": round(float(q[0]), 3), "median": round(float(q[1]), 3),
            "p90": round(float(q[2]), 3)}


def _case(doc: WmtDoc, best: tuple[int, float] | None, docs: list[WmtDoc]) -> dict[str, Any]:
    return {"doc": doc.doc_id, "testsuite": doc.testsuite, "lead": lead(doc.ru)[:80],
            "best_candidate": docs[best[0]].doc_id if best else None,
            "best_probability": round(best[1], 3) if best else None}


def evaluate(docs: list[WmtDoc], *, cache: Path, seed: int = SEED,
             orphan_share: float = ORPHAN_SHARE) -> dict[str, Any]:
    """All four variants (undated/same-day, full corpus/orphans) as one JSON-able summary."""
    embedder = get_embedder()
    model = LinkerModel.load()
    everything = set(range(len(docs)))
    orphans = set(random.Random(seed).sample(sorted(everything), round(orphan_share * len(docs))))
    variants = []
    with tempfile.TemporaryDirectory() as tmp:
        for dated in (False, True):
            for orphaned in (False, True):
                name = f"{'same-day' if dated else 'undated'}{'-orphans' if orphaned else ''}"
                variants.append(run_variant(docs, everything - orphans if orphaned else everything,
                                            dated=dated, cache=cache, embedder=embedder, model=model,
                                            workdir=Path(tmp), name=name))
    return {"data": "wmt21-ru-en newstest2021 (translator A)", "commit": _commit(), "documents": len(docs),
            "testsuite_documents": sum(doc.testsuite for doc in docs), "lead_chars": LEAD_CHARS,
            "orphan_share": orphan_share, "seed": seed, "embedder": embedder.name,
            "linker_threshold": model.threshold, "variants": variants}


def _commit() -> str | None:
    """The project's HEAD, since the linker's model changes between commits."""
    done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=Path(__file__).resolve().parents[1],
                          capture_output=True, text=True, check=False)
    return done.stdout.strip() or None


def table(summary: dict[str, Any]) -> str:
    """A short plain-text table of the summary."""
    lines = [f"{'variant':<18}{'arts':>5}{'top1':>7}{'top5':>7}{'linked':>8}{'P':>7}{'R':>7}"
             f"{'abst':>6}{'wrong':>6}{'orph ok':>9}"]
    for v in summary["variants"]:
        r, k = v["ranking"], v["linker"]
        precision = f"{k['precision']:.3f}" if k["precision"] is not None else "-"
        orphans = f"{k['orphans_left_unlinked']}/{k['orphans']}" if k["orphans"] else "-"
        lines.append(f"{v['variant']:<18}{v['articles']:>5}{r['top1']:>7.3f}{r['top5']:>7.3f}{k['linked']:>8}"
                     f"{precision:>7}{k['recall']:>7.3f}{k['abstained']:>6}"
                     f"{k['wrong_article'] + k['orphans_linked']:>6}{orphans:>9}")
    lines.append("")
    lines.append("threshold sweep on the linker's best probability (orphan variants): P / R / orphans unlinked")
    for v in summary["variants"]:
        if not v["linker"]["orphans"]:
            continue
        cells = [f"{s['threshold']:.2f}: {s['precision'] or 0:.2f}/{s['recall']:.2f}/{s['orphans_left_unlinked']}"
                 for s in v["sweep"]]
        lines.append(f"  {v['variant']}: " + "  ".join(cells))
        detection = v["orphan_detection_auc"]
        lines.append(f"  {'':<{len(v['variant'])}}  orphan-vs-sourced AUC: linker best probability "
                     f"{detection['linker_best_probability']}, top-1 cosine {detection['top1_cosine']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="embedding cache store")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--limit", type=int, help="only the first N documents (quick runs)")
    parser.add_argument("--json", type=Path, help="also write the summary here")
    args = parser.parse_args(argv)
    try:
        docs = read_docs(args.data)[: args.limit]
    except InputError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    summary = evaluate(docs, cache=args.cache, seed=args.seed)
    text = json.dumps(summary, ensure_ascii=False, indent=1)
    if args.json:
        args.json.write_text(text + "\n", encoding="utf-8")
    print(text)
    print()
    print(table(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
