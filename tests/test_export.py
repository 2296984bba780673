"""`newstrace export`: relays and story items as CSV/JSONL, dossiers as JSONL and the relay network
as GEXF, read back with the csv module, json and networkx from a real demo store."""

import csv
import json
from pathlib import Path

import networkx as nx
import pytest
from click.testing import CliRunner

from newstrace.cli import main
from newstrace.demo import build_demo_store
from newstrace.match.evidence_links import link_by_evidence
from newstrace.model import Link
from newstrace.report.export import RELAY_FIELDS, STORY_FIELDS, export_relays
from newstrace.store.core import Store

from conftest import BACKENDS, db_for
from factories import SOURCE_URL, article, post

ROOT = Path(__file__).resolve().parent.parent
HERALD = "outlet:Northwind Herald"
VESTNIK = "outlet:Приозёрский вестник"


@pytest.fixture(scope="module", params=BACKENDS)
def demo_db(request, tmp_path_factory):
    """One demo store for the module on each backend: exports only read it."""
    db = db_for(request.param, request, tmp_path_factory.mktemp("demo"), "demo.db")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("NEWSTRACE_EMBED_CACHE", "")
        build_demo_store(db, log=lambda line: None).close()
    return db


@pytest.fixture(scope="module")
def relays_in_store(demo_db):
    """(relays, credited relays) counted straight from the matches table."""
    with Store(demo_db) as store:
        evidence = [json.loads(row[0]) for row in store.db.execute("SELECT evidence FROM matches")]
    return len(evidence), sum(item.get("credit") is not None for item in evidence)


def export(db, *args):
    return CliRunner().invoke(main, ["--db", str(db), "export", *args], catch_exceptions=False)


def read_csv(path):
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_relays_csv_has_one_row_per_relay_with_credit_lag_and_cyrillic(demo_db, relays_in_store, tmp_path):
    out = tmp_path / "relays.csv"
    result = export(demo_db, "relays", str(out))
    assert result.exit_code == 0
    assert result.stderr == f"10 relays written to {out}\n"
    rows = read_csv(out)
    assert tuple(rows[0]) == RELAY_FIELDS
    assert (len(rows), sum(row["credited"] == "true" for row in rows)) == tuple(relays_in_store) == (10, 7)
    by_post = {row["post_url"]: row for row in rows}
    hyperlinked = by_post["https://t.me/kestrel_today/310"]
    assert (hyperlinked["credit"], hyperlinked["lag_seconds"], hyperlinked["outlet"], hyperlinked["via"]) == (
        "hyperlink", "2100", "Northwind Herald", "")
    unlinked = by_post["https://t.me/harbour_watch/1204"]
    assert (unlinked["stage"], unlinked["credited"], unlinked["credit"], unlinked["lag_seconds"]) == (
        "semantic", "false", "none", "21600")
    russian = by_post["https://t.me/kestrel_today/313"]
    assert (russian["channel_title"], russian["outlet"], russian["article_title"]) == (
        "Кестрел сегодня", "Приозёрский вестник", "В порту Кестрел завершилась девятидневная забастовка")
    assert [row["posted_at"] for row in rows] == sorted(row["posted_at"] for row in rows)


def test_relays_that_came_through_another_channel_name_it(demo_db, tmp_path):
    export(demo_db, "relays", str(tmp_path / "relays.csv"))
    via = {row["post_url"]: (row["stage"], row["credit"], row["via"])
           for row in read_csv(tmp_path / "relays.csv") if row["via"]}
    assert via == {
        "https://t.me/baltic_wire/88": ("url", "forward (hyperlink)", "kestrel_today"),
        "https://t.me/harbour_watch/1202": ("url", "forward (hyperlink)", "kestrel_today"),  # by the origin's title
        "https://t.me/baltic_wire/89": ("mention", "t.me mention", "kestrel_today"),
    }


def test_relays_jsonl_to_a_file_and_to_stdout_carry_the_same_rows(demo_db, tmp_path):
    assert export(demo_db, "relays", str(tmp_path / "relays.jsonl")).exit_code == 0
    lines = (tmp_path / "relays.jsonl").read_text(encoding="utf-8").splitlines()
    rows = [json.loads(line) for line in lines]
    assert "Балтийская лента" in lines[1]
    first = rows[0]
    assert (first["post_url"], first["credited"], first["lag_seconds"], first["via"], first["score"]) == (
        "https://t.me/kestrel_today/310", True, 2100, None, 0.99)
    stdout = export(demo_db, "relays", "-")
    assert stdout.stdout.splitlines() == lines
    assert stdout.stderr == "10 relays written to stdout\n"


def test_format_option_overrides_the_file_name(demo_db, tmp_path):
    out = tmp_path / "relays.txt"
    assert export(demo_db, "relays", str(out), "--format", "csv").exit_code == 0
    assert out.read_bytes().startswith(",".join(RELAY_FIELDS).encode() + b"\r\n")


def test_a_relay_of_an_undated_article_has_no_lag(tmp_path, new_db):
    with Store(new_db()) as store:
        store.add_article(article(published_at=None, site_name=None))
        store.add_posts([post("gull_news", 5, "Паромы: тарифы заморожены",
                              links=[Link(SOURCE_URL, "Gull Gazette", "hidden")])])
        link_by_evidence(store)
        assert export_relays(store, tmp_path / "relays.csv") == 1
        assert export_relays(store, tmp_path / "relays.jsonl") == 1
    [row] = read_csv(tmp_path / "relays.csv")
    assert (row["lag_seconds"], row["published_at"], row["outlet"], row["channel_title"]) == (
        "", "", "gull-gazette.example", "")
    assert json.loads((tmp_path / "relays.jsonl").read_text(encoding="utf-8"))["lag_seconds"] is None


def test_stories_export_one_row_per_story_item(demo_db, tmp_path):
    with Store(demo_db) as store:
        articles, posts = store.db.execute(
            "SELECT count(DISTINCT s.article_id), count(m.post_id) FROM article_stories s "
            "LEFT JOIN matches m ON m.article_id = s.article_id").fetchone()
    result = export(demo_db, "stories", str(tmp_path / "stories.csv"))
    assert result.stderr == f"{articles + posts} story items written to {tmp_path / 'stories.csv'}\n"
    rows = read_csv(tmp_path / "stories.csv")
    assert tuple(rows[0]) == STORY_FIELDS
    assert [sum(row["kind"] == kind for row in rows) for kind in ("article", "post")] == [articles, posts] == [3, 10]
    strike = [row for row in rows if row["story"] == rows[0]["story"]]
    assert {row["story_title"] for row in strike} == {"Kestrel port workers end nine-day strike after 14% pay deal"}
    assert {row["source"]: row["language"] for row in strike if row["kind"] == "article"} == {
        "Northwind Herald": "en", "Приозёрский вестник": "ru"}
    assert [row["credited"] for row in strike if row["kind"] == "post"].count("false") == 3


def test_dossiers_jsonl_one_dossier_a_line(tmp_path, new_db):
    """A small store whose relays align by their words, so that no embedding model is loaded."""
    russian = "https://vestnik.example/news/2025-03-14/paromy"
    with Store(new_db()) as store:
        store.add_article(article())
        store.add_article(article(russian, title="Тарифы на паромы заморожены", language="ru",
                                  site_name="Вестник", paragraphs=["Тарифы на паромы для жителей островов заморожены."]))
        store.add_article(article("https://www.gull-gazette.example/2025/03/15/unrelayed-a78"))
        store.add_posts([
            post("gull_news", 5, "Ingrid Solberg said the freeze would cost 2.4 million crowns",
                 links=[Link(SOURCE_URL, "Gull Gazette", "hidden")]),
            post("islands", 9, "Тарифы на паромы заморожены", links=[Link(russian, "Вестник", "hidden")]),
        ])
        link_by_evidence(store)
    out = tmp_path / "dossiers.jsonl"
    result = export(new_db(), "dossiers", "--format", "jsonl", str(out))
    assert result.stderr == f"2 dossiers written to {out}\n"
    lines = out.read_text(encoding="utf-8").splitlines()
    assert "Тарифы на паромы заморожены" in lines[1]
    records = [json.loads(line) for line in lines]
    assert [(r["article"]["url"], [relay["url"] for relay in r["relays"]]) for r in records] == [
        (SOURCE_URL, ["https://t.me/gull_news/5"]), (russian, ["https://t.me/islands/9"])]
    assert records[0]["relays"][0]["paragraph"] == 1
    assert export(new_db(), "dossiers", "--format", "jsonl", "--all", "-").stdout.count("\n") == 3


def test_network_gexf_weights_edges_by_relays_and_credit(demo_db, relays_in_store, tmp_path):
    out = tmp_path / "network.gexf"
    result = export(demo_db, "network", str(out))
    assert result.stderr == f"5 nodes and 7 edges written to {out}\n"
    graph = nx.read_gexf(out)
    assert {node: (data["kind"], data["label"], data["relays"]) for node, data in graph.nodes(data=True)} == {
        "channel:kestrel_today": ("channel", "Кестрел сегодня (@kestrel_today)", 4),
        "channel:baltic_wire": ("channel", "Балтийская лента (@baltic_wire)", 2),
        "channel:harbour_watch": ("channel", "Harbour Watch (@harbour_watch)", 4),
        HERALD: ("outlet", "Northwind Herald", 7),
        VESTNIK: ("outlet", "Приозёрский вестник", 3),
    }
    sourced = [data for source, _, data in graph.edges(data=True) if source.startswith("outlet:")]
    assert (sum(d["weight"] for d in sourced), sum(d["credited"] for d in sourced)) == tuple(relays_in_store)
    edge = graph.edges[HERALD, "channel:harbour_watch"]
    assert (edge["kind"], edge["weight"], edge["credited"], edge["uncredited"]) == ("relays", 3, 2, 1)
    assert graph.edges[VESTNIK, "channel:kestrel_today"]["uncredited"] == 1
    via = {(s, t): d["weight"] for s, t, d in graph.edges(data=True) if d["kind"] == "via"}
    assert via == {("channel:kestrel_today", "channel:baltic_wire"): 2,
                   ("channel:kestrel_today", "channel:harbour_watch"): 1}


def test_the_demo_network_in_docs_is_current(demo_db, tmp_path):
    export(demo_db, "network", str(tmp_path / "network.gexf"))
    fresh, shipped = nx.read_gexf(tmp_path / "network.gexf"), nx.read_gexf(ROOT / "docs" / "demo-network.gexf")
    assert dict(shipped.nodes(data=True)) == dict(fresh.nodes(data=True))
    assert sorted(shipped.edges(data=True)) == sorted(fresh.edges(data=True)), (
        "docs/demo-network.gexf is stale: newstrace demo --db /tmp/demo.db && "
        "newstrace --db /tmp/demo.db export network docs/demo-network.gexf")


@pytest.mark.parametrize("command, target, problem", [
    (["relays"], "missing/relays.csv", "cannot write (No such file or directory)"),
    (["stories"], ".", "is a directory, not a file"),
    (["network"], "file.txt/network.gexf", "cannot write (Not a directory)"),
    (["dossiers", "--format", "jsonl"], "missing/d.jsonl", "cannot write (No such file or directory)"),
    (["dossiers"], "file.txt", "cannot create the directory (File exists)"),
])
def test_a_bad_output_path_is_one_error_line(demo_db, tmp_path, monkeypatch, command, target, problem):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "file.txt").write_text("keep", encoding="utf-8")
    result = export(demo_db, *command, target)
    assert (result.exit_code, result.stdout, result.stderr) == (1, "", f"error: {target}: {problem}\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.txt"]
    assert (tmp_path / "file.txt").read_text(encoding="utf-8") == "keep"
