"""The `newstrace` command end to end: real store files, a real loopback server, the demo corpus."""

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from newstrace.cli import main
from newstrace.demo import demo_files
from newstrace.store.core import Store

from factories import article, post

DEMO = demo_files()
A1 = "https://www.northwind-herald.example/2025/08/07/kestrel-port-workers-end-strike-after-pay-deal-a4521"
A1_PATH = "/2025/08/07/kestrel-port-workers-end-strike-after-pay-deal-a4521"
TG_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "telegram-ru-2024"


def run(db, *args):
    result = CliRunner().invoke(main, ["--db", str(db), *args], catch_exceptions=False)
    return result


@pytest.fixture(scope="module")
def built_demo(tmp_path_factory):
    """One demo store per module; tests work on copies of it."""
    db = tmp_path_factory.mktemp("demo") / "demo.db"
    result = CliRunner().invoke(main, ["demo", "--db", str(db)], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    with Store(db) as store:
        store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return db, result


@pytest.fixture
def demo_copy(built_demo, tmp_path):
    copy = tmp_path / "demo.db"
    shutil.copy(built_demo[0], copy)
    return copy


def counts(db):
    with Store(db) as store:
        return store.counts()


def test_demo_builds_a_fresh_store_and_prints_the_dossier(built_demo):
    db, first = built_demo
    lines = first.stdout.splitlines()
    assert lines[0] == "Kestrel port workers end nine-day strike after 14% pay deal"
    assert lines[lines.index("Original url:") + 1] == A1
    assert "https://t.me/harbour_watch/1201" in lines
    assert "flag: related link dated 2026-01-09 on a page published 2025-08-07" in lines
    again = CliRunner().invoke(main, ["demo", "--db", str(db)], catch_exceptions=False)
    assert again.stdout == first.stdout
    store_counts = counts(db)
    assert (store_counts["posts"], store_counts["articles"]) == (16, 3)
    assert store_counts["links_by_stage"] == {"url": 6, "mention": 1, "semantic": 3}


def test_dossier_by_post_url_in_both_formats(demo_copy, tmp_path):
    db = demo_copy
    text = run(db, "dossier", "https://t.me/baltic_wire/89")
    assert text.exit_code == 0
    assert text.stdout.splitlines()[:2] == ["Kestrel council approves overnight bus pilot on three routes",
                                            "pilot on three routes"]
    as_json = json.loads(run(db, "dossier", "https://t.me/baltic_wire/89", "--format", "json").stdout)
    assert as_json["asked_for_post"] == "https://t.me/baltic_wire/89"
    mention = next(r for r in as_json["relays"] if r["url"] == "https://t.me/baltic_wire/89")
    assert (mention["stage"], mention["evidence"]["via"]) == ("mention", "https://t.me/kestrel_today/314")
    assert any(flag["type"] == "extraction" for flag in as_json["flags"])
    unlinked = run(db, "dossier", "https://t.me/kestrel_today/305")
    assert unlinked.exit_code == 1
    assert unlinked.stderr.strip() == ("error: https://t.me/kestrel_today/305: "
                                       "no source for this post in the store")
    retold = json.loads(run(db, "dossier", "https://t.me/kestrel_today/313", "--format", "json").stdout)
    assert retold["article"]["title"] == "В порту Кестрел завершилась девятидневная забастовка"
    relay = next(r for r in retold["relays"] if r["url"] == "https://t.me/kestrel_today/313")
    assert (relay["stage"], relay["credited"]) == ("semantic", False)
    assert "14" in relay["evidence"]["shared_numbers"]


def test_export_dossiers_names_files_like_the_reference(demo_copy, tmp_path):
    db = demo_copy
    result = run(db, "export", "dossiers", str(tmp_path / "out"))
    assert result.exit_code == 0
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert len(names) == 3
    assert all(len(n) == len("000_749202c675abe50c.txt") and n[:4] in ("000_", "001_", "002_") for n in names)


def _serve_demo(http_server):
    pages = DEMO / "telegram"
    http_server.route("/s/kestrel_today", (pages / "kestrel_today_page1.html").read_bytes())
    http_server.route("/s/kestrel_today?before=310", (pages / "kestrel_today_page2.html").read_bytes())
    return http_server.route(A1_PATH, (DEMO / "articles" / "kestrel-port-workers-end-strike.html").read_bytes())


def test_collect_from_loopback_then_only_new_posts(new_db, tmp_path, http_server):
    db = new_db("s.db")
    article_url = _serve_demo(http_server)
    first = run(db, "collect", "telegram", "kestrel_today", "--base-url", http_server.url,
                "--allow-private", "--delay", "0")
    assert first.exit_code == 0, first.stderr
    assert "posts: 10 new" in first.stderr
    assert http_server.paths() == ["/s/kestrel_today", "/s/kestrel_today?before=310"]
    again = run(db, "collect", "telegram", "kestrel_today", "--base-url", http_server.url,
                "--allow-private", "--delay", "0")
    assert again.exit_code == 0
    assert http_server.paths()[2:] == ["/s/kestrel_today"]
    assert counts(db)["posts"] == 10
    fetched = run(db, "collect", "url", article_url, "--allow-private", "--delay", "0")
    assert fetched.exit_code == 0, fetched.stderr
    dossier = run(db, "dossier", "https://t.me/kestrel_today/310")
    assert "https://t.me/kestrel_today/310" in dossier.stdout
    assert f"Original url:\n{A1}" in dossier.stdout


def test_an_interrupted_collection_resumes_without_loss_or_duplicates(new_db, tmp_path, http_server):
    db = new_db("s.db")
    _serve_demo(http_server)
    http_server.route("/s/kestrel_today?before=310", b"gone", status=404)
    broken = run(db, "collect", "telegram", "kestrel_today", "--base-url", http_server.url,
                 "--allow-private", "--delay", "0")
    assert "HTTP 404" in broken.stderr
    assert counts(db)["posts"] == 5
    _serve_demo(http_server)
    resumed = run(db, "collect", "telegram", "kestrel_today", "--base-url", http_server.url,
                  "--allow-private", "--delay", "0")
    assert resumed.exit_code == 0
    assert counts(db)["posts"] == 10
    with Store(db) as store:
        assert store.channel_newest_id("kestrel_today") == 314


def test_loopback_urls_are_refused_without_the_option(new_db, tmp_path, http_server):
    db = new_db("s.db")
    article_url = _serve_demo(http_server)
    result = run(db, "collect", "url", article_url, "--delay", "0")
    assert result.exit_code == 1
    assert f"error: {article_url}: refused" in result.stderr
    assert http_server.paths() == []


@pytest.mark.parametrize("command,content,problem", [
    (["import", "telegram-export"], b'{"messages": [', "JSON"),
    (["import", "telegram-page"], b"\x00\x01\x02binary", "not an HTML page"),
    (["import", "pdf"], b"%PDF-1.4 truncated", "PDF"),
    (["import", "html", "--url", "https://x.example/a"], "<html><body>Привет</body></html>".encode("cp1251"),
     "no article text"),
])
def test_bad_input_is_one_clear_line_and_leaves_the_store_unchanged(demo_copy, tmp_path, command, content,
                                                                   problem):
    db = demo_copy
    before = counts(db)
    bad = tmp_path / "bad.input"
    bad.write_bytes(content)
    result = run(db, *command, str(bad))
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and str(bad) in errors[0] and problem.lower() in errors[0].lower()
    assert "Traceback" not in result.stderr
    assert counts(db) == before


def test_missing_file_and_partial_success(new_db, tmp_path):
    db = new_db("s.db")
    export = DEMO / "telegram" / "harbour_watch_export" / "result.json"
    result = run(db, "import", "telegram-export", str(export), str(tmp_path / "nope.json"))
    assert result.exit_code == 0
    assert f"error: {tmp_path / 'nope.json'}: no such file" in result.stderr
    twice = run(db, "import", "telegram-export", str(export))
    assert "posts: 0 new, 0 updated, 4 unchanged" in twice.stderr


@pytest.mark.skipif(not TG_DATA.exists(), reason="shared telegram-ru-2024 data absent")
def test_all_real_posts_of_telegram_ru_2024_import_with_their_links(tmp_path):
    db = tmp_path / "real.db"
    files = sorted(str(p) for p in TG_DATA.glob("*_messages.json"))
    result = run(db, "import", "telegram-json", *files)
    assert result.exit_code == 0, result.stderr
    assert "posts: 22099 new" in result.stderr
    with Store(db) as store:
        assert store.counts()["posts"] == 22099
        assert store.counts()["channels"] == 24
        hidden = store.db.execute("SELECT count(*) FROM post_links WHERE kind = 'hidden'").fetchone()[0]
        assert hidden > 5000
        assert store.db.execute("SELECT count(*) FROM posts WHERE text LIKE '%](http%'").fetchone()[0] == 0


def test_stories_group_the_demo_and_show_each_timeline(demo_copy):
    listed = json.loads(run(demo_copy, "stories", "--format", "json").stdout)
    strike = listed[0]
    assert strike["titles"]["en"] == "Kestrel port workers end nine-day strike after 14% pay deal"
    assert (strike["articles"], strike["languages"]) == (2, ["en", "ru"])
    assert strike["first_item"]["url"] == A1
    record = json.loads(run(demo_copy, "story", strike["id"], "--format", "json").stdout)
    dossier = json.loads(run(demo_copy, "dossier", A1, "--format", "json").stdout)
    assert dossier["article"]["story"] == strike["id"]
    assert record["timeline"]["2025-08-07"]["articles"] == 2
    uncredited = {item["url"] for item in record["items"] if item["kind"] == "post" and not item["credited"]}
    assert "https://t.me/kestrel_today/313" in uncredited and "https://t.me/kestrel_today/310" not in uncredited
    assert run(demo_copy, "stories", "--lang", "de").stdout == ""
    assert run(demo_copy, "stories", "--lang", "ru").stdout.startswith(f"{strike['id']:>6}  Kestrel port")
    missing = run(demo_copy, "story", "s999")
    assert missing.exit_code == 1 and "s999: no such story" in missing.stderr


def test_eval_with_a_broken_task_file_names_the_file_and_line(tmp_path):
    articles = tmp_path / "articles.jsonl"
    articles.write_text('{"id": "a1", "url": "https://x.example/a", "text": "Ferries resume."}\n{"id": broken\n',
                        encoding="utf-8")
    posts = tmp_path / "posts.jsonl"
    posts.write_text("", encoding="utf-8")
    result = CliRunner().invoke(main, ["eval", "--articles", str(articles), "--posts", str(posts),
                                       "--predictions", str(tmp_path / "p.jsonl"),
                                       "--store", str(tmp_path / "e.db")], catch_exceptions=False)
    assert result.exit_code == 1
    assert result.stderr.strip() == f"error: {articles}: line 2: not JSON (Expecting value)"
    assert not (tmp_path / "p.jsonl").exists()


def test_link_on_an_empty_store_decides_nothing(new_db):
    result = run(new_db("empty.db"), "link")
    assert result.exit_code == 0
    assert "0 posts linked" in result.stderr


def test_a_bad_user_file_read_inside_a_step_is_one_clear_line(new_db, tmp_path, monkeypatch):
    """The event kinds file is read only when a trace first reads facts: the command still fails
    with one line naming it, and no traceback."""
    db = new_db()
    with Store(db) as store:
        store.add_article(article())
        store.add_posts([post("islands", 1, "Ingrid Solberg thinks island ferries have become too expensive.")])
    monkeypatch.setenv("NEWSTRACE_EVENT_KINDS", str(tmp_path / "missing-kinds.json"))
    result = CliRunner().invoke(main, ["--db", str(db), "link"])
    assert result.exit_code == 1
    assert result.stderr == f"error: {tmp_path / 'missing-kinds.json'}: cannot read the event kinds file (No such file or directory)\n"
