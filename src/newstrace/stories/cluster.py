"""Group articles into stories (one event each) by average linkage over pair probabilities.

Only each article's nearest neighbours are scored; an unscored pair counts as 'different
events'. Average linkage keeps one loose pair from chaining two events together.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import squareform

from newstrace import config
from newstrace.match.features import DayRef, Facts
from newstrace.stories.pairs import PairModel, neighbours, pair_features


def scored_pairs(vectors: np.ndarray, languages: Sequence[str], facts: Sequence[Facts],
                 days: Sequence[DayRef | None], name_df: Counter) -> dict[tuple[int, int], dict[str, float]]:
    """Features of every neighbour pair (i < j)."""
    pairs: dict[tuple[int, int], dict[str, float]] = {}
    for i, near in enumerate(neighbours(vectors)):
        for j, similarity in near:
            key = (min(i, j), max(i, j))
            if key not in pairs:
                pairs[key] = pair_features(similarity, languages[i] == languages[j], facts[i], facts[j],
                                           days[i], days[j], name_df, len(vectors))
    return pairs


def cluster(vectors: np.ndarray, languages: Sequence[str], facts: Sequence[Facts],
            days: Sequence[DayRef | None], name_df: Counter, *, model: PairModel | None = None,
            distance: float = config.STORY_LINK_DISTANCE) -> np.ndarray:
    """A story label (0..k-1) per article."""
    count = len(vectors)
    if count < 2:
        return np.zeros(count, dtype=int)
    model = model or PairModel.load(config.STORY_MODEL)
    distances = np.ones((count, count))
    np.fill_diagonal(distances, 0.0)
    for (i, j), values in scored_pairs(vectors, languages, facts, days, name_df).items():
        distances[i, j] = distances[j, i] = 1.0 - model.probability(values)
    tree = linkage(squareform(distances, checks=False), method="average")
    return fcluster(tree, t=distance, criterion="distance") - 1
