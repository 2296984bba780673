"""The Telegram Data Clustering Contest interface: a real server on loopback, the folder commands,
the contest page parser. Fixtures: tests/fixtures/tgnews (invented news, en/ru/de, five events
and two pages that are not news)."""

import json
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import uvicorn
from click.testing import CliRunner

from newstrace.cli import main
from newstrace.match.embed import get_embedder
from newstrace.store import fulltext
from newstrace.store.core import Store
from newstrace.tgnews.parse import parse_page
from newstrace.tgnews.server import create_app, max_age

PAGES = Path(__file__).parent / "fixtures" / "tgnews"
WEEK = "max-age=604800"
VOTE_EN = ["estavia-vote-en-1.html", "estavia-vote-en-2.html"]


@pytest.fixture(scope="module", autouse=True)
def embedder():
    """The model, loaded once for the module (the server and the commands find it loaded)."""
    return get_embedder()


@pytest.fixture(scope="module")
def vector_cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("vectors") / "embeddings.db"


@pytest.fixture(autouse=True)
def module_vectors(vector_cache, monkeypatch):
    """This module's tests share one vector cache, new for the run, so each page is embedded once
    (still no vectors from earlier runs on this machine)."""
    monkeypatch.setenv("NEWSTRACE_EMBED_CACHE", str(vector_cache))


@contextmanager
def serving(db: Path) -> Iterator[httpx.Client]:
    """The contest server over the index in `db`, on a free loopback port, stopped afterwards."""
    server = uvicorn.Server(uvicorn.Config(create_app(str(db)), log_level="warning"))
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{sock.getsockname()[1]}", trust_env=False,
                          timeout=60) as client:
            yield client
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def put(client: httpx.Client, name: str, cache: str = WEEK) -> int:
    headers = {"Content-Type": "text/html", "Cache-Control": cache}
    return client.put(f"/{name}", content=(PAGES / name).read_bytes(), headers=headers).status_code


def threads(client: httpx.Client, period: int, lang: str, category: str = "any") -> list[dict]:
    response = client.get("/threads", params={"period": period, "lang_code": lang, "category": category})
    assert response.status_code == 200, response.text
    return response.json()["threads"]


def article_count(db: Path | str) -> int:
    with Store(db) as store:
        return store.counts()["articles"]


def test_put_delete_answer_with_the_contest_status_codes(new_db):
    db = new_db("index.db")
    with serving(db) as client:
        assert put(client, "cup-en.html") == 201
        assert put(client, "cup-en.html") == 204
        assert put(client, "cup-ru.html") == 201
        assert client.delete("/cup-en.html").status_code == 204
        assert client.delete("/cup-en.html").status_code == 404
        assert client.delete("/never-put.html").status_code == 404
    assert article_count(db) == 1
    with Store(db) as store:
        assert [row["name"] for row in store.db.execute("SELECT name FROM tgnews_files")] == ["cup-ru.html"]
        assert fulltext.articles(store, "Corvina", 10) == []
        if store.dialect == "sqlite":
            store.db.execute("INSERT INTO articles_fts (articles_fts) VALUES ('integrity-check')")


def test_threads_group_one_event_and_filter_by_language_category_and_period(new_db):
    with serving(new_db("index.db")) as client:
        assert {put(client, page.name) for page in sorted(PAGES.glob("*.html"))} == {201}
        english = threads(client, 10**7, "en")
        assert [t["articles"] for t in english][0] in (VOTE_EN, VOTE_EN[::-1])
        assert english[0] == {"title": english[0]["title"], "category": "society", "articles": english[0]["articles"]}
        assert {frozenset(t["articles"]): t["category"] for t in english} == {
            frozenset(VOTE_EN): "society", frozenset({"rate-en.html"}): "economy",
            frozenset({"cup-en.html"}): "sports", frozenset({"comet-en.html"}): "science",
            frozenset({"festival-en.html"}): "entertainment"}
        assert threads(client, 10**7, "ru", "economy") == [{
            "title": "Нацбанк Эставии повысил ключевую ставку до 9,5%", "category": "economy",
            "articles": ["rate-ru-1.html", "rate-ru-2.html"]}]
        last_day = threads(client, 86400, "en")
        assert {name for t in last_day for name in t["articles"]} == {"comet-en.html", "cup-en.html",
                                                                       "festival-en.html"}
        assert [t["articles"] for t in threads(client, 86400, "ru", "sports")] == [["cup-ru.html"]]
        assert threads(client, 3600, "ru", "society") == []


def test_files_leave_the_index_when_their_max_age_runs_out(new_db):
    db = new_db("index.db")
    with serving(db) as client:
        assert put(client, "estavia-vote-en-1.html", "max-age=10800") == 201
        assert put(client, "estavia-vote-en-2.html", "public, max-age=604800") == 201
        assert put(client, "estavia-vote-ru.html", "no-cache") == 201
        assert [t["articles"] for t in threads(client, 10**7, "en")] == [VOTE_EN]
        assert put(client, "comet-en.html") == 201
        assert client.delete("/estavia-vote-en-1.html").status_code == 404
        assert [t["articles"] for t in threads(client, 10**7, "en")] == [["comet-en.html"],
                                                                           ["estavia-vote-en-2.html"]]
        assert [t["articles"] for t in threads(client, 10**7, "ru")] == [["estavia-vote-ru.html"]]
    assert article_count(db) == 3


def test_the_index_is_kept_across_restarts(new_db):
    db = new_db("index.db")
    with serving(db) as client:
        for name in ("rate-en.html", "rate-ru-1.html", "rate-ru-2.html", "cup-ru.html"):
            assert put(client, name) == 201
        before = threads(client, 10**7, "ru")
    assert [t["articles"] for t in before] == [["rate-ru-1.html", "rate-ru-2.html"], ["cup-ru.html"]]
    with serving(db) as client:
        assert threads(client, 10**7, "ru") == before
        assert put(client, "rate-ru-2.html") == 204
        assert client.delete("/cup-ru.html").status_code == 204
        assert [t["articles"] for t in threads(client, 10**7, "ru")] == [["rate-ru-1.html", "rate-ru-2.html"]]
        assert threads(client, 10**7, "en", "economy")[0]["articles"] == ["rate-en.html"]


def test_bad_requests_get_a_400_naming_the_problem(tmp_path):
    undated = (PAGES / "cup-en.html").read_text(encoding="utf-8")
    undated = undated.replace('<meta property="article:published_time" content="2025-03-12T21:45:00+00:00"/>', "")
    undated = undated.replace(' datetime="2025-03-12T21:45:00+00:00"', "")
    with serving(tmp_path / "index.db") as client:
        answers = {
            "garbage": client.put("/a.html", content=b"\x89PNG\r\n\x1a\n..."),
            "undated": client.put("/b.html", content=undated.encode()),
            "max-age": client.put("/c.html", content=(PAGES / "cup-en.html").read_bytes(),
                                  headers={"Cache-Control": "max-age=soon"}),
            "period": client.get("/threads", params={"period": "a day", "lang_code": "en"}),
            "lang": client.get("/threads", params={"period": 60, "lang_code": "xx"}),
            "category": client.get("/threads", params={"period": 60, "lang_code": "en", "category": "cats"}),
        }
        assert {what: r.status_code for what, r in answers.items()} == dict.fromkeys(answers, 400)
        assert answers["garbage"].json() == {"error": "a.html: a PNG image, not an HTML page"}
        assert answers["undated"].json()["error"].startswith("b.html: no publication time")
        assert "'cats' is not 'any' or one of society" in answers["category"].json()["error"]
        assert client.delete("/b.html").status_code == 404


def test_max_age_is_read_among_other_directives():
    assert max_age("public, max-age=300") == 300
    assert max_age('max-age="60", must-revalidate') == 60
    assert max_age("no-cache") is None
    assert max_age(None) is None


def test_the_server_command_serves_the_index_named_by_db(tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    newstrace = Path(sys.executable).with_name("newstrace")
    command = [str(newstrace), "--db", str(tmp_path / "index.db"), "tgnews", "server", str(port)]
    server = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    try:
        started = server.stderr.readline()
        assert started == f"tgnews: index in {tmp_path / 'index.db'}, listening on http://127.0.0.1:{port}\n"
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", trust_env=False) as client:
            for _ in range(200):
                try:
                    assert put(client, "cup-en.html") == 201
                    break
                except httpx.ConnectError:
                    time.sleep(0.05)
            assert put(client, "cup-en.html") == 204
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert article_count(tmp_path / "index.db") == 1


def test_the_server_command_names_a_store_it_cannot_open(tmp_path):
    db = tmp_path / "no" / "such" / "index.db"
    result = run("server", "8080", db=db)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1].startswith(f"error: {db}: not a newstrace store")


def run(*args: str, db: Path | None = None):
    prefix = ["--db", str(db)] if db else []
    return CliRunner(env={"NEWSTRACE_DB": None}).invoke(main, [*prefix, "tgnews", *args], catch_exceptions=False)


def test_languages_and_news_of_a_folder():
    languages = run("languages", str(PAGES))
    assert languages.exit_code == 0, languages.stderr
    assert json.loads(languages.stdout) == [
        {"lang_code": "en", "articles": ["comet-en.html", "cup-en.html", *VOTE_EN, "festival-en.html",
                                         "rate-en.html", "winter-tyres-guide.html"]},
        {"lang_code": "ru", "articles": ["bliny-recipes.html", "comet-ru.html", "cup-ru.html",
                                         "estavia-vote-ru.html", "rate-ru-1.html", "rate-ru-2.html"]},
        {"lang_code": "de", "articles": ["estavia-vote-de.html"]},
    ]
    news = json.loads(run("news", str(PAGES)).stdout)["articles"]
    assert news == ["comet-en.html", "comet-ru.html", "cup-en.html", "cup-ru.html", *VOTE_EN,
                    "estavia-vote-ru.html", "festival-en.html", "rate-en.html", "rate-ru-1.html", "rate-ru-2.html"]


def test_categories_and_threads_of_a_folder():
    categories = run("categories", str(PAGES))
    assert categories.exit_code == 0, categories.stderr
    assert {c["category"]: set(c["articles"]) for c in json.loads(categories.stdout)} == {
        "society": {*VOTE_EN, "estavia-vote-ru.html"},
        "economy": {"rate-en.html", "rate-ru-1.html", "rate-ru-2.html"},
        "technology": set(), "sports": {"cup-en.html", "cup-ru.html"}, "entertainment": {"festival-en.html"},
        "science": {"comet-en.html", "comet-ru.html"}, "other": set()}
    found = json.loads(run("threads", str(PAGES)).stdout)
    assert all(set(t) == {"title", "articles"} for t in found)
    assert {frozenset(t["articles"]) for t in found} == {
        frozenset(VOTE_EN), frozenset({"estavia-vote-ru.html"}), frozenset({"rate-en.html"}),
        frozenset({"rate-ru-1.html", "rate-ru-2.html"}), frozenset({"cup-en.html"}), frozenset({"cup-ru.html"}),
        frozenset({"comet-en.html"}), frozenset({"comet-ru.html"}), frozenset({"festival-en.html"})}
    assert {t["title"] for t in found[:2]} == {"Нацбанк Эставии повысил ключевую ставку до 9,5%",
                                               "Estavian parliament lowers voting age to 16"}


def test_a_broken_page_is_reported_and_the_rest_answered(tmp_path):
    folder = tmp_path / "pages" / "2025" / "03"
    folder.mkdir(parents=True)
    for name in ("cup-en.html", "winter-tyres-guide.html"):
        shutil.copy(PAGES / name, folder / name)
    (folder / "broken.html").write_bytes(b"%PDF-1.7 not a page")
    result = run("news", str(tmp_path / "pages"))
    assert result.exit_code == 0
    assert result.stderr == f"error: {folder / 'broken.html'}: a PDF file, not an HTML page\n"
    assert json.loads(result.stdout) == {"articles": ["cup-en.html"]}


@pytest.mark.parametrize("make, problem", [
    (lambda tmp: tmp / "missing", "no such folder"),
    (lambda tmp: (tmp / "empty").mkdir() or tmp / "empty", "no .html files in this folder"),
    (lambda tmp: (tmp / "a.html").write_bytes(b"") or tmp, "none of its .html files could be read"),
])
def test_a_folder_with_nothing_to_answer_is_one_error_line(tmp_path, make, problem):
    folder = make(tmp_path)
    result = run("languages", str(folder))
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == f"error: {folder}: {problem}"
    assert result.stdout == ""


def test_a_named_store_keeps_the_folders_articles_and_by_default_none_is_kept(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert run("news", str(PAGES), db=tmp_path / "mine.db").exit_code == 0
    assert article_count(tmp_path / "mine.db") == 14
    assert run("news", str(PAGES)).exit_code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.db"]


def test_parse_page_reads_the_contest_layout():
    article = parse_page((PAGES / "festival-en.html").read_bytes(), "festival-en.html")
    assert article.title == "Telmara film festival opens with the premiere of 'The Salt Road'"
    assert article.url == "https://www.estavia-herald.example/culture/2025/03/12/telmara-film-festival"
    assert (article.site_name, article.author, article.language) == ("Estavia Herald", "Sara Holt", "en")
    assert article.published_at.isoformat() == "2025-03-12T18:00:00+00:00"
    assert len(article.paragraphs) == 4
    assert article.paragraphs[2] == '"A film about people who never leave the sea," Marten told the audience.'
    assert "Photo: Estavia Herald" not in article.text


def test_a_page_without_the_contest_layout_goes_through_the_extractor():
    page = ("<html><head><title>Harbour reopens</title></head><body><main><h1>Harbour reopens</h1>"
            "<p>The harbour of Brenmouth reopened to ferries on Friday after a week of storms that "
            "closed the port and cancelled more than forty sailings.</p></main></body></html>")
    article = parse_page(page.encode(), "plain.html")
    assert article.url == "file:///tgnews/plain.html"
    assert "harbour of Brenmouth reopened" in article.text
