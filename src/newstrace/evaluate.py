"""`newstrace eval`: ingest an evaluation corpus into a fresh store, trace every post, and write
predictions in the format ../shared/eval/score.py reads.

Tasks come from ../shared/eval/make_tasks.py: articles.jsonl (id, url, outlet, lang,
published_at, title, text) and posts.jsonl (id, channel, posted_at, text).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from newstrace import config
from newstrace.errors import InputError
from newstrace.ingest import read_input
from newstrace.match.cascade import trace
from newstrace.match.evidence_links import LinkReport
from newstrace.match.semantic import LinkerModel
from newstrace.model import Article, Post
from newstrace.store.core import Store, fresh_store
from newstrace.stories.store import story_of_article

EVAL_CHANNEL = "eval"


def write_jsonl(path: Path, rows: Iterable[dict[str, Any]]) -> None:
    """Rows as JSON lines, non-ASCII text kept readable."""
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")


def read_jsonl(path: str | Path) -> list[dict[str, Any]]:
    """Rows of a JSON-lines file, or an InputError naming the file and the line."""
    rows = []
    text = read_input(path).decode("utf-8", errors="strict")
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError as error:
            raise InputError(str(path), f"line {number}: not JSON ({error.msg})") from None
    return rows


def held_out_family(event: str, by: str) -> str:
    """What a cross-validation leaves out with an event ("D09-france-lecornu-appointed"): its group
    ("D", the related events of one series) or the event alone ("D09"). A check that tells sibling
    events apart learns nothing about a group it has never seen (the appointment against the
    resignation): it is judged leaving one event out."""
    code = event.split("-")[0]
    return code[:1] if by == "group" else code


def _day(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value).replace(tzinfo=timezone.utc) if len(value) == 10 else \
            datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(timezone.utc)
    except ValueError:
        return None


def task_article(row: dict[str, Any]) -> Article:
    paragraphs = [part.strip() for part in (row.get("text") or "").split("\n") if part.strip()]
    return Article(url=row["url"], title=row.get("title") or "", paragraphs=paragraphs,
                   published_at=_day(row.get("published_at")), language=row.get("lang"),
                   site_name=row.get("outlet"))


def task_post(number: int, row: dict[str, Any]) -> Post:
    return Post(channel=EVAL_CHANNEL, message_id=number, posted_at=_day(row.get("posted_at")),
                text=row.get("text") or "", channel_title=row.get("channel"), collected_via="eval")


@dataclass
class EvalRun:
    """The store an evaluation built and the id maps between the task files and the store."""

    store: Store
    article_ids: dict[int, str]
    post_ids: dict[int, str]
    seconds: dict[str, float]


def load_task(store: Store, articles_path: str | Path, posts_path: str | Path) -> EvalRun:
    """Ingest a task's articles and posts; returns the id maps."""
    run = EvalRun(store, {}, {}, {"ingest": 0.0})
    add_rows(run, read_jsonl(articles_path), list(enumerate(read_jsonl(posts_path), start=1)))
    return run


def add_rows(run: EvalRun, articles: list[dict[str, Any]], posts: list[tuple[int, dict[str, Any]]]) -> None:
    """Ingest task rows (posts numbered as in their file) into the run's store and id maps."""
    started = time.perf_counter()
    for row in articles:
        article_id, _ = run.store.add_article(task_article(row))
        run.article_ids.setdefault(article_id, row["id"])
    run.store.add_posts([task_post(number, row) for number, row in posts])
    run.post_ids.update({number: row["id"] for number, row in posts})
    run.seconds["ingest"] += time.perf_counter() - started


def by_day(articles: list[dict[str, Any]], posts: list[tuple[int, dict[str, Any]]]
           ) -> list[tuple[list[dict[str, Any]], list[tuple[int, dict[str, Any]]]]]:
    """The task as it would arrive: a batch per day (undated items first), articles and posts of
    one day together."""
    days: dict[str, tuple[list, list]] = {}
    for row in articles:
        days.setdefault((row.get("published_at") or "")[:10], ([], []))[0].append(row)
    for number, row in posts:
        days.setdefault((row.get("posted_at") or "")[:10], ([], []))[1].append((number, row))
    return [days[day] for day in sorted(days)]


def predictions(run: EvalRun) -> list[dict[str, Any]]:
    """One line per post (its source or null, with the score) and one per article and post (story:
    its source's, else its story of unlinked posts, else its own)."""
    linked = {row["message_id"]: row for row in run.store.db.execute(
        "SELECT p.message_id, m.article_id, m.score FROM matches m JOIN posts p ON p.id = m.post_id "
        "WHERE p.channel = ?", (EVAL_CHANNEL,))}
    stories = story_of_article(run.store)
    post_stories = {row["message_id"]: row["story"] for row in run.store.db.execute(
        "SELECT p.message_id, s.story FROM post_stories s JOIN posts p ON p.id = s.post_id WHERE p.channel = ?",
        (EVAL_CHANNEL,))}
    lines: list[dict[str, Any]] = []
    for number, post_id in run.post_ids.items():
        match = linked.get(number)
        source = run.article_ids.get(match["article_id"]) if match else None
        lines.append({"post": post_id, "source": source, "score": match["score"] if match else None})
        story = stories.get(match["article_id"], f"a{match['article_id']}") if match else post_stories.get(number, post_id)
        lines.append({"item": post_id, "story": story})
    for article_id, external in run.article_ids.items():
        lines.append({"item": external, "story": stories.get(article_id, f"a{article_id}")})
    return lines


def share_embeddings(store: Store, cache: str | Path, *, save: bool) -> None:
    """Copy cached vectors from (or, with save, back into) another store, so repeated evaluations
    of overlapping corpora embed each text once; either store may be SQLite or PostgreSQL."""
    with Store(cache) as other:
        source, target = (store, other) if save else (other, store)
        rows = source.db.execute("SELECT key, model, dim, vector FROM embeddings")
        with target.transaction():
            while batch := rows.fetchmany(config.EMBED_COPY_BATCH):
                target.db.executemany("INSERT INTO embeddings (key, model, dim, vector) VALUES (?, ?, ?, ?) "
                                      "ON CONFLICT DO NOTHING", [tuple(row) for row in batch])


def run_eval(articles_path: str | Path, posts_path: str | Path, predictions_path: str | Path,
             *, store_path: str | Path, semantic: bool = True,
             embedding_cache: str | Path | None = None,
             linker_model: str | Path | None = None, stream: bool = False) -> tuple[LinkReport, dict[str, float]]:
    """The whole evaluation: fresh store, ingest, trace, predictions file; returns timings.

    With stream, the task arrives a day at a time and is traced after each day, so links and
    stories are built incrementally as a running service would build them."""
    articles = read_jsonl(articles_path)
    posts = list(enumerate(read_jsonl(posts_path), start=1))
    model = LinkerModel.load(path=linker_model) if semantic else None
    with fresh_store(store_path) as store:
        run = EvalRun(store, {}, {}, {"ingest": 0.0, "trace": 0.0})
        if embedding_cache:
            share_embeddings(store, embedding_cache, save=False)
        for day_articles, day_posts in by_day(articles, posts) if stream else [(articles, posts)]:
            add_rows(run, day_articles, day_posts)
            started = time.perf_counter()
            report = trace(store, semantic=semantic, model=model)
            run.seconds["trace"] += time.perf_counter() - started
        if embedding_cache:
            share_embeddings(store, embedding_cache, save=True)
        out = Path(predictions_path)
        tmp = out.with_suffix(out.suffix + ".part")
        write_jsonl(tmp, predictions(run))
        tmp.replace(out)
    return report, run.seconds
