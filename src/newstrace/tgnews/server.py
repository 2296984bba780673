"""The contest's server mode over HTTP/1.1 (keep-alive by uvicorn), its index in a newstrace store.

    PUT /<file>.html      page bytes, Cache-Control: max-age=N  -> 201 new, 204 updated
    DELETE /<file>.html                                         -> 204, or 404 when not indexed
    GET /threads?period=N&lang_code=en&category=any             -> {"threads": [...]}

The store is one SQLite connection, so every request's work runs on one worker thread, in
arrival order; the event loop only waits for it.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import uvicorn
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from newstrace.errors import InputError
from newstrace.store.core import open_store
from newstrace.tgnews.index import Index

_MAX_AGE = re.compile(r"(?:^|[,\s])max-age\s*=\s*\"?(\d+)\"?", re.I)
T = TypeVar("T")


def max_age(cache_control: str | None) -> int | None:
    """Seconds of a Cache-Control max-age; None when the header names none (kept until deleted)."""
    found = _MAX_AGE.search(cache_control or "")
    if cache_control and "max-age" in cache_control.lower() and found is None:
        raise InputError("Cache-Control", f"unreadable max-age in {cache_control!r}")
    return int(found.group(1)) if found else None


def _bad(error: InputError) -> JSONResponse:
    return JSONResponse({"error": str(error)}, status_code=400)


def create_app(db: str) -> FastAPI:
    """The app over the index in store `db` (opened, and created if needed, now: a bad path is
    reported before the server starts)."""
    worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tgnews-index")
    try:
        index = worker.submit(lambda: Index(open_store(db))).result()
    except BaseException:
        worker.shutdown()
        raise

    async def run(work: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(worker, work, *args)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        await run(index.store.close)
        worker.shutdown()

    app = FastAPI(title="newstrace tgnews", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)

    @app.get("/threads")
    async def get_threads(period: str = "", lang_code: str = "", category: str = "any") -> Response:
        if not period.isdigit():
            return _bad(InputError("period", f"{period!r} is not a number of seconds"))
        try:
            threads = await run(lambda: index.threads(period=int(period), language=lang_code, category=category))
        except InputError as error:
            return _bad(error)
        return JSONResponse({"threads": threads})

    @app.put("/{name}")
    async def put(name: str, request: Request) -> Response:
        body = await request.body()
        try:
            new = await run(index.put, name, body, max_age(request.headers.get("cache-control")))
        except InputError as error:
            return _bad(error)
        return Response(status_code=201 if new else 204)

    @app.delete("/{name}")
    async def delete(name: str) -> Response:
        return Response(status_code=204 if await run(index.delete, name) else 404)

    return app


def serve(db: str, host: str, port: int) -> None:
    """Run the server until interrupted."""
    uvicorn.run(create_app(db), host=host, port=port, log_level="warning")
