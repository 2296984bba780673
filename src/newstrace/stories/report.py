"""Stories as a reader sees them: what each is about, where it started, who carried it and when.

A story's items are its articles (grouped by stories/cluster.py) and the posts linked to them.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import datetime
from typing import Any

import numpy as np

from newstrace import config
from newstrace.errors import NotFoundError
from newstrace.extract.language import detect_language, post_language
from newstrace.match.attribution import without_self_promotion
from newstrace.match.embed import Embedder, cached_vectors
from newstrace.match.semantic import article_view, load_pool
from newstrace.store.core import Store, parse_iso
from newstrace.stories.category import Categorizer, article_scores, story_category
from newstrace.stories.cluster import centrality
from newstrace.stories.related import related_stories
from newstrace.stories.store import resolve_story, stories_version


def _items(store: Store, story: str | None = None) -> dict[str, list[dict[str, Any]]]:
    """Every article, linked post and post without a source of each story (or of one), oldest first."""
    condition, args = ("s.story = ?", (story,)) if story else ("1 = 1", ())
    found: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in store.db.execute(
        "SELECT s.story, a.id, a.url, a.title, a.language, a.site_name, a.published_at "
        f"FROM article_stories s JOIN articles a ON a.id = s.article_id WHERE {condition}", args):
        found[row["story"]].append({
            "kind": "article", "id": row["id"], "url": row["url"], "title": row["title"],
            "language": row["language"], "source": row["site_name"] or row["url"].split("/")[2],
            "time": row["published_at"]})
    for row in store.db.execute(
        "SELECT s.story, p.channel, p.message_id, p.posted_at, p.text, m.stage, m.evidence "
        "FROM matches m JOIN article_stories s ON s.article_id = m.article_id "
        f"JOIN posts p ON p.id = m.post_id WHERE {condition}", args):
        found[row["story"]].append(_post_item(row, row["stage"], json.loads(row["evidence"]).get("credit") is not None))
    for row in store.db.execute(
        "SELECT s.story, p.channel, p.message_id, p.posted_at, p.text FROM post_stories s "
        "JOIN posts p ON p.id = s.post_id LEFT JOIN matches m ON m.post_id = s.post_id "
        f"WHERE m.post_id IS NULL AND {condition}", args):
        found[row["story"]].append(_post_item(row, None, False))
    for items in found.values():
        items.sort(key=lambda item: (item["time"] or "9999", item["kind"]))
    return found


def _post_item(row: Any, stage: str | None, credited: bool) -> dict[str, Any]:
    """A post of a story: linked by a step of the cascade (stage), or without a source (None)."""
    return {"kind": "post", "url": f"https://t.me/{row['channel']}/{row['message_id']}", "source": row["channel"],
            "time": row["posted_at"], "stage": stage, "credited": credited, "text": row["text"][:120]}


_LEADING_SYMBOLS = re.compile(r"^[^\w«\"“(]+")
_SENTENCE_END = re.compile(r"[.!?](?=\s)")


def post_title(text: str) -> str:
    """A post's headline: its first line of news (no channel footer, no leading ⚡️ or ❗️), and
    the next ones while it is short; if longer than config.POST_STORY_TITLE_CHARS, its first
    sentence when that fits, else cut at a word."""
    lines = [line.strip() for line in without_self_promotion(text).splitlines() if line.strip()] or [text]
    title = ""
    for line in lines:
        title = f"{title} {line}".strip()
        if len(title) >= config.POST_STORY_TITLE_MIN_CHARS:
            break
    title = " ".join(_LEADING_SYMBOLS.sub("", title).split())
    limit = config.POST_STORY_TITLE_CHARS
    if len(title) <= limit:
        return title
    sentence = _SENTENCE_END.search(title, config.POST_STORY_TITLE_MIN_CHARS, limit + 1)
    if sentence:
        return title[: sentence.start() + 1]
    return title[: limit + 1].rsplit(" ", 1)[0].rstrip(",;:—–-") + "…"


def _summary(story: str, items: list[dict[str, Any]], scores: dict[int, np.ndarray],
             central: dict[int, float]) -> dict[str, Any]:
    """A story's title in each language is that of its most central article in that language
    (the closest on average to the story's other articles), else its first; a story of posts
    alone is titled by its first post."""
    articles = [item for item in items if item["kind"] == "article"]
    posts = [item for item in items if item["kind"] == "post"]
    titles: dict[str, str] = {}
    for article in sorted(articles, key=lambda item: -central.get(item["id"], 0.0)):
        if article["title"] and article["language"] and article["language"] not in titles:
            titles[article["language"]] = article["title"]
    languages = {a["language"] for a in articles if a["language"]}
    if not articles and posts:
        languages = {language for post in posts if (language := post_language(post["text"]))}
        first = post_title(posts[0]["text"])
        titles[detect_language(first) or "und"] = first
    dated = [item for item in items if item["time"]]
    start = parse_iso(dated[0]["time"]) if dated else None
    early = sum(1 for item in dated if start and (parse_iso(item["time"]) - start).total_seconds()
                <= config.RANK_VELOCITY_HOURS * 3600)
    return {
        "id": story,
        "titles": titles,
        "languages": sorted(languages),
        "articles": len(articles),
        "posts": len(posts),
        "outlets": len({a["source"] for a in articles}),
        "channels": len({p["source"] for p in posts}),
        "first_item": dated[0] if dated else None,
        "first_article": next((a for a in articles if a["time"]), articles[0] if articles else None),
        "last_time": dated[-1]["time"] if dated else None,
        "early_items": early,
        "category": story_category([scores[a["id"]] for a in articles if a["id"] in scores] if articles else
                                   _post_scores(posts)),
    }


_SUMMARIES: dict[tuple, list[dict[str, Any]]] = {}


def _centrality(store: Store, stories: dict[str, list[dict[str, Any]]]) -> dict[int, float]:
    """How central each article is in its story (stories/cluster.centrality), from the vectors
    the store holds (an article without one counts as least central)."""
    groups = {story: [item["id"] for item in items if item["kind"] == "article"] for story, items in stories.items()}
    wanted = [article_id for ids in groups.values() if len(ids) > 1 for article_id in ids]
    if not wanted:
        return {}
    marks = ",".join(str(int(a)) for a in wanted)
    rows = store.db.execute(f"SELECT id, title, text FROM articles WHERE id IN ({marks})").fetchall()
    found = cached_vectors(store, [article_view(row["title"], row["text"]) for row in rows], query=False)
    vectors = {row["id"]: found[position] for position, row in enumerate(rows) if position in found}
    central: dict[int, float] = {}
    for ids in groups.values():
        present = [a for a in ids if a in vectors]
        if len(present) > 1:
            central.update(zip(present, centrality(np.vstack([vectors[a] for a in present])).tolist()))
    return central


def _summaries(store: Store) -> list[dict[str, Any]]:
    """Every story's summary, kept in this process until an article, link or story changes
    (a server lists stories far more often than the store changes)."""
    key = stories_version(store)
    if key not in _SUMMARIES:
        scores = article_scores(store)
        stories = _items(store)
        central = _centrality(store, stories)
        _SUMMARIES.clear()
        _SUMMARIES[key] = [_summary(story, items, scores, central) for story, items in stories.items()]
    return _SUMMARIES[key]


def list_stories(store: Store, *, since: datetime | None = None, until: datetime | None = None,
                 language: str | None = None, category: str | None = None,
                 min_items: int = 1) -> list[dict[str, Any]]:
    """Stories with their titles, origin and reach, the widest reach first; a period keeps the
    stories with an item inside it."""
    stories = [dict(story) for story in _summaries(store)]
    if since is not None:
        stamp = since.strftime("%Y-%m-%dT%H:%M:%SZ")
        stories = [s for s in stories if (s["last_time"] or "") >= stamp]
    if until is not None:
        stamp = until.strftime("%Y-%m-%dT%H:%M:%SZ")
        stories = [s for s in stories if s["first_item"] and (s["first_item"]["time"] or "") <= stamp]
    if category:
        stories = [s for s in stories if s.get("category") == category]
    if language:
        stories = [s for s in stories if language in s["languages"]]
    stories = [s for s in stories if s["articles"] + s["posts"] >= min_items]
    reference = until or max((parse_iso(s["last_time"]) for s in stories if s["last_time"]), default=None)
    for story in stories:
        story["importance"] = importance(story, reference)
    stories.sort(key=lambda s: (-s["importance"], s["id"]))
    return stories


def importance(story: dict[str, Any], reference: datetime | None) -> float:
    """How much a story matters at the end of a period: distinct outlets and channels, how fast
    it spread in its first hours, and how recent its last item is (weights in config)."""
    weights = config.RANK_WEIGHTS
    recency = 0.0
    last = parse_iso(story["last_time"])
    if reference and last:
        age = max(0.0, (reference.replace(tzinfo=last.tzinfo) - last).total_seconds() / 3600)
        recency = 0.5 ** (age / config.RANK_HALF_LIFE_HOURS)
    score = (weights["outlets"] * math.log1p(story["outlets"]) + weights["channels"] * math.log1p(story["channels"])
             + weights["velocity"] * math.log1p(story["early_items"]) + weights["recency"] * recency)
    return round(score, 4)


def story_record(store: Store, story: str, embedder: Callable[[], Embedder] | None = None) -> dict[str, Any]:
    """One story with every item, and its timeline of articles and credited and uncredited
    relays per day, per hour and per outlet or channel; with an embedder (a function that loads
    it), the related stories too."""
    story = resolve_story(store, story)
    items = _items(store, story).get(story)
    if not items:
        raise NotFoundError(story, "no such story in the store (see `newstrace stories`)")
    record = _summary(story, items, article_scores(store, [item["id"] for item in items if item["kind"] == "article"]),
                      _centrality(store, {story: items}))
    record["items"] = items
    record["timeline"] = _timeline(items, 10)
    record["hourly"] = _timeline(items, 13)
    record["by_source"] = _by_source(items)
    record["related"] = related_stories(store, load_pool(store, embedder()), story) if embedder else []
    return record


def _post_scores(posts: list[dict[str, Any]]) -> list[np.ndarray]:
    """Category scores of a story of posts alone, read from its posts' texts."""
    categorizer = Categorizer()
    return [categorizer.scores("", post["text"]) for post in posts]


def _what(item: dict[str, Any]) -> str:
    if item["kind"] == "article":
        return "articles"
    if item["stage"] is None:
        return "posts without a source"
    return "credited relays" if item["credited"] else "uncredited relays"


def _timeline(items: list[dict[str, Any]], width: int) -> dict[str, dict[str, int]]:
    """Counts per period, the period being the first `width` characters of the ISO time
    (10: a day, 13: an hour)."""
    timeline: dict[str, Counter] = defaultdict(Counter)
    for item in items:
        timeline[(item["time"] or "undated")[:width]][_what(item)] += 1
    return {period: dict(counts) for period, counts in sorted(timeline.items())}


def _by_source(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each outlet and channel with its first item and counts, in the order they joined."""
    sources: dict[str, dict[str, Any]] = {}
    for item in items:
        entry = sources.setdefault(item["source"], {
            "source": item["source"], "kind": "outlet" if item["kind"] == "article" else "channel",
            "first": item["time"], "articles": 0, "credited relays": 0, "uncredited relays": 0,
            "posts without a source": 0})
        entry[_what(item)] += 1
    return list(sources.values())


def render_stories(stories: list[dict[str, Any]]) -> str:
    lines = []
    for story in stories:
        title = next(iter(story["titles"].values()), "(untitled)")
        origin = story["first_item"]
        lines.append(f"{story['id']:>6}  {title}  [{story['category']}]")
        reach = (f"{story['articles']} articles from {story['outlets']} outlets, "
                 f"{story['posts']} relays in {story['channels']} channels" if story["articles"] else
                 f"{story['posts']} posts in {story['channels']} channels, no source in the store")
        lines.append(f"        {reach}; languages {', '.join(story['languages']) or '?'}")
        if origin:
            lines.append(f"        first: {origin['time']}  {origin['url']}")
    return "\n".join(lines) + ("\n" if lines else "")


def render_story(record: dict[str, Any]) -> str:
    lines = [render_stories([record]).rstrip("\n"), "", "timeline:"]
    for day, counts in record["timeline"].items():
        lines.append(f"  {day}  " + ", ".join(f"{n} {what}" for what, n in sorted(counts.items())))
    if record.get("related"):
        lines += ["", "related stories:"]
        lines += [f"  {entry['id']:>6}  {entry['title']}  (shared: {', '.join(entry['shared_names'])})"
                  for entry in record["related"]]
    lines += ["", "items:"]
    for item in record["items"]:
        label = " ".join((item.get("title") or item.get("text", "")).split())
        extra = "" if item["kind"] == "article" else " no source" if item["stage"] is None else (
            " credited" if item["credited"] else " uncredited")
        lines.append(f"  {item['time'] or 'undated':<20}  {item['kind']:<7}{extra:<11}  {item['url']}  {label[:70]}")
    return "\n".join(lines) + "\n"
