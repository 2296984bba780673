"""The store's schema as an ordered list of migrations, the same on SQLite and PostgreSQL; the
store records how many ran (PRAGMA user_version on SQLite, table schema_version on PostgreSQL).

A migration is appended, never edited, so that every store can be brought up to date in place.
Most are written once in SQL both backends read, PostgreSQL's column types put in by `for_dialect`;
the few that cannot be (full-text indexes, a random id) are written for each backend.
"""

from __future__ import annotations

import re

Migration = str | dict[str, str]

_TABLES_1 = """
    CREATE TABLE channels (
        username      TEXT PRIMARY KEY,
        title         TEXT,
        newest_id     INTEGER,
        collected_at  TEXT
    );

    CREATE TABLE posts (
        id                   INTEGER PRIMARY KEY,
        channel              TEXT NOT NULL,
        message_id           INTEGER NOT NULL,
        posted_at            TEXT,
        text                 TEXT NOT NULL,
        content_hash         TEXT NOT NULL,
        preview_url          TEXT,
        preview_site         TEXT,
        preview_title        TEXT,
        preview_description  TEXT,
        forwarded_from       TEXT,
        forwarded_from_name  TEXT,
        forwarded_message_id INTEGER,
        reply_to             INTEGER,
        views                INTEGER,
        edited               INTEGER NOT NULL DEFAULT 0,
        edited_at            TEXT,
        has_media            INTEGER NOT NULL DEFAULT 0,
        collected_via        TEXT,
        first_seen           TEXT NOT NULL,
        updated_at           TEXT NOT NULL,
        UNIQUE (channel, message_id)
    );
    CREATE INDEX posts_posted_at ON posts (posted_at);
    CREATE INDEX posts_forward ON posts (forwarded_from, forwarded_message_id);

    CREATE TABLE post_versions (
        post_id       INTEGER NOT NULL REFERENCES posts (id),
        text          TEXT NOT NULL,
        content_hash  TEXT NOT NULL,
        seen_at       TEXT NOT NULL,
        PRIMARY KEY (post_id, content_hash)
    );

    CREATE TABLE post_links (
        post_id   INTEGER NOT NULL REFERENCES posts (id),
        position  INTEGER NOT NULL,
        url       TEXT NOT NULL,
        url_key   TEXT NOT NULL,
        anchor    TEXT NOT NULL DEFAULT '',
        kind      TEXT NOT NULL,
        PRIMARY KEY (post_id, position)
    );
    CREATE INDEX post_links_key ON post_links (url_key);

    CREATE TABLE raw_documents (
        hash          TEXT PRIMARY KEY,
        content_type  TEXT NOT NULL,
        size          INTEGER NOT NULL,
        bytes         BLOB NOT NULL
    );

    CREATE TABLE articles (
        id             INTEGER PRIMARY KEY,
        url            TEXT NOT NULL,
        url_key        TEXT NOT NULL UNIQUE,
        canonical_url  TEXT,
        title          TEXT NOT NULL DEFAULT '',
        author         TEXT,
        published_at   TEXT,
        language       TEXT,
        site_name      TEXT,
        description    TEXT,
        paragraphs     TEXT NOT NULL,
        text           TEXT NOT NULL,
        content_hash   TEXT NOT NULL,
        raw_hash       TEXT REFERENCES raw_documents (hash),
        raw_type       TEXT,
        warnings       TEXT NOT NULL DEFAULT '[]',
        collected_at   TEXT NOT NULL,
        updated_at     TEXT NOT NULL
    );
    CREATE INDEX articles_published ON articles (published_at);

    CREATE TABLE article_urls (
        url_key     TEXT PRIMARY KEY,
        article_id  INTEGER NOT NULL REFERENCES articles (id)
    );

    CREATE TABLE article_links (
        article_id  INTEGER NOT NULL REFERENCES articles (id),
        position    INTEGER NOT NULL,
        url         TEXT NOT NULL,
        url_key     TEXT NOT NULL,
        anchor      TEXT NOT NULL DEFAULT '',
        kind        TEXT NOT NULL,
        PRIMARY KEY (article_id, position)
    );

    CREATE TABLE matches (
        post_id     INTEGER PRIMARY KEY REFERENCES posts (id),
        article_id  INTEGER NOT NULL REFERENCES articles (id),
        stage       TEXT NOT NULL,
        score       REAL NOT NULL,
        evidence    TEXT NOT NULL,
        decided_at  TEXT NOT NULL
    );
    CREATE INDEX matches_article ON matches (article_id);

"""

_FTS_SQLITE_1 = """
    CREATE VIRTUAL TABLE posts_fts USING fts5 (
        text, content='posts', content_rowid='id', tokenize='unicode61 remove_diacritics 2'
    );
    CREATE TRIGGER posts_ai AFTER INSERT ON posts BEGIN
        INSERT INTO posts_fts (rowid, text) VALUES (new.id, new.text);
    END;
    CREATE TRIGGER posts_au AFTER UPDATE OF text ON posts BEGIN
        INSERT INTO posts_fts (posts_fts, rowid, text) VALUES ('delete', old.id, old.text);
        INSERT INTO posts_fts (rowid, text) VALUES (new.id, new.text);
    END;

    CREATE VIRTUAL TABLE articles_fts USING fts5 (
        title, text, content='articles', content_rowid='id',
        tokenize='unicode61 remove_diacritics 2'
    );
    CREATE TRIGGER articles_ai AFTER INSERT ON articles BEGIN
        INSERT INTO articles_fts (rowid, title, text) VALUES (new.id, new.title, new.text);
    END;
    CREATE TRIGGER articles_au AFTER UPDATE OF title, text ON articles BEGIN
        INSERT INTO articles_fts (articles_fts, rowid, title, text)
            VALUES ('delete', old.id, old.title, old.text);
        INSERT INTO articles_fts (rowid, title, text) VALUES (new.id, new.title, new.text);
    END;
"""

def _pg_fulltext(table: str, key: str, columns: str, vector: str) -> str:
    """One tsvector per row in a table of its own (so SELECT * stays the same on both backends),
    kept current by a trigger as FTS5's tables are on SQLite."""
    return f"""
    CREATE TABLE {table}_fts (
        {key}  BIGINT PRIMARY KEY REFERENCES {table} (id),
        fts    tsvector NOT NULL
    );
    CREATE INDEX {table}_fts_index ON {table}_fts USING gin (fts);
    CREATE FUNCTION {table}_fts_sync() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO {table}_fts ({key}, fts) VALUES (NEW.id, {vector})
            ON CONFLICT ({key}) DO UPDATE SET fts = excluded.fts;
        RETURN NEW;
    END $$;
    CREATE TRIGGER {table}_fts_sync AFTER INSERT OR UPDATE OF {columns} ON {table}
        FOR EACH ROW EXECUTE FUNCTION {table}_fts_sync();
"""


def _both_languages(column: str) -> str:
    return f"to_tsvector('russian', NEW.{column}) || to_tsvector('english', NEW.{column})"


_FTS_POSTGRESQL_1 = (
    _pg_fulltext("posts", "post_id", "text", _both_languages("text"))
    + _pg_fulltext("articles", "article_id", "title, text",
                   f"setweight({_both_languages('title')}, 'A') || {_both_languages('text')}")
    + "ALTER TABLE post_versions ADD COLUMN rowid BIGINT GENERATED ALWAYS AS IDENTITY;\n"
)

_WATCH_6 = """
    CREATE TABLE watch_sources (
        name          TEXT PRIMARY KEY,
        kind          TEXT NOT NULL,
        url           TEXT NOT NULL,
        interval_s    INTEGER NOT NULL,
        next_due      TEXT NOT NULL,
        failures      INTEGER NOT NULL DEFAULT 0,
        errors        INTEGER NOT NULL DEFAULT 0,
        paused_until  TEXT,
        last_ok       TEXT,
        last_error    TEXT,
        last_error_at TEXT,
        newest_item   TEXT
    );

    CREATE TABLE alerts_sent (
        key           TEXT PRIMARY KEY,
        rule          TEXT NOT NULL,
        created_at    TEXT NOT NULL,
        payload       TEXT NOT NULL,
        written_at    TEXT,
        delivered_at  TEXT,
        attempts      INTEGER NOT NULL DEFAULT 0,
        last_error    TEXT
    );

    CREATE TABLE watch_marks (
        name   TEXT PRIMARY KEY,
        value  TEXT NOT NULL
    );
    """

_STORE_META_9 = """
    CREATE TABLE store_meta (
        key    TEXT PRIMARY KEY,
        value  TEXT NOT NULL
    );
"""

MIGRATIONS: list[Migration] = [
    # 1: posts, articles, raw bytes, URL keys, links decided, full-text indexes
    {"sqlite": _TABLES_1 + _FTS_SQLITE_1, "postgresql": _TABLES_1 + _FTS_POSTGRESQL_1},
    # 2: embeddings cached by content hash, so no text is embedded twice
    """
    CREATE TABLE embeddings (
        key     TEXT PRIMARY KEY,
        model   TEXT NOT NULL,
        dim     INTEGER NOT NULL,
        vector  BLOB NOT NULL
    );
    """,
    # 3: the story each article belongs to (a story is one event, across languages)
    """
    CREATE TABLE article_stories (
        article_id  INTEGER PRIMARY KEY REFERENCES articles (id),
        story       TEXT NOT NULL
    );
    CREATE INDEX article_stories_story ON article_stories (story);
    """,
    # 4: which posts the text-only steps (copy, semantic) have judged, against how many articles
    """
    CREATE TABLE text_traced (
        post_id       INTEGER NOT NULL REFERENCES posts (id),
        stage         TEXT NOT NULL,
        articles_seen INTEGER NOT NULL,
        content_hash  TEXT NOT NULL,
        PRIMARY KEY (post_id, stage)
    );
    """,
    # 5: stories kept between runs: the finer story the linker checks against, and the ids of
    # stories merged into others, so that a merged story's old id still finds it
    """
    ALTER TABLE article_stories ADD COLUMN link_story TEXT;
    CREATE TABLE story_aliases (
        alias  TEXT PRIMARY KEY,
        story  TEXT NOT NULL
    );
    """,
    # 6: `newstrace watch`: each followed source's schedule and health, the alerts raised (each
    # once, with how far its delivery got), and how far the alert rules have looked
    {"sqlite": _WATCH_6,
     "postgresql": _WATCH_6 + "ALTER TABLE alerts_sent ADD COLUMN rowid BIGINT GENERATED ALWAYS AS IDENTITY;"},
    # 7: `newstrace tgnews server`: the contest files put into the index, each with its article,
    # its max-age and whether the index added the article (and so may delete it)
    """
    CREATE TABLE tgnews_files (
        name        TEXT PRIMARY KEY,
        article_id  INTEGER NOT NULL REFERENCES articles (id),
        max_age     INTEGER,
        owned       INTEGER NOT NULL,
        put_at      TEXT NOT NULL
    );
    """,
    # 8: each article's category scores by keywords, for the text it had (content_hash)
    """
    CREATE TABLE article_categories (
        article_id    INTEGER PRIMARY KEY REFERENCES articles (id),
        content_hash  TEXT NOT NULL,
        scores        TEXT NOT NULL
    );
    """,
    # 9: an id of this store file, so that caches of article-derived indexes tell a store from a
    # new one made at the same path, while every connection to one store shares them
    {"sqlite": _STORE_META_9 + "INSERT INTO store_meta (key, value) VALUES ('store_id', lower(hex(randomblob(16))));",
     "postgresql": _STORE_META_9 + "INSERT INTO store_meta (key, value) "
                                   "VALUES ('store_id', md5(random()::text || clock_timestamp()::text));"},
    # 10: each article's facts (names, numbers, dates) for the text it had, read once
    """
    CREATE TABLE article_facts (
        article_id    INTEGER PRIMARY KEY REFERENCES articles (id),
        content_hash  TEXT NOT NULL,
        facts         TEXT NOT NULL
    );
    """,
    # 11: what the URL and forward steps must judge again (posts new or edited, posts linking a
    # URL that a new article answers to), and the post each forward or t.me link points at, as
    # they last read it; every post of an older store is judged once more
    """
    CREATE TABLE evidence_dirty (
        post_id  INTEGER PRIMARY KEY REFERENCES posts (id)
    );
    INSERT INTO evidence_dirty (post_id) SELECT id FROM posts;
    CREATE TABLE post_pointers (
        post_id     INTEGER NOT NULL REFERENCES posts (id),
        channel     TEXT NOT NULL,
        message_id  INTEGER NOT NULL,
        how         TEXT NOT NULL
    );
    CREATE INDEX post_pointers_post ON post_pointers (post_id);
    CREATE INDEX post_pointers_target ON post_pointers (channel, message_id);
    """,
    # 12: the posts each text-only step (copy, semantic) must judge, as a queue instead of a
    # pass over every post: filled with what text_traced said was still to judge (and, to be
    # safe, every post judged before the newest article), which it replaces
    """
    CREATE TABLE text_pending (
        post_id  INTEGER NOT NULL REFERENCES posts (id),
        stage    TEXT NOT NULL,
        ticket   INTEGER NOT NULL,
        PRIMARY KEY (stage, post_id)
    );
    INSERT INTO text_pending (post_id, stage, ticket)
    SELECT p.id, s.stage, 0 FROM posts p
    CROSS JOIN (SELECT 'copy' AS stage UNION ALL SELECT 'semantic' AS stage) s
    LEFT JOIN text_traced t ON t.post_id = p.id AND t.stage = s.stage
    WHERE t.post_id IS NULL OR t.content_hash != p.content_hash
       OR t.articles_seen < (SELECT coalesce(max(id), 0) FROM articles);
    DROP TABLE text_traced;
    """,
    # 13: the story of each unlinked post that reports one event with other unlinked posts
    """
    CREATE TABLE post_stories (
        post_id  INTEGER PRIMARY KEY REFERENCES posts (id),
        story    TEXT NOT NULL
    );
    CREATE INDEX post_stories_story ON post_stories (story);
    """,
]


_INTEGER_KEY = re.compile(r"^(\s*id\s+)INTEGER PRIMARY KEY", re.MULTILINE)
_TYPES = {r"\bINTEGER\b": "BIGINT", r"\bREAL\b": "DOUBLE PRECISION", r"\bBLOB\b": "BYTEA"}


def for_dialect(migration: Migration, dialect: str) -> str:
    """The migration's SQL for one backend; on PostgreSQL an `id INTEGER PRIMARY KEY` becomes an
    identity column (SQLite's rowid alias does the same) and the other types their equivalents."""
    if isinstance(migration, dict):
        script = migration[dialect]
    else:
        script = migration
    if dialect != "postgresql":
        return script
    script = _INTEGER_KEY.sub(r"\1BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY", script)
    for pattern, replacement in _TYPES.items():
        script = re.sub(pattern, replacement, script)
    return script
