"""Sanity of the real-data benchmarks (bench/wmt21_crosslang.py, bench/tgcontest_pairs.py) on
small slices of ../shared/data, skipped where that folder is absent; and of the evaluation's
error breakdown and multi-cut table (bench/eval_breakdown.py, bench/eval_seeds.py) on hand-made
results."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from newstrace import config
from newstrace.errors import InputError
from newstrace.match.embed import get_embedder
from newstrace.match.semantic import LinkerModel

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / ".." / "shared" / "data"


def _bench(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, ROOT / "bench" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


wmt = _bench("wmt21_crosslang")
tg = _bench("tgcontest_pairs")


def _need(folder: str) -> Path:
    path = DATA / folder
    if not path.is_dir():
        pytest.skip(f"../shared/data/{folder} is absent")
    return path


@pytest.fixture(scope="module")
def wmt_docs():
    _need("wmt21-ru-en")
    return wmt.read_docs(wmt.DEFAULT_DATA)


def test_wmt_reader_gives_every_document_with_its_translation(wmt_docs):
    assert len(wmt_docs) == 116
    assert sum(doc.testsuite for doc in wmt_docs) == 9
    assert len({doc.doc_id for doc in wmt_docs}) == 116
    first = wmt_docs[0]
    assert first.doc_id == "kp.235560"
    assert first.ru[0] == "Не нужно демонизировать народ Хабаровска"
    assert first.en[0] == "Don't demonize the people of Khabarovsk"
    assert len(first.ru) == len(first.en) == 9


def test_wmt_lead_is_the_title_and_whole_sentences_within_300_chars(wmt_docs):
    for doc in wmt_docs:
        text = wmt.lead(doc.ru)
        assert text.startswith(doc.ru[0][:50]) and len(text) <= wmt.LEAD_CHARS
    first = wmt.lead(wmt_docs[0].ru)
    assert first == f"{wmt_docs[0].ru[0]}\n{wmt_docs[0].ru[1]}"


def test_wmt_reader_refuses_a_file_that_is_not_xml(tmp_path):
    bad = tmp_path / "broken.xml"
    bad.write_text("<dataset><doc", encoding="utf-8")
    with pytest.raises(InputError, match="broken.xml"):
        wmt.read_docs(bad)


def test_wmt_slice_links_russian_leads_to_their_english_translations(wmt_docs, tmp_path):
    news = [doc for doc in wmt_docs if not doc.testsuite][:4]
    result = wmt.run_variant(news, set(range(len(news))), dated=False, cache=tmp_path / "cache.db",
                             embedder=get_embedder(), model=LinkerModel.load(), workdir=tmp_path, name="slice")
    assert result["ranking"]["top1"] == 1.0
    assert result["linker"]["wrong_article"] == 0
    assert result["linker"]["correct"] >= 3
    assert result["stages"].get("semantic") == result["linker"]["linked"]


def test_auc_counts_ties_as_half():
    assert wmt.auc([0.9, 0.8], [0.1, 0.2]) == 1.0
    assert wmt.auc([0.5], [0.5]) == 0.5
    assert wmt.auc([0.1], [0.9, 0.05]) == 0.5
    assert wmt.auc([], [0.3]) is None


@pytest.fixture(scope="module")
def pairs():
    return tg.read_pairs(_need("tgcontest-pairs"))


def test_tgcontest_reader_gives_labelled_pairs_per_language(pairs):
    by_language = {language: [pair for pair in pairs if pair.language == language] for language in ("ru", "en")}
    assert len(by_language["en"]) == 35 and len(by_language["ru"]) == 210
    assert sum(pair.same for pair in by_language["en"]) == 18
    assert all(0 < len(pair.first) <= config.ARTICLE_VIEW_CHARS for pair in pairs)
    assert pairs[0].first.startswith("ISPA hits back at Telkom CEO")
    assert not pairs[0].same


def test_tgcontest_reader_refuses_unknown_labels(tmp_path):
    header = "\t".join(tg.FIELDS)
    (tmp_path / "ru_train_pool.tsv").write_text(f"{header}\nA\tтекст\tB\tтекст\tMAYBE\n", encoding="utf-8")
    with pytest.raises(InputError, match="line 2: GOLDEN:quality is 'MAYBE'"):
        tg.read_pairs(tmp_path)


def test_tgcontest_slice_same_story_pairs_are_closer(pairs, tmp_path):
    english = [pair for pair in pairs if pair.language == "en"]
    chosen = [pair for pair in english if pair.same][:3] + [pair for pair in english if not pair.same][:3]
    labels = np.array([pair.same for pair in chosen])
    cos = tg.cosines(chosen, tmp_path / "pairs.db", tmp_path / "cache.db", get_embedder(), query=False)
    assert cos.shape == (6,) and np.all((cos > 0) & (cos <= 1.0001))
    assert wmt.auc(cos[labels].tolist(), cos[~labels].tolist()) >= 0.8
    rows = tg.check_matrix(chosen)
    assert rows.shape == (6, len(tg.CHECKS)) and np.all((rows >= 0) & (rows <= 1))
    names = rows[:, tg.CHECKS.index("name_jaccard")]
    assert names[labels].mean() > names[~labels].mean()


def test_best_thresholds_finds_the_separating_score():
    scores = np.array([0.1, 0.4, 0.6, 0.9])
    found = tg.best_thresholds(scores, np.array([False, False, True, True]))
    assert found["accuracy"] == 1.0 and found["accuracy_threshold"] == 0.6 and found["f1"] == 1.0
    mixed = tg.best_thresholds(scores, np.array([False, True, False, True]))
    assert mixed["accuracy"] == 0.75 and mixed["f1_threshold"] == 0.4


def test_the_error_breakdown_counts_as_the_scorer_and_tells_related_events_apart(tmp_path):
    breakdown = _bench("eval_breakdown")
    lines = {
        "gold_links.jsonl": [{"post": "p1", "sources": ["a1"]}, {"post": "p2", "sources": ["a1"]},
                             {"post": "p3", "sources": ["a1"]}, {"post": "p4", "sources": []},
                             {"post": "p5", "sources": ["a1"]}],
        "gold_stories.jsonl": [{"id": "a1", "story": "A01-talks"}, {"id": "a2", "story": "A02-talks-again"},
                               {"id": "a3", "story": "B01-storm"}] + [
                              {"id": f"p{n}", "story": "A01-talks"} for n in range(1, 6)],
        "posts.jsonl": [{"id": "p1", "posted_at": "2025-03-01"}, {"id": "p2", "posted_at": None},
                        {"id": "p3", "posted_at": None}, {"id": "p4", "posted_at": "2025-03-02"},
                        {"id": "p5", "posted_at": "2025-03-02"}],
    }
    for name, rows in lines.items():
        (tmp_path / name).write_text("\n".join(json.dumps(row) for row in rows), encoding="utf-8")
    predictions = tmp_path / "pred.jsonl"
    predictions.write_text("\n".join(json.dumps(row) for row in [
        {"post": "p1", "source": "a1"}, {"post": "p2", "source": "a2"}, {"post": "p3", "source": "a3"},
        {"post": "p4", "source": "a2"}, {"post": "p5", "source": None}]), encoding="utf-8")
    found = breakdown.outcomes(tmp_path, predictions)
    assert found == {("timed", "right"): 1, ("untimed", "wrong-related"): 1, ("untimed", "wrong-unrelated"): 1,
                     ("timed", "orphan-linked"): 1, ("timed", "missed"): 1}
    table = breakdown.report(found)
    assert "| timed | 3 | 0.500 | 0.500 | 0.00 (1) | 0 / 0 |" in table
    assert "| all | 5 | 0.250 | 0.250 | 0.00 (1) | 1 / 1 |" in table


def test_quality_over_several_cuts_is_tabled_with_its_mean_and_range():
    seeds = _bench("eval_seeds")
    score = {"links": {"all": {"precision": 0.9, "recall": 0.8}, "cross-language": {"precision": 1.0, "recall": 0.75},
                       "orphans": {"left_unlinked": 0.5}},
             "calibration": {"ece": 0.04}, "stories": {"bcubed": {"f1": 0.85}}}
    first = seeds.figures(score)
    assert first == {"links P": 0.9, "links R": 0.8, "cross-language P": 1.0, "cross-language R": 0.75,
                     "orphans left unlinked": 0.5, "ECE": 0.04, "stories B³ F1": 0.85}
    second = dict(first, **{"links P": 0.8, "ECE": float("nan")})
    table = seeds.table({6: first, 7: second})
    assert "| 7 | 0.800 | 0.800 |" in table
    assert "| mean | **0.850** | **0.800** |" in table and "| range | 0.800–0.900 | 0.800–0.800 |" in table
    assert seeds.figures({"links": {}})["links P"] != seeds.figures({"links": {}})["links P"], "missing is NaN"
