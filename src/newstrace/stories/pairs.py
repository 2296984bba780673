"""Are two articles about the same event? Features of an article pair and the logistic model
over them (weights in newstrace/data/story_model.json, fitted on dev by tools/train_stories.py).

Same-event pairs share dates, numbers and rare names; sibling events (the next round of talks,
the next rate decision) are as similar in wording but differ in exactly those facts.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator
from datetime import date

import numpy as np

from newstrace import config
from newstrace.match.features import DayRef, Facts, conflict, signed_gap, weekday_checks
from newstrace.match.logistic import LogisticModel


class Rarity:
    """How rare each name is among the articles name_df was counted over (idf), memoized for
    one grouping: the same names and articles come back in thousands of pairs."""

    def __init__(self, name_df: Counter, total: int) -> None:
        self.name_df, self.total = name_df, total
        self._idf: dict[str, float] = {}
        self._weights: dict[int, float] = {}
        self._known: dict[frozenset[str], tuple[list[tuple[str, float]], float]] = {}

    def idf(self, name: str) -> float:
        value = self._idf.get(name)
        if value is None:
            value = self._idf[name] = math.log((self.total + 1) / (self.name_df.get(name, 0) + 1))
        return value

    def weight(self, found: Facts) -> float:
        """The summed rarity of one article's names (by object: the articles of one grouping)."""
        value = self._weights.get(id(found))
        if value is None:
            value = self._weights[id(found)] = sum(self.idf(name) for name in found.names)
        return value

    def missing(self, wanted: frozenset[str], names: frozenset[str]) -> float:
        """Rarity share of the names wanted that other articles know but these names lack:
        Roblox in a post, where the candidate story is about Snapchat; Snapchat in one
        article's lead, where the other is about FaceTime. The wanted names' rarities are kept
        per set: an article's lead comes back in every pair it is in (41% of a grouping's time
        before)."""
        known = self._known.get(wanted)
        if known is None:
            weighted = [(name, self.idf(name)) for name in wanted if self.name_df.get(name)]
            known = self._known[wanted] = (weighted, sum(weight for _, weight in weighted))
        weighted, total = known
        return sum(weight for name, weight in weighted if name not in names) / total if total else 0.0


def pair_features(similarity: float, same_language: bool, first: Facts, second: Facts,
                  first_day: DayRef | None, second_day: DayRef | None, rarity: Rarity) -> dict[str, float]:
    """What says two articles report one event, or two sibling events."""
    same = float(same_language)
    gap = signed_gap(first_day, second_day)
    known = isinstance(first_day, date) and isinstance(second_day, date)
    shared_numbers = first.numbers & second.numbers
    all_numbers = first.numbers | second.numbers
    shared_names = first.names & second.names
    weight = min(rarity.weight(first), rarity.weight(second)) or 1e-6
    return {
        "cos": similarity, "same_lang": same, "same_lang_cos": same * similarity,
        "gap_known": float(gap is not None),
        "gap": min(abs(gap), 30) / 30 if gap is not None else 0.0,
        "gap_le1": float(gap is not None and abs(gap) <= 1),
        "gap_gt3": float(gap is not None and abs(gap) > 3),
        "gap_gt3_known": float(known and gap is not None and abs(gap) > 3),
        "num_jaccard": len(shared_numbers) / max(1, len(all_numbers)),
        "num_shared": min(len(shared_numbers), 5) / 5,
        "ordinal_shared": float(bool(first.ordinals & second.ordinals)),
        "ordinal_conflict": conflict(first.ordinals, second.ordinals),
        "date_shared": float(bool(first.dates & second.dates)),
        "name_idf": sum(rarity.idf(n) for n in shared_names) / weight,
        "date_conflict": conflict(first.dates, second.dates),
        "num_conflict": conflict(first.numbers, second.numbers),
        "lead_ordinal_conflict": conflict(first.lead_ordinals, second.lead_ordinals),
        "lead_amount_conflict": conflict(first.lead_amounts, second.lead_amounts),
        "lead_name_missing": max(rarity.missing(first.lead_names, second.names),
                                 rarity.missing(second.lead_names, first.names)),
        **weekday_checks(first, first_day, second, second_day),
    }


def too_far_apart(first_day: DayRef | None, second_day: DayRef | None) -> bool:
    """Two articles dated further apart than an event's coverage lasts: two events, however
    alike (this month's rate decision and last month's, written from one template)."""
    if not (isinstance(first_day, date) and isinstance(second_day, date)):
        return False
    return abs((first_day - second_day).days) > config.STORY_MAX_GAP_DAYS


def neighbours(vectors, k: int = config.STORY_NEIGHBOURS) -> list[list[tuple[int, float]]]:
    """Each article's k most similar others (brute force in blocks), the only pairs scored."""
    found: list[list[tuple[int, float]]] = []
    for start in range(0, len(vectors), 1024):
        block = vectors[start:start + 1024] @ vectors.T
        for row, sims in enumerate(block):
            sims[start + row] = -1.0
            top = np.argpartition(-sims, min(k, len(sims) - 1))[:k]
            found.append([(int(j), float(sims[j])) for j in top if sims[j] > -1.0])
    return found


def close_pairs(new: Iterable[int], vectors: np.ndarray, language: Callable[[int], str],
                facts: Callable[[int], Facts], day: Callable[[int], DayRef | None], rarity: Rarity,
                model: LogisticModel, min_probability: float, skip: Collection[int] = ()) -> Iterator[tuple[int, int]]:
    """(i, j) for each new item i and each of its config.STORY_NEIGHBOURS most similar others j
    (not in skip, not too far apart in time) that the model calls one event with at least
    min_probability: the stories a regrouping must take in. Items are read through callables,
    so a post's facts are extracted only when it comes close to a new one."""
    for i in new:
        sims = vectors @ vectors[i]
        for j in np.argsort(-sims)[: config.STORY_NEIGHBOURS + 1].tolist():
            if j == i or j in skip or too_far_apart(day(i), day(j)):
                continue
            values = pair_features(float(sims[j]), language(i) == language(j), facts(i), facts(j), day(i), day(j), rarity)
            if model.probability(values) >= min_probability:
                yield i, j
