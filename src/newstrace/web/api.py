"""The JSON API: trace, dossier, stories, search, and token-guarded ingest. Each endpoint is a
thin shell over the library function the CLI verb of the same name calls."""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request
from pydantic import BaseModel, Field

from newstrace import config, ingest
from newstrace.collect.http import Fetcher
from newstrace.errors import InputError
from newstrace.extract.urls import tme_post
from newstrace.match.cascade import trace
from newstrace.match.lookup import search, shared_embedder, trace_post, trace_text
from newstrace.report.dossier import build_dossier, find_article
from newstrace.report.stats import stats
from newstrace.store.core import Store
from newstrace.stories.report import list_stories, story_record
from newstrace.web.state import AppState

router = APIRouter(prefix="/api")
_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "Bad input: `{\"error\": message}` naming the input and the problem"},
    404: {"description": "Not in the store: `{\"error\": message}`"},
}


def app_state(request: Request) -> AppState:
    return request.app.state.newstrace


def store(state: Annotated[AppState, Depends(app_state)]) -> Iterator[Store]:
    with state.store() as held:
        yield held


StoreDep = Annotated[Store, Depends(store)]
StateDep = Annotated[AppState, Depends(app_state)]


def require_token(state: StateDep, authorization: Annotated[str | None, Header()] = None) -> None:
    """Ingest writes to the store: only with `Authorization: Bearer <token>`, and never when
    the server was started without a token."""
    if not state.token:
        raise HTTPException(403, "ingest is disabled: start the server with --token or "
                                 f"{config.TOKEN_ENV} set")
    given = (authorization or "").removeprefix("Bearer ").strip()
    if not hmac.compare_digest(given.encode(), state.token.encode()):
        raise HTTPException(401, "a valid `Authorization: Bearer <token>` header is required")


class TraceRequest(BaseModel):
    text: str | None = Field(None, description="The post's text, pasted")
    url: str | None = Field(None, description="Or the post's t.me URL, for a post in the store")
    posted_at: datetime | None = Field(None, description="When the text was posted (narrows candidates)")
    semantic: bool = Field(True, description="Also match by meaning (slower than URL and copy checks)")


class PostIn(BaseModel):
    channel: str = Field(..., description="Channel username")
    message_id: int = Field(..., ge=1)
    text: str
    posted_at: datetime | None = None


class ArticleIn(BaseModel):
    url: str = Field(..., description="The article's URL; fetched unless html is given")
    html: str | None = Field(None, description="The page's HTML, when the server should not fetch it")


def run_trace(store: Store, state: AppState, body: TraceRequest) -> dict[str, Any]:
    if body.url:
        if store.post(*(tme_post(body.url) or ("", 0))) is None and state.fetch_posts:
            with state.write_lock, Fetcher(allow_private=state.allow_private) as fetcher:
                return trace_post(store, body.url, fetcher=fetcher, base_url=state.telegram_base_url,
                                  embedder=shared_embedder())
        return trace_post(store, body.url)
    return trace_text(store, body.text or "", posted_at=body.posted_at, semantic=body.semantic)


@router.post("/trace", responses=_ERRORS, summary="Find the source of a post")
def trace_endpoint(body: TraceRequest, store: StoreDep, state: StateDep) -> dict[str, Any]:
    """The source of a pasted text (by URL, near-verbatim copy, then meaning) or what the store
    decided for a post given by its t.me URL (a post the store lacks is read from its channel's
    web preview, stored and traced, when the server fetches posts): the article, stage,
    calibrated score, evidence, credit, lag and the paragraph relayed. A pasted text is not
    stored."""
    return run_trace(store, state, body)


@router.get("/trace", responses=_ERRORS, summary="Find the source of a post (query string)")
def trace_get(store: StoreDep, state: StateDep, url: str | None = None, text: str | None = None,
              posted_at: datetime | None = None, semantic: bool = True) -> dict[str, Any]:
    """As POST /api/trace, for links and short texts."""
    return run_trace(store, state, TraceRequest(url=url, text=text, posted_at=posted_at, semantic=semantic))


@router.get("/dossier", responses=_ERRORS, summary="An article's dossier")
def dossier_endpoint(store: StoreDep,
                     target: Annotated[str, Query(description="An article URL, a t.me post URL or an article id")]
                     ) -> dict[str, Any]:
    """The article's text, each relay with its time, lag, credit and paragraph, flags."""
    article_id, _ = find_article(store, target)
    return build_dossier(store, article_id, shared_embedder)


def parse_day(value: str | None, name: str, *, end: bool = False) -> datetime | None:
    """A filter's date or time; a bare date given as the end of a period covers its whole day."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InputError(name, f"{value!r} is not a date (YYYY-MM-DD or ISO 8601)") from None
    return moment + timedelta(days=1, seconds=-1) if end and len(value) == 10 else moment


@router.get("/stories", responses=_ERRORS, summary="Stories, most important first")
def stories_endpoint(store: StoreDep, since: str | None = None, until: str | None = None,
                     lang: str | None = None, category: str | None = None,
                     limit: Annotated[int, Query(ge=1, le=1000)] = config.STORIES_PAGE) -> dict[str, Any]:
    """Stories with an item in [since, until] (UTC), an article in `lang`, of `category`."""
    found = list_stories(store, since=parse_day(since, "since"), until=parse_day(until, "until", end=True), language=lang,
                         category=category)
    return {"count": len(found), "stories": found[:limit]}


@router.get("/stories/{story_id}", responses=_ERRORS, summary="One story with its timeline")
def story_endpoint(story_id: str, store: StoreDep) -> dict[str, Any]:
    """Every article and relay of the story in time order, the timeline per day, hour and
    source, and related stories (same actors, other events)."""
    return story_record(store, story_id, shared_embedder)


@router.get("/search", responses=_ERRORS, summary="Search articles and posts")
def search_endpoint(store: StoreDep, q: str,
                    mode: Annotated[str, Query(pattern="^(text|semantic)$")] = "text",
                    limit: Annotated[int, Query(ge=1, le=200)] = config.SEARCH_LIMIT) -> dict[str, Any]:
    """Full text (every word, any order) over articles and posts, or articles nearest in meaning."""
    return search(store, q, semantic=mode == "semantic", limit=limit)


@router.get("/health", summary="What the store holds and how the watched sources are doing")
def health(store: StoreDep) -> dict[str, Any]:
    """As `newstrace stats --format json`: counts, links by stage, stories, alerts, each watched
    source's schedule and errors, and the newest post per channel."""
    return {"status": "ok", **stats(store)}


def _ingested(result: ingest.IngestResult, store: Store) -> dict[str, Any]:
    if result.nothing_done:
        raise result.errors[0]
    report = trace(store, embedder=shared_embedder())
    return {"posts": vars(result.posts), "articles": vars(result.articles),
            "errors": [str(error) for error in result.errors], "links": str(report)}


@router.post("/ingest/post", status_code=201, dependencies=[Depends(require_token)],
             responses={**_ERRORS, 401: {"description": "No or wrong token"}}, summary="Add a post")
def ingest_post(body: PostIn, store: StoreDep, state: StateDep) -> dict[str, Any]:
    """Store one channel post (its bare URLs become links) and trace it."""
    with state.write_lock:
        return _ingested(ingest.add_post_text(store, body.channel, body.message_id, body.text,
                                              posted_at=body.posted_at), store)


@router.post("/ingest/article", status_code=201, dependencies=[Depends(require_token)],
             responses={**_ERRORS, 401: {"description": "No or wrong token"}}, summary="Add an article")
def ingest_article(body: ArticleIn, store: StoreDep, state: StateDep) -> dict[str, Any]:
    """Fetch (or take the given HTML of) an article page, extract it, store it and trace."""
    with state.write_lock:
        if body.html is not None:
            result = ingest.add_article_html(store, body.html.encode(), url=body.url)
        else:
            result = ingest.collect_urls(store, [body.url], fetcher=Fetcher(allow_private=state.allow_private))
        return _ingested(result, store)
