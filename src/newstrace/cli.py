"""The `newstrace` command: every verb is a thin shell over one library function.

Errors that come from input (files, URLs, channels) are printed as one line naming the input;
the exit code is 1 when nothing could be done.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import click

from newstrace import __version__, config, ingest
from newstrace.backfill import ENGINES, KINDS, backfill
from newstrace.collect.http import Fetcher
from newstrace.demo import run_demo
from newstrace.errors import NewstraceError
from newstrace.evaluate import run_eval
from newstrace.match.cascade import trace
from newstrace.match.embed import get_embedder
from newstrace.report.dossier import build_dossier, find_article, render_text
from newstrace.report.export import ROW_FORMATS, export_dossiers, export_dossiers_jsonl, export_relays, export_stories
from newstrace.report.network import export_network
from newstrace.store.core import Store, open_store
from newstrace.stories.category import CATEGORIES
from newstrace.stories.report import list_stories, render_stories, render_story, story_record


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)


def _report(result: ingest.IngestResult) -> None:
    for error in result.errors:
        _fail(str(error))
    click.echo(result.summary(), err=True)
    if result.nothing_done:
        sys.exit(1)


@contextmanager
def _progress(total: int | None, label: str) -> Iterator[Callable[[int], None]]:
    """A progress bar on stderr when it is a terminal; silent otherwise."""
    if not sys.stderr.isatty():
        yield lambda n: None
        return
    with click.progressbar(length=total, label=label, file=sys.stderr) as bar:
        yield bar.update


def _store(ctx: click.Context) -> Store:
    """The store named by --db, opened on first use so that --help never creates one."""
    root = ctx.find_root()
    if "store" not in root.obj:
        root.obj["store"] = root.with_resource(open_store(root.obj["db"]))
    return root.obj["store"]


def _fetcher(allow_private: bool, delay: float | None) -> Fetcher:
    kwargs: dict[str, Any] = {}
    if allow_private:
        kwargs["allow_private"] = True
    if delay is not None:
        kwargs["delay"] = delay
    return Fetcher(**kwargs)


fetch_options = [
    click.option("--allow-private", is_flag=True,
                 help="Allow fetching from private and loopback addresses (tests, intranets)."),
    click.option("--delay", type=float, default=None,
                 help=f"Seconds between two requests to one host (default {config.HOST_DELAY_S})."),
]


def with_fetch_options(command: Callable) -> Callable:
    for option in reversed(fetch_options):
        command = option(command)
    return command


class _Commands(click.Group):
    """Every command's bad input is one line naming it, never a traceback: a user file read deep
    inside a step (the outlets, the event kinds) fails the same way as the command's own input."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except NewstraceError as error:
            _fail(str(error))
            sys.exit(1)


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", envvar=config.DB_ENV, default=config.DEFAULT_DB, show_default=True,
              help=f"The store: a SQLite file, or postgresql://user:password@host/db for a store shared "
                   f"by a team (or ${config.DB_ENV}).")
@click.version_option(__version__, prog_name="newstrace")
@click.pass_context
def main(ctx: click.Context, db: str) -> None:
    """Trace Telegram posts to the articles they relay and keep a dossier per article."""
    ctx.ensure_object(dict)
    ctx.obj["db"] = db


@main.group()
def collect() -> None:
    """Fetch posts and articles from the web."""


@collect.command("telegram")
@click.argument("channel")
@click.option("--since", type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]), default=None,
              help="Stop at posts older than this (UTC).")
@click.option("--limit", type=int, default=None, help="Fetch at most this many posts.")
@click.option("--base-url", default=config.TELEGRAM_BASE_URL, show_default=True,
              help="Where the web preview lives (tests point it at a loopback server).")
@with_fetch_options
@click.pass_context
def collect_telegram(ctx: click.Context, channel: str, since: datetime | None, limit: int | None,
                     base_url: str, allow_private: bool, delay: float | None) -> None:
    """Read a public channel through its web preview (t.me/s/CHANNEL), newest first."""
    since_utc = since.replace(tzinfo=timezone.utc) if since else None
    with _fetcher(allow_private, delay) as fetcher, _progress(limit, f"t.me/s/{channel}") as tick:
        result = ingest.collect_telegram(_store(ctx), channel, fetcher=fetcher, since=since_utc,
                                         limit=limit, base_url=base_url, progress=tick)
    _report(result)


@collect.command("url")
@click.argument("urls", nargs=-1, required=True)
@with_fetch_options
@click.pass_context
def collect_url(ctx: click.Context, urls: tuple[str, ...], allow_private: bool, delay: float | None) -> None:
    """Fetch article pages and extract them."""
    with _fetcher(allow_private, delay) as fetcher, _progress(len(urls), "articles") as tick:
        result = ingest.collect_urls(_store(ctx), urls, fetcher=fetcher, progress=tick)
    _report(result)


@collect.command("feed")
@click.argument("feed_url")
@click.option("--limit", type=int, default=None, help="Fetch at most this many of its articles.")
@with_fetch_options
@click.pass_context
def collect_feed(ctx: click.Context, feed_url: str, limit: int | None, allow_private: bool,
                 delay: float | None) -> None:
    """Fetch the articles an RSS/Atom feed or a sitemap lists."""
    with _fetcher(allow_private, delay) as fetcher:
        urls = ingest.list_feed(fetcher, feed_url)[:limit]
        with _progress(len(urls), "articles") as tick:
            result = ingest.collect_urls(_store(ctx), urls, fetcher=fetcher, progress=tick)
    _report(result)


@main.group("import")
def import_() -> None:
    """Read posts and articles from files."""


@import_.command("telegram-export")
@click.argument("files", nargs=-1, required=True)
@click.pass_context
def import_telegram_export(ctx: click.Context, files: tuple[str, ...]) -> None:
    """Telegram Desktop JSON exports (result.json)."""
    with _progress(len(files), "exports") as tick:
        _report(ingest.import_telegram_export(_store(ctx), files, progress=tick))


@import_.command("telegram-page")
@click.argument("files", nargs=-1, required=True)
@click.pass_context
def import_telegram_page(ctx: click.Context, files: tuple[str, ...]) -> None:
    """Saved channel preview pages (t.me/s/CHANNEL)."""
    with _progress(len(files), "pages") as tick:
        _report(ingest.import_telegram_page(_store(ctx), files, progress=tick))


@import_.command("telegram-json")
@click.argument("files", nargs=-1, required=True)
@click.option("--channel", default=None, help="Channel username for every message of these files.")
@click.pass_context
def import_telegram_json(ctx: click.Context, files: tuple[str, ...], channel: str | None) -> None:
    """JSON lists of Telethon-dumped messages (markdown text)."""
    with _progress(len(files), "files") as tick:
        _report(ingest.import_telegram_json(_store(ctx), files, channel=channel, progress=tick))


@import_.command("html")
@click.argument("file")
@click.option("--url", required=True, help="The URL the page was published at.")
@click.pass_context
def import_html(ctx: click.Context, file: str, url: str) -> None:
    """A saved article page."""
    _report(ingest.import_html(_store(ctx), file, url=url))


@import_.command("pdf")
@click.argument("files", nargs=-1, required=True)
@click.option("--url", default=None, help="The article's URL (default: read from the printed footer).")
@click.pass_context
def import_pdf(ctx: click.Context, files: tuple[str, ...], url: str | None) -> None:
    """Article pages printed to PDF."""
    with _progress(len(files), "pdfs") as tick:
        _report(ingest.import_pdf(_store(ctx), files, url=url, progress=tick))


@main.command("backfill")
@click.argument("inputs", nargs=-1, required=True)
@click.option("--engine", type=click.Choice(ENGINES), default="local", show_default=True,
              help="local: one process; ray: extraction and embedding as Ray Data batches on Ray workers.")
@click.option("--address", default=None,
              help="Ray cluster to use (HEAD:6379, after `ray start --head`); default: start a local Ray.")
@click.option("--workers", type=int, default=config.BACKFILL_WORKERS, show_default=True,
              help="Embedding actors on Ray (each loads the model once).")
@click.option("--worker-cpus", type=int, default=config.BACKFILL_WORKER_CPUS, show_default=True,
              help="CPUs and model threads per embedding actor.")
@click.option("--batch-size", type=int, default=config.BACKFILL_BATCH, show_default=True,
              help="Texts per Ray Data batch.")
@click.option("--kind", type=click.Choice(KINDS), default=None,
              help="What every input is (default: told from each path and its first row).")
@click.option("--semantic/--no-semantic", default=True, show_default=True,
              help="Also embed and match posts with no link or forward by their text.")
@click.pass_context
def backfill_command(ctx: click.Context, inputs: tuple[str, ...], engine: str, address: str | None, workers: int,
                     worker_cpus: int, batch_size: int, kind: str | None, semantic: bool) -> None:
    """Load and link an archive: Telegram exports (result.json), Telethon JSON dumps, JSONL of
    posts or of articles, folders of HTML pages. Only this process writes to the store."""
    result = backfill(_store(ctx), inputs, engine=engine, kind=kind, address=address, workers=workers,
                      worker_cpus=worker_cpus, batch_size=batch_size, semantic=semantic)
    _report(result)


@main.command()
@click.option("--semantic/--no-semantic", default=True, show_default=True,
              help="Also match posts with no link or forward by their text (embeddings and fact checks).")
@click.pass_context
def link(ctx: click.Context, semantic: bool) -> None:
    """Trace every post of the store to its source (or to none) with the whole cascade."""
    click.echo(f"links: {trace(_store(ctx), semantic=semantic)}", err=True)


@main.command()
@click.argument("target")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_context
def dossier(ctx: click.Context, target: str, fmt: str) -> None:
    """The dossier of an article, by its URL or by the t.me URL of a post relaying it."""
    store = _store(ctx)
    article_id, post = find_article(store, target)
    record = build_dossier(store, article_id, get_embedder)
    if fmt == "json":
        if post is not None:
            record["asked_for_post"] = f"https://t.me/{post['channel']}/{post['message_id']}"
        click.echo(json.dumps(record, ensure_ascii=False, indent=2))
    else:
        click.echo(render_text(record), nl=False)


@main.command()
@click.option("--since", type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]), default=None,
              help="Only stories with an item at or after this time (UTC).")
@click.option("--until", type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]), default=None,
              help="Only stories that began by this time (UTC; a bare date covers its whole day).")
@click.option("--lang", default=None, help="Only stories with an article in this language (ISO 639-1).")
@click.option("--category", type=click.Choice(CATEGORIES), default=None, help="Only stories of this category.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_context
def stories(ctx: click.Context, since: datetime | None, until: datetime | None, lang: str | None,
            category: str | None, fmt: str) -> None:
    """The stories (one event each, across languages) that `newstrace link` grouped, most
    important first (distinct outlets and channels, speed of spread, recency)."""
    if until and until.time() == datetime.min.time():
        until += timedelta(days=1, seconds=-1)
    found = list_stories(_store(ctx), since=since.replace(tzinfo=timezone.utc) if since else None,
                         until=until.replace(tzinfo=timezone.utc) if until else None, language=lang, category=category)
    if not found:
        click.echo("no stories match these filters" if since or until or lang or category else
                   "no stories yet: run `newstrace link` after collecting articles", err=True)
    if fmt == "json":
        click.echo(json.dumps(found, ensure_ascii=False, indent=2))
    else:
        click.echo(render_stories(found), nl=False)


@main.command()
@click.argument("story_id")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_context
def story(ctx: click.Context, story_id: str, fmt: str) -> None:
    """One story: its articles and relays in time order and a day-by-day timeline."""
    record = story_record(_store(ctx), story_id, get_embedder)
    if fmt == "json":
        click.echo(json.dumps(record, ensure_ascii=False, indent=2))
    else:
        click.echo(render_story(record), nl=False)


@main.group()
def export() -> None:
    """Write what the store holds to files."""


def _exported(out: str, write: Callable[[], str]) -> None:
    """Run one export and say on stderr what it wrote where; an unwritable path is one error line."""
    what = write()
    click.echo(f"{what} written to {'stdout' if out == '-' else out}", err=True)


row_format = click.option("--format", "fmt", type=click.Choice(ROW_FORMATS), default=None,
                          help="Default: csv when OUT ends in .csv, jsonl otherwise.")


@export.command("dossiers")
@click.argument("out")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "jsonl"]), default="text", show_default=True,
              help="text and json: one file per article in the directory OUT; jsonl: one dossier a line "
                   "in the file OUT (- for stdout).")
@click.option("--all", "include_unrelayed", is_flag=True, help="Also articles that no post relays.")
@click.pass_context
def export_dossiers_command(ctx: click.Context, out: str, fmt: str, include_unrelayed: bool) -> None:
    """The dossier of each source article, a file apiece or all in one JSONL file.

    Files are named NNN_<16 hex digits>.txt (or .json) like the reference dossier.
    """
    def write() -> str:
        if fmt == "jsonl":
            return f"{export_dossiers_jsonl(_store(ctx), out, include_unrelayed=include_unrelayed)} dossiers"
        return f"{len(export_dossiers(_store(ctx), Path(out), fmt=fmt, include_unrelayed=include_unrelayed))} dossiers"

    _exported(out, write)


@export.command("relays")
@click.argument("out")
@row_format
@click.pass_context
def export_relays_command(ctx: click.Context, out: str, fmt: str | None) -> None:
    """One row per relay, CSV or JSONL (- for stdout).

    Columns: the post, its channel and time, the source article, its outlet and time, the link's
    stage and score, whether and how the post credited the source, the channel it came through
    (a forward or a t.me mention), and the lag after the source in seconds.
    """
    _exported(out, lambda: f"{export_relays(_store(ctx), out, fmt)} relays")


@export.command("stories")
@click.argument("out")
@row_format
@click.pass_context
def export_stories_command(ctx: click.Context, out: str, fmt: str | None) -> None:
    """One row per story item, CSV or JSONL (- for stdout).

    A story's items are its articles and the posts relaying them; the widest stories come first.
    """
    _exported(out, lambda: f"{export_stories(_store(ctx), out, fmt)} story items")


@export.command("network")
@click.argument("out")
@click.pass_context
def export_network_command(ctx: click.Context, out: str) -> None:
    """The relay network as GEXF, for Gephi (- for stdout).

    Nodes are outlets and channels; edges run outlet -> channel, weighted by relays, and
    channel -> channel for relays that came through another channel's post, each with its
    credited and uncredited counts.
    """
    def write() -> str:
        graph = export_network(_store(ctx), out)
        return f"{graph.number_of_nodes()} nodes and {graph.number_of_edges()} edges"

    _exported(out, write)


@main.command()
@click.option("--host", default=config.SERVE_HOST, show_default=True,
              help="Address to listen on; anything but loopback exposes the store to the network.")
@click.option("--port", type=int, default=config.SERVE_PORT, show_default=True)
@click.option("--token", envvar=config.TOKEN_ENV, default=None,
              help=f"Bearer token the ingest endpoints require (or {config.TOKEN_ENV}); without one, ingest is off.")
@click.option("--allow-private", is_flag=True, help="Let the server fetch from private and loopback addresses.")
@click.option("--fetch-posts/--no-fetch-posts", default=True, show_default=True,
              help="Read a post traced by a t.me URL the store lacks from its channel's web preview.")
@click.option("--base-url", default=config.TELEGRAM_BASE_URL, show_default=True,
              help="Where the Telegram web preview lives.")
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, token: str | None, allow_private: bool, fetch_posts: bool,
          base_url: str) -> None:
    """The web UI and the JSON API (OpenAPI at /openapi.json) over the store."""
    from newstrace.web.app import serve as run_server

    db = _store(ctx).path
    click.echo(f"newstrace: serving {db} on http://{host}:{port}/ (Ctrl-C stops)", err=True)
    run_server(db, host=host, port=port, token=token, allow_private=allow_private, fetch_posts=fetch_posts,
               telegram_base_url=base_url)


@main.command("watch")
@click.argument("config_file", metavar="CONFIG")
@click.option("--once", is_flag=True, help="One pass over the sources that are due, then exit.")
@click.option("--max-cycles", type=click.IntRange(min=1), default=None, help="Exit after this many cycles.")
@click.option("--base-url", default=config.TELEGRAM_BASE_URL, show_default=True,
              help="Where the Telegram web preview lives (tests point it at a loopback server).")
@with_fetch_options
@click.pass_context
def watch_command(ctx: click.Context, config_file: str, once: bool, max_cycles: int | None, base_url: str,
                  allow_private: bool, delay: float | None) -> None:
    """Follow the channels, feeds and pages of a TOML watch list (see examples/watch.toml).

    Polls each source on its own schedule, traces what it brings and raises the list's alerts
    (to a JSON-lines file and a webhook, each once). Logs JSON lines on stderr. SIGTERM or Ctrl-C
    lets the item being fetched finish, then exits; the schedule is kept in the store, so the next
    run resumes where this one stopped.
    """
    from newstrace.watch.config import load_watch_config
    from newstrace.watch.daemon import run_watch

    try:
        watch_list = load_watch_config(config_file)
        with _fetcher(allow_private, delay) as fetcher:
            run_watch(_store(ctx), watch_list, fetcher=fetcher, base_url=base_url, once=once, max_cycles=max_cycles)
    except KeyboardInterrupt:
        _fail("interrupted")
        sys.exit(130)


@main.command("stats")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_context
def stats_command(ctx: click.Context, fmt: str) -> None:
    """Counts of posts, articles, links by stage and stories; the newest post of each channel; each
    watched source's schedule, errors and newest item."""
    from newstrace.report.stats import render_stats, stats

    record = stats(_store(ctx))
    if fmt == "json":
        click.echo(json.dumps(record, ensure_ascii=False, indent=2))
    else:
        click.echo(render_stats(record), nl=False)


@main.command("eval")
@click.option("--articles", required=True, help="articles.jsonl of a task folder (make_tasks.py).")
@click.option("--posts", required=True, help="posts.jsonl of the same task folder.")
@click.option("--predictions", required=True, help="Where to write the predictions for score.py.")
@click.option("--store", "store_path", default="newstrace-eval.db", show_default=True,
              help="The fresh store the evaluation builds (replaced on every run).")
@click.option("--embedding-cache", default=None, help="A store file whose cached vectors are reused and grown.")
@click.option("--no-semantic", is_flag=True, help="Only the URL and forward steps (an ablation).")
@click.option("--linker-model", default=None, help="Weights from tools/train_linker.py --out (ablations).")
@click.option("--stream", is_flag=True, help="Ingest and trace a day at a time, as a running service would.")
def eval_command(articles: str, posts: str, predictions: str, store_path: str,
                 embedding_cache: str | None, no_semantic: bool, linker_model: str | None, stream: bool) -> None:
    """Ingest an evaluation corpus into a fresh store, trace every post, write predictions."""
    report, seconds = run_eval(articles, posts, predictions, store_path=store_path,
                               semantic=not no_semantic, embedding_cache=embedding_cache,
                               linker_model=linker_model, stream=stream)
    timing = ", ".join(f"{name} {value:.1f}s" for name, value in seconds.items())
    click.echo(f"links: {report}; {timing}; predictions: {predictions}", err=True)


@main.command()
@click.option("--db", "demo_db", default="newstrace-demo.db", show_default=True,
              help="Where to build the demo store (replaced on every run).")
def demo(demo_db: str) -> None:
    """Build a fresh store from the bundled sample corpus and print a dossier."""
    click.echo(run_demo(demo_db, log=lambda line: click.echo(line, err=True)), nl=False)


@main.group()
def tgnews() -> None:
    """The Telegram Data Clustering Contest's interface: JSON answers for a folder of pages, and its server."""


def _tgnews_folder_command(name: str, summary: str) -> None:
    """One of the contest's folder commands; the pages go to a temporary store unless --db or
    $NEWSTRACE_DB names one (modules loaded on use: the server's are slow to import)."""

    @tgnews.command(name, help=f"{summary} Pages that cannot be read are reported on stderr and left out.")
    @click.argument("directory")
    @click.pass_context
    def command(ctx: click.Context, directory: str) -> None:
        from newstrace.tgnews.commands import answer, folder_store

        root = ctx.find_root()
        given = root.get_parameter_source("db") is not click.core.ParameterSource.DEFAULT
        with folder_store(root.obj["db"] if given else None) as store:
            result = answer(name, directory, store, lambda error: _fail(str(error)))
        click.echo(json.dumps(result, ensure_ascii=False, indent=2))


_tgnews_folder_command("languages", 'Files by language. The .html files below DIRECTORY as '
                       '[{"lang_code", "articles"}]: en and ru, then any other language found.')
_tgnews_folder_command("news", 'The files that are news. {"articles": [...]}: en and ru files that are dated, '
                       "of a news item's length, and not a how-to, list or advertisement.")
_tgnews_folder_command("categories", 'News files by category. [{"category", "articles"}] for society, economy, '
                       "technology, sports, entertainment, science and other.")
_tgnews_folder_command("threads", 'News grouped by event. [{"title", "articles"}]: one thread per event and '
                       "language, most important first, titled by its most representative article.")


@tgnews.command("server")
@click.argument("port", type=click.IntRange(1, 65535))
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (0.0.0.0: every interface).")
@click.pass_context
def tgnews_server(ctx: click.Context, port: int, host: str) -> None:
    """The contest's HTTP server, its index kept in the --db store.

    PUT /<file>.html (Cache-Control: max-age=N) answers 201 or 204, DELETE /<file>.html 204 or 404,
    GET /threads?period=&lang_code=&category= the threads. Give the index a store of its own
    (--db tgnews.db): it regroups the whole store when articles change."""
    from newstrace.tgnews.server import serve

    db = ctx.find_root().obj["db"]
    click.echo(f"tgnews: index in {db}, listening on http://{host}:{port}", err=True)
    serve(db, host, port)
