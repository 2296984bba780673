"""Attribution: hyperlinks, forwards, named outlets (ru/uk/en, inflected), Telegram credits, filters."""

from __future__ import annotations

import glob
import json
from pathlib import Path

import pytest

from newstrace.errors import InputError
from newstrace.match.attribution import (credited_outlets, detect_credit, load_outlets, outlet_as_source,
                                         outlet_for_channel, outlet_for_url)
from newstrace.model import Link

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"


def outlets(text: str, links: list[Link] | None = None, **kw) -> list[str | None]:
    return [c.outlet for c in credited_outlets(text, links or [], **kw)]


@pytest.mark.parametrize("text, outlet", [
    ("Мост через залив закроют на ремонт до весны, пишет The Moscow Times.", "moscow_times"),
    ("Об этом передает ТАСС со ссылкой на городскую администрацию.", "tass"),
    ("В порту начали разгрузку, сообщает РИА Новости.", "ria"),
    ("Как сообщил Интерфакс, торги приостановлены.", "interfax"),
    ("Фабрика закроется в марте, пишут «Ведомости».", "vedomosti"),
    ("Сделку одобрили, рассказал «Ведомостям» источник на рынке.", "vedomosti"),
    ("По данным «Ведомостей», сделку одобрили.", "vedomosti"),
    ("Сделку одобрили, сообщил «Коммерсанту» собеседник в отрасли.", "kommersant"),
    ("По информации РБК, сделку одобрили.", "rbc"),
    ("Банк закрыл отделения, сообщил Интерфаксу представитель банка.", "interfax"),
    ("Сделка сорвалась, по данным Bloomberg.", "bloomberg"),
    ("Порт закрыт со ссылкой на Reuters.", "reuters"),
    ("Власти согласились на переговоры — Reuters.", "reuters"),
    ("⚡️Reuters: порт закрыт до понедельника", "reuters"),
    ("Порт закрыт, передает агентство Франс Пресс.", "afp"),
    ("The port will stay closed until Monday, according to Reuters.", "reuters"),
    ("Reuters reported on Tuesday that the port would reopen.", "reuters"),
    ("The strike is over, reports the BBC.", "bbc"),
    ("A union official told the Financial Times the deal was close.", "ft"),
    ("KESTREL (AP) — Dockworkers voted to end the strike.", "ap"),
    ("Порт відновив роботу, пише Українська правда.", "ukrainska_pravda"),
    ("Джерело: Суспільне", "suspilne"),
    ("Про це повідомляє УНІАН з посиланням на мерію.", "unian"),
    ("За даними Reuters, угоду підписано.", "reuters"),
])
def test_named_credits_in_three_languages(text: str, outlet: str) -> None:
    credits = credited_outlets(text, [])
    assert [c.outlet for c in credits] == [outlet]
    credit = credits[0]
    assert credit.kind == "named"
    assert text[credit.span[0]: credit.span[1]] == credit.phrase


@pytest.mark.parametrize("text", [
    "Переговоры пройдут в пятницу, заявили в Кремле.",
    "Учения продолжатся, сообщили в Минобороны.",
    "В Татарской ТАССР открыли завод.",            # ТАСС inside another word
    "Портал Росстата обновил данные.",
    "ТАСС открыл новое бюро в Кестреле и отметил юбилей.",   # news about an outlet, no cue
    "❗️ Подписывайся на Mash",
    "🔴 Подписаться | @kestrel_today",
    "Подписаться на канал Reuters в нашем чате",
    "Фото: Reuters",
    "Туристы хвалят ведомости погоды и известия о ярмарке.",   # lowercase common words
    "The mash of potatoes was served hot.",
])
def test_no_credit(text: str) -> None:
    assert credited_outlets(text, []) == []
    assert detect_credit(text, []).kind == "none"


def test_names_listed_together_share_the_cue() -> None:
    assert outlets("Reuters и AFP сообщают, что порт закрыт.") == ["reuters", "afp"]
    assert outlets("Порт закрыт, сообщают Reuters и AFP.") == ["reuters", "afp"]


def test_closing_quote_stays_in_the_phrase() -> None:
    credit = credited_outlets("Сделку одобрили, пишут «Ведомости» со ссылкой на письмо.", [])[0]
    assert credit.phrase == "пишут «Ведомости»"


@pytest.mark.parametrize("url, outlet", [
    ("https://www.tass.ru/ekonomika/123", "tass"),
    ("https://rbc-ru.turbopages.org/rbc.ru/s/politics/1", "rbc"),
    ("https://www.bbc.com/russian/articles/c123", "bbc_russian"),
    ("https://www.bbc.com/news/world-1", "bbc"),
    ("https://realty.rbc.ru/news/1", "rbc"),
    ("https://www.theguardian.com/world/2025/aug/07/x", "guardian"),
])
def test_hyperlinks_to_outlet_sites(url: str, outlet: str) -> None:
    credit = detect_credit("Порт закрыт. Подробнее", [Link(url, "Подробнее", "hidden")])
    assert (credit.kind, credit.outlet, credit.url) == ("hyperlink", outlet, url)
    assert credit.span == (13, 22)


def test_links_to_unknown_sites_and_promo_links_are_not_credits() -> None:
    assert credited_outlets("Код проекта", [Link("https://github.com/x/y", "Код проекта", "hidden")]) == []
    footer = "Новость дня\n\n📩 Подпишитесь на рассылку «Контекст»"
    assert credited_outlets(footer, [Link("https://www.bbc.com/russian/send/1", "«Контекст»", "hidden")]) == []


def test_telegram_links() -> None:
    hidden = credited_outlets("Порт закрыт, сообщают очевидцы", [
        Link("https://t.me/kestrel_today/310", "сообщают очевидцы", "hidden")])
    assert [(c.kind, c.channel, c.outlet) for c in hidden] == [("via_channel", "kestrel_today", None)]
    tass = detect_credit("Порт закрыт (видео)", [Link("https://t.me/tass_agency/5", "видео", "hidden")])
    assert (tass.kind, tass.outlet) == ("via_channel", "tass")
    cued = credited_outlets("Источник: t.me/kestrel_today/310", [
        Link("https://t.me/kestrel_today/310", "t.me/kestrel_today/310", "text")])
    assert [c.channel for c in cued] == ["kestrel_today"]
    not_credits = [Link("https://t.me/+AbCdEf123", "Подробности", "hidden"),
                   Link("https://t.me/kestrel_news_bot", "бот", "hidden"),
                   Link("https://t.me/kestrel_today", "Кестрел сегодня", "hidden")]
    assert credited_outlets("Подробности. бот. Кестрел сегодня", not_credits) == []
    digest = "\n".join(f"https://t.me/harbour_watch/{n}" for n in range(1, 7))
    links = [Link(f"https://t.me/harbour_watch/{n}", f"s{n}", "hidden") for n in range(1, 7)]
    assert credited_outlets(digest.replace("https://t.me/harbour_watch/", "s"), links) == []


def test_via_and_source_handles() -> None:
    assert [(c.kind, c.channel) for c in credited_outlets("Порт закрыт. via @kestrel_today", [])] == [
        ("via_channel", "kestrel_today")]
    credit = detect_credit("Порт закрыт.\nИсточник: @rian_ru", [])
    assert (credit.kind, credit.outlet, credit.phrase) == ("via_channel", "ria", "Источник: @rian_ru")
    assert credited_outlets("Порт закрыт.\n\n@kestrel_today", []) == []    # a signature, not a credit


def test_forwards() -> None:
    credit = detect_credit("Порт закрыт", [], forwarded_from="tass_agency")
    assert (credit.kind, credit.outlet, credit.channel, credit.span) == ("forward", "tass", "tass_agency", None)
    unknown = detect_credit("Порт закрыт", [], forwarded_from_name="Кестрел сегодня")
    assert (unknown.kind, unknown.outlet, unknown.phrase) == ("forward", None, "Кестрел сегодня")
    named = detect_credit("Порт закрыт", [], forwarded_from_name="РИА Новости")
    assert named.outlet == "ria"


def test_strongest_credit_wins() -> None:
    text = "Порт закрыт, пишет Reuters. Подробнее на сайте"
    links = [Link("https://www.reuters.com/world/x", "Подробнее на сайте", "hidden")]
    assert detect_credit(text, links).kind == "hyperlink"
    assert detect_credit("Порт закрыт, пишет Reuters. via @kestrel_today", []).kind == "named"


def test_source_outlet_filters_other_outlets() -> None:
    text = "Порт закрыт, пишет Reuters."
    assert detect_credit(text, [], source_outlet={"key": "tass"}).kind == "none"
    reuters = detect_credit(text, [], source_outlet=outlet_as_source(outlet_for_url("https://reuters.com/x")))
    assert (reuters.kind, reuters.outlet) == ("named", "reuters")
    # BBC Russian's article credited as «Би-би-си», and the other way round
    assert detect_credit("Порт закрыт, сообщает Би-би-си.", [], source_outlet={"key": "bbc_russian"}).kind == "named"
    assert detect_credit("x", [Link("https://www.bbc.com/russian/a", "x", "hidden")],
                         source_outlet={"key": "bbc"}).kind == "hyperlink"
    assert detect_credit("Порт закрыт", [], forwarded_from="tass_agency", source_outlet={"key": "ria"}).kind == "none"


def test_source_outlet_not_in_the_catalogue() -> None:
    source = {"domain": "northwind-herald.example", "names": ["Northwind Herald"],
              "telegram": ["northwind_herald"]}
    named = detect_credit("Забастовка окончена, пишет Northwind Herald.", [], source_outlet=source)
    assert (named.kind, named.phrase) == ("named", "пишет Northwind Herald")
    link = Link("https://northwind-herald.example/2025/08/07/a4521?utm_source=telegram", "Northwind Herald", "hidden")
    assert detect_credit("Забастовка окончена. Northwind Herald", [link], source_outlet=source).kind == "hyperlink"
    assert detect_credit("Забастовка окончена, пишет ТАСС.", [], source_outlet=source).kind == "none"
    assert detect_credit("x", [], forwarded_from="northwind_herald", source_outlet=source).kind == "forward"


def test_own_channel_is_not_a_credit() -> None:
    text = "По данным SHOT, порт закрыт. Ранее писал ТАСС."
    assert outlets(text) == ["shot", "tass"]
    assert outlets(text, own_channel="shot_shot") == ["tass"]
    links = [Link("https://t.me/shot_shot/100", "писали", "hidden")]
    assert credited_outlets("Мы писали об этом", links, own_channel="shot_shot") == []


def test_outlet_lookups() -> None:
    assert outlet_for_channel("@TASS_agency").key == "tass"
    assert outlet_for_url("https://m.lenta.ru/news/1").key == "lenta"
    assert outlet_for_url("https://kestrel.example/") is None


def _write(tmp_path: Path, content: str) -> Path:
    path = tmp_path / "outlets.json"
    path.write_text(content, encoding="utf-8")
    return path


def test_user_outlets_file_extends_the_catalogue(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write(tmp_path, json.dumps({"outlets": [
        {"key": "priozersk", "name": "Приозёрский вестник", "domains": ["priozersk-vestnik.example"],
         "names": ["Приозёрский вестник"], "stems": ["Приозёрск"], "telegram": ["priozersk_news"]},
        {"key": "tass", "names": ["ТАСС-Кестрел"]},
    ]}, ensure_ascii=False))
    text = "Порт закрыт, сообщает Приозёрскому. Также пишет ТАСС-Кестрел."
    assert outlets(text) == []
    monkeypatch.setenv("NEWSTRACE_OUTLETS", str(path))
    assert outlets(text) == ["priozersk", "tass"]
    assert outlet_for_url("https://priozersk-vestnik.example/news/1").name == "Приозёрский вестник"
    assert outlet_for_url("https://tass.ru/x").name == "TASS"          # built-in entry kept, extended


@pytest.mark.parametrize("content, problem", [
    ("{not json", "invalid JSON at line 1"),
    ('[{"key": "x"}]', 'expected an object with an "outlets" list'),
    ('{"outlets": [{"name": "No key"}]}', "outlet 0: key is missing"),
    ('{"outlets": [{"key": "x", "names": "ok", "domains": [3]}]}', "outlet 0: domains must be a list"),
    ('{"outlets": [{"key": "x", "telegram": ["not a name!"]}]}', "is not a Telegram username"),
])
def test_malformed_user_file_names_itself(tmp_path: Path, content: str, problem: str) -> None:
    path = _write(tmp_path, content)
    with pytest.raises(InputError) as caught:
        load_outlets(path)
    assert caught.value.source == str(path)
    assert problem in caught.value.problem


def test_missing_user_file(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        load_outlets(tmp_path / "absent.json")
    assert "absent.json" in caught.value.source and "cannot read" in caught.value.problem


def test_real_posts_linking_tass_credit_it() -> None:
    files = sorted(glob.glob(str(DATA / "telegram-ru-2024" / "*_messages.json")))
    if not files:
        pytest.skip("shared data not present")
    from newstrace.collect.telethon_json import parse_telethon_json
    checked = 0
    for name in files:
        for post in parse_telethon_json(Path(name).read_bytes(), name):
            if any("tass.ru/" in link.url for link in post.links):
                credits = credited_outlets(post.text, post.links)
                assert any(c.kind == "hyperlink" and c.outlet == "tass" for c in credits), post.url
                checked += 1
    assert checked >= 20
