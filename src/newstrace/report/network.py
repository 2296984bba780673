"""The relay network, for Gephi and other graph tools: channels and outlets as nodes, relays as
weighted edges that say how many credited their source and how many did not.

Edges run outlet -> channel (the channel relayed that many of the outlet's articles) and
channel -> channel (that many relays came through the other channel's post: a forward or a
t.me mention). Built from the relay rows of report/export.py, so both exports agree.
"""

from __future__ import annotations

from pathlib import Path

import networkx as nx

from newstrace.report.export import open_output, relay_rows
from newstrace.store.core import Store


def _node(graph: nx.DiGraph, node: str, kind: str, label: str) -> str:
    if node not in graph:
        graph.add_node(node, kind=kind, label=label, relays=0)
    return node


def _channel(graph: nx.DiGraph, username: str, titles: dict[str, str | None]) -> str:
    title = titles.get(username)
    return _node(graph, f"channel:{username}", "channel", f"{title} (@{username})" if title else f"@{username}")


def _count(graph: nx.DiGraph, source: str, target: str, kind: str, credited: bool) -> None:
    if not graph.has_edge(source, target):
        graph.add_edge(source, target, kind=kind, weight=0, credited=0, uncredited=0)
    edge = graph.edges[source, target]
    edge["weight"] += 1
    edge["credited" if credited else "uncredited"] += 1


def relay_network(store: Store) -> nx.DiGraph:
    """The store's relays as a directed graph; a node's `relays` counts the relays it published
    (a channel) or that its articles received (an outlet)."""
    graph = nx.DiGraph()
    titles = dict(store.db.execute("SELECT username, title FROM channels").fetchall())
    for row in relay_rows(store):
        channel = _channel(graph, row["channel"], titles)
        outlet = _node(graph, f"outlet:{row['outlet']}", "outlet", row["outlet"])
        graph.nodes[channel]["relays"] += 1
        graph.nodes[outlet]["relays"] += 1
        _count(graph, outlet, channel, "relays", row["credited"])
        if row["via"]:
            _count(graph, _channel(graph, row["via"], titles), channel, "via", row["credited"])
    return graph


def export_network(store: Store, out: str | Path) -> nx.DiGraph:
    """Write the relay network as GEXF ("-" for stdout); returns the graph written."""
    graph = relay_network(store)
    with open_output(out, binary=True) as handle:
        nx.write_gexf(graph, handle)
        handle.flush()
    return graph
