"""`newstrace serve`: the JSON API under /api and the web UI beside it, one FastAPI app.

Errors are answered as `{"error": message}` with the status that fits (400 bad input, 401/403
token, 404 unknown, 422 malformed request), and as an error page for the UI's own pages.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.exceptions import HTTPException as StarletteHTTPException

from newstrace import __version__, config
from newstrace.errors import FetchError, NewstraceError, NotFoundError
from newstrace.match.lookup import shared_embedder
from newstrace.match.near_copy import paragraph_index
from newstrace.match.semantic import load_pool
from newstrace.report.stats import stats
from newstrace.store.core import Store
from newstrace.web import api, pages
from newstrace.web.metrics import exposition
from newstrace.web.state import AppState

_STATIC = Path(__file__).parent / "static"


def _status(error: NewstraceError) -> int:
    """404 when what was asked for is not in the store, 502 when a page could not be fetched,
    400 for any other bad input."""
    if isinstance(error, NotFoundError):
        return 404
    return 502 if isinstance(error, FetchError) else 400


def _answer(request: Request, status: int, message: str) -> Response:
    if request.url.path.startswith("/api") or request.url.path == "/openapi.json":
        return JSONResponse({"error": message}, status_code=status)
    return pages.error_page(request, status, message)


def create_app(db: str, *, token: str | None = None, allow_private: bool = False, fetch_posts: bool = True,
               telegram_base_url: str = config.TELEGRAM_BASE_URL) -> FastAPI:
    """The app over the store at `db`; ingest needs `token` (disabled when None); a post traced
    by a URL the store lacks is fetched from telegram_base_url unless fetch_posts is off."""
    app = FastAPI(title="newstrace", version=__version__, docs_url=None, redoc_url=None,
                  description="Where did this Telegram post come from? Trace posts to the articles "
                              "they relay, read dossiers and stories. Ingest endpoints need "
                              "`Authorization: Bearer <token>`.")
    app.state.newstrace = AppState(db=db, token=token, allow_private=allow_private, fetch_posts=fetch_posts,
                                   telegram_base_url=telegram_base_url)

    @app.exception_handler(NewstraceError)
    def bad_input(request: Request, error: NewstraceError) -> Response:
        return _answer(request, _status(error), str(error))

    @app.exception_handler(StarletteHTTPException)
    def http_error(request: Request, error: StarletteHTTPException) -> Response:
        return _answer(request, error.status_code, str(error.detail))

    @app.exception_handler(RequestValidationError)
    def malformed(request: Request, error: RequestValidationError) -> Response:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors())
        return _answer(request, 422, problems)

    @app.exception_handler(Exception)
    def internal(request: Request, error: Exception) -> Response:
        return _answer(request, 500, f"internal error ({type(error).__name__}); the server log has the details")

    @app.get("/metrics", include_in_schema=False)
    def metrics() -> Response:
        with app.state.newstrace.store() as store:
            return Response(exposition(stats(store)), media_type=CONTENT_TYPE_LATEST)

    app.include_router(api.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=_STATIC), name="static")
    return app


def warm_up(db: str) -> None:
    """Load the model, the article pool and the near-copy index before the first request needs
    them (at 20,000 articles that first request would otherwise wait about a minute)."""
    with Store(db, any_thread=True) as store:
        embedder = shared_embedder()
        load_pool(store, embedder)
        paragraph_index(store)


def serve(db: str, *, host: str = config.SERVE_HOST, port: int = config.SERVE_PORT, **options: Any) -> None:
    """Run the server until interrupted, warming its caches in the background; options as
    create_app's."""
    threading.Thread(target=warm_up, args=(db,), daemon=True, name="newstrace-warm-up").start()
    uvicorn.run(create_app(db, **options), host=host, port=port,
                log_level="info", access_log=False)
