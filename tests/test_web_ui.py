"""The web UI in a real browser: Debian's Chromium, headless, driven by Playwright against
`newstrace serve` on loopback over the demo store. Screenshots go to artifacts/screenshots/."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import httpx
import pytest
from conftest import running_app
from playwright.sync_api import Browser, Page, expect, sync_playwright

from newstrace.demo import build_demo_store
from newstrace.web.app import create_app

SCREENSHOTS = Path(__file__).resolve().parent.parent / "artifacts" / "screenshots"
TOKEN = "ui-test-token"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def chromium_path() -> str:
    path = os.environ.get("NEWSTRACE_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        pytest.fail("Chromium is needed for the UI tests: `apt-get install chromium` (what .ci/run does) "
                    "or set NEWSTRACE_CHROMIUM to its path")
    return path


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The server's base URL over a demo store that also holds hostile text."""
    db = tmp_path_factory.mktemp("ui") / "demo.db"
    build_demo_store(db, lambda line: None).close()
    with running_app(create_app(str(db), token=TOKEN, fetch_posts=False)) as base:
        hostile = {"channel": "kestrel_today", "message_id": 777, "posted_at": "2025-08-07T18:00:00Z",
                   "text": "<script>window.pwned=1</script><img src=x onerror=\"window.pwned=2\"> "
                           "Кестрел: забастовка окончена https://www.northwind-herald.example/2025/08/07/"
                           "kestrel-port-workers-end-strike-after-pay-deal-a4521"}
        answer = httpx.post(f"{base}/api/ingest/post", json=hostile, timeout=60,
                            headers={"Authorization": f"Bearer {TOKEN}"})
        assert answer.status_code == 201, answer.text
        yield base


@pytest.fixture(scope="module")
def browser() -> Browser:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Page:
    context = browser.new_context(viewport={"width": 1100, "height": 900}, locale="ru-RU")
    opened = context.new_page()
    opened.on("dialog", lambda dialog: pytest.fail(f"a script ran and opened a dialog: {dialog.message}"))
    yield opened
    context.close()


def shoot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def test_story_list_to_story_to_dossier_to_trace(site: str, page: Page):
    page.goto(site + "/")
    strike = page.locator("a.story-link", has_text="strike")
    expect(strike).to_have_count(1)
    shoot(page, "1-stories")

    strike.click()
    expect(page.locator("#story-title")).to_contain_text("strike")
    expect(page.locator(".titles")).to_contain_text("В порту Кестрел завершилась девятидневная забастовка")
    items = page.locator("ol.items > li")
    assert page.locator("svg.timeline .mark").count() == items.count() > 0
    assert page.locator("svg.timeline rect.article").count() == page.locator("ol.items > li.article").count() == 2
    assert page.locator("svg.timeline circle.uncredited").count() >= 1
    expect(page.locator("#related a")).to_have_text(["Kestrel council approves overnight bus pilot on three routes"])
    shoot(page, "2-story")

    page.locator("a.dossier-link", has_text="Kestrel port workers end nine-day strike").click()
    expect(page.locator("#article-title")).to_have_text("Kestrel port workers end nine-day strike after 14% pay deal")
    relays = page.locator("aside.relay")
    assert relays.count() >= 5
    first = page.locator('aside.relay[data-url="https://t.me/harbour_watch/1201"]')
    expect(first.locator(".badge")).to_have_text("hyperlink")
    expect(first.locator(".lag")).to_have_text("+2h45m")
    assert first.evaluate("node => node.previousElementSibling.closest('p, aside') !== null")
    expect(page.locator("aside.relay .badge.uncredited").first).to_be_visible()
    expect(page.locator("#related")).to_contain_text("overnight bus pilot")
    shoot(page, "3-dossier")

    page.locator("nav a", has_text="Trace a post").click()
    page.fill("#text", "Kestrel dockers return to work: the nine-day strike ended with a 14% pay rise "
                       "over two years, according to the Northwind Herald")
    page.locator("#trace-button").click()
    expect(page.locator("#source-link")).to_have_text("Kestrel port workers end nine-day strike after 14% pay deal")
    expect(page.locator("#stage")).to_have_text("semantic")
    expect(page.locator("#credit")).to_have_text("named")
    expect(page.locator("ol.nearest li")).to_have_count(3)
    shoot(page, "4-trace")


def test_trace_of_an_unknown_text_says_so_and_bad_input_is_explained(site: str, page: Page):
    page.goto(site + "/trace")
    page.fill("#text", "Сборная по хоккею на траве сыграет товарищеский матч в Лиссабоне")
    page.locator("#trace-button").click()
    expect(page.locator("#unlinked")).to_be_visible()
    page.fill("#text", "")
    page.fill("#url", "https://t.me/harbour_watch/424242")
    page.locator("#trace-button").click()
    expect(page.locator("#error")).to_contain_text("not in the store")


def test_search_by_words_and_by_meaning(site: str, page: Page):
    page.goto(site + "/search?q=ночные+автобусы")
    expect(page.locator("#post-results li").first).to_contain_text("автобус")
    shoot(page, "5-search")
    page.goto(site + "/search?q=overnight+buses&mode=semantic")
    expect(page.locator("#article-results li").first).to_contain_text("bus")


def test_collected_text_is_shown_as_text_never_run(site: str, page: Page):
    page.goto(site + "/dossier?target=https://t.me/kestrel_today/777")
    hostile = page.locator('aside.relay[data-url="https://t.me/kestrel_today/777"] .relay-text')
    expect(hostile).to_contain_text("<script>window.pwned=1</script>")
    assert page.evaluate("window.pwned") is None
    assert page.locator("main script, main img").count() == 0


def test_unknown_story_shows_an_error_page(site: str, page: Page):
    answer = page.goto(site + "/stories/does-not-exist")
    assert answer.status == 404
    expect(page.locator("#error")).to_contain_text("does-not-exist")
