"""Requests/s and latency of `newstrace serve` over a store: trace (by post URL, by pasted text),
the story list, one story, full-text search.

The server is the real command in its own process on loopback; clients are threads with their
own connections, each sending its next request when the last is answered (closed loop), for a
fixed time per endpoint, after one request that pays what a fresh server process pays once
(loading the model, building the article pool and paragraph index), reported on its own. Texts to trace are stored posts with a word changed, so every trace
embeds a text no cache has seen.

    .venv/bin/python bench/api.py --store STORE.db [--seconds 20] [--clients 4]

A 100k-item store comes from bench/throughput.py:
    .venv/bin/python bench/throughput.py --sizes 100000 --semantic --workdir DIR --keep-stores
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx

Request = Callable[[httpx.Client, random.Random], httpx.Response]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(store: Path, port: int, log: Path) -> subprocess.Popen:
    command = [str(Path(sys.executable).with_name("newstrace")), "--db", str(store), "serve", "--port", str(port)]
    with log.open("wb") as sink:
        server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=sink)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=60).status_code == 200:
                return server
        except httpx.TransportError:
            time.sleep(0.5)
    server.kill()
    raise SystemExit(f"error: the server did not start; its log: {log}")


def workloads(store: Path, base: str) -> dict[str, Request]:
    """Each endpoint with how to draw its next request from what the store holds."""
    db = sqlite3.connect(f"file:{store}?mode=ro", uri=True)
    posts = db.execute("SELECT channel, message_id, text FROM posts WHERE length(text) > 80 "
                       "ORDER BY random() LIMIT 2000").fetchall()
    linked = db.execute("SELECT p.channel, p.message_id FROM matches m JOIN posts p ON p.id = m.post_id "
                        "ORDER BY random() LIMIT 2000").fetchall()
    stories = [row[0] for row in db.execute(
        "SELECT story FROM article_stories GROUP BY story ORDER BY count(*) DESC LIMIT 500")]
    words = [word for (text,) in db.execute("SELECT title FROM articles ORDER BY random() LIMIT 500")
             for word in text.split() if len(word) > 5][:1000]
    db.close()

    def changed(text: str, rng: random.Random) -> str:
        parts = text.split()
        parts[rng.randrange(len(parts))] = f"w{rng.randrange(10**9)}"
        return " ".join(parts)

    return {
        "trace by t.me URL (GET /api/trace?url=)": lambda client, rng: client.get(
            "/api/trace", params={"url": "https://t.me/{}/{}".format(*rng.choice(linked or posts)[:2])}),
        "trace pasted text (POST /api/trace, semantic)": lambda client, rng: client.post(
            "/api/trace", json={"text": changed(rng.choice(posts)[2], rng)}),
        "story list (GET /api/stories)": lambda client, rng: client.get("/api/stories", params={"limit": 50}),
        "one story (GET /api/stories/{id})": lambda client, rng: client.get(f"/api/stories/{rng.choice(stories)}"),
        "full-text search (GET /api/search)": lambda client, rng: client.get(
            "/api/search", params={"q": rng.choice(words)}),
    }


def hammer(base: str, request: Request, clients: int, seconds: float) -> dict[str, float]:
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client_loop(seed: int) -> None:
        rng = random.Random(seed)
        with httpx.Client(base_url=base, timeout=300) as client:
            while time.monotonic() < stop:
                began = time.perf_counter()
                answer = request(client, rng)
                took = time.perf_counter() - began
                with lock:
                    latencies.append(took)
                    errors[0] += answer.status_code >= 400
    began = time.monotonic()
    threads = [threading.Thread(target=client_loop, args=(seed,)) for seed in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.monotonic() - began
    ordered = sorted(latencies)
    return {"requests": len(ordered), "per_s": len(ordered) / wall, "errors": errors[0],
            "p50_ms": 1000 * statistics.median(ordered), "p95_ms": 1000 * ordered[int(0.95 * (len(ordered) - 1))]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument("--seconds", type=float, default=20.0, help="time per endpoint")
    parser.add_argument("--clients", type=int, default=4, help="concurrent client connections")
    args = parser.parse_args(argv)
    if not args.store.is_file():
        print(f"error: {args.store}: no such store", file=sys.stderr)
        return 1
    os.environ["NEWSTRACE_EMBED_CACHE"] = ""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = args.store.with_suffix(".serve.log")
    server = start_server(args.store, port, log)
    try:
        counts = httpx.get(f"{base}/api/health", timeout=60).json()
        print(f"store {args.store}: {counts['posts']} posts, {counts['articles']} articles, {counts['matches']} links; "
              f"{args.clients} clients, {args.seconds:.0f} s per endpoint\n")
        print("| endpoint | first request s | requests/s | p50 ms | p95 ms | requests | errors |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        for name, request in workloads(args.store, base).items():
            began = time.perf_counter()
            with httpx.Client(base_url=base, timeout=600) as client:
                request(client, random.Random(-1))
            first = time.perf_counter() - began
            row = hammer(base, request, args.clients, args.seconds)
            print(f"| {name} | {first:.1f} | {row['per_s']:.1f} | {row['p50_ms']:.0f} | {row['p95_ms']:.0f} | "
                  f"{row['requests']} | {row['errors']} |", flush=True)
    finally:
        server.terminate()
        server.wait(30)
    print(f"\nserver log: {log}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
