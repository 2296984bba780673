"""The t.me/s/ web-preview collector: parsing realistic pages and paging against a real server."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from newstrace import config
from newstrace.collect.http import Fetcher
from newstrace.collect.telegram_web import (
    NOT_A_PREVIEW,
    collect_channel,
    normalize_channel,
    parse_preview_page,
    preview_url,
)
from newstrace.errors import FetchError, InputError
from newstrace.model import Link, LinkPreview

FIXTURES = Path(__file__).parent / "fixtures" / "telegram_web"
DEMO = Path(__file__).parents[1] / "src" / "newstrace" / "demo" / "telegram"
UTC = timezone.utc


def load(name: str, folder: Path = FIXTURES) -> bytes:
    return (folder / name).read_bytes()


def posts_by_id(name: str, folder: Path = FIXTURES) -> dict:
    page = parse_preview_page(load(name, folder), "https://t.me/s/x")
    return {post.message_id: post for post in page.posts}


@pytest.fixture(scope="module")
def lake() -> dict:
    return posts_by_id("lakeside_digest.html")


# --- parsing a page -------------------------------------------------------------------------------


def test_page_has_channel_title_cursor_and_posts_oldest_first():
    page = parse_preview_page(load("lakeside_digest.html"), "https://t.me/s/lakeside_digest")
    assert page.channel == "lakeside_digest"
    assert page.channel_title == "Озёрный дайджест"
    assert page.before == 1040
    assert [post.message_id for post in page.posts] == list(range(1041, 1050))  # 1040 is a service message
    assert {post.collected_via for post in page.posts} == {"web-preview"}
    assert {post.channel_title for post in page.posts} == {"Озёрный дайджест"}
    assert page.posts[0].url == "https://t.me/lakeside_digest/1041"


def test_russian_text_keeps_paragraphs_and_hidden_link(lake):
    post = lake[1041]
    assert post.posted_at == datetime(2024, 3, 11, 6, 12, 40, tzinfo=UTC)
    assert post.text == (
        "🌉 Мост через Тихую открыт\n\n"
        "После полугода ремонта мост через Тихую снова открыт для машин и автобусов, "
        "пишет «Северная заря».\n\n"
        "Ограничение по весу — 12 тонн."
    )
    assert post.links == [
        Link(
            url="https://severnaya-zarya.example/news/2024/03/11/most-otkryt"
            "?utm_source=tg&utm_campaign=digest",
            anchor="«Северная заря»",
            kind="hidden",
        )
    ]
    assert post.views == 3400
    assert not post.edited and not post.has_media and post.reply_to is None


def test_bare_url_with_link_preview_card(lake):
    post = lake[1042]
    url = "https://ozerny-kray.example/articles/vodoprovod-2024"
    assert post.text.endswith(f"Подробности: {url}")
    assert post.preview == LinkPreview(
        url=url,
        site="Озёрный край",
        title="Водопровод в Заречье достроят к лету",
        description="Подрядчик проложил 4,2 км труб из запланированных шести.",
    )
    assert post.links == [
        Link(url=url, anchor=url, kind="text"),
        Link(url=url, anchor="Водопровод в Заречье достроят к лету", kind="preview"),
    ]
    assert post.views == 12500


def test_forward_from_a_channel_post(lake):
    post = lake[1043]
    assert post.forwarded_from == "severnaya_zarya"
    assert post.forwarded_message_id == 5521
    assert post.forwarded_from_name == "Северная заря"
    assert post.text.startswith("На Светлом озере открыли сезон")
    assert post.views == 981


def test_forward_from_a_hidden_user_has_only_a_name(lake):
    post = lake[1044]
    assert post.forwarded_from is None
    assert post.forwarded_message_id is None
    assert post.forwarded_from_name == "Ирина Соколова"


def test_reply_is_edited_and_excludes_the_quoted_text(lake):
    post = lake[1045]
    assert post.reply_to == 1041
    assert post.edited is True
    assert post.text == "Уточнение: движение по мосту откроют в 9:00, а не в 8:00."


def test_reply_quote_without_its_own_class_is_not_the_post_text():
    html = _channel_page("quote_channel", [9]).replace(
        b'<div class="tgme_widget_message_bubble">',
        b'<div class="tgme_widget_message_bubble"><a class="tgme_widget_message_reply" '
        b'href="https://t.me/quote_channel/4"><div class="tgme_widget_message_text">Quoted words</div></a>',
    )
    (post,) = parse_preview_page(html, "https://t.me/s/quote_channel").posts
    assert post.reply_to == 4
    assert post.text == "Post number 9"


def test_author_signature_is_not_an_edit_marker():
    signed = (
        b'<span class="tgme_widget_message_meta">'
        b'<span class="tgme_widget_message_from_author">Edited by Vera</span>, '
    )
    html = _channel_page("signed_posts", [3]).replace(b'<span class="tgme_widget_message_meta">', signed)
    (post,) = parse_preview_page(html, "https://t.me/s/signed_posts").posts
    assert post.edited is False


def test_media_only_photo_post(lake):
    post = lake[1046]
    assert post.has_media and post.media_only
    assert post.text == "" and post.links == []
    assert post.views == 1_200_000


def test_video_caption_mention_and_hashtags(lake):
    post = lake[1047]
    assert post.has_media and not post.media_only
    assert post.text == "Фестиваль «Светлое озеро» — видео от @ozerny_kray. #фестиваль #Заречье"
    assert post.links == [Link(url="https://t.me/ozerny_kray", anchor="@ozerny_kray", kind="hidden")]
    assert post.views == 2000


def test_document_and_t_me_autolink(lake):
    post = lake[1048]
    assert post.has_media
    assert post.links == [
        Link(url="http://t.me/lakeside_digest/1041", anchor="t.me/lakeside_digest/1041", kind="text")
    ]


def test_blockquote_is_a_paragraph_and_unlinked_urls_are_found(lake):
    post = lake[1049]
    assert post.text.startswith("Вода в озере поднялась на 14 сантиметров за сутки.\n\nТак сообщили")
    assert post.text.endswith("flood?day=11.\nСпойлер: дамбу не закроют.")
    assert post.links == [
        Link(url="https://www.ozerny-kray.example/afisha", anchor="www.ozerny-kray.example/afisha"),
        Link(
            url="https://karta-zarechye.example/flood?day=11",
            anchor="https://karta-zarechye.example/flood?day=11",
        ),
    ]


def test_english_page():
    page = parse_preview_page(load("coastline_briefs.html"), "https://t.me/s/coastline_briefs")
    assert page.before is None
    posts = {post.message_id: post for post in page.posts}
    assert posts[201].text == (
        "Summer ferry timetable starts on 15 May: two extra crossings to Puffin Island on weekends, "
        "reports the Gullhaven Courier.\n\nFares stay the same."
    )
    assert posts[201].links[0].anchor == "the Gullhaven Courier"
    assert posts[201].links[0].kind == "hidden"
    assert posts[201].views == 1200
    assert posts[202].edited and posts[202].preview.title == "Dune survey 2024"
    assert [link.kind for link in posts[202].links] == ["text", "preview"]
    assert posts[203].forwarded_from == "harbourmaster_notes"
    assert posts[203].forwarded_message_id is None
    assert posts[203].forwarded_from_name == "Harbourmaster Notes"
    assert posts[203].has_media and posts[203].views == 1050


def test_time_is_converted_to_utc():
    html = _channel_page("tz_channel", [7], when=lambda _: "2024-06-01T12:00:00+03:00")
    (post,) = parse_preview_page(html, "https://t.me/s/tz_channel").posts
    assert post.posted_at == datetime(2024, 6, 1, 9, 0, tzinfo=UTC)


def test_bare_more_link_falls_back_to_the_smallest_id():
    html = _channel_page("bare_link", [41, 42, 43], 41).replace(b'data-before="41"', b'data-before=""')
    assert parse_preview_page(html, "https://t.me/s/bare_link").before == 41


def test_empty_channel_history_is_an_empty_page():
    page = parse_preview_page(_channel_page("empty_channel", []), "https://t.me/s/empty_channel")
    assert page.posts == [] and page.before is None
    assert page.channel == "empty_channel"


def test_landing_page_is_not_a_preview():
    with pytest.raises(InputError) as err:
        parse_preview_page(load("landing_page.html"), "https://t.me/quiet_pier")
    assert err.value.problem == NOT_A_PREVIEW
    assert err.value.source == "https://t.me/quiet_pier"


@pytest.mark.parametrize(
    "content, problem",
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not an HTML page (binary data)"),
        ('{"ok": true, "result": []}', "not an HTML page"),
        (b"<html><body><p>Hello</p></body></html>", NOT_A_PREVIEW),
    ],
)
def test_non_preview_content_is_an_input_error(content, problem):
    with pytest.raises(InputError) as err:
        parse_preview_page(content, "https://t.me/s/x")
    assert err.value.problem == problem


def test_truncated_page_names_the_broken_post():
    with pytest.raises(InputError) as err:
        parse_preview_page(load("truncated.html"), "https://t.me/s/lakeside_digest")
    assert err.value.problem == "post lakeside_digest/1043 has no time[datetime]"


def test_malformed_data_post_is_an_input_error():
    html = _channel_page("bad_channel", [5]).replace(b'data-post="bad_channel/5"', b'data-post="bad_channel"')
    with pytest.raises(InputError, match="malformed data-post"):
        parse_preview_page(html, "https://t.me/s/bad_channel")


@pytest.mark.parametrize(
    "value",
    ["kestrel_today", "@kestrel_today", "t.me/kestrel_today", "https://t.me/s/kestrel_today",
     "https://t.me/kestrel_today/313", " http://telegram.me/kestrel_today "],
)
def test_channel_name_forms(value):
    assert normalize_channel(value) == "kestrel_today"


@pytest.mark.parametrize("value", ["", "ab", "bad name", "https://example.com/kestrel_today", "../etc"])
def test_bad_channel_names(value):
    with pytest.raises(InputError):
        normalize_channel(value)


def test_preview_url():
    assert preview_url("@news_room") == "https://t.me/s/news_room"
    assert preview_url("news_room", 40, "http://127.0.0.1:9/") == "http://127.0.0.1:9/s/news_room?before=40"


# --- the demo pages -------------------------------------------------------------------------------


def test_demo_kestrel_today_pages():
    first = parse_preview_page(load("kestrel_today_page1.html", DEMO), "https://t.me/s/kestrel_today")
    second = parse_preview_page(
        load("kestrel_today_page2.html", DEMO), "https://t.me/s/kestrel_today?before=310"
    )
    assert first.channel_title == "Кестрел сегодня"
    assert [p.message_id for p in first.posts] == [310, 311, 312, 313, 314]
    assert first.before == 310
    assert [p.message_id for p in second.posts] == [305, 306, 307, 308, 309]
    assert second.before is None
    posts = {p.message_id: p for p in first.posts + second.posts}
    assert posts[310].posted_at == datetime(2025, 8, 7, 10, 5, tzinfo=UTC)
    assert posts[310].links == [
        Link(
            url="https://northwind-herald.example/2025/08/07/"
            "kestrel-port-workers-end-strike-after-pay-deal-a4521?utm_source=telegram&utm_medium=social",
            anchor="Northwind Herald",
            kind="hidden",
        )
    ]
    a3 = "https://priozersk-vestnik.example/news/2025-08-07/kestrel-zabastovka-zavershena"
    assert (
        "По данным профсоюза докеров, соглашение предусматривает повышение зарплат на 14% в течение "
        "двух лет и возвращение ночных смен к прежнему графику." in posts[311].text
    )
    assert posts[311].preview.url == a3 and [l.kind for l in posts[311].links] == ["text", "preview"]
    assert posts[312].media_only
    assert posts[314].posted_at == datetime(2025, 8, 12, 20, 0, tzinfo=UTC)
    assert posts[314].links[0].url == (
        "https://m.northwind-herald.example/2025/08/12/kestrel-council-approves-overnight-bus-pilot-a4588/amp"
    )
    assert posts[313].links == [] and "14%" in posts[313].text
    assert posts[306].edited and posts[307].reply_to == 305


def test_demo_baltic_wire_page():
    page = parse_preview_page(load("baltic_wire.html", DEMO), "https://t.me/s/baltic_wire")
    posts = {p.message_id: p for p in page.posts}
    assert page.channel_title == "Балтийская лента" and sorted(posts) == [88, 89]
    assert posts[88].posted_at == datetime(2025, 8, 7, 10, 30, tzinfo=UTC)
    assert (posts[88].forwarded_from, posts[88].forwarded_message_id) == ("kestrel_today", 310)
    assert posts[88].forwarded_from_name == "Кестрел сегодня"
    assert posts[89].text.endswith("подробности: t.me/kestrel_today/314")
    assert posts[89].links == [Link(url="https://t.me/kestrel_today/314", anchor="t.me/kestrel_today/314")]


# --- paging against a real server -----------------------------------------------------------------


def _when(message_id: int) -> str:
    return (datetime(2024, 1, 1, tzinfo=UTC) + timedelta(hours=message_id)).isoformat()


def _channel_page(channel: str, ids: list[int], before: int | None = None, when=_when) -> bytes:
    """A preview page shaped like t.me's: history section, 'more' link, message wraps."""
    more = (
        f'<div class="tgme_widget_message_centered js-messages_more_wrap">'
        f'<a href="/s/{channel}?before={before}" class="tme_messages_more js-messages_more"'
        f' data-before="{before}"></a></div>'
        if before
        else ""
    )
    wraps = "".join(
        f'<div class="tgme_widget_message_wrap js-widget_message_wrap">'
        f'<div class="tgme_widget_message text_not_supported_wrap js-widget_message"'
        f' data-post="{channel}/{i}">'
        f'<div class="tgme_widget_message_bubble">'
        f'<div class="tgme_widget_message_text js-message_text" dir="auto">Post number {i}</div>'
        f'<div class="tgme_widget_message_footer compact js-message_footer">'
        f'<div class="tgme_widget_message_info short">'
        f'<span class="tgme_widget_message_views">{i}</span><span class="tgme_widget_message_meta">'
        f'<a class="tgme_widget_message_date" href="https://t.me/{channel}/{i}">'
        f'<time datetime="{when(i)}" class="time">00:00</time></a></span></div></div></div></div></div>'
        for i in ids
    )
    return (
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>Paging Test – Telegram</title></head>'
        f'<body class="widget_frame_base tgme_webpreview"><div class="tgme_channel_info">'
        f'<div class="tgme_channel_info_header_title"><span dir="auto">Paging Test</span></div>'
        f'<div class="tgme_channel_info_header_username">'
        f'<a href="https://t.me/{channel}">@{channel}</a></div></div>'
        f'<main class="tgme_main"><section class="tgme_channel_history js-message_history">{more}{wraps}'
        f"</section></main></body></html>"
    ).encode()


@pytest.fixture
def three_pages(http_server):
    """Channel paging_test with posts 16..30 on three pages of five, newest page first."""
    http_server.route("/s/paging_test", _channel_page("paging_test", list(range(26, 31)), 26))
    http_server.route("/s/paging_test?before=26", _channel_page("paging_test", list(range(21, 26)), 21))
    http_server.route("/s/paging_test?before=21", _channel_page("paging_test", list(range(16, 21))))
    return http_server


@pytest.fixture
def fetcher():
    with Fetcher(delay=0, backoff=0.01, allow_private=True) as client:
        yield client


def test_pages_back_with_the_before_cursor(three_pages, fetcher):
    posts = list(collect_channel(fetcher, "paging_test", base_url=three_pages.url))
    assert [p.message_id for p in posts] == list(range(30, 15, -1))
    assert three_pages.paths() == ["/s/paging_test", "/s/paging_test?before=26", "/s/paging_test?before=21"]
    assert {r.headers["user-agent"] for r in three_pages.requests} == {config.USER_AGENT}


def test_second_run_fetches_only_what_is_new(three_pages, fetcher):
    first = list(collect_channel(fetcher, "paging_test", base_url=three_pages.url))
    newest = max(p.message_id for p in first)
    three_pages.route("/s/paging_test", _channel_page("paging_test", list(range(28, 33)), 28))
    three_pages.requests.clear()
    second = list(collect_channel(fetcher, "@paging_test", base_url=three_pages.url, newer_than=newest))
    assert [p.message_id for p in second] == [32, 31]
    assert three_pages.paths() == ["/s/paging_test"]


def test_limit_stops_paging(three_pages, fetcher):
    posts = list(collect_channel(fetcher, "paging_test", base_url=three_pages.url, limit=7))
    assert [p.message_id for p in posts] == list(range(30, 23, -1))
    assert len(three_pages.requests) == 2


def test_since_stops_at_older_posts(three_pages, fetcher):
    since = datetime.fromisoformat(_when(23))
    posts = list(collect_channel(fetcher, "paging_test", base_url=three_pages.url, since=since))
    assert [p.message_id for p in posts] == list(range(30, 22, -1))
    assert len(three_pages.requests) == 2


def test_naive_since_is_utc(three_pages, fetcher):
    since = datetime.fromisoformat(_when(28)).replace(tzinfo=None)
    posts = list(collect_channel(fetcher, "paging_test", base_url=three_pages.url, since=since))
    assert [p.message_id for p in posts] == [30, 29, 28]


def test_stops_when_a_page_brings_nothing_new(http_server, fetcher):
    page = _channel_page("stuck_channel", [10, 11, 12], 10)
    http_server.route("/s/stuck_channel", page)
    http_server.route("/s/stuck_channel?before=10", page)
    posts = list(collect_channel(fetcher, "stuck_channel", base_url=http_server.url))
    assert [p.message_id for p in posts] == [12, 11, 10]
    assert len(http_server.requests) == 2


def test_page_limit_is_a_safety_stop(three_pages, fetcher, monkeypatch):
    monkeypatch.setattr(config, "PREVIEW_PAGE_LIMIT", 2)
    posts = list(collect_channel(fetcher, "paging_test", base_url=three_pages.url))
    assert len(posts) == 10 and len(three_pages.requests) == 2


def test_channel_given_as_a_link(three_pages, fetcher):
    posts = list(collect_channel(fetcher, "https://t.me/s/paging_test", base_url=three_pages.url, limit=1))
    assert posts[0].message_id == 30 and three_pages.paths() == ["/s/paging_test"]


def test_demo_channel_served_in_two_pages(http_server, fetcher):
    http_server.route("/s/kestrel_today", load("kestrel_today_page1.html", DEMO))
    http_server.route("/s/kestrel_today?before=310", load("kestrel_today_page2.html", DEMO))
    posts = list(collect_channel(fetcher, "t.me/kestrel_today", base_url=http_server.url))
    assert [p.message_id for p in posts] == [314, 313, 312, 311, 310, 309, 308, 307, 306, 305]
    assert len(http_server.requests) == 2


def test_unknown_channel_redirecting_to_its_landing_page(http_server, fetcher):
    http_server.route("/s/quiet_pier", "", status=302, headers={"Location": "/quiet_pier"})
    http_server.route("/quiet_pier", load("landing_page.html"))
    with pytest.raises(InputError) as err:
        list(collect_channel(fetcher, "quiet_pier", base_url=http_server.url))
    assert err.value.problem == NOT_A_PREVIEW
    assert err.value.source == http_server.url_for("/quiet_pier")


def test_unknown_channel_redirecting_home(http_server, fetcher):
    http_server.route("/s/no_such_channel", "", status=302, headers={"Location": "/"})
    http_server.route("/", "<html><head><title>Telegram</title></head><body><h1>Telegram</h1></body></html>")
    with pytest.raises(InputError, match=NOT_A_PREVIEW):
        list(collect_channel(fetcher, "no_such_channel", base_url=http_server.url))


def test_missing_page_is_a_fetch_error(http_server, fetcher):
    with pytest.raises(FetchError, match="HTTP 404"):
        list(collect_channel(fetcher, "missing_channel", base_url=http_server.url))
