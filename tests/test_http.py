"""Fetcher against a real server on 127.0.0.1: politeness, retries, limits and the SSRF guard."""

from __future__ import annotations

import time

import pytest

from newstrace import config
from newstrace.collect.http import Fetcher
from newstrace.errors import FetchError


def fast(**kwargs) -> Fetcher:
    """A Fetcher allowed onto loopback, without politeness pauses or long backoff."""
    options = {"delay": 0.0, "backoff": 0.01, "allow_private": True, "timeout": 5.0}
    return Fetcher(**{**options, **kwargs})


def test_get_returns_body_type_charset_and_sends_user_agent(http_server):
    url = http_server.route(
        "/page?id=1", "Привет".encode("cp1251"), content_type="text/html; charset=windows-1251"
    )
    with fast() as fetcher:
        response = fetcher.get(url)
    assert response.status == 200
    assert response.url == url
    assert response.content == "Привет".encode("cp1251")
    assert response.content_type == "text/html"
    assert response.encoding == "windows-1251"
    assert response.text == "Привет"
    assert http_server.requests[0].headers["user-agent"] == config.USER_AGENT


def test_requests_to_one_host_are_spaced_by_delay(http_server):
    url = http_server.route("/a", "x")
    with fast(delay=0.3) as fetcher:
        fetcher.get(url)
        fetcher.get(url)
    first, second = http_server.requests
    assert second.time - first.time >= 0.29


def test_retries_503_then_succeeds(http_server):
    http_server.routes["/flaky"] = [(503, {}, b"busy"), (503, {}, b"busy"), (200, {}, b"done")]
    with fast() as fetcher:
        response = fetcher.get(http_server.url_for("/flaky"))
    assert response.content == b"done"
    assert http_server.paths() == ["/flaky"] * 3


def test_gives_up_after_retries_with_clear_problem(http_server):
    http_server.route("/down", "no", status=500)
    with fast(retries=2) as fetcher, pytest.raises(FetchError) as err:
        fetcher.get(http_server.url_for("/down"))
    assert err.value.problem == "HTTP 500 Internal Server Error after 2 retries"
    assert len(http_server.requests) == 3


def test_429_waits_for_retry_after(http_server):
    http_server.routes["/limited"] = [(429, {"Retry-After": "1"}, b""), (200, {}, b"ok")]
    started = time.monotonic()
    with fast() as fetcher:
        assert fetcher.get(http_server.url_for("/limited")).content == b"ok"
    assert time.monotonic() - started >= 0.95
    assert http_server.requests[1].time - http_server.requests[0].time >= 0.95


def test_retry_after_is_capped(http_server):
    http_server.routes["/limited"] = [(429, {"Retry-After": "3600"}, b""), (200, {}, b"ok")]
    started = time.monotonic()
    with fast(backoff_max=0.2) as fetcher:
        assert fetcher.get(http_server.url_for("/limited")).content == b"ok"
    assert 0.15 <= time.monotonic() - started < 5


@pytest.mark.parametrize("status, reason", [(404, "Not Found"), (410, "Gone")])
def test_404_and_410_fail_without_retry(http_server, status, reason):
    http_server.route("/gone", "", status=status)
    with fast() as fetcher, pytest.raises(FetchError) as err:
        fetcher.get(http_server.url_for("/gone"))
    assert err.value.problem == f"HTTP {status} {reason}"
    assert err.value.source == http_server.url_for("/gone")
    assert len(http_server.requests) == 1


def test_timeout_is_retried_then_reported(http_server):
    def slow(request):
        time.sleep(0.6)
        return 200, {}, b"late"

    http_server.routes["/slow"] = slow
    with fast(timeout=0.2, retries=1) as fetcher, pytest.raises(FetchError) as err:
        fetcher.get(http_server.url_for("/slow"))
    assert err.value.problem.startswith("timed out")
    assert len(http_server.requests) == 2


def test_connection_refused_is_a_fetch_error():
    with fast(retries=0) as fetcher, pytest.raises(FetchError) as err:
        fetcher.get("http://127.0.0.1:1/")
    assert err.value.problem.startswith("connection failed")


def test_follows_redirects_and_reports_final_url(http_server):
    http_server.route("/old", "", status=301, headers={"Location": "/mid"})
    http_server.route("/mid", "", status=302, headers={"Location": http_server.url_for("/new")})
    http_server.route("/new", "here")
    with fast() as fetcher:
        response = fetcher.get(http_server.url_for("/old"))
    assert response.url == http_server.url_for("/new")
    assert response.content == b"here"


def test_redirect_loop_stops(http_server):
    http_server.route("/loop", "", status=302, headers={"Location": "/loop"})
    with fast(max_redirects=3) as fetcher, pytest.raises(FetchError) as err:
        fetcher.get(http_server.url_for("/loop"))
    assert err.value.problem == "more than 3 redirects"
    assert len(http_server.requests) == 4


def test_loopback_refused_without_allow_private(http_server, monkeypatch):
    monkeypatch.delenv(config.ALLOW_PRIVATE_ENV, raising=False)
    url = http_server.route("/secret", "s")
    with Fetcher(delay=0) as fetcher, pytest.raises(FetchError) as err:
        fetcher.get(url)
    assert "loopback" in err.value.problem
    assert http_server.requests == []


def test_allow_private_fixture_opens_loopback(http_server, allow_private):
    url = http_server.route("/ok", "fine")
    with Fetcher(delay=0) as fetcher:
        assert fetcher.get(url).content == b"fine"


def test_redirect_to_private_address_is_refused(http_server):
    http_server.route(
        "/jump", "", status=302, headers={"Location": "http://169.254.169.254/latest/meta-data/"}
    )
    with Fetcher(delay=0, allow_private=False, allow_hosts=["127.0.0.1"]) as fetcher:
        with pytest.raises(FetchError) as err:
            fetcher.get(http_server.url_for("/jump"))
    assert "link-local address 169.254.169.254" in err.value.problem
    assert http_server.paths() == ["/jump"]


@pytest.mark.parametrize("target, kind, address", [
    ("http://10.0.0.1/admin", "private", "10.0.0.1"),
    ("http://169.254.169.254/latest/meta-data/", "link-local", "169.254.169.254"),
    ("http://[::1]:8080/", "loopback", "::1"),
    ("http://[::ffff:10.0.0.1]/", "private", "::ffff:a00:1"),    # IPv4-mapped 10.0.0.1
    ("http://2130706433/", "loopback", "127.0.0.1"),           # 127.0.0.1 written as one number
])
def test_redirect_to_each_kind_of_private_address_is_refused_naming_it(http_server, target, kind, address):
    """The first hop (loopback) is allowed by name; the hop it redirects to is checked again."""
    http_server.route("/jump", "", status=302, headers={"Location": target})
    with Fetcher(delay=0, allow_private=False, allow_hosts=["127.0.0.1"]) as fetcher:
        with pytest.raises(FetchError) as err:
            fetcher.get(http_server.url_for("/jump"))
    assert err.value.source == http_server.url_for("/jump")
    assert err.value.problem.startswith(f"refused: redirect to {target} ")
    assert f"{kind} address {address}" in err.value.problem
    assert http_server.paths() == ["/jump"]


def test_redirect_to_localhost_name_is_refused(http_server):
    port = http_server.url.rsplit(":", 1)[1]
    http_server.route("/jump", "", status=302, headers={"Location": f"http://localhost:{port}/x"})
    with Fetcher(delay=0, allow_private=False, allow_hosts=["127.0.0.1"]) as fetcher:
        with pytest.raises(FetchError, match="loopback"):
            fetcher.get(http_server.url_for("/jump"))


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.org/x", "gopher://a/b"])
def test_only_http_and_https(url):
    with fast() as fetcher, pytest.raises(FetchError, match="only http and https"):
        fetcher.get(url)


def test_redirect_to_file_scheme_is_refused(http_server):
    http_server.route("/jump", "", status=302, headers={"Location": "file:///etc/passwd"})
    with fast() as fetcher, pytest.raises(FetchError, match="only http and https"):
        fetcher.get(http_server.url_for("/jump"))


def test_oversized_response_refused_by_content_length(http_server):
    http_server.route("/big", b"x" * 5000)
    with fast(max_bytes=1000) as fetcher, pytest.raises(FetchError) as err:
        fetcher.get(http_server.url_for("/big"))
    assert err.value.problem == "response larger than 1000 bytes"


def test_oversized_streamed_response_refused(http_server):
    http_server.route("/big", b"x" * 50_000, headers={"Content-Length": None})
    with fast(max_bytes=1000) as fetcher, pytest.raises(FetchError) as err:
        fetcher.get(http_server.url_for("/big"))
    assert err.value.problem == "response larger than 1000 bytes"


def test_response_at_the_cap_is_accepted(http_server):
    http_server.route("/exact", b"y" * 1000, headers={"Content-Length": None})
    with fast(max_bytes=1000) as fetcher:
        assert len(fetcher.get(http_server.url_for("/exact")).content) == 1000


def test_unresolvable_host_is_a_fetch_error():
    with Fetcher(delay=0, allow_private=False) as fetcher, pytest.raises(FetchError) as err:
        fetcher.get("https://no-such-host.invalid/page")
    assert "cannot resolve host" in err.value.problem
