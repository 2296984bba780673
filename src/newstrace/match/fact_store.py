"""Articles' facts (names, numbers, dates: match/features.py) kept in the store by article and
text, so that a new process does not read every article again before it can trace: at 20,000
articles reading them costs over a minute, loading them a second. They are kept under the text's
hash and features.facts_version() (config.FACTS_VERSION and the user files that change what is
read), so a change of the extraction rules reads every article again."""

from __future__ import annotations

import json
from dataclasses import fields
from collections.abc import Sequence
from sqlite3 import Row

from newstrace.match.features import Facts, facts, facts_version
from newstrace.store.core import Store


def _dumps(found: Facts) -> str:
    return json.dumps({field.name: _plain(getattr(found, field.name)) for field in fields(Facts)}, ensure_ascii=False)


def _plain(value: object) -> object:
    return sorted(value) if isinstance(value, frozenset) else value


def _loads(text: str) -> Facts:
    data = json.loads(text)
    return Facts(
        numbers=frozenset(data["numbers"]), ordinals=frozenset(data["ordinals"]), years=frozenset(data["years"]),
        dates=frozenset(tuple(day) for day in data["dates"]), names=frozenset(data["names"]),
        lead_date=tuple(data["lead_date"]) if data["lead_date"] else None,
        spelled=tuple(tuple(pair) for pair in data["spelled"]),
        lead_numbers=frozenset(data["lead_numbers"]), lead_ordinals=frozenset(data["lead_ordinals"]),
        lead_names=frozenset(data["lead_names"]), weekdays=frozenset(data["weekdays"]),
        amounts=frozenset(data["amounts"]), lead_amounts=frozenset(data["lead_amounts"]),
        lead_event=data["lead_event"])


_KNOWN: dict[str, Facts] = {}


def article_facts(store: Store, rows: Sequence[Row]) -> list[Facts]:
    """The facts of each article row (id, title, text, content_hash), read once per text, and
    decoded once per process (the article pool is rebuilt after every new article)."""
    version = facts_version()
    keys = [f"{row['content_hash']}/{version}" for row in rows]
    stored = dict(store.db.execute("SELECT article_id, content_hash FROM article_facts").fetchall())
    wanted = [row["id"] for row, key in zip(rows, keys) if key not in _KNOWN and stored.get(row["id"]) == key]
    for row in store.rows_in("SELECT content_hash, facts FROM article_facts WHERE article_id IN", (), wanted):
        _KNOWN[row[0]] = _loads(row[1])
    fresh = []
    for row, key in zip(rows, keys):
        if key not in _KNOWN:
            _KNOWN[key] = facts(f"{row['title']}\n{row['text']}")
        if stored.get(row["id"]) != key:
            fresh.append((row["id"], key, _dumps(_KNOWN[key])))
    if fresh:
        with store.transaction():
            store.db.executemany("INSERT INTO article_facts (article_id, content_hash, facts) VALUES (?, ?, ?) "
                                 "ON CONFLICT (article_id) DO UPDATE SET content_hash = excluded.content_hash, "
                                 "facts = excluded.facts",
                                 fresh)
    return [_KNOWN[key] for key in keys]
