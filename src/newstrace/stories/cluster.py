"""Group articles into stories (one event each) by average linkage over pair probabilities.

Only each article's nearest neighbours are scored; an unscored pair counts as 'different
events'. Average linkage keeps one loose pair from chaining two events together, and the cut
tightens as a story grows, so a big story does not absorb the next event of its family.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.cluster.hierarchy import linkage
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial.distance import squareform

from newstrace import config
from newstrace.match.features import DayRef, Facts
from newstrace.match.logistic import LogisticModel
from newstrace.stories.pairs import Rarity, neighbours, pair_features, too_far_apart


@dataclass(frozen=True)
class Cut:
    """Where the average-linkage tree is cut: groups join while their average distance is at
    most `distance`; past `tighten_from` articles (0: never) the bar falls by `tighten_rate` per
    e-fold of size, to no less than `floor`."""

    distance: float
    tighten_from: int = 0
    tighten_rate: float = 0.0
    floor: float = 0.0

    def at(self, size: int) -> float:
        if not self.tighten_from or size <= self.tighten_from:
            return self.distance
        return max(self.floor, self.distance - self.tighten_rate * float(np.log(size / self.tighten_from)))


LINK_CUT = Cut(config.STORY_LINK_DISTANCE)
STORY_CUT = Cut(config.STORY_DISTANCE, config.STORY_TIGHTEN_FROM, config.STORY_TIGHTEN_RATE,
                config.STORY_MIN_DISTANCE)


def scored_pairs(vectors: np.ndarray, languages: Sequence[str], facts: Sequence[Facts],
                 days: Sequence[DayRef | None], name_df: Counter, total: int | None = None
                 ) -> dict[tuple[int, int], dict[str, float]]:
    """Features of every neighbour pair (i < j) not too far apart in time to be one event; total
    is the article count name_df was taken over (the whole store, when these articles are a
    part of it)."""
    pairs: dict[tuple[int, int], dict[str, float]] = {}
    rarity = Rarity(name_df, total or len(vectors))
    for i, near in enumerate(neighbours(vectors)):
        for j, similarity in near:
            key = (min(i, j), max(i, j))
            if key not in pairs and not too_far_apart(days[i], days[j]):
                pairs[key] = pair_features(similarity, languages[i] == languages[j], facts[i], facts[j],
                                           days[i], days[j], rarity)
    return pairs


def cluster(vectors: np.ndarray, languages: Sequence[str], facts: Sequence[Facts],
            days: Sequence[DayRef | None], name_df: Counter, *, model: LogisticModel | None = None,
            cuts: Sequence[Cut] = (LINK_CUT,), total: int | None = None) -> list[np.ndarray]:
    """A story label (0..k-1) per article for each cut of the average-linkage tree, finest
    stories for the smallest cut.

    Average linkage never joins two groups with no pair closer than the cut, so it runs on each
    connected component of the close pairs on its own: exact, and small matrices however large
    the store.
    """
    count = len(vectors)
    widest = max(cut.distance for cut in cuts)
    model = model or LogisticModel.load(config.STORY_MODEL)
    gaps = {pair: 1.0 - model.probability(values)
            for pair, values in scored_pairs(vectors, languages, facts, days, name_df, total).items()}
    close = [pair for pair, gap in gaps.items() if gap <= widest]
    rows = [i for i, _ in close]
    cols = [j for _, j in close]
    graph = coo_matrix((np.ones(len(close)), (rows, cols)), shape=(count, count))
    _, component = connected_components(graph, directed=False)
    inside: dict[int, list[tuple[int, int, float]]] = defaultdict(list)
    for (i, j), gap in gaps.items():
        if component[i] == component[j]:
            inside[int(component[i])].append((i, j, gap))
    levels = [np.zeros(count, dtype=int) for _ in cuts]
    next_label = [0 for _ in cuts]
    for members in _groups(component):
        if len(members) == 1:
            for level, labels in enumerate(levels):
                labels[members[0]] = next_label[level]
                next_label[level] += 1
            continue
        where = {article: n for n, article in enumerate(members)}
        distances = np.ones((len(members), len(members)))
        np.fill_diagonal(distances, 0.0)
        for i, j, gap in inside[int(component[members[0]])]:
            distances[where[i], where[j]] = distances[where[j], where[i]] = gap
        tree = linkage(squareform(distances, checks=False), method="average")
        for level, cut in enumerate(cuts):
            local = cut_tree(tree, cut)
            levels[level][members] = local + next_label[level]
            next_label[level] += int(local.max()) + 1
    return levels


def cut_tree(tree: np.ndarray, cut: Cut) -> np.ndarray:
    """Labels 0..k-1 of the leaves of a linkage tree: from the root down, a node whose height
    is within the cut for its size is one group, else its two branches are looked at. Average
    linkage heights grow toward the root, so a group's branches are within their cuts too."""
    count = len(tree) + 1
    sizes = np.concatenate([np.ones(count, dtype=int), tree[:, 3].astype(int)])
    labels = np.zeros(count, dtype=int)
    next_label = 0
    pending = [2 * count - 2]
    while pending:
        node = pending.pop()
        if node >= count and tree[node - count, 2] > cut.at(int(sizes[node])):
            pending += [int(tree[node - count, 1]), int(tree[node - count, 0])]
            continue
        labels[_leaves(tree, node, count)] = next_label
        next_label += 1
    return labels


def _leaves(tree: np.ndarray, node: int, count: int) -> list[int]:
    found, pending = [], [node]
    while pending:
        node = pending.pop()
        if node < count:
            found.append(node)
        else:
            pending += [int(tree[node - count, 0]), int(tree[node - count, 1])]
    return found


def centrality(vectors: np.ndarray) -> np.ndarray:
    """How central each of a group's (unit) vectors is: its similarity to the group's mean,
    which orders members as their mean similarity to the others does. Worked in float64 on
    renormalised vectors and rounded, so that a tie (any two members are equally central) keeps
    the members' given order instead of float32 noise's, which differs between CPUs."""
    units = vectors.astype(np.float64)
    units /= np.linalg.norm(units, axis=1, keepdims=True)
    return np.round(units @ units.mean(axis=0), config.CENTRALITY_DECIMALS)


def _groups(component: np.ndarray) -> list[list[int]]:
    order = np.argsort(component, kind="stable")
    bounds = np.flatnonzero(np.diff(component[order])) + 1
    return [part.tolist() for part in np.split(order, bounds)]
