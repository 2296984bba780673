"""Telegram Desktop result.json: both export shapes, entities, forwards, edits, bad files."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from newstrace.collect.telegram_export import channel_from_id, channel_slug, parse_export, parse_exports
from newstrace.errors import InputError
from newstrace.model import Link

FIXTURES = Path(__file__).parent / "fixtures" / "telegram_export"
DEMO = Path(__file__).parent.parent / "src" / "newstrace" / "demo" / "telegram" / "harbour_watch_export" / "result.json"


def load(name: str):
    path = FIXTURES / name
    return parse_export(path.read_bytes(), str(path))


def by_id(result):
    return {post.message_id: post for post in result.posts}


def test_single_chat_export_skips_service_messages_and_names_the_channel():
    result = load("single_channel.json")
    assert result.channel == "tidewater_notes"
    assert result.channel_title == "Tidewater Notes"
    assert [p.message_id for p in result.posts] == [40, 41, 42, 43, 44, 45]
    assert all(p.collected_via == "export" and p.channel == "tidewater_notes" for p in result.posts)
    assert by_id(result)[40].url == "https://t.me/tidewater_notes/40"


def test_entities_become_text_and_links():
    post = by_id(load("single_channel.json"))[41]
    assert post.text == ("Storm update: the harbour master says the quay stays closed until Monday, reports the "
                         "Coastal Gazette. Live map: https://weather.example/map?region=holm, background: "
                         "t.me/tidewater_notes/40 @holm_ferries")
    assert post.links == [
        Link("https://coastal-gazette.example/2025/03/02/storm-closes-quay", "reports the Coastal Gazette", "hidden"),
        Link("https://weather.example/map?region=holm", "https://weather.example/map?region=holm", "text"),
        Link("https://t.me/tidewater_notes/40", "t.me/tidewater_notes/40", "text"),
    ]


def test_unix_time_wins_over_local_date():
    post = by_id(load("single_channel.json"))[40]
    # "date" is the exporter's local 10:30; date_unixtime 1740907800 is 09:30 UTC
    assert post.posted_at == datetime(2025, 3, 2, 9, 30, tzinfo=timezone.utc)


def test_old_export_without_unix_time_or_text_entities():
    post = by_id(load("single_channel.json"))[45]
    assert post.posted_at == datetime(2025, 3, 2, 15, 0, tzinfo=timezone.utc)   # taken as UTC
    assert post.text.endswith("link: https://coastal-gazette.example/tides")
    assert post.links == [Link("https://coastal-gazette.example/tides", "https://coastal-gazette.example/tides", "text")]


def test_forward_reply_edit_and_media():
    posts = by_id(load("single_channel.json"))
    forward = posts[42]
    assert forward.forwarded_from_name == "Holm Ferries"
    assert forward.forwarded_from == "c1500012345"
    assert forward.has_media and not forward.media_only
    reply = posts[43]
    assert reply.reply_to == 41
    assert reply.edited and reply.edited_at == datetime(2025, 3, 2, 12, 20, tzinfo=timezone.utc)
    video = posts[44]
    assert video.media_only and video.text == ""
    assert not posts[40].edited and posts[40].reply_to is None and posts[40].forwarded_from_name is None


def test_full_account_export_lists_every_chat():
    path = FIXTURES / "full_account.json"
    results = parse_exports(path.read_bytes(), str(path))
    assert [(r.channel, r.channel_title, len(r.posts)) for r in results] == [
        ("ada_field", "Ada Field", 1),
        ("c1766600011", "Кестрельские новости", 1),
        ("tidewater_notes", "Tidewater Notes", 6),
    ]


def test_full_account_export_needs_a_chat_choice():
    path = FIXTURES / "full_account.json"
    with pytest.raises(InputError, match="holds 3 chats"):
        parse_export(path.read_bytes(), str(path))
    picked = parse_export(path.read_bytes(), str(path), chat="Кестрельские новости", channel="kestrel_news")
    assert picked.channel == "kestrel_news"
    assert [p.url for p in picked.posts] == ["https://t.me/kestrel_news/7"]
    assert parse_export(path.read_bytes(), str(path), chat=1766600011).channel_title == "Кестрельские новости"
    with pytest.raises(InputError, match="no chat"):
        parse_export(path.read_bytes(), str(path), chat="nonexistent")


def test_channel_keys():
    assert channel_slug("Harbour Watch", 5) == "harbour_watch"
    assert channel_slug("Кестрел сегодня", 1234567890) == "c1234567890"
    assert channel_slug("News", 77) == "c77"                      # too short for a username
    assert channel_from_id(-1001234567890) == "c1234567890"
    assert channel_from_id(1234567890) == "c1234567890"


def test_demo_export_matches_the_demo_story():
    result = parse_export(DEMO.read_bytes(), str(DEMO))
    assert (result.channel, result.channel_title) == ("harbour_watch", "Harbour Watch")
    posts = by_id(result)
    assert sorted(posts) == [1201, 1202, 1203, 1204]
    assert posts[1201].posted_at == datetime(2025, 8, 7, 12, 15, tzinfo=timezone.utc)
    assert ("The agreement raises wages by 14 percent over two years and restores the old night-shift rota, "
            "the Kestrel Dockworkers' Union said on Thursday") in posts[1201].text
    assert posts[1201].links == [Link(
        "https://www.northwind-herald.example/2025/08/07/kestrel-port-workers-end-strike-after-pay-deal-a4521#comments",
        "Northwind Herald", "hidden")]
    assert posts[1202].forwarded_from_name == "Кестрел сегодня"
    assert posts[1203].reply_to == 1201
    assert posts[1204].edited and posts[1204].has_media


@pytest.mark.parametrize("name, problem", [
    ("broken_syntax.json", "invalid JSON at line 6, column"),
    ("not_utf8.json", "not UTF-8"),
    ("wrong_shape.json", "expected a JSON object"),
    ("message_without_date.json", "message 50: date is missing"),
])
def test_bad_files_raise_input_error_naming_the_file(name, problem):
    path = FIXTURES / name
    with pytest.raises(InputError) as caught:
        parse_export(path.read_bytes(), str(path))
    assert caught.value.source == str(path)
    assert problem in caught.value.problem


@pytest.mark.parametrize("document, problem", [
    ({"name": "x", "id": 1}, "neither a chat export"),
    ({"name": "x", "id": "1", "messages": []}, "chat 'id'"),
    ({"name": "x", "id": 1, "messages": ["text"]}, "message 0: expected an object"),
    ({"name": "x", "id": 1, "messages": [{"id": 2, "date_unixtime": "soon"}]}, "message 2"),
    ({"name": "x", "id": 1, "messages": [{"id": 2, "date_unixtime": "1", "text": 5}]}, "neither a string nor a list"),
    ({"chats": {"list": "nope"}}, "'chats' has no 'list'"),
])
def test_wrong_shapes(document, problem):
    with pytest.raises(InputError, match=problem):
        parse_export(json.dumps(document).encode(), "result.json")
