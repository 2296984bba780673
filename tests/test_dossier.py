import pytest

from newstrace.errors import InputError
from newstrace.match.evidence_links import link_by_evidence
from newstrace.model import Link
from newstrace.report.dossier import align, build_dossier, find_article, render_text
from newstrace.report.export import export_dossiers
from newstrace.store.core import Store

from factories import SOURCE_URL, article, post


@pytest.fixture
def store(new_db):
    with Store(new_db()) as opened:
        opened.add_article(article(
            links=[Link("https://www.gull-gazette.example/2026/01/09/ferry-fleet-renewed-a901", "Fleet", "related"),
                   Link("https://www.gull-gazette.example/2025/02/01/ferry-timetable-a12", "Timetable", "related")]))
        opened.add_posts([
            post("gull_news", 5, "Board chair Ingrid Solberg said the freeze would cost 2.4 million crowns",
                 links=[Link(SOURCE_URL, "Gull Gazette", "hidden")], at="2025-03-14T09:30:00"),
            post("islands", 9, "Паромные тарифы для жителей заморожены", forwarded_from="gull_news",
                 forwarded_message_id=5, at="2025-03-14T08:45:00"),
            post("islands", 10, "Без источника"),
        ])
        link_by_evidence(opened)
        yield opened


def test_alignment_picks_the_paragraph_with_the_most_shared_words():
    paragraphs = ["The ferry company will freeze fares.", "Solberg said it costs 2.4 million crowns.",
                  "Tourist fares rise."]
    assert align("Solberg: 2.4 million crowns", paragraphs)[0] == 1
    assert align("Туристам подорожает", paragraphs) == (0, 0.0)


def test_dossier_places_relays_credits_lag_and_flags(store):
    article_id, _ = find_article(store, SOURCE_URL)
    record = build_dossier(store, article_id)
    relays = {r["url"]: r for r in record["relays"]}
    assert list(relays) == ["https://t.me/islands/9", "https://t.me/gull_news/5"]
    direct = relays["https://t.me/gull_news/5"]
    assert (direct["stage"], direct["credit"], direct["paragraph"], direct["lag_seconds"]) == (
        "url", "hyperlink", 1, 5400.0)
    assert relays["https://t.me/islands/9"]["credit"] == "forward"
    flags = [f for f in record["flags"] if f["type"] == "related_link_dated_after_source"]
    assert [f["url_date"] for f in flags] == ["2026-01-09"]


def test_text_dossier_follows_the_reference_layout(store):
    text = render_text(build_dossier(store, find_article(store, SOURCE_URL)[0]))
    lines = text.splitlines()
    assert lines[0] == "Ferry fares frozen for islanders until 2026"
    solberg = next(i for i, line in enumerate(lines) if line.startswith("Board chair"))
    assert lines[solberg + 1:solberg + 5] == ["", "", "https://t.me/gull_news/5", ""]
    original = lines.index("Original url:")
    assert lines[original + 1] == SOURCE_URL
    assert lines[-2:] == ["https://www.gull-gazette.example/2026/01/09/ferry-fleet-renewed-a901",
                          "https://www.gull-gazette.example/2025/02/01/ferry-timetable-a12"]


def test_asking_by_post_finds_the_source_or_says_there_is_none(store):
    assert find_article(store, "https://t.me/islands/9")[1]["message_id"] == 9
    with pytest.raises(InputError, match="no source for this post"):
        find_article(store, "https://t.me/islands/10")
    with pytest.raises(InputError, match="not in the store"):
        find_article(store, "https://t.me/islands/999")
    with pytest.raises(InputError, match="no article with this URL"):
        find_article(store, "https://nowhere.example/a")


def test_export_writes_one_file_per_relayed_article(store, tmp_path):
    written = export_dossiers(store, tmp_path / "out")
    assert len(written) == 1
    assert written[0].name.startswith("000_") and len(written[0].stem) == 3 + 1 + 16
    assert "https://t.me/gull_news/5" in written[0].read_text(encoding="utf-8")
    assert export_dossiers(store, tmp_path / "out") == written
