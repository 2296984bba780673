from datetime import date

from newstrace.match.features import facts, signed_gap, weekday_checks, weekday_lag


def test_numbers_are_spelled_one_way():
    assert facts("ставка 4,25%, 1 000 человек, 1,200 tonnes, $4trn").numbers == {"4.25", "1000", "1200", "4"}
    assert facts("rate of 4.25 percent").numbers == {"4.25"}
    assert facts("в 2025 году").years == {2025} and facts("в 2025 году").numbers == set()


def test_dates_in_several_languages_agree():
    assert facts("Сегодня, 16 мая, стороны встретились").dates == {(5, 16)}
    assert facts("On May 16 the sides met").dates == {(5, 16)}
    assert facts("16 травня сторони зустрілися").dates == {(5, 16)}
    assert facts("Le 16 mai").dates == {(5, 16)}
    assert facts("Talks resumed on 16 May; the next round is due on June 2.").lead_date == (5, 16)


def test_the_day_a_lead_reports_is_its_latest_past_one_and_not_one_it_announces():
    assert facts("Macron reappointed Lecornu, who resigned on October 6, late on October 10.").lead_date == (10, 10)
    assert facts("Talks that began on December 30 ended on 2 January.").lead_date == (1, 2)
    assert facts("The Kremlin said on August 8 that the summit will take place in Alaska on August 15.").lead_date == (8, 8)
    assert facts("Саммит состоится 15 августа на Аляске.").lead_date == (8, 15)


def test_ordinals_tell_sibling_events_apart():
    assert facts("девятый испытательный полёт").ordinals == {9}
    assert facts("the ninth test flight").ordinals == {9}
    assert facts("its 10th test flight").ordinals == {10}
    assert facts("второй раунд переговоров").ordinals == {2}


def test_names_match_across_scripts():
    russian = facts("Уиткофф встретился с Мединским в ОАЭ").names
    english = facts("Witkoff met Medinsky in the UAE").names
    assert {"vtkf", "uae"} <= russian & english
    assert facts("Байру").names == facts("Bayrou").names
    assert facts("Fed cuts rates").names == facts("ФРС снизила ставку").names == {"fed"}
    assert facts("Russia").names == facts("Россия").names


def test_signed_gap_reads_day_month_mentions_in_the_other_side_year():
    assert signed_gap(date(2025, 5, 16), date(2025, 5, 14)) == -2
    assert signed_gap(date(2025, 5, 16), (5, 18)) == 2
    assert signed_gap((12, 30), date(2026, 1, 2)) == 3
    assert signed_gap(None, date(2025, 1, 1)) is None


def test_the_lead_says_which_event_and_the_recap_does_not():
    filler = " The booster splashed down in the Gulf as planned and the ship reached orbit." * 5
    text = "Starship flew its 11th test flight on Monday, reaching 140 km." + filler + " The 10th flight in August reached 190 km."
    found = facts(text)
    assert found.ordinals == {10, 11} and found.lead_ordinals == {11}
    assert {"140", "190"} <= found.numbers and "140" in found.lead_numbers and "190" not in found.lead_numbers
    assert facts("Snapchat blocked." + filler + " FaceTime was restricted earlier.").lead_names >= facts("Snapchat").names
    assert not facts("Snapchat blocked." + filler + " FaceTime was restricted earlier.").lead_names & facts("FaceTime").names


def test_a_weekday_in_the_lead_says_which_day_of_the_week_the_event_fell_on():
    assert facts("Peace talks resumed on Wednesday in Istanbul").weekdays == {2}
    assert facts("Переговоры в Стамбуле возобновились в среду").weekdays == {2}
    assert facts("У четвер уряд подав у відставку").weekdays == {3}
    assert facts("Во вторник и в пятницу").weekdays == {1, 4}
    assert facts("В четвертый раз; охрана окружающей среды, выбросы в окружающую среду").weekdays == set()
    assert facts("x" * 500 + " on Friday").weekdays == set()


def test_a_weekday_fits_a_text_of_that_day_or_soon_after_and_not_of_another_round():
    wednesday = facts("Talks resumed on Wednesday in Istanbul and ended within an hour.")
    plain = facts("Talks in Istanbul ended within an hour.")
    assert weekday_lag(wednesday.weekdays, date(2025, 7, 24)) == 1
    assert weekday_lag(wednesday.weekdays, None) is None and weekday_lag(plain.weekdays, date(2025, 7, 24)) is None
    assert weekday_checks(wednesday, None, plain, date(2025, 7, 23)) == {"weekday_conflict": 0.0, "weekday_agree": 1.0}
    assert weekday_checks(plain, date(2025, 7, 24), wednesday, None) == {"weekday_conflict": 0.0, "weekday_agree": 1.0}
    assert weekday_checks(wednesday, None, plain, date(2025, 6, 2)) == {"weekday_conflict": 1.0, "weekday_agree": 0.0}
    assert weekday_checks(wednesday, None, plain, None) == {"weekday_conflict": 0.0, "weekday_agree": 0.0}


def test_a_number_with_a_unit_is_an_amount_and_a_range_shares_its_unit():
    assert facts("Nvidia hit $5 trillion").amounts == {"5T"}
    assert facts("Nvidia became the first $4trn company").amounts == facts("капитализация превысила $4 трлн").amounts == {"4T"}
    assert facts("ставка снижена на 0,25 процентного пункта, до 3,5-3,75% годовых").amounts == {"0.25%", "3.5%", "3.75%"}
    assert facts("a range of 4.00% to 4.25%").amounts == {"4%", "4.25%"}
    assert facts("5 people and $2 billion in damage").amounts == {"2B"}
    assert facts("Valued at $5 trillion." + " Filler words here." * 20 + " Up from $4 trillion.").lead_amounts == {"5T"}


def test_an_outlet_name_or_a_season_is_not_a_number_of_the_news():
    found = facts("Челси выиграл Лигу конференций УЕФА 2024/25, сообщает 24 Канал; France 24 пишет о 42,771 зрителях")
    assert found.numbers == {"42771"} and found.years == {2024, 2025}
    assert facts("Published 2025-10-29 at noon").years == {2025}


def test_ukrainian_adverbs_count_the_time_an_event_happens():
    assert facts("SpaceX вдев'яте провела тестовий запуск Starship").ordinals == {9}
    assert facts("Ракета втретє вибухнула").ordinals == {3}
    assert facts("восьмой полёт").ordinals == {8}


def test_the_lead_says_what_happened_and_a_recap_of_what_came_before_does_not():
    assert facts("Macron appointed Lecornu prime minister after Bayrou's resignation.").lead_event == "appointed"
    assert facts("After Bayrou's resignation, Macron named Sébastien Lecornu as prime minister.").lead_event == "appointed"
    assert facts("Лекорню подал в отставку через месяц после назначения").lead_event == "resigned"
    assert facts("Макрон вновь назначил Лекорню премьер-министром").lead_event == "reappointed"
    assert facts("Премьер-министром после подавшего в отставку Лекорню стал вновь Лекорню.").lead_event == "reappointed"
    assert facts("Macron reappointed Lecornu days after accepting his resignation.").lead_event == "reappointed"
    assert facts("Такаїчі обрали прем'єр-міністром Японії").lead_event == "elected"
    assert facts("Ishiba steps down as Japan's prime minister").lead_event == "resigned"
    assert facts("The summit was held in Anchorage on Friday.").lead_event is None
    assert facts("The summit was held in Anchorage on Friday." + " Filler words here." * 12 + " He resigned.").lead_event is None
