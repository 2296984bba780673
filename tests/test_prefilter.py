"""The semantic step's cheap first stage: which posts are worth embedding."""

from datetime import date

from newstrace.match.features import facts
from newstrace.match.prefilter import FactIndex, has_case, post_tokens, worth_embedding
from newstrace.match.semantic import post_view

ARTICLES = ["Valdoria's central bank cut the key rate to 7.5% on March 14.",
            "Паромы Кестрела снова ходят после шторма.",
            "Ferries to the islands resume after a three-day storm."]
DAYS = [date(2025, 3, 14), date(2025, 4, 24), None]


def always(_day) -> bool:
    return True


def test_articles_sharing_a_name_number_or_date_are_found_in_any_language():
    index = FactIndex.build([facts(text) for text in ARTICLES])
    assert index.sharing(post_tokens("Нацбанк Валдории снизил ставку")).tolist() == [0]
    assert index.sharing(post_tokens("the rate is now 7.5 percent")).tolist() == [0]
    assert index.sharing(post_tokens("on 14 March the bank acted")).tolist() == [0]
    assert index.sharing(post_tokens("Ferries again at Kestrel")).tolist() == [1, 2]
    assert index.sharing(post_tokens("nothing to see here")).tolist() == []
    assert index.sharing(post_tokens("thanks to @kestrel_today for the summary")).tolist() == [1]
    assert index.sharing(post_tokens("mail us at news@kestrel.example")).tolist() == []


def test_a_post_is_embedded_only_if_an_article_in_its_window_shares_a_fact():
    index = FactIndex.build([facts(text) for text in ARTICLES])
    assert worth_embedding(index, DAYS, "Нацбанк Валдории снизил ставку", always)
    assert not worth_embedding(index, DAYS, "Котики сегодня спят весь день", always)
    in_april = lambda day: day is None or day.month == 4  # noqa: E731
    assert not worth_embedding(index, DAYS, "Нацбанк Валдории снизил ставку", in_april)
    assert worth_embedding(index, DAYS, "Kestrel ferries", in_april)


def test_a_post_in_a_script_without_case_is_always_embedded():
    index = FactIndex.build([facts(text) for text in ARTICLES])
    assert not has_case("ओवल ऑफिस में असाधारण झड़प") and has_case("Oval Office")
    assert worth_embedding(index, DAYS, "ओवल ऑफिस में असाधारण झड़प", lambda day: False)


def test_a_channel_footer_is_not_part_of_what_a_post_reports():
    """"👉 Топор Live. Подписаться" closes every post of a channel: its names would make every
    post of the channel share facts with each other and dilute the names a post shares with its
    source. The facts, the day and the embedded view read the post less its footer; a post
    without one is read as it is (same embedding key as before)."""
    news = "⚡️Доллар поднялся выше 105 рублей, — данные торгов.\n\nЕвро — выше 110 рублей."
    with_footer = news + "\n\n👉 Топор Live. Подписаться"
    assert post_tokens(with_footer) == post_tokens(news)
    assert facts("Топор Live").names <= facts(with_footer).names
    assert post_view(with_footer) == news and post_view(news + "\r\n") == news + "\r\n"
