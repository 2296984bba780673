"""News categories (keywords, embeddings, stories) and the news/not-news decision."""

import json
from datetime import datetime, timezone

import pytest

from newstrace.errors import InputError
from newstrace.match.embed import embed_cached, get_embedder
from newstrace.match.semantic import article_view
from newstrace.store.core import Store
from newstrace.stories.category import (CATEGORIES, Categorizer, categorize, is_news, keyword_hits, lexicon,
                                        load_lexicon, story_category)

from factories import user_file_error

WHEN = datetime(2025, 3, 10, 9, 0, tzinfo=timezone.utc)
LONG = "The details were given in a statement on Monday. " * 6


@pytest.mark.parametrize("title, expected", [
    ("Parliament passes the new election law after a long debate", "society"),
    ("Суд арестовал бывшего мэра по делу о взятке", "society"),
    ("Central bank raises interest rates as inflation climbs", "economy"),
    ("Нефть подорожала, рубль укрепился к доллару", "economy"),
    ("New smartphone chip doubles battery life, the maker says", "technology"),
    ("Пользователи жалуются на сбои в работе мессенджера", "technology"),
    ("Hockey: the champions win the final in overtime", "sports"),
    ("Сборная по футболу проиграла в полуфинале чемпионата", "sports"),
    ("The singer cancels her concert tour after the album delay", "entertainment"),
    ("Премьера сериала собрала рекордную аудиторию", "entertainment"),
    ("Scientists find water ice on an asteroid with a space telescope", "science"),
    ("Учёные нашли ген, связанный с болезнью Альцгеймера", "science"),
    ("Weather: snow and frost expected at the weekend", "other"),
    ("Синоптики обещают мокрый снег и гололёд", "other"),
])
def test_keywords_alone_categorize_plain_headlines(title, expected):
    assert categorize(title) == expected


def test_keywords_are_whole_words_or_stems_and_titles_count_twice():
    hits = keyword_hits("Премьер-министр провёл премьеру", "Министр")
    assert hits[CATEGORIES.index("society")] == 2 + 1
    assert hits[CATEGORIES.index("entertainment")] == 2
    assert not keyword_hits("", "сентябрь, центр, газета").any()
    assert keyword_hits("", "Ёлки и ученые").tolist() == keyword_hits("", "ЕЛКИ И УЧЁНЫЕ").tolist()


def test_no_evidence_is_other():
    assert categorize("Zzz qqq", "") == "other"


def test_embeddings_decide_a_text_with_no_keyword(new_db):
    title, text = "Late header sends the hosts through", "A corner in stoppage time decided the tie."
    assert not keyword_hits(title, text).any()
    embedder = get_embedder()
    with Store(new_db()) as store:
        with_vectors = Categorizer.with_embeddings(store, embedder)
        vector = embed_cached(store, embedder, [article_view(title, text)], query=False)[0]
    assert with_vectors.prototypes.shape == (len(CATEGORIES), embedder.dim)
    assert with_vectors.categorize(title, text, vector) == "sports"
    assert Categorizer().categorize(title, text, vector) == "other"


def test_a_story_takes_the_category_of_most_of_its_evidence():
    categorizer = Categorizer()
    items = [categorizer.scores("Parliament votes on the budget law"),
             categorizer.scores("Deputies pass the law after a court ruling"),
             categorizer.scores("Bank shares rise")]
    assert categorizer.categorize("Bank shares rise") == "economy"
    assert story_category(items) == "society"
    assert story_category([]) == "other"


@pytest.mark.parametrize("title, text, when, expected", [
    ("Parliament lowers the voting age to 16", LONG, WHEN, True),
    ("Parliament lowers the voting age to 16", LONG, None, False),
    ("Parliament lowers the voting age to 16", "Too short.", WHEN, False),
    ("How to choose winter tyres", LONG, WHEN, False),
    ("7 best places to visit in March", LONG, WHEN, False),
    ("Как выбрать зимние шины", LONG, WHEN, False),
    ("10 лучших рецептов блинов", LONG, WHEN, False),
    ("Скидки до 50% на всё: успейте купить", LONG, WHEN, False),
    ("Как власти объяснили решение", LONG, WHEN, True),
])
def test_is_news(title, text, when, expected):
    assert is_news(title, text, when) is expected


def test_a_user_file_extends_the_lexicon(tmp_path):
    extra = tmp_path / "categories.json"
    extra.write_text(json.dumps({"categories": {"sports": {"keywords": ["квиддич*"], "descriptions": ["Quidditch"]}},
                                 "not_news": {"title_patterns": ["^press release"]}}), encoding="utf-8")
    words = load_lexicon(str(extra))
    assert keyword_hits("", "Квиддич набирает популярность", words)[CATEGORIES.index("sports")] == 1
    assert not keyword_hits("", "Квиддич набирает популярность").any()
    assert "Quidditch" in words.descriptions[CATEGORIES.index("sports")]
    assert not is_news("Press release: our new office", LONG, WHEN, words)
    assert is_news("Press release: our new office", LONG, WHEN)


def test_the_environment_names_the_user_file(tmp_path, monkeypatch):
    extra = tmp_path / "extra.json"
    extra.write_text('{"categories": {"science": {"keywords": ["xenobot*"]}}}', encoding="utf-8")
    monkeypatch.setenv("NEWSTRACE_CATEGORIES", str(extra))
    assert categorize("Xenobots learn to swim") == "science"


@pytest.mark.parametrize("content, problem", [
    ('{"categories": {"politics": {"keywords": ["vote"]}}}', "unknown category 'politics'"),
    ('{"categories": {"sports": ["goal"]}}', "category 'sports': expected an object"),
    ('{"not_news": {"title_patterns": ["(unclosed"]}}', "bad not_news title pattern"),
    ("{broken", "invalid JSON at line 1"),
])
def test_a_bad_user_file_is_one_clear_error(tmp_path, content, problem):
    error = user_file_error(tmp_path, content, load_lexicon)
    assert problem in error.problem


def test_a_missing_user_file_is_named():
    with pytest.raises(InputError, match="cannot read the categories file"):
        load_lexicon("/nonexistent/categories.json")


def test_the_builtin_lexicon_covers_every_category_in_both_languages():
    words = lexicon()
    assert len(words.keywords) == len(words.descriptions) == len(CATEGORIES)
    for descriptions in words.descriptions:
        assert any(ch.isascii() and ch.isalpha() for ch in " ".join(descriptions))
        assert any("а" <= ch <= "я" for ch in " ".join(descriptions).lower())
