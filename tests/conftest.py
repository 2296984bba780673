"""Shared fixtures: a real HTTP server on 127.0.0.1 for every test that fetches."""

from __future__ import annotations

import threading
from contextlib import contextmanager
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


@pytest.fixture(autouse=True)
def no_shared_embedding_cache(monkeypatch):
    """Tests see only their own stores: no vectors from earlier runs on this machine."""
    monkeypatch.setenv("NEWSTRACE_EMBED_CACHE", "")

from newstrace import config

Body = bytes | str
Reply = tuple[int, dict[str, str | None], Body]


@dataclass
class RecordedRequest:
    """One request the server received: path includes the query string, headers lower-cased."""

    method: str
    path: str
    headers: dict[str, str]
    time: float


class TestServer:
    """Routes and request log of the running server (see the http_server fixture)."""

    __test__ = False

    def __init__(self, port: int) -> None:
        self.url = f"http://127.0.0.1:{port}"
        self.routes: dict[str, object] = {}
        self.requests: list[RecordedRequest] = []
        self._lock = threading.Lock()

    def route(
        self,
        path: str,
        body: Body = b"",
        status: int = 200,
        headers: dict[str, str | None] | None = None,
        content_type: str = "text/html; charset=utf-8",
    ) -> str:
        """Serve one fixed reply at path (with its query); returns the full URL."""
        self.routes[path] = (status, {"Content-Type": content_type, **(headers or {})}, body)
        return self.url + path

    def url_for(self, path: str) -> str:
        return self.url + path

    def paths(self) -> list[str]:
        """The paths requested so far, in order."""
        return [request.path for request in self.requests]

    def reply(self, request: RecordedRequest) -> Reply:
        with self._lock:
            self.requests.append(request)
            route = self.routes.get(request.path)
            if isinstance(route, list):
                route = route.pop(0) if len(route) > 1 else route[0]
        if route is None:
            return 404, {"Content-Type": "text/plain"}, b"no route"
        if callable(route):
            return route(request)
        return route


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        request = RecordedRequest(
            method="GET",
            path=self.path,
            headers={name.lower(): value for name, value in self.headers.items()},
            time=time.monotonic(),
        )
        status, headers, body = self.server.state.reply(request)
        data = body.encode("utf-8") if isinstance(body, str) else body
        headers = dict(headers)
        self.send_response(status)
        if "Content-Length" not in headers:
            headers["Content-Length"] = str(len(data))
        for name, value in headers.items():
            if value is not None:
                self.send_header(name, value)
        self.end_headers()
        try:
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        return


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    state: TestServer


@pytest.fixture
def http_server() -> Iterator[TestServer]:
    """A real ThreadingHTTPServer on 127.0.0.1 (random port), stopped after the test.

    API of the object it yields:
    - ``url``: "http://127.0.0.1:<port>"; ``url_for(path)`` joins a path to it.
    - ``route(path, body, status=200, headers=None, content_type="text/html; charset=utf-8")``
      serves a fixed reply at ``path`` and returns the full URL. ``path`` is matched exactly,
      query string included ("/s/chan?before=20" and "/s/chan" are two routes).
    - ``routes[path] = ...`` sets a route directly, as one of:
      a tuple ``(status, headers, body)``; a callable ``f(request) -> (status, headers, body)``
      (it runs in the server's thread, may sleep to simulate a slow server); or a list of either,
      served in turn, the last one repeating (e.g. ``[(503, {}, b""), (200, {}, b"ok")]``).
      body is bytes or str (UTF-8). Content-Length is added unless headers name it; a header
      whose value is None is not sent (``{"Content-Length": None}`` streams until close).
    - ``requests``: list of RecordedRequest(method, path, headers lower-cased, time=monotonic)
      in arrival order; ``paths()`` lists their paths. Unknown paths answer 404.
    Fetching from it needs ``Fetcher(allow_private=True)`` or the ``allow_private`` fixture.
    """
    server = _Server(("127.0.0.1", 0), _Handler)
    server.state = TestServer(server.server_address[1])
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.02}, name="http_server", daemon=True
    )
    thread.start()
    try:
        yield server.state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def allow_private(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let Fetcher reach loopback in this test only (sets NEWSTRACE_ALLOW_PRIVATE=1)."""
    monkeypatch.setenv(config.ALLOW_PRIVATE_ENV, "1")



@contextmanager
def running_app(app: object) -> Iterator[str]:
    """An ASGI app served by uvicorn on 127.0.0.1 (a free port) in a thread; yields its base URL."""
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[object]:
    """One throwaway PostgreSQL server for the whole run (tests/pgserver.py); the PostgreSQL half
    of the backend-parametrized tests skips only where PostgreSQL is not installed at all."""
    from pgserver import ThrowawayServer, _binaries

    if _binaries() is None:
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql)")
    server = ThrowawayServer()
    try:
        yield server
    finally:
        server.stop()


BACKENDS = ["sqlite", "postgresql"]


def db_for(backend: str, request: pytest.FixtureRequest, directory, name: str = "store.db") -> str:
    """A new store's --db value on a backend: a SQLite file in directory, or an empty PostgreSQL
    schema of the session's throwaway server."""
    if backend == "sqlite":
        return str(directory / name)
    return request.getfixturevalue("pg_server").new_database()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def new_db(backend: str, tmp_path, request: pytest.FixtureRequest):
    """Names stores for a test on each backend: new_db("s.db") is a SQLite file in tmp_path, or an
    empty PostgreSQL schema; the same name gives the same store again."""
    made: dict[str, str] = {}

    def named(name: str = "store.db") -> str:
        if name not in made:
            made[name] = db_for(backend, request, tmp_path, name)
        return made[name]
    return named
