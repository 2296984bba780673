"""Stories that grow: new articles join the story they fit or start one, without regrouping
what is already grouped; two stories that a new article shows to be one are merged, the
younger id kept as an alias of the older.

A new article joins a story by its average same-event probability (stories/pairs.py) to the
story's core: the members most similar to it, at most config.STORY_CORE of them, so that a
large story is judged by what is closest, not diluted by its whole history. The bar rises with
the story's size (config.STORY_GROWTH_TIGHTEN), which keeps a story from chaining into the next
event one loose article at a time. Pair probabilities carry the time gap, so distance in time
weighs against joining.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from newstrace import config
from newstrace.match.features import DayRef, Facts
from newstrace.match.logistic import LogisticModel
from newstrace.stories.cluster import cluster
from newstrace.stories.pairs import pair_features


@dataclass
class Grouping:
    """Story keys per article at one cut, and the keys merged away (alias -> surviving key)."""

    keys: list[str]
    aliases: dict[str, str] = field(default_factory=dict)


def key_of(article_id: int) -> str:
    """A story is named by its oldest article, so its id stays while it only grows."""
    return f"s{article_id}"


def keys_from_labels(ids: Sequence[int], labels: np.ndarray, previous: dict[int, str]) -> Grouping:
    """Keys for a fresh grouping (labels 0..k-1) that keep earlier ids where they still fit: a
    group keeps the earlier key most of its members had, unless a larger share of another group
    holds it; keys that survive nowhere become aliases of the group holding most of their
    articles."""
    members: dict[int, list[int]] = {}
    for position, label in enumerate(labels.tolist()):
        members.setdefault(label, []).append(position)
    claims: list[tuple[int, int, str]] = []
    for label, positions in members.items():
        for key, count in Counter(previous[ids[p]] for p in positions if ids[p] in previous).items():
            claims.append((count, label, key))
    chosen: dict[int, str] = {}
    taken: set[str] = set()
    for count, label, key in sorted(claims, key=lambda claim: (-claim[0], claim[1], claim[2])):
        if label not in chosen and key not in taken:
            chosen[label], _ = key, taken.add(key)
    for label, positions in members.items():
        chosen.setdefault(label, key_of(min(ids[p] for p in positions)))
    keys = [chosen[label] for label in labels.tolist()]
    aliases: dict[str, str] = {}
    for count, label, key in sorted(claims, key=lambda claim: -claim[0]):
        if key not in taken and key not in aliases:
            aliases[key] = chosen[label]
    return Grouping(keys, aliases)


class Grower:
    """Adds articles to stories one at a time, at one cut of the story model."""

    def __init__(self, vectors: np.ndarray, languages: Sequence[str], facts: Sequence[Facts],
                 days: Sequence[DayRef | None], name_df: Counter, model: LogisticModel, cut: float) -> None:
        self.vectors, self.languages, self.facts, self.days = vectors, languages, facts, days
        self.name_df, self.model = name_df, model
        self.join_at = 1.0 - cut

    def probabilities(self, i: int, others: np.ndarray, sims: np.ndarray) -> np.ndarray:
        total = len(self.vectors)
        return np.array([self.model.probability(pair_features(
            float(sim), self.languages[i] == self.languages[j], self.facts[i], self.facts[j],
            self.days[i], self.days[j], self.name_df, total)) for j, sim in zip(others.tolist(), sims.tolist())])

    def bar(self, size: int) -> float:
        return self.join_at + config.STORY_GROWTH_TIGHTEN * math.log2(1 + size / config.STORY_CORE)

    def linkage(self, i: int, story: np.ndarray) -> float:
        """Mean same-event probability of article i and the story's core (its nearest members)."""
        sims = self.vectors[story] @ self.vectors[i]
        core = np.argsort(-sims)[: config.STORY_CORE]
        return float(self.probabilities(i, story[core], sims[core]).mean())

    def grow(self, keys: list[str | None], order: Sequence[int], ids: Sequence[int]) -> Grouping:
        """Keys for the articles at positions `order` (None in keys), in that order."""
        aliases: dict[str, str] = {}
        members: dict[str, list[int]] = {}
        for position, key in enumerate(keys):
            if key is not None:
                members.setdefault(key, []).append(position)
        assigned = np.array([key is not None for key in keys])
        for i in order:
            sims = np.where(assigned, self.vectors @ self.vectors[i], -1.0)
            near = [j for j in np.argsort(-sims)[: config.STORY_NEIGHBOURS] if assigned[j]]
            fits = []
            for story in dict.fromkeys(keys[j] for j in near):
                group = np.array(members[story])
                score = self.linkage(i, group)
                if score >= self.bar(len(group)):
                    fits.append((score, story))
            story = key_of(ids[i])
            if fits:
                fits.sort(key=lambda fit: -fit[0])
                story = fits[0][1]
                for _, other in fits[1:]:
                    if other in members and story in members and self._one_event(
                            np.array(members[story]), np.array(members[other])):
                        story, gone = sorted((story, other), key=lambda key: int(key[1:]))
                        for position in members.pop(gone):
                            keys[position] = story
                            members[story].append(position)
                        aliases.update({alias: story for alias, target in list(aliases.items()) if target == gone})
                        aliases[gone] = story
            keys[i] = story
            members.setdefault(story, []).append(i)
            assigned[i] = True
        return Grouping([key or "" for key in keys], aliases)

    def _one_event(self, first: np.ndarray, second: np.ndarray) -> bool:
        """Do two stories that both fit a new article report one event? Average linkage of
        their cores, against the bar of the merged story."""
        core_first = first[: config.STORY_CORE]
        scores = [self.linkage(int(i), second) for i in core_first]
        return float(np.mean(scores)) >= self.bar(len(first) + len(second))


def group(previous: dict[int, tuple[str, str | None]], ids: Sequence[int], vectors: np.ndarray,
          languages: Sequence[str], facts: Sequence[Facts], days: Sequence[DayRef | None],
          name_df: Counter) -> tuple[Grouping, Grouping]:
    """(link stories, reported stories) of every article: grown from the stories kept in the
    store when few articles are new, else grouped afresh with the earlier ids kept where they fit.

    previous maps article id to its kept (story, link story)."""
    model = LogisticModel.load(config.STORY_MODEL)
    new = [i for i, article_id in enumerate(ids) if not (previous.get(article_id) or (None, None))[1]]
    if not new:
        return (Grouping([previous[a][1] or "" for a in ids]), Grouping([previous[a][0] for a in ids]))
    if len(new) > config.STORY_REGROUP_SHARE * len(ids):
        links, stories = cluster(vectors, languages, facts, days, name_df, model=model,
                                 cuts=(config.STORY_LINK_DISTANCE, config.STORY_DISTANCE))
        return (keys_from_labels(ids, links, {a: kept[1] for a, kept in previous.items() if kept[1]}),
                keys_from_labels(ids, stories, {a: kept[0] for a, kept in previous.items()}))
    order = sorted(new, key=lambda i: (str(days[i] or ""), ids[i]))
    fresh = set(new)
    found = []
    for cut, column in ((config.STORY_LINK_DISTANCE, 1), (config.STORY_DISTANCE, 0)):
        keys: list[str | None] = [None if i in fresh else previous[ids[i]][column] for i in range(len(ids))]
        grower = Grower(vectors, languages, facts, days, name_df, model, cut)
        found.append(grower.grow(keys, order, ids))
    return found[0], found[1]
