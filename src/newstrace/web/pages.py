"""The web UI: story list, story with its timeline, dossier, trace and search pages, rendered on
the server from the same library calls as the API. Every collected text is untrusted: the
templates escape everything, and links leave the page only for http(s) URLs."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from newstrace import __version__, config
from newstrace.errors import NewstraceError
from newstrace.match.lookup import search, shared_embedder
from newstrace.report.dossier import build_dossier, find_article
from newstrace.stories.report import list_stories, story_record
from newstrace.web.api import StateDep, StoreDep, TraceRequest, parse_day, run_trace
from newstrace.web.timeline import timeline_svg

router = APIRouter(include_in_schema=False)


def safe_href(url: str | None) -> str:
    """The URL when it is http(s); anything else (javascript:, data:) becomes a dead link."""
    return url if url and urlsplit(url).scheme in {"http", "https"} else "#"


def lag(seconds: float | None) -> str:
    if seconds is None:
        return "lag unknown"
    sign, seconds = ("-" if seconds < 0 else "+"), abs(int(seconds))
    days, rest = divmod(seconds, 86400)
    return f"{sign}{days}d{rest // 3600:02d}h" if days else f"{sign}{rest // 3600}h{rest % 3600 // 60:02d}m"


def when(value: str | None) -> str:
    return value.replace("T", " ").removesuffix("Z") + " UTC" if value else "undated"


def story_title(story: dict[str, Any]) -> str:
    return next(iter(story["titles"].values()), "(untitled)")


_ENV = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                   autoescape=select_autoescape(default=True, default_for_string=True))
_ENV.filters.update(href=safe_href, lag=lag, when=when, story_title=story_title)
_ENV.globals.update(version=__version__)


def render(name: str, code: int = 200, **context: Any) -> HTMLResponse:
    return HTMLResponse(_ENV.get_template(name).render(**context), status_code=code)


def error_page(request: Request, status: int, message: str) -> Response:
    return render("error.html", status, status=status, message=message, page="")


@router.get("/", response_class=HTMLResponse)
def stories_page(store: StoreDep, since: str | None = None, until: str | None = None,
                 lang: str | None = None, category: str | None = None,
                 page: Annotated[int, Query(ge=1)] = 1) -> HTMLResponse:
    found = list_stories(store, since=parse_day(since, "since"), until=parse_day(until, "until", end=True),
                         language=lang or None, category=category or None)
    filters = {"since": since or "", "until": until or "", "lang": lang or "", "category": category or ""}
    start = (page - 1) * config.STORIES_PAGE
    pages = max(1, -(-len(found) // config.STORIES_PAGE))
    link = {name: value for name, value in filters.items() if value}
    return render("stories.html", page="stories", stories=found[start:start + config.STORIES_PAGE],
                  total=len(found), first=start + 1, filters=filters, number=page, pages=pages,
                  previous=urlencode({**link, "page": page - 1}) if page > 1 else None,
                  next=urlencode({**link, "page": page + 1}) if page < pages else None)


@router.get("/stories/{story_id}", response_class=HTMLResponse)
def story_page(story_id: str, store: StoreDep) -> HTMLResponse:
    record = story_record(store, story_id, shared_embedder)
    return render("story.html", page="stories", story=record, timeline=timeline_svg(record["items"]))


@router.get("/dossier", response_class=HTMLResponse)
def dossier_page(store: StoreDep, target: str) -> HTMLResponse:
    article_id, _ = find_article(store, target)
    dossier = build_dossier(store, article_id, shared_embedder)
    placed: dict[int, list[dict[str, Any]]] = {}
    for relay in dossier["relays"]:
        placed.setdefault(relay["paragraph"], []).append(relay)
    return render("dossier.html", page="dossier", dossier=dossier, placed=placed)


@router.get("/trace", response_class=HTMLResponse)
def trace_form(url: str | None = None) -> HTMLResponse:
    return render("trace.html", page="trace", form={"text": "", "url": url or "", "posted_at": ""}, result=None)


@router.post("/trace", response_class=HTMLResponse)
def trace_page(store: StoreDep, state: StateDep, text: Annotated[str, Form()] = "", url: Annotated[str, Form()] = "",
               posted_at: Annotated[str, Form()] = "") -> HTMLResponse:
    form = {"text": text, "url": url, "posted_at": posted_at}
    try:
        moment = datetime.fromisoformat(posted_at) if posted_at else None
        result = run_trace(store, state, TraceRequest(text=text or None, url=url or None, posted_at=moment))
    except (NewstraceError, ValueError) as error:
        return render("trace.html", 400, page="trace", form=form, result=None, error=str(error))
    return render("trace.html", page="trace", form=form, result=result)


@router.get("/search", response_class=HTMLResponse)
def search_page(store: StoreDep, q: str = "", mode: str = "text") -> HTMLResponse:
    found = search(store, q, semantic=mode == "semantic") if q.strip() else None
    return render("search.html", page="search", q=q, mode=mode, found=found)
