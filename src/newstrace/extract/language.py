"""Language of a text (ISO 639-1), by lingua.

The detector is built once, lazily, from config.LANGUAGES: choosing among a few dozen languages
instead of all 75 is faster and avoids rare-language confusions. lingua loads its models on the
first detection; in low-accuracy mode (trigrams only) that takes about 0.4 s and 40 MB instead of
9 s and 650 MB, and it is as accurate from ~80 characters on (see config.LANGUAGE_LOW_ACCURACY).
"""

from __future__ import annotations

from functools import lru_cache

from lingua import IsoCode639_1, Language, LanguageDetector, LanguageDetectorBuilder

from newstrace import config


@lru_cache(maxsize=1)
def detector() -> LanguageDetector:
    """The shared lingua detector (built on first use)."""
    languages = [Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper()))
                 for code in config.LANGUAGES]
    builder = LanguageDetectorBuilder.from_languages(*languages)
    if config.LANGUAGE_LOW_ACCURACY:
        builder = builder.with_low_accuracy_mode()
    return builder.build()


@lru_cache(maxsize=config.POST_LANGUAGE_CACHE)
def post_language(text: str) -> str | None:
    """A post's language, kept per text (posts are short): grouping asks it of every post near
    a judged one on every trace, and lingua takes about a millisecond a text."""
    return detect_language(text)


def detect_language(text: str) -> str | None:
    """ISO 639-1 code of the text's language; None when too short or undecidable."""
    if sum(ch.isalpha() for ch in text) < config.LANGUAGE_MIN_LETTERS:
        return None
    found = detector().detect_language_of(text)
    return found.iso_code_639_1.name.lower() if found is not None else None
