"""A story's propagation drawn as SVG on the server: one lane per outlet and channel in the
order they joined, an article as a square, a relay as a circle, filled when it credits its
source and hollow when it does not. No script runs in the page to draw it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from markupsafe import Markup, escape

from newstrace import config
from newstrace.store.core import parse_iso

_LANE = 26
_LABEL = 170
_WIDTH = 860
_TOP = 12
_AXIS = 34
_TICKS = 6


def _lanes(items: list[dict[str, Any]]) -> list[str]:
    order = list(dict.fromkeys(item["source"] for item in items))
    if len(order) <= config.TIMELINE_LANES:
        return order
    return order[: config.TIMELINE_LANES - 1] + ["(others)"]


def _tick_label(moment: datetime, span_s: float) -> str:
    return moment.strftime("%d %b %H:%M" if span_s < 3 * 86400 else "%d %b")


def timeline_svg(items: list[dict[str, Any]]) -> Markup:
    """The SVG element for a story's items (as stories.report.story_record gives them)."""
    dated = [(parse_iso(item["time"]), item) for item in items if item.get("time")]
    if not dated:
        return Markup('<p class="muted">No dated items to draw.</p>')
    lanes = _lanes([item for _, item in dated])
    start, end = min(moment for moment, _ in dated), max(moment for moment, _ in dated)
    span = max((end - start).total_seconds(), 3600.0)
    plot = _WIDTH - _LABEL - 20
    height = _TOP + len(lanes) * _LANE + _AXIS

    def x(moment: datetime) -> float:
        return _LABEL + 10 + plot * (moment - start).total_seconds() / span

    parts = [f'<svg class="timeline" role="img" viewBox="0 0 {_WIDTH} {height}" width="{_WIDTH}" '
             f'height="{height}" xmlns="http://www.w3.org/2000/svg"><title>Articles and relays over time</title>']
    for row, lane in enumerate(lanes):
        y = _TOP + row * _LANE + _LANE / 2
        parts.append(f'<line class="lane" x1="{_LABEL}" x2="{_WIDTH - 10}" y1="{y}" y2="{y}"/>'
                     f'<text class="lane-label" x="{_LABEL - 8}" y="{y + 4}" text-anchor="end">{escape(lane[:26])}</text>')
    for tick in range(_TICKS + 1):
        moment = datetime.fromtimestamp(start.timestamp() + span * tick / _TICKS, tz=start.tzinfo)
        tx = x(moment)
        anchor = "start" if tick == 0 else "end" if tick == _TICKS else "middle"
        parts.append(f'<line class="tick" x1="{tx:.1f}" x2="{tx:.1f}" y1="{_TOP}" y2="{height - _AXIS + 4}"/>'
                     f'<text class="tick-label" x="{tx:.1f}" y="{height - _AXIS + 18}" text-anchor="{anchor}">'
                     f'{escape(_tick_label(moment, span))}</text>')
    for moment, item in dated:
        lane = item["source"] if item["source"] in lanes else "(others)"
        cx, cy = x(moment), _TOP + lanes.index(lane) * _LANE + _LANE / 2
        label = escape(f"{item['time']} {item['source']}: {item.get('title') or item.get('text') or ''}"[:200])
        if item["kind"] == "article":
            parts.append(f'<rect class="mark article" x="{cx - 6:.1f}" y="{cy - 6:.1f}" width="12" height="12">'
                         f'<title>{label}</title></rect>')
        else:
            kind = "credited" if item["credited"] else "uncredited"
            note = "no source in the store" if item["stage"] is None else kind
            parts.append(f'<circle class="mark relay {kind}" cx="{cx:.1f}" cy="{cy:.1f}" r="6">'
                         f'<title>{label} ({note})</title></circle>')
    parts.append("</svg>")
    return Markup("".join(parts))
