"""Telethon-dumped JSON posts: markdown to text and links, channel keys, bad input, the real data set."""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from pathlib import Path

import pytest

from newstrace.collect.telethon_json import markdown_to_text, parse_telethon_json
from newstrace.errors import InputError
from newstrace.model import Link

DATA = Path(__file__).parent.parent.parent / "shared" / "data" / "telegram-ru-2024"
MD_LINK = re.compile(r"\[([^\[\]]*)\]\((https?://[^\s()]+(?:\([^\s()]*\)[^\s()]*)*)\)")


def dump(*items: dict) -> bytes:
    return json.dumps(list(items), ensure_ascii=False).encode()


ITEM = {"message_id": 310, "sender_id": -1002094417731, "date": "2025-08-07T10:05:00+00:00",
        "channel": "Кестрел сегодня", "category": "other",
        "text": "**Забастовка в порту Кестрел закончилась**\n\nЗарплаты вырастут на 14%, сообщает "
                "[Northwind Herald](https://northwind-herald.example/2025/08/07/a4521?utm_source=telegram). "
                "__Подробнее:__ https://priozersk-vestnik.example/news/2025-08-07/kestrel/"}


def test_markdown_becomes_plain_text_with_hidden_and_bare_links():
    post, = parse_telethon_json(dump(ITEM), "posts.json")
    assert post.text == ("Забастовка в порту Кестрел закончилась\n\nЗарплаты вырастут на 14%, сообщает "
                         "Northwind Herald. Подробнее: https://priozersk-vestnik.example/news/2025-08-07/kestrel/")
    assert post.links == [
        Link("https://northwind-herald.example/2025/08/07/a4521?utm_source=telegram", "Northwind Herald", "hidden"),
        Link("https://priozersk-vestnik.example/news/2025-08-07/kestrel/",
             "https://priozersk-vestnik.example/news/2025-08-07/kestrel/", "text"),
    ]
    assert post.posted_at == datetime(2025, 8, 7, 10, 5, tzinfo=timezone.utc)
    assert post.channel == "c2094417731" and post.channel_title == "Кестрел сегодня"
    assert post.collected_via == "telethon-json"


def test_channel_argument_and_map():
    assert parse_telethon_json(dump(ITEM), "p.json", channel="kestrel_today")[0].url == "https://t.me/kestrel_today/310"
    for key in (-1002094417731, 2094417731):
        post, = parse_telethon_json(dump(ITEM), "p.json", channel_map={key: "kestrel_today"})
        assert post.channel == "kestrel_today"


@pytest.mark.parametrize("markdown, text, links", [
    ("**UPD. **Клуб ответил", "UPD. Клуб ответил", []),                      # not CommonMark emphasis
    ("цена 2*3*4 руб", "цена 2*3*4 руб", []),                                   # single stars are text
    ("метод `__init__` и __new__()", "метод __init__ и __new__()", []),         # code and dunder names kept
    ("~~ведра~~ машины", "ведра машины", []),
    ("[https://a.example/x](https://a.example/x)", "https://a.example/x", [Link("https://a.example/x", "https://a.example/x", "text")]),
    ("[👉 ](https://t.me/+abc)[Подписаться](https://t.me/kanal)", "👉 Подписаться",
     [Link("https://t.me/+abc", "👉", "hidden"), Link("https://t.me/kanal", "Подписаться", "hidden")]),
    ("[Вики](https://ru.wikipedia.org/wiki/Кестрел_(город))", "Вики",
     [Link("https://ru.wikipedia.org/wiki/Кестрел_(город)", "Вики", "hidden")]),
    ("[бот](https://t.me/+q\\) t.me/kanal", "бот t.me/kanal",              # Telethon does not escape
     [Link("https://t.me/+q\\", "бот", "hidden"), Link("https://t.me/kanal", "t.me/kanal", "text")]),
    ("[Иван](tg://user?id=42) пишет", "Иван пишет", []),
    ("__**https://x.example/a**__.", "https://x.example/a.", [Link("https://x.example/a", "https://x.example/a", "text")]),
])
def test_markdown_cases(markdown, text, links):
    assert markdown_to_text(markdown) == (text, links)


@pytest.mark.parametrize("data, problem", [
    (b"\xff\xfe[", "not UTF-8"),
    (b'[{"message_id": 1,}]', "invalid JSON at line 1, column"),
    (b'{"message_id": 1}', "expected a JSON list"),
    (b'[5]', "item 0: expected an object"),
    (b'[{"text": "x", "date": "2024-01-01T00:00:00"}]', "item 0: message_id"),
    (b'[{"message_id": 1, "text": "x", "date": "yesterday"}]', "not ISO 8601"),
    (b'[{"message_id": 1, "text": "x"}]', "date is missing"),
    (b'[{"message_id": 1, "text": ["x"], "date": "2024-01-01T00:00:00"}]', "text is not a string"),
])
def test_bad_input(data, problem):
    with pytest.raises(InputError) as caught:
        parse_telethon_json(data, "dump.json")
    assert caught.value.source == "dump.json" and problem in caught.value.problem


def test_naive_date_is_utc_and_empty_text_is_allowed():
    post, = parse_telethon_json(b'[{"message_id": 3, "sender_id": 77, "text": null, "date": "2024-11-07T18:09:50"}]', "d.json")
    assert post.posted_at == datetime(2024, 11, 7, 18, 9, 50, tzinfo=timezone.utc)
    assert post.text == "" and post.links == [] and post.channel == "c77"


def test_the_whole_telegram_ru_2024_data_set():
    files = sorted(DATA.glob("*_messages.json"))
    if not files:
        pytest.skip("../shared/data/telegram-ru-2024 is absent")
    posts, markdown_links, leftovers = 0, 0, 0
    for path in files:
        items = json.loads(path.read_bytes())
        parsed = parse_telethon_json(path.read_bytes(), str(path))
        assert len(parsed) == len(items)
        for item, post in zip(items, parsed):
            posts += 1
            assert post.message_id == item["message_id"] and post.channel.startswith("c")
            hidden = {link.url for link in post.links if link.kind in ("hidden", "text")}
            for anchor, url in MD_LINK.findall(item["text"] or ""):
                if "`" not in item["text"]:                   # links written inside code stay code
                    markdown_links += 1
                    assert url in hidden, (post.url, url)
            for link in post.links:
                assert link.url.startswith("http"), (post.url, link)
                assert link.anchor in post.text, (post.url, link)
            leftovers += "](http" in post.text
    assert posts == 22099
    assert markdown_links > 20000
    assert leftovers == 0
