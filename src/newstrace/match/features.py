"""What a careful reader checks when two texts in any language might report the same event:
the numbers, the calendar dates and the names they share or contradict.

Everything here is cheap (regular expressions and set arithmetic) so it can run on every
candidate pair; the embedding similarity only narrows the candidates.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

from unidecode import unidecode

from newstrace import config
from newstrace.match.attribution import catalogue, without_self_promotion
from newstrace.match.event_kinds import lead_event

_MONTHS: dict[str, int] = {}
for _number, _stems in enumerate(config.MONTH_STEMS, start=1):
    for _stem in _stems:
        _MONTHS[_stem] = _number
_MONTH_RE = "|".join(sorted(_MONTHS, key=len, reverse=True))
_DAY_MONTH = re.compile(rf"\b([0-3]?\d)(?:-?(?:го|e|ое|th|st|nd|rd))?\.?\s+(?:(?:de|di|du|of)\s+)?({_MONTH_RE})\w*", re.I)
_MONTH_DAY = re.compile(rf"\b({_MONTH_RE})\w*\.?\s+([0-3]?\d)(?:st|nd|rd|th)?\b", re.I)
_NUMBER = re.compile(r"(?<![\d.,])(\d{1,3}(?:[ \u00a0\u202f.,]\d{3})+|\d+(?:[.,]\d+)?)(?![\d])")
_ORDINALS: dict[str, int] = {stem: number for number, stems in config.ORDINAL_STEMS.items() for stem in stems}
# «вдев'яте», «втретє» (uk: "for the ninth / third time") carry the stem after a «в»; a season
# "2024/25" is two years, not a year and a number (an ISO date "2025-10-29" is neither)
_ORDINAL = re.compile(r"\b(?:в(?=[а-яіїєґ']))?(" + "|".join(sorted(_ORDINALS, key=len, reverse=True)) + r")\w*", re.I)
_UNIT = {word: mark for mark, words in config.AMOUNT_UNITS.items() for word in words}
_AMOUNT = re.compile(r"\s*(" + "|".join(re.escape(word) for word in sorted(_UNIT, key=len, reverse=True)) + r")", re.I)
# "3,5-3,75%", "4.00% to 4.25%": the unit after a range's second number is the first's too
_RANGE = re.compile(r"\s*%?\s*(?:[-–—]|to|до|і|и|and)\s*(?:\$\s*)?(\d+(?:[.,]\d+)?)")
_FUTURE = re.compile(r"\b(?:" + "|".join(config.FUTURE_CUES) + r")\w*\W+(?:[\w'’-]+\W+){0,6}$", re.I)
_SEASON = re.compile(r"\b((?:19|20)\d\d)[/–-](\d\d)\b")
_WORD = re.compile(r"[^\W\d_][\w'’-]*", re.U)
_WEEKDAYS = [re.compile(rf"\b(?:{pattern})\b", re.I) for pattern in config.WEEKDAY_PATTERNS]
# acronyms and their short aliases, however capitalised: "Fed" is the ФРС, not a name keyed
# "fd" (long aliases such as "russia" are names that the name key already matches across scripts)
_ACRONYMS = set(config.ACRONYM_ALIASES) | {alias for alias in config.ACRONYM_ALIASES.values() if len(alias) <= 4}


def _number_value(raw: str) -> str:
    """One spelling per number: 1 000 / 1,000 / 1.000 -> 1000; 4,25 and 4.25 -> 4.25."""
    text = raw.replace("\u00a0", " ").replace("\u202f", " ")
    if re.fullmatch(r"\d{1,3}(?:[ .,]\d{3})+", text):
        text = re.sub(r"[ .,]", "", text)
    return f"{float(text.replace(',', '.')):g}"


@dataclass(frozen=True)
class Facts:
    """The checkable facts of one text."""

    numbers: frozenset[str]
    ordinals: frozenset[int]
    years: frozenset[int]
    dates: frozenset[tuple[int, int]]
    names: frozenset[str]
    lead_date: tuple[int, int] | None = None
    spelled: tuple[tuple[str, str], ...] = ()
    # the same, within the text's first config.LEAD_FACT_CHARS: what it reports, not what it recaps
    lead_numbers: frozenset[str] = frozenset()
    lead_ordinals: frozenset[int] = frozenset()
    lead_names: frozenset[str] = frozenset()
    # weekdays the lead names (0 = Monday): the day of the week the event fell on
    weekdays: frozenset[int] = frozenset()
    # numbers with a unit ("5T" for $5 trillion, "3.75%"): a bare 5 could be anything
    amounts: frozenset[str] = frozenset()
    lead_amounts: frozenset[str] = frozenset()
    # what the lead says happened (match/event_kinds.py): an appointment, a resignation
    lead_event: str | None = None

    def spelling(self, name: str) -> str:
        """How the text wrote a name key, for evidence a reader can check."""
        return next((word for key, word in self.spelled if key == name), name)


def name_key(word: str) -> str:
    """A transliteration-tolerant key of a name: Latin letters, consonant skeleton, first 4."""
    latin = unidecode(word).lower()
    if len(latin) > 1 and latin[0] == "u" and latin[1] in "aeiou":
        latin = "v" + latin[1:]
    for a, b in config.NAME_SOUND_RULES:
        latin = latin.replace(a, b)
    skeleton = re.sub(r"[^a-z]", "", latin)
    skeleton = skeleton[0:1] + re.sub(r"[aeiouy]", "", skeleton[1:])
    skeleton = re.sub(r"(.)\1+", r"\1", skeleton)
    return skeleton[: config.NAME_KEY_CHARS]


@lru_cache(maxsize=200_000)
def facts(text: str) -> Facts:
    """Numbers, years, day-month dates and name keys mentioned in a text."""
    numbers: set[str] = set()
    years: set[int] = set()
    positioned: list[tuple[int, tuple[int, int]]] = []
    for match in _DAY_MONTH.finditer(text):
        day = int(match.group(1))
        if 1 <= day <= 31:
            positioned.append((match.start(), (_MONTHS[_month_stem(match.group(2))], day)))
    for match in _MONTH_DAY.finditer(text):
        day = int(match.group(2))
        if 1 <= day <= 31:
            positioned.append((match.start(), (_MONTHS[_month_stem(match.group(1))], day)))
    dates = {value for _, value in positioned}
    lead = _reported_day(text, sorted(item for item in positioned if item[0] < config.LEAD_DATE_CHARS))
    date_days = {str(day) for _, day in dates}
    lead_numbers: set[str] = set()
    amounts: set[str] = set()
    lead_amounts: set[str] = set()
    skipped = catalogue().numbered_spans(text)
    for season in _SEASON.finditer(text):
        first = int(season.group(1))
        if (first + 1) % 100 == int(season.group(2)):
            years.update((first, first + 1))
            skipped.append(season.span())
    for match in _NUMBER.finditer(text):
        if any(start <= match.start() < end for start, end in skipped):
            continue
        value = _number_value(match.group(1))
        if re.fullmatch(r"(19|20)\d\d", value):
            years.add(int(value))
        elif value not in date_days:
            numbers.add(value)
            early = match.start() < config.LEAD_FACT_CHARS
            if early:
                lead_numbers.add(value)
            unit = _unit_after(text, match.end())
            if unit:
                amounts.add(value + unit)
                if early:
                    lead_amounts.add(value + unit)
    placed = [(m.start(), _ORDINALS[_longest_stem(m.group(1).lower(), _ORDINALS)]) for m in _ORDINAL.finditer(text)]
    placed += [(m.start(), int(m.group(1)))
               for m in re.finditer(r"\b(\d{1,2})(?:st|nd|rd|th|-?(?:й|я|е|го|му|ий|ой))\b", text)]
    ordinals = {number for _, number in placed}
    lead_ordinals = {number for start, number in placed if start < config.LEAD_FACT_CHARS}
    names = set()
    lead_names = set()
    spelled: dict[str, str] = {}
    for match in _WORD.finditer(text):
        word = match.group(0)
        if len(word) < 2 or not word[0].isupper():
            continue
        if (word.isupper() and len(word) <= 5) or word.lower() in _ACRONYMS:
            key = config.ACRONYM_ALIASES.get(word.lower(), word.lower())
        else:
            key = name_key(word)
            if len(key) < 2:
                continue
        names.add(key)
        spelled.setdefault(key, word)
        if match.start() < config.LEAD_FACT_CHARS:
            lead_names.add(key)
    weekdays = frozenset(number for number, pattern in enumerate(_WEEKDAYS) if pattern.search(text[: config.LEAD_DATE_CHARS]))
    return Facts(frozenset(numbers), frozenset(ordinals), frozenset(years), frozenset(dates), frozenset(names),
                 lead, tuple(spelled.items()),
                 frozenset(lead_numbers), frozenset(lead_ordinals), frozenset(lead_names), weekdays,
                 frozenset(amounts), frozenset(lead_amounts), lead_event(text))


def facts_version() -> str:
    """The version stored facts are kept under: config.FACTS_VERSION and the user files that
    change what facts() reads (the outlets file: numbers in outlets' names; the event kinds file),
    so a change to either reads every article again."""
    return _facts_version(config.FACTS_VERSION, os.environ.get(config.OUTLETS_ENV) or "",
                          os.environ.get(config.EVENT_KINDS_ENV) or "")


@lru_cache(maxsize=8)
def _facts_version(version: int, *user_files: str) -> str:
    digest = hashlib.sha256()
    for path in user_files:
        try:
            digest.update(Path(path).read_bytes() if path else b"")
        except OSError:
            digest.update(path.encode())
        digest.update(b"\0")
    return f"{version}" if not any(user_files) else f"{version}+{digest.hexdigest()[:12]}"


@lru_cache(maxsize=200_000)
def post_facts(text: str) -> Facts:
    """A post's facts: those of its news, not of its channel's footer («👉 Топор Live.
    Подписаться» would give every post of the channel the names Топор and Live)."""
    return facts(without_self_promotion(text))


def _reported_day(text: str, mentions: list[tuple[int, tuple[int, int]]]) -> tuple[int, int] | None:
    """The day a lead reports: the latest it mentions, counted from the first (the shorter way
    round the new year), for earlier ones recap ("Lecornu, who resigned on October 6, was
    reappointed on October 10"); but not a day it announces ("the next round is due on June 2",
    config.FUTURE_CUES), unless it mentions no other."""
    if not mentions:
        return None
    past = [day for start, day in mentions if not _FUTURE.search(text, max(0, start - config.FUTURE_LOOKBACK_CHARS), start)] or [day for _, day in mentions]
    return max(past, key=lambda day: signed_gap(past[0], day) or 0)


def _unit_after(text: str, end: int) -> str | None:
    """The unit mark of the number ending at `end`: its own, or that of the range it opens."""
    unit = _AMOUNT.match(text, end)
    if unit:
        return _UNIT[unit.group(1).lower()]
    ranged = _RANGE.match(text, end)
    if ranged:
        unit = _AMOUNT.match(text, ranged.end())
        if unit and unit.group(1) == "%":
            return "%"
    return None


def conflict(first: frozenset, second: frozenset) -> float:
    """1 when both texts state such facts and share none: $4 trillion against $5 trillion."""
    return float(bool(first) and bool(second) and not first & second)


def _longest_stem(word: str, stems: dict[str, int]) -> str:
    for stem in sorted(stems, key=len, reverse=True):
        if word.startswith(stem):
            return stem
    raise KeyError(word)


def _month_stem(word: str) -> str:
    return _longest_stem(word.lower(), _MONTHS)


DayRef = date | tuple[int, int]


def _on(ref: DayRef, year: int) -> date | None:
    if isinstance(ref, date):
        return ref
    try:
        return date(year, *ref)
    except ValueError:
        return None


def signed_gap(post: DayRef | None, other: DayRef | None) -> int | None:
    """Days from the post's day to the other's (negative: the other is earlier).

    A day-month mention (a tuple) has no year: it is read in the year of the other side, or
    both in one common year when neither has one, the shorter way round the new year.
    """
    if post is None or other is None:
        return None
    year = post.year if isinstance(post, date) else other.year if isinstance(other, date) else 2001
    first, second = _on(post, year), _on(other, year)
    if first is None or second is None:
        return None
    gap = (second - first).days
    if not isinstance(post, date) or not isinstance(other, date):
        gap = min((gap, gap - 365, gap + 365), key=abs)
    return gap


def weekday_lag(weekdays: frozenset[int], day: DayRef | None) -> int | None:
    """Days from the last of these weekdays to a known day (0: the day is one of them): how long
    after "on Wednesday" a text of that day was written. None when either is unknown."""
    if not weekdays or not isinstance(day, date):
        return None
    return min((day.weekday() - weekday) % 7 for weekday in weekdays)


def weekday_checks(first: Facts, first_day: DayRef | None, second: Facts, second_day: DayRef | None) -> dict[str, float]:
    """Does the weekday one text names fit the other's day? A text reports its event on that day
    or soon after: "talks resumed on Wednesday" fits an article of that Wednesday or Thursday,
    not one of a Monday (the round before). Conflict: some lag longer than
    config.WEEKDAY_LAG_DAYS; agreement: every lag known is at most a day."""
    lags = [lag for lag in (weekday_lag(first.weekdays, second_day), weekday_lag(second.weekdays, first_day))
            if lag is not None]
    return {"weekday_conflict": float(any(lag > config.WEEKDAY_LAG_DAYS for lag in lags)),
            "weekday_agree": float(bool(lags) and all(lag <= 1 for lag in lags))}


def day_distance(a: tuple[int, int], b: date) -> int:
    """Days between a day-month mention and a date, the mention taken in the date's year."""
    gap = signed_gap(b, a)
    return 999 if gap is None else abs(gap)
