"""Grouping articles into stories: the average-linkage cut tightens as a story grows, and two
articles dated too far apart are never one event."""

from collections import Counter
from datetime import date

import numpy as np
from scipy.cluster.hierarchy import linkage
from scipy.spatial.distance import squareform

from newstrace import config
from newstrace.match.features import facts
from newstrace.match.logistic import LogisticModel
from newstrace.stories.cluster import Cut, cluster, cut_tree
from newstrace.stories.pairs import Rarity, pair_features, too_far_apart

BY_SIMILARITY = LogisticModel(features=["cos"], coef=[40.0], intercept=-34.0, threshold=0.5)


def two_groups(size: int, between: float) -> np.ndarray:
    """The linkage tree of two groups of `size` items, 0.1 apart inside and `between` across."""
    labels = np.array([0] * size + [1] * size)
    distances = np.where(labels[:, None] == labels[None, :], 0.1, between)
    np.fill_diagonal(distances, 0.0)
    return linkage(squareform(distances, checks=False), method="average")


def test_a_big_story_needs_closer_groups_to_join_than_a_small_one():
    tightening = Cut(0.8, tighten_from=8, tighten_rate=0.15, floor=0.3)
    big = two_groups(6, between=0.75)
    assert len(set(cut_tree(big, Cut(0.8)).tolist())) == 1
    labels = cut_tree(big, tightening)
    assert labels.tolist() == [0] * 6 + [1] * 6
    small = two_groups(2, between=0.75)
    assert len(set(cut_tree(small, tightening).tolist())) == 1
    assert len(set(cut_tree(two_groups(6, between=0.7), tightening).tolist())) == 1


def test_the_cut_falls_with_size_down_to_its_floor():
    cut = Cut(0.8, tighten_from=8, tighten_rate=0.15, floor=0.3)
    assert cut.at(2) == cut.at(8) == 0.8
    assert 0.8 > cut.at(20) > cut.at(100) > 0.3
    assert cut.at(10 ** 9) == 0.3
    assert Cut(0.5).at(10 ** 6) == 0.5


def test_articles_dated_too_far_apart_are_two_events_however_alike():
    limit = config.STORY_MAX_GAP_DAYS
    assert too_far_apart(date(2025, 3, 1), date(2025, 3, 2 + limit))
    assert not too_far_apart(date(2025, 3, 1), date(2025, 3, 1 + limit))
    assert not too_far_apart((3, 1), date(2025, 5, 1))
    same = np.stack([np.array([1.0, 0.0], dtype=np.float32)] * 3)
    days = [date(2025, 3, 14), date(2025, 3, 15), date(2025, 4, 25)]
    labels = cluster(same, ["en"] * 3, [facts("")] * 3, days, Counter(), model=BY_SIMILARITY,
                     cuts=(Cut(0.8),))[0]
    assert labels[0] == labels[1] != labels[2]


def test_sibling_articles_whose_leads_state_other_facts_are_two_events():
    """Sibling events share their words and recap each other; what each reports first differs.
    The pair model checks it as the linker does: ordinals the leads state, dates and numbers
    both mention and none shared, the rare lead names one lacks. The shipped model, all else
    equal (one language, no dates known, the same similarity), calls the retelling one event
    and keeps the next flight out of its story (the model before these checks gave it 0.47)."""
    recap = " The programme aims at a fully reusable rocket, engineers said after the test."
    seventh = facts("Starship's seventh flight lifted off from Boca Chica on 16 January with 33 engines." + recap)
    retold = facts("The seventh Starship flight started from Boca Chica on 16 January, all 33 engines firing." + recap)
    eighth = facts("Starship's eighth flight lifted off from Boca Chica on 6 March with 29 engines." + recap)
    other_pad = facts("Starship's seventh flight lifted off from Kourou on 16 January with 33 engines." + recap)
    rarity = Rarity(Counter(name for found in (seventh, retold, eighth, other_pad) for name in found.names), 40)
    same = pair_features(0.92, True, seventh, retold, None, None, rarity)
    sibling = pair_features(0.92, True, seventh, eighth, None, None, rarity)
    assert (same["lead_ordinal_conflict"], sibling["lead_ordinal_conflict"]) == (0.0, 1.0)
    assert (same["date_conflict"], sibling["date_conflict"]) == (0.0, 1.0)
    assert (same["num_conflict"], sibling["num_conflict"]) == (0.0, 1.0)
    assert pair_features(0.92, True, seventh, other_pad, None, None, rarity)["lead_name_missing"] > same["lead_name_missing"]
    model = LogisticModel.load(config.STORY_MODEL)
    assert model.probability(sibling) < 1.0 - config.STORY_DISTANCE < 0.5 < model.probability(same)


def test_an_undated_article_whose_weekday_misses_the_others_day_is_another_round():
    """Rounds of talks in one city read alike; the weekday the lead names tells them apart. An
    undated report of talks "on Friday" is not the round of Wednesday 23 July (the model without
    the weekday check gave both undated reports 0.67); one of "on Wednesday" is."""
    dated = facts("Delegations of Russia and Ukraine met in Istanbul for a new round of talks; the meeting lasted about an hour.")
    wednesday = facts("The round of talks between Russia and Ukraine in Istanbul on Wednesday lasted about an hour.")
    friday = facts("The round of talks between Russia and Ukraine in Istanbul on Friday lasted about an hour.")
    rarity = Rarity(Counter(name for found in (dated, wednesday, friday) for name in found.names), 40)
    model = LogisticModel.load(config.STORY_MODEL)
    same, other = (model.probability(pair_features(0.93, True, dated, found, date(2025, 7, 23), None, rarity))
                   for found in (wednesday, friday))
    assert other < 1.0 - config.STORY_DISTANCE < 0.5 < same


def test_valuations_in_different_amounts_are_two_records_however_alike():
    """Record valuations read alike whatever the amount: the first company worth $4 trillion and
    the first worth $5 trillion are two events. The pair model checks the amounts the two leads
    state (a number with its unit, not a bare number; the model before it gave this pair 0.94);
    a retelling that spells the unit otherwise ($4trn against $4 trillion) stays one event."""
    recap = " Investors bet on demand for AI chips, analysts said, and the shares rose further in later trading."
    four = facts("Nvidia became the first public company worth $4 trillion as its shares rose on Wednesday." + recap)
    retold = facts("Nvidia is the first listed company to reach a $4trn valuation, its shares up on Wednesday." + recap)
    five = facts("Nvidia became the first public company worth $5 trillion as its shares rose on Wednesday." + recap)
    rarity = Rarity(Counter(name for found in (four, retold, five) for name in found.names), 40)
    same = pair_features(0.95, True, four, retold, None, None, rarity)
    sibling = pair_features(0.95, True, four, five, None, None, rarity)
    assert (same["lead_amount_conflict"], sibling["lead_amount_conflict"]) == (0.0, 1.0)
    model = LogisticModel.load(config.STORY_MODEL)
    assert model.probability(sibling) < 0.5 < 0.99 < model.probability(same)
