"""`newstrace backfill`: the Ray engine (real Ray, two embedding actors, the real model) builds the
same store as the single-process path on the same inputs; reruns change nothing; bad inputs are
one error line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from newstrace.backfill import BackfillResult, backfill
from newstrace.backfill.inputs import detect_kind
from newstrace.cli import main
from newstrace.errors import InputError
from newstrace.store.core import Store

ray = pytest.importorskip("ray")

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "src" / "newstrace" / "demo"
FIXTURES = ROOT / "tests" / "fixtures"
SHARED = ROOT / ".." / "shared" / "data"

# posts of our own: one links the demo's English article (the page in the folder is known by its
# canonical URL), one retells it in Russian with no link, one credits it by name, one is unrelated
OWN_POSTS = [
    {"channel": "port_news", "message_id": 1, "posted_at": "2025-08-07T11:00:00Z",
     "text": "Strike over in Kestrel: https://www.northwind-herald.example/2025/08/07/"
             "kestrel-port-workers-end-strike-after-pay-deal-a4521?utm_source=tg"},
    {"channel": "port_news", "message_id": 2, "posted_at": "2025-08-07T13:00:00Z",
     "text": "Докеры Кестрела прекратили девятидневную забастовку: зарплаты вырастут на 14% за два года, "
             "ночные смены вернут по старому графику."},
    {"channel": "islands", "message_id": 7, "posted_at": "2025-08-07T16:00:00Z",
     "text": "Kestrel dockworkers accept a 14 percent raise over two years and end their nine-day strike, "
             "the Northwind Herald reports; cranes restart on Friday."},
    {"channel": "islands", "message_id": 8, "posted_at": "2025-08-08T09:00:00Z",
     "text": "The island ferry timetable changes on Monday: the 7:15 departure moves to 7:40."},
]


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """Inputs of every kind: a folder of HTML pages (one with no article text), a Telegram Desktop
    export, JSONL of articles, JSONL of posts (task rows and real posts)."""
    root = tmp_path_factory.mktemp("corpus")
    pages = root / "pages"
    pages.mkdir()
    for page in [*sorted((DEMO / "articles").glob("*.html")), FIXTURES / "html" / "en_library_reopens.html",
                 FIXTURES / "html" / "no_article_text.html"]:
        shutil.copy(page, pages / page.name)
    return [str(pages), str(DEMO / "telegram" / "harbour_watch_export" / "result.json"),
            str(FIXTURES / "tasks" / "articles.jsonl"), str(FIXTURES / "tasks" / "posts.jsonl"),
            str(write_jsonl(root / "own_posts.jsonl", OWN_POSTS))]


@pytest.fixture(scope="module")
def ray_cluster() -> Any:
    """One local Ray for the module (backfill reuses a Ray already started in the process)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RAY_USAGE_STATS_ENABLED", "0")
        ray.init(num_cpus=2, include_dashboard=False, object_store_memory=300_000_000, log_to_driver=False)
        yield ray
        ray.shutdown()


def run_both(tmp: Path, inputs: list[str]) -> tuple[Store, BackfillResult, Store, BackfillResult]:
    """The same inputs through both engines into two fresh stores (no shared vector cache)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("NEWSTRACE_EMBED_CACHE", "")
        local = Store(tmp / "local.db")
        local_result = backfill(local, inputs, engine="local")
        on_ray = Store(tmp / "ray.db")
        ray_result = backfill(on_ray, inputs, engine="ray", workers=2, batch_size=32)
    return local, local_result, on_ray, ray_result


@pytest.fixture(scope="module")
def built(ray_cluster: Any, corpus: list[str], tmp_path_factory: pytest.TempPathFactory) -> Any:
    local, local_result, on_ray, ray_result = run_both(tmp_path_factory.mktemp("stores"), corpus)
    yield local, local_result, on_ray, ray_result
    local.close()
    on_ray.close()


def snapshot(store: Store) -> dict[str, Any]:
    """What a backfill decides, by stable keys (URLs, channel and message id), not row ids."""
    db = store.db
    members: dict[str, set[str]] = {}
    for url, story in db.execute("SELECT a.url, s.story FROM article_stories s JOIN articles a ON a.id = s.article_id"):
        members.setdefault(story, set()).add(url)
    return {
        "posts": sorted(tuple(row) for row in db.execute("SELECT channel, message_id, text FROM posts")),
        "articles": sorted(tuple(row) for row in db.execute("SELECT url, title, text, language FROM articles")),
        "links": {(row[0], row[1]): (row[2], row[3], row[4]) for row in db.execute(
            "SELECT p.channel, p.message_id, a.url, m.stage, m.score FROM matches m "
            "JOIN posts p ON p.id = m.post_id JOIN articles a ON a.id = m.article_id")},
        "stories": {frozenset(urls) for urls in members.values()},
    }


def assert_same(local: dict[str, Any], on_ray: dict[str, Any]) -> None:
    assert on_ray["posts"] == local["posts"]
    assert on_ray["articles"] == local["articles"]
    assert on_ray["stories"] == local["stories"]
    assert on_ray["links"].keys() == local["links"].keys()
    for post, (url, stage, score) in local["links"].items():
        assert on_ray["links"][post][:2] == (url, stage), post
        assert on_ray["links"][post][2] == pytest.approx(score, abs=1e-6), post


def test_ray_engine_builds_the_same_links_and_stories(built: Any) -> None:
    local, local_result, on_ray, ray_result = built
    expected = snapshot(local)
    assert_same(expected, snapshot(on_ray))
    assert {stage for _, stage, _ in expected["links"].values()} >= {"url", "semantic"}
    assert expected["links"][("port_news", 1)][:2] == (
        "https://www.northwind-herald.example/2025/08/07/kestrel-port-workers-end-strike-after-pay-deal-a4521", "url")
    assert len(expected["stories"]) < len(expected["articles"])       # some story holds two articles
    assert ray_result.embedded == local_result.embedded > 0
    assert [str(error) for error in ray_result.errors] == [str(error) for error in local_result.errors]
    assert "no_article_text.html: no article text found on the page" in str(ray_result.errors[0])


def test_ray_into_a_postgresql_store_decides_the_same(built: Any, corpus: list[str], pg_server: Any) -> None:
    """A team's store: the workers extract and embed, the driver writes to PostgreSQL."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("NEWSTRACE_EMBED_CACHE", "")
        with Store(pg_server.new_database()) as shared:
            backfill(shared, corpus, engine="ray", workers=2, batch_size=32)
            assert_same(snapshot(built[0]), snapshot(shared))


def test_rerun_changes_nothing(built: Any, corpus: list[str]) -> None:
    _, _, on_ray, _ = built
    before = snapshot(on_ray)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("NEWSTRACE_EMBED_CACHE", "")
        again = backfill(on_ray, corpus, engine="ray", workers=2)
    assert again.posts.new + again.posts.updated + again.articles.new + again.articles.updated == 0
    assert again.embedded == 0 and again.links.changed == 0 and again.links.stories_changed == 0
    assert snapshot(on_ray) == before


@pytest.mark.skipif(not (SHARED / "events-dev.jsonl").exists(), reason="../shared/data not present")
def test_same_on_real_items(ray_cluster: Any, tmp_path: Path) -> None:
    """Real articles of one split (read, never copied into the project) and real texts as posts."""
    rows = [json.loads(line) for line in (SHARED / "events-dev.jsonl").read_text(encoding="utf-8").splitlines()
            if line.strip()][:60]
    articles = write_jsonl(tmp_path / "articles.jsonl", rows[:40])
    posts = write_jsonl(tmp_path / "posts.jsonl", [
        {"channel": "real", "message_id": i, "posted_at": row.get("date"), "text": row["text"][:400]}
        for i, row in enumerate(rows[40:], start=1)])
    local, _, on_ray, _ = run_both(tmp_path, [str(articles), str(posts)])
    with local, on_ray:
        expected = snapshot(local)
        assert expected["links"], "real retellings of the same events should link"
        assert_same(expected, snapshot(on_ray))


def test_kinds_are_told_from_path_and_first_row(corpus: list[str], tmp_path: Path) -> None:
    assert [detect_kind(path) for path in corpus] == [
        "html-folder", "telegram-export", "articles-jsonl", "posts-jsonl", "posts-jsonl"]
    dump = tmp_path / "channel_messages.json"
    dump.write_text('[{"id": 1, "message": "a Telethon dump is a list"}]', encoding="utf-8")
    assert detect_kind(str(dump)) == "telegram-json"


@pytest.mark.parametrize("content, problem", [
    ('{"title": "no url, no channel"}\n', "row 1 has neither 'channel' (posts) nor 'url' (articles)"),
    ('{"url": "https://example.org/a"}\nnot json\n', "line 2: not JSON (Expecting value)"),
    ('{"channel": "c", "message_id": "x"}\n', "row 1: message_id is not a number"),
])
def test_bad_input_is_one_error_line_and_writes_nothing(tmp_path: Path, content: str, problem: str) -> None:
    good = write_jsonl(tmp_path / "good.jsonl", OWN_POSTS)
    bad = tmp_path / "bad.jsonl"
    bad.write_text(content, encoding="utf-8")
    db = tmp_path / "store.db"
    result = CliRunner().invoke(main, ["--db", str(db), "backfill", str(good), str(bad)])
    assert result.exit_code == 1
    assert result.output.strip() == f"error: {bad}: {problem}"
    with Store(db) as store:
        assert store.db.execute("SELECT COUNT(*) FROM posts").fetchone()[0] == 0


def test_unknown_inputs_and_engines_are_named(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("hello", encoding="utf-8")
    with Store(tmp_path / "store.db") as store:
        with pytest.raises(InputError, match="notes.txt: cannot tell what this is"):
            backfill(store, [str(notes)])
        with pytest.raises(InputError, match="missing.jsonl: no such file"):
            backfill(store, [str(tmp_path / "missing.jsonl")])
        with pytest.raises(InputError, match="spark: unknown engine"):
            backfill(store, [str(write_jsonl(tmp_path / "p.jsonl", OWN_POSTS))], engine="spark")
    result = CliRunner().invoke(main, ["--db", str(tmp_path / "store.db"), "backfill", "--engine", "ray",
                                       "--address", "127.0.0.1:9", str(tmp_path / "p.jsonl")])
    assert result.exit_code == 1 and result.output.startswith("error: 127.0.0.1:9: no Ray head answers there")
