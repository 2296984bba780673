"""URL keys: one string per article, whatever variant of its address a relay used.

courlan does the normalisation (case, ports, tracking parameters, query order); on top of it the
key drops what news sites serve the same page under: scheme, fragment, ``www.``/``m.``/``amp.``
hosts, AMP path suffixes and a trailing slash.
"""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from courlan import normalize_url

from newstrace import config

_TME_HOSTS = {"t.me", "telegram.me", "www.t.me", "www.telegram.me"}
_TME_POST = re.compile(r"^/(?:s/)?([A-Za-z][A-Za-z0-9_]{3,})/(\d+)/?$")
URL_IN_TEXT = re.compile(r"""(?:https?://|(?<![\w@/.])(?:t\.me|telegram\.me)/)[^\s<>"'«»\]\[)(]+""", re.I)


def url_key(url: str) -> str:
    """The comparison key of an article URL (not a URL to fetch)."""
    raw = url.strip()
    if "://" not in raw:
        raw = "https://" + raw
    try:
        normal = normalize_url(raw, trailing_slash=False)
    except ValueError:
        normal = raw
    try:
        parts = urlsplit(normal)
    except ValueError:              # "http://[x": no URL to take apart, compared as written
        return normal.split("://", 1)[1].lower()
    host = (parts.hostname or "").lower()
    for prefix in config.HOST_VARIANT_PREFIXES:
        if host.startswith(prefix) and host.count(".") >= 2:
            host = host[len(prefix):]
            break
    path = parts.path or "/"
    for suffix in config.AMP_PATH_SUFFIXES:
        if path.lower().endswith(suffix):
            path = path[: -len(suffix)] or "/"
    path = path.rstrip("/") or "/"
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                       if k.lower() not in config.AMP_QUERY_KEYS])
    return urlunsplit(("", host, path, query, "")).lstrip("/")


def url_date(url: str) -> str | None:
    """The YYYY-MM-DD a news URL carries in its path (``/2026/01/09/``), if any."""
    try:
        path = urlsplit(url).path
    except ValueError:
        return None
    match = re.search(r"/((?:19|20)\d\d)[/-](0[1-9]|1[0-2])[/-](0[1-9]|[12]\d|3[01])(?:/|-|$)", path)
    if not match:
        return None
    try:
        return date(*map(int, match.groups())).isoformat()
    except ValueError:              # /2025/02/30/ is no day
        return None


@lru_cache(maxsize=200_000)
def tme_post(url: str) -> tuple[str, int] | None:
    """(channel, message id) when the URL points at one public channel post (memoized: the same
    few channels' links come up again and again)."""
    raw = url.strip()
    if "://" not in raw:
        raw = "https://" + raw
    parts = urlsplit(raw)
    if (parts.hostname or "").lower() not in _TME_HOSTS:
        return None
    match = _TME_POST.match(parts.path)
    if not match or match.group(1).lower() in {"s", "c", "joinchat", "addstickers", "share"}:
        return None
    return match.group(1).lower(), int(match.group(2))


def urls_in_text(text: str) -> list[str]:
    """Bare URLs written in a text, trailing punctuation trimmed."""
    found = []
    for match in URL_IN_TEXT.finditer(text):
        url = match.group(0).rstrip(".,;:!?…—")
        if not url.lower().startswith("http"):
            url = "https://" + url
        found.append(url)
    return found
