"""Browser-printed PDFs: header/footer removal, paragraphs, wrapped URLs, links, warnings, bad files."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from newstrace.collect.pdf import parse_pdf
from newstrace.errors import InputError
from newstrace.model import Link

FIXTURES = Path(__file__).parent / "fixtures" / "pdf"
DEMO = Path(__file__).parent.parent / "src" / "newstrace" / "demo" / "articles" / "kestrel-council-overnight-bus-pilot.pdf"
A1 = "https://www.northwind-herald.example/2025/08/07/kestrel-port-workers-end-strike-after-pay-deal-a4521"
A2 = "https://www.northwind-herald.example/2025/08/12/kestrel-council-approves-overnight-bus-pilot-a4588"
COUNCIL = "https://www.kestrel-council.example/transport/night-bus-pilot-2025/timetables-and-stops-routes-4-11-17"


@pytest.fixture(scope="module")
def demo():
    return parse_pdf(DEMO.read_bytes(), str(DEMO))


def test_demo_facts_come_from_the_browser_header_and_footer(demo):
    assert demo.url == demo.canonical_url == A2
    assert demo.title == "Kestrel council approves overnight bus pilot on three routes"
    assert demo.site_name == "Northwind Herald"
    assert demo.published_at == datetime(2025, 8, 12, tzinfo=timezone.utc)
    assert demo.author == "Ingrid Sollberg"
    assert demo.language == "en"
    assert demo.raw == DEMO.read_bytes() and demo.raw_type == "application/pdf"


def test_header_and_footer_are_not_in_the_text(demo):
    text = demo.text
    assert "8/12/25" not in text and "PM" not in text
    assert A2 not in text
    assert "1/2" not in text and "2/2" not in text
    assert "Northwind Herald -" not in text


def test_demo_paragraphs(demo):
    assert demo.paragraphs[0] == "pilot on three routes"                 # the headline's start is lost
    assert ("The pilot will run night buses on routes 4, 11 and 17 from 1 September until the end of February. "
            "Buses will leave") in demo.text
    assert "Related article: Kestrel port workers end nine-day strike after 14% pay deal" in demo.paragraphs
    # a paragraph running over the page break stays one paragraph
    assert any(p.startswith("Opposition councillors") and p.endswith("staff the new timetable.")
               for p in demo.paragraphs)
    assert len(demo.paragraphs) == 11


def test_wrapped_url_is_rejoined(demo):
    assert demo.paragraphs[8].endswith("on the council website: " + COUNCIL)


def test_the_lost_headline_start_is_flagged(demo):
    assert len(demo.warnings) == 1
    assert "lost the start of the headline" in demo.warnings[0]
    assert "Kestrel council approves overnight bus" in demo.warnings[0]


def test_demo_links(demo):
    assert demo.links == [
        Link("https://www.kestrel-council.example/meetings/2025-08-12", "city council", "annotation"),
        Link(A1, "Kestrel port workers end nine-day strike after 14% pay deal", "related"),
        Link(COUNCIL, COUNCIL, "annotation"),                            # two rectangles, one link
    ]
    assert demo.related_links == [demo.links[1]]


def test_a_normal_print_has_no_warnings_and_keeps_its_headline():
    path = FIXTURES / "lighthouse-museum-reopens.pdf"
    article = parse_pdf(path.read_bytes(), str(path))
    assert article.warnings == []
    assert article.title == article.paragraphs[0] == "Lighthouse museum reopens after two years of repairs"
    assert article.url == "https://www.northwind-herald.example/2025/06/03/lighthouse-museum-reopens-after-repairs-a4102"
    assert [link.kind for link in article.links] == ["annotation", "related", "annotation"]
    assert article.links[2].url in article.text                          # wrapped URL rejoined


def test_url_argument_overrides_the_footer():
    path = FIXTURES / "lighthouse-museum-reopens.pdf"
    article = parse_pdf(path.read_bytes(), str(path), url="https://example.org/2024/01/02/x")
    assert article.url == article.canonical_url == "https://example.org/2024/01/02/x"
    assert article.published_at == datetime(2024, 1, 2, tzinfo=timezone.utc)


def test_a_page_without_browser_furniture_keeps_its_first_line():
    path = FIXTURES / "one-page-no-chrome.pdf"
    article = parse_pdf(path.read_bytes(), str(path))
    assert article.paragraphs == [
        "Ferry timetable changes for the autumn",
        "From 1 October the island ferry will leave Kestrel quay at 7:10, 12:40 and 18:05 on weekdays. "
        "The late Saturday sailing is cancelled for the winter.",
        "Season tickets bought before the change remain valid until they expire.",
    ]
    assert article.title == "Ferry timetable changes for the autumn"
    assert article.url == str(path) and article.canonical_url is None and article.published_at is None
    assert article.warnings == ["no page URL given or printed in the footer"]


def test_a_cut_headline_is_also_seen_against_the_url_slug():
    path = FIXTURES / "one-page-no-chrome.pdf"
    url = "https://news.example/2025/09/20/island-ferry-timetable-changes-for-the-autumn-a77"
    article = parse_pdf(path.read_bytes(), str(path), url=url)
    assert article.published_at == datetime(2025, 9, 20, tzinfo=timezone.utc)
    assert len(article.warnings) == 1 and "'island'" in article.warnings[0]


@pytest.mark.parametrize("name, problem", [
    ("truncated.pdf", "damaged or truncated PDF"),
    ("not-a-pdf.pdf", "not a PDF"),
    ("encrypted.pdf", "encrypted"),
])
def test_bad_files(name, problem):
    path = FIXTURES / name
    with pytest.raises(InputError) as caught:
        parse_pdf(path.read_bytes(), str(path))
    assert caught.value.source == str(path) and problem in caught.value.problem


@pytest.mark.parametrize("data, problem", [
    (b"", "empty file"),
    (b"%PDF-1.7\n" + b"\x00garbage" * 50, "damaged or truncated PDF"),
    (b"<html><body>not a pdf</body></html>", "not a PDF"),
])
def test_bad_bytes(data, problem):
    with pytest.raises(InputError, match=problem):
        parse_pdf(data, "upload.pdf")


def test_running_header_found_by_repetition_and_a_top_headline_kept(tmp_path):
    canvas_module = pytest.importorskip("reportlab.pdfgen.canvas")
    path = tmp_path / "print.pdf"
    canvas = canvas_module.Canvas(str(path), pagesize=(612, 792), invariant=1)
    canvas.setFont("Helvetica", 8)
    canvas.drawString(30, 775, "Kestrel Weekly | Local news")          # no date, URL or page number
    canvas.setFont("Helvetica-Bold", 20)
    canvas.drawString(54, 740, "Harbour crane tender reopened")         # inside the top band, page 1 only
    canvas.setFont("Helvetica", 11)
    canvas.drawString(54, 700, "The port authority reopened the tender for two new cranes.")
    canvas.showPage()
    canvas.setFont("Helvetica", 8)
    canvas.drawString(30, 775, "Kestrel Weekly | Local news")
    canvas.setFont("Helvetica", 11)
    canvas.drawString(54, 700, "Bids are due by the end of November.")
    canvas.showPage()
    canvas.save()
    article = parse_pdf(path.read_bytes(), str(path))
    assert article.paragraphs == ["Harbour crane tender reopened",
                                  "The port authority reopened the tender for two new cranes.",
                                  "Bids are due by the end of November."]
    assert article.title == "Harbour crane tender reopened"            # a site's running head is no page title
    assert article.site_name is None


def test_line_joining_rules(tmp_path):
    canvas_module = pytest.importorskip("reportlab.pdfgen.canvas")
    path = tmp_path / "lines.pdf"
    canvas = canvas_module.Canvas(str(path), pagesize=(612, 792), invariant=1)
    canvas.setFont("Helvetica", 11)
    for x, y, text in [(54, 700, "The union restores the old night-"), (54, 685, "shift rota from Monday, and"),
                       (54, 670, "pay rises by 14 percent."), (54, 640, "A new paragraph after a gap."),
                       (54, 625, "Its second line."), (72, 610, "An indented first line starts another.")]:
        canvas.drawString(x, y, text)
    canvas.showPage()
    canvas.save()
    article = parse_pdf(path.read_bytes(), str(path))
    assert article.paragraphs == [
        "The union restores the old night-shift rota from Monday, and pay rises by 14 percent.",
        "A new paragraph after a gap. Its second line.",
        "An indented first line starts another.",
    ]


def test_a_pdf_without_text_is_refused(tmp_path):
    canvas_module = pytest.importorskip("reportlab.pdfgen.canvas")
    path = tmp_path / "scan.pdf"
    canvas = canvas_module.Canvas(str(path), pagesize=(612, 792), invariant=1)
    canvas.rect(50, 50, 500, 700, fill=1)
    canvas.showPage()
    canvas.save()
    with pytest.raises(InputError, match="no text"):
        parse_pdf(path.read_bytes(), str(path))
