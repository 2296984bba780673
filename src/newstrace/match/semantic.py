"""The semantic step of the cascade: a post with no URL or forward is matched to the article it
retells, in any language, or left unlinked.

Candidates are the articles inside a time window around the post (articles of unknown date stay
in), ranked by multilingual embedding similarity of the post to each article's title and lead.
The best candidates are then checked as a reader would: do the dates, numbers and names agree?
A logistic model (weights in newstrace/data/linker_model.json, fitted on the dev split by
tools/train_linker.py) turns similarity and checks into one probability; below the model's
threshold the post stays unlinked.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from sqlite3 import Row
from typing import Any

import numpy as np

from newstrace import config
from newstrace.extract.language import post_language
from newstrace.extract.urls import url_date
from newstrace.match.attribution import detect_credit, source_of, without_self_promotion
from newstrace.match.embed import Embedder, embed_cached, get_embedder
from newstrace.match.fact_store import article_facts as stored_facts
from newstrace.match.features import DayRef, Facts, conflict, day_distance, post_facts, signed_gap
from newstrace.match.logistic import LogisticModel
from newstrace.match.prefilter import FactIndex, alike_posts, worth_embedding
from newstrace.model import Match
from newstrace.store.core import Store, parse_iso
from newstrace.stories.incremental import Grouping, group
from newstrace.stories.pairs import Rarity
from newstrace.stories.store import kept_stories


class LinkerModel(LogisticModel):
    """The post-to-article model; its threshold applies to the calibrated probability."""

    @classmethod
    def load(cls, name: str = config.LINKER_MODEL, path: str | Path | None = None) -> LinkerModel:
        return super().load(name, path)  # type: ignore[return-value]


@dataclass
class Pool:
    """The articles a post may relay, with what the checks need, computed once per linking run."""

    ids: list[int]
    languages: np.ndarray
    dates: list[DayRef | None]
    facts: list[Facts]
    vectors: np.ndarray
    name_df: Counter
    rarity: Rarity
    stories: np.ndarray
    reported_stories: np.ndarray
    story_facts: dict[int, StoryFacts]
    links: Grouping
    reported: Grouping
    fact_index: FactIndex

    def worth_embedding(self, row: Row) -> bool:
        """The cheap first stage (match/prefilter.py): does any article in the post's window
        share a name, number or date with it?"""
        return _worth_embedding(self.fact_index, self.dates, row)


def _worth_embedding(index: FactIndex, days: list[DayRef | None], row: Row) -> bool:
    if not config.SEMANTIC_PREFILTER:
        return True
    day = post_day(row["posted_at"], row["text"])
    return worth_embedding(index, days, row["text"], lambda other: _in_window(day, other))


@dataclass
class StoryFacts:
    """What the articles of one story say together: more dates and numbers than any one of them."""

    members: list[int]
    numbers: frozenset[str]
    ordinals: frozenset[int]
    dates: frozenset[tuple[int, int]]
    names: frozenset[str]
    day: date | None


def _story_facts(stories: np.ndarray, article_facts: list[Facts], days: list[DayRef | None]) -> dict[int, StoryFacts]:
    by_story: dict[int, list[int]] = {}
    for index, story in enumerate(stories.tolist()):
        by_story.setdefault(story, []).append(index)
    found = {}
    for story, members in by_story.items():
        known = sorted(days[i] for i in members if isinstance(days[i], date))
        found[story] = StoryFacts(
            members=members,
            numbers=frozenset().union(*(article_facts[i].numbers for i in members)),
            ordinals=frozenset().union(*(article_facts[i].ordinals for i in members)),
            dates=frozenset().union(*(article_facts[i].dates for i in members)),
            names=frozenset().union(*(article_facts[i].names for i in members)),
            day=known[len(known) // 2] if known else None,
        )
    return found


def article_view(title: str, text: str) -> str:
    """What an article is embedded by: its title and lead."""
    return f"{title}\n{text}"[: config.ARTICLE_VIEW_CHARS]


def post_view(text: str) -> str:
    """What a post is embedded by: its lead, where a relay says what it relays (a long post
    costs no more to embed than a short one), less the channel's footer."""
    return without_self_promotion(text)[: config.POST_VIEW_CHARS]


def _article_date(row: Any, found: Facts) -> DayRef | None:
    """The article's day: published, else in its URL, else the first date its lead mentions
    (the lead's date is within two days of publication for 96% of dated dev items)."""
    published = parse_iso(row["published_at"])
    if published:
        return published.date()
    from_url = url_date(row["url"])
    return date.fromisoformat(from_url) if from_url else found.lead_date


def posted_day(row: Row) -> date | None:
    """The day a post was posted, if known."""
    posted = parse_iso(row["posted_at"])
    return posted.date() if posted else None


def post_day(posted_at: str | None, text: str) -> DayRef | None:
    """The post's day: when it was posted, else the day its lead reports."""
    posted = parse_iso(posted_at)
    return posted.date() if posted else post_facts(text).lead_date


_POOL: dict[tuple, Pool] = {}


def load_pool(store: Store, embedder: Embedder) -> Pool:
    """The store's articles ready for matching, rebuilt only when articles were added or changed
    since this process last built it (a long-running process traces new posts cheaply)."""
    key = (*store.articles_version(), embedder.name)
    if key not in _POOL:
        _POOL.clear()
        _POOL[key] = _build_pool(store, embedder)
    return _POOL[key]


def posts_to_link(store: Store) -> list[Row]:
    """The posts the next semantic step judges: new or changed since it last looked, and not
    linked by an earlier step of the cascade."""
    return [row for row in store.posts_to_judge("semantic")
            if (match := store.match_for_post(row["id"])) is None or match["stage"] == "semantic"]


def texts_to_embed(store: Store) -> tuple[list[str], list[str]]:
    """What the next semantic step embeds, each text once: every article's view (passages, for
    the pool), the text of each post it judges that passes the cheap first stage, and of those
    that fail it but will be grouped into stories of posts (queries). Computing them ahead (the
    Ray backfill) leaves the trace nothing to embed."""
    rows = _article_rows(store)
    article_facts, days = _facts_and_days(store, rows)
    index = FactIndex.build(article_facts)
    views = [article_view(row["title"], row["text"]) for row in rows]
    posts = posts_to_link(store)
    passing = {position for position, row in enumerate(posts) if _worth_embedding(index, days, row)}
    fresh = [position for position in range(len(posts)) if position not in passing]
    grouped = alike_posts([row["text"] for row in posts], [posted_day(row) for row in posts], fresh, passing) if fresh else []
    queries = [post_view(posts[position]["text"]) for position in sorted(passing | set(grouped))]
    return list(dict.fromkeys(views)), list(dict.fromkeys(queries))


def _facts_and_days(store: Store, rows: list[Row]) -> tuple[list[Facts], list[DayRef | None]]:
    article_facts = stored_facts(store, rows)
    return article_facts, [_article_date(row, found) for row, found in zip(rows, article_facts)]


def _article_rows(store: Store) -> list[Row]:
    return store.db.execute(
        "SELECT id, url, title, text, language, published_at, content_hash FROM articles ORDER BY id").fetchall()


def _build_pool(store: Store, embedder: Embedder) -> Pool:
    rows = _article_rows(store)
    views = [article_view(row["title"], row["text"]) for row in rows]
    article_facts, days = _facts_and_days(store, rows)
    languages = np.array([row["language"] or "" for row in rows])
    vectors = embed_cached(store, embedder, views, query=False)
    name_df = Counter(name for item in article_facts for name in item.names)
    ids = [row["id"] for row in rows]
    links, reported = group(kept_stories(store), ids, vectors, list(languages), article_facts, days, name_df)
    stories = _labels(links.keys)
    return Pool(ids=ids, languages=languages, dates=days, facts=article_facts,
                vectors=vectors, name_df=name_df, rarity=Rarity(name_df, len(ids)), stories=stories,
                reported_stories=_labels(reported.keys),
                story_facts=_story_facts(stories, article_facts, days), links=links, reported=reported,
                fact_index=FactIndex.build(article_facts))


def _labels(keys: list[str]) -> np.ndarray:
    """Story keys as labels 0..k-1."""
    index: dict[str, int] = {}
    return np.array([index.setdefault(key, len(index)) for key in keys], dtype=int)


def _in_window(day: DayRef | None, article_day: DayRef | None) -> bool:
    """Only known days exclude: a day guessed from a mention informs the checks, not the window."""
    if not isinstance(day, date) or not isinstance(article_day, date):
        return True
    gap = signed_gap(day, article_day)
    return gap is None or -config.WINDOW_BEFORE_DAYS <= gap <= config.WINDOW_AFTER_DAYS


def candidate_features(pool: Pool, text: str, vector: np.ndarray, day: DayRef | None,
                       post_language: str | None, *, min_similarity: float = config.SEMANTIC_MIN_SIMILARITY,
                       ) -> list[tuple[int, dict[str, float], dict[str, Any]]]:
    """(pool index, feature values, evidence) for the post's best candidates.

    The model is fitted on whole candidate lists (min_similarity 0); the floor only guards
    linking in small or unrelated pools."""
    allowed = np.array([_in_window(day, other) for other in pool.dates], dtype=bool)
    if not allowed.any():
        return []
    sims = pool.vectors @ vector
    sims = np.where(allowed, sims, -1.0)
    best_all = float(sims.max())
    stats = {}
    for language in set(pool.languages[allowed]):
        group = sims[allowed & (pool.languages == language)]
        stats[language] = (float(group.max()), float(group.mean()), float(group.std()) + 1e-6)
    post = post_facts(text)
    total_idf = sum(pool.rarity.idf(name) for name in post.names) or 1.0
    order = np.argsort(-sims)[: config.SEMANTIC_TOP_K]
    found = []
    for index in order:
        if not allowed[index] or sims[index] < min_similarity:
            break
        top, mean, spread = stats[pool.languages[index]]
        other = pool.facts[index]

        same = float(pool.languages[index] == post_language)
        values = {"cos": float(sims[index]), "margin_lang": float(sims[index]) - top,
                  "z_lang": (float(sims[index]) - mean) / spread, "margin_all": float(sims[index]) - best_all,
                  "same_lang": same, "same_lang_cos": same * float(sims[index]),
                  "same_lang_margin": same * (float(sims[index]) - top)}
        values.update(_date_features(post, other, day, pool.dates[index]))
        shared_numbers = post.numbers & other.numbers
        shared_names = post.names & other.names
        values.update(
            num_shared=min(len(shared_numbers), 3) / 3,
            num_missing=(len(post.numbers - other.numbers) / len(post.numbers)) if post.numbers else 0.0,
            year_conflict=conflict(post.years, other.years),
            num_conflict=conflict(post.numbers, other.numbers),
            ordinal_shared=float(bool(post.ordinals & other.lead_ordinals)),
            lead_ordinal_conflict=conflict(post.ordinals, other.lead_ordinals),
            lead_event_conflict=float(bool(post.lead_event and other.lead_event) and post.lead_event != other.lead_event),
            name_share=len(shared_names) / max(1, len(post.names)),
            name_shared=min(len(shared_names), 5) / 5,
            name_idf_share=sum(pool.rarity.idf(name) for name in shared_names) / total_idf,
            lead_num_conflict=conflict(post.numbers, other.lead_numbers) * float(not shared_numbers),
            lead_name_missing=pool.rarity.missing(other.lead_names, post.names),
        )
        values.update(_story_features(pool, index, sims, allowed, best_all, post, day))
        evidence = {"similarity": round(float(sims[index]), 4),
                    "shared_numbers": sorted(shared_numbers), "shared_names": sorted(post.spelling(name) for name in shared_names),
                    "shared_dates": sorted(f"{m:02d}-{d:02d}" for m, d in post.dates & other.dates)}
        if post.lead_event and post.lead_event == other.lead_event:
            evidence["event"] = post.lead_event
        found.append((int(index), values, evidence))
    return found


def _story_features(pool: Pool, index: int, sims: np.ndarray, allowed: np.ndarray, best_all: float,
                    post: Facts, day: DayRef | None) -> dict[str, float]:
    """How the candidate's story fares against the other stories in the window. A story leads
    by its similarity over the best rival's, or over the similarity floor when no rival comes
    that close: alone in a small store it has beaten nothing."""
    story = pool.story_facts[int(pool.stories[index])]
    members = [i for i in story.members if allowed[i]]
    rivals = allowed & (pool.stories != pool.stories[index])
    runner_up = max(float(sims[rivals].max()) if rivals.any() else -1.0, config.SEMANTIC_MIN_SIMILARITY)
    gap = signed_gap(day, story.day) if isinstance(day, date) else None
    return {
        "story_size": math.log1p(len(story.members)) / 3,
        "story_lead": float(sims[index]) - runner_up,
        "story_max_margin": float(max(sims[i] for i in members)) - best_all if members else -1.0,
        "story_gap_known": float(gap is not None),
        "story_gap_le1": float(gap is not None and abs(gap) <= 1),
        "story_gap_gt3": float(gap is not None and abs(gap) > 3),
        "story_num_share": (len(post.numbers & story.numbers) / len(post.numbers)) if post.numbers else 0.0,
        "story_ordinal_conflict": conflict(post.ordinals, story.ordinals),
        "story_date_shared": float(bool(post.dates & story.dates)),
        "story_name_missing": pool.rarity.missing(post.names, story.names),
    }


def _date_features(post: Facts, other: Facts, day: DayRef | None, other_day: DayRef | None) -> dict[str, float]:
    values: dict[str, float] = {"gap_known": 0.0, "gap": 0.0, "gap_le1": 0.0, "gap_gt3": 0.0}
    gap = signed_gap(day, other_day)
    if gap is not None:
        gap = abs(gap)
        values.update(gap_known=1.0, gap=min(gap, 30) / 30, gap_le1=float(gap <= 1), gap_gt3=float(gap > 3))
    shared = post.dates & other.dates
    values["date_shared"] = float(bool(shared))
    values["date_conflict"] = conflict(post.dates, other.dates)
    values["pmention_vs_adate"] = (min(min(day_distance(d, other_day) for d in post.dates), 30) / 30
                                   if post.dates and isinstance(other_day, date) else 0.0)
    values["amention_vs_pdate"] = (min(min(day_distance(d, day) for d in other.dates), 30) / 30
                                   if other.dates and isinstance(day, date) else 0.0)
    return values


def link_semantic(store: Store, pool: Pool, posts: list[Row], *, embedder: Embedder | None = None,
                  model: LinkerModel | None = None) -> list[Match]:
    """Decide a source among the pool's articles for each of these posts, or none."""
    embedder = embedder or get_embedder()
    model = model or LinkerModel.load()
    posts = [row for row in posts if pool.worth_embedding(row)]
    if not posts or not pool.ids:
        return []
    vectors = embed_cached(store, embedder, [post_view(row["text"]) for row in posts], query=True)
    decided = []
    for row, vector in zip(posts, vectors):
        scored = sorted(((model.calibrated(model.probability(values)), index, evidence)
                         for index, values, evidence in candidate_features(
                             pool, row["text"], vector, post_day(row["posted_at"], row["text"]),
                             post_language(row["text"]))), key=lambda found: -found[0])
        if scored and scored[0][0] >= model.threshold:
            index, evidence = _credited_first(store, pool, row["text"], scored)
            decided.append(Match(row["channel"], row["message_id"], pool.ids[index], "semantic",
                                 round(scored[0][0], 4), evidence))
    return decided


def _credited_first(store: Store, pool: Pool, text: str,
                    scored: list[tuple[float, int, dict[str, Any]]]) -> tuple[int, dict[str, Any]]:
    """The article a post relays once its story is decided: the one of that story whose outlet
    the post names ("according to the Northwind Herald"), else the most probable. A retelling
    that credits the original is traced to the original, not to another outlet's version."""
    story = pool.stories[scored[0][1]]
    for _, index, evidence in scored:
        if pool.stories[index] != story:
            continue
        url, site_name = store.db.execute("SELECT url, site_name FROM articles WHERE id = ?", (pool.ids[index],)).fetchone()
        if detect_credit(text, [], source_outlet=source_of(url, site_name)).kind != "none":
            return index, evidence
    return scored[0][1], scored[0][2]
