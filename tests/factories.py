"""Small builders of model records for tests of the store, linking and dossiers."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

import pytest

from newstrace.errors import InputError
from newstrace.model import Article, Link, Post

SOURCE_URL = "https://www.gull-gazette.example/2025/03/14/ferry-fares-frozen-for-islanders-a77"


def user_file_error(folder: Path, content: str, load: Callable[[str], object], name: str = "user.json") -> InputError:
    """The error a loader of a user file (outlets, categories, event kinds, a watch list) raises
    for a file holding `content`: it must name that file."""
    path = folder / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load(str(path))
    assert caught.value.source == str(path)
    return caught.value


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


def article(url: str = SOURCE_URL, **fields) -> Article:
    values = dict(
        title="Ferry fares frozen for islanders until 2026",
        paragraphs=[
            "The island ferry company will freeze fares for residents until March 2026, "
            "the transport board announced on Friday.",
            "Board chair Ingrid Solberg said the freeze would cost 2.4 million crowns a year.",
            "Tourist fares will still rise by 6 percent in May.",
        ],
        published_at=utc("2025-03-14T08:00:00"),
        language="en",
        site_name="Gull Gazette",
        links=[Link("https://www.gull-gazette.example/2025/02/01/ferry-timetable-a12", "Timetable", "related")],
        raw=b"<html>saved page</html>",
    )
    values.update(fields)
    return Article(url=url, **values)


def post(channel: str, message_id: int, text: str = "", *, links: list[Link] | None = None,
         at: str = "2025-03-14T09:00:00", **fields) -> Post:
    return Post(channel=channel, message_id=message_id, posted_at=utc(at), text=text,
                links=links or [], **fields)


def delete_some_article(store, rng: random.Random) -> None:
    """Delete one of the store's articles, picked by rng (none when it has none)."""
    rows = store.db.execute("SELECT id FROM articles ORDER BY id").fetchall()
    if rows:
        with store.transaction():
            store.delete_article(rng.choice(rows)[0])
