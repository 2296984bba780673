"""detect_language: ISO 639-1 codes, abstention on short text, accuracy on real news items."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from newstrace import config
from newstrace.extract.language import detect_language, detector

EVENTS = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "events-dev.jsonl"


@pytest.mark.parametrize(("text", "code"), [
    ("Dockworkers at the port of Kestrel voted on Wednesday night to end a nine-day strike.", "en"),
    ("По данным профсоюза докеров, соглашение предусматривает повышение зарплат на 14%.", "ru"),
    ("Докери порту Кестрел проголосували за припинення страйку, повідомила профспілка.", "uk"),
    ("Докеры порта Кестрэл прагаласавалі за спыненне забастоўкі, паведаміў прафсаюз.", "be"),
    ("Die Hafenarbeiter in Kestrel haben ihren Streik nach neun Tagen beendet.", "de"),
    ("Les dockers du port de Kestrel ont voté la fin d'une grève de neuf jours.", "fr"),
    ("Pracownicy portu w Kestrel zakończyli dziewięciodniowy strajk po podwyżce płac.", "pl"),
    ("Kestrel limanı işçileri dokuz günlük grevi sona erdirdi.", "tr"),
])
def test_detects_common_languages(text, code):
    assert detect_language(text) == code


@pytest.mark.parametrize("text", ["", "   ", "ok", "Да, 14%", "12:45 — 2025-08-07 https://t.me/x/1", "🔥🔥🔥"])
def test_short_or_letterless_text_gives_none(text):
    assert detect_language(text) is None


def test_detector_is_built_once_from_the_configured_languages(monkeypatch):
    assert detector() is detector()
    german = "Die Hafenarbeiter in Kestrel haben ihren Streik nach neun Tagen beendet."
    monkeypatch.setattr(config, "LANGUAGES", ("en", "ru"))
    detector.cache_clear()
    try:
        assert detect_language(german) in ("en", None)
    finally:
        monkeypatch.undo()
        detector.cache_clear()
    assert detect_language(german) == "de"


def test_accuracy_on_real_news_items():
    if not EVENTS.is_file():
        pytest.skip("events-dev.jsonl not present")
    items = [json.loads(line) for line in EVENTS.read_text(encoding="utf-8").splitlines() if line.strip()]
    items = [item for item in items if item["lang"] in config.LANGUAGES][:120]
    right = sum(detect_language(item["text"][:300]) == item["lang"] for item in items)
    assert right / len(items) >= 0.97
