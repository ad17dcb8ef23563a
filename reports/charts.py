"""The report's charts as small hand-written inline SVG: price steps over a shaded competitor band, horizontal share
bars, and rank sparklines.

Hand-written rather than matplotlib: these three shapes need a few dozen lines, render in milliseconds (a report
draws dozens of charts), add no 40 MB dependency, and leave fonts to the reader's browser, so a Chinese label can
never crash the report or turn into boxes for want of a CJK font on the server. Every label is escaped here; the
functions return Markup for the template to embed as is.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo

from markupsafe import Markup, escape

import i18n
from i18n import _

OWN_COLOUR = "#c4320a"
COMPETITOR_COLOUR = "#1849a9"
BAND_COLOUR = "#98a2b3"
MEDIAN_COLOUR = "#475467"
AXIS_COLOUR = "#d0d5dd"
TEXT_COLOUR = "#475467"


@dataclass(frozen=True)
class PriceLine:
    """One product's prices as observed (each holds until the next observation)."""

    label: str
    points: Sequence[tuple[datetime, float]]
    own: bool


@dataclass(frozen=True)
class BandPoint:
    """The competitor band at one moment."""

    at: datetime
    p25: float
    median: float
    p75: float


@dataclass(frozen=True)
class Bar:
    label: str
    share: float          # 0..1
    note: str             # what the share is of, e.g. "12 / 40"


def price_chart(lines: Sequence[PriceLine], band: Sequence[BandPoint], *, start: datetime, end: datetime,
                zone: tzinfo, width: int = 440, height: int = 170) -> Markup:
    """Price steps of `lines` over the band (p25–p75 shaded, median dashed) between `start` and `end`."""
    values = [price for line in lines for _, price in line.points]
    values += [v for point in band for v in (point.p25, point.p75)]
    if not values:
        return Markup("")
    left, right, top, bottom = 52, 8, 8, 22
    low, high, ticks = _nice_scale(min(values), max(values))
    span = max((end - start).total_seconds(), 1.0)

    def x(moment: datetime) -> float:
        share = (moment - start).total_seconds() / span
        return left + min(max(share, 0.0), 1.0) * (width - left - right)

    def y(value: float) -> float:
        return top + (high - value) / (high - low) * (height - top - bottom)

    parts = [_svg_open(width, height, _("price history"))]
    for tick in ticks:
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" '
                     f'stroke="{AXIS_COLOUR}" stroke-width="0.5"/>')
        parts.append(_text(left - 4, y(tick) + 3, f"¥{_amount(tick)}", anchor="end"))
    for moment, anchor in ((start, "start"), (end, "end")):
        parts.append(_text(x(moment), height - 6, f"{moment.astimezone(zone):%m-%d %H:%M}", anchor=anchor))
    if band:
        upper = _steps([(p.at, p.p75) for p in band], x, y, end)
        lower = _steps([(p.at, p.p25) for p in band], x, y, end)
        outline = upper + list(reversed(lower))
        band_label, median_label = _("competitors p25–p75"), _("competitor median")
        parts.append(f'<polygon points="{_coords(outline)}" fill="{BAND_COLOUR}" fill-opacity="0.3" stroke="none">'
                     f"<title>{escape(band_label)}</title></polygon>")
        median = _steps([(p.at, p.median) for p in band], x, y, end)
        parts.append(f'<polyline points="{_coords(median)}" fill="none" stroke="{MEDIAN_COLOUR}" '
                     f'stroke-width="1" stroke-dasharray="4 3"><title>{escape(median_label)}</title></polyline>')
    for line in lines:
        if not line.points:
            continue
        colour = OWN_COLOUR if line.own else COMPETITOR_COLOUR
        steps = _steps(line.points, x, y, end)
        parts.append(f'<polyline points="{_coords(steps)}" fill="none" stroke="{colour}" stroke-width="2">'
                     f"<title>{escape(line.label)}</title></polyline>")
        last_at, last_price = line.points[-1]
        parts.append(f'<circle cx="{x(last_at):.1f}" cy="{y(last_price):.1f}" r="2.5" fill="{colour}">'
                     f"<title>{escape(line.label)}: ¥{_amount(last_price)}</title></circle>")
    parts.append("</svg>")
    return Markup("".join(parts))


def share_bars(bars: Sequence[Bar], *, width: int = 440, row: int = 20) -> Markup:
    """Horizontal bars, one per share, labelled left and with the percentage and its basis right. The longest bar
    fills the width: shares of a few tens of percent stay legible, and the labels carry the absolute figures."""
    if not bars:
        return Markup("")
    label_width, note_width = 110, 110
    room = width - label_width - note_width
    scale = max(max(bar.share for bar in bars), 1e-9)
    height = row * len(bars) + 4
    parts = [_svg_open(width, height, _("pain-point shares"))]
    for index, bar in enumerate(bars):
        top = index * row + 2
        length = max(min(bar.share / scale, 1.0), 0.0) * room
        parts.append(_text(label_width - 6, top + row * 0.65, _clip(bar.label, 10), anchor="end"))
        parts.append(f'<rect x="{label_width}" y="{top + 3}" width="{length:.1f}" height="{row - 6}" '
                     f'fill="{COMPETITOR_COLOUR}"><title>{escape(bar.label)}</title></rect>')
        parts.append(_text(label_width + length + 4, top + row * 0.65,
                           f"{i18n.percent(bar.share, digits=1)} ({bar.note})"))
    parts.append("</svg>")
    return Markup("".join(parts))


def sparkline(values: Sequence[float | None], *, invert: bool = False, width: int = 120,
              height: int = 24) -> Markup:
    """A tiny line over `values` in order (None: a gap); `invert` puts small values on top, as ranks read."""
    known = [v for v in values if v is not None]
    if not known:
        return Markup("")
    low, high = min(known), max(known)
    spread = (high - low) or 1.0
    step = (width - 4) / max(len(values) - 1, 1)

    def y(value: float) -> float:
        level = (value - low) / spread
        return 2 + (level if invert else 1 - level) * (height - 4)

    runs: list[list[tuple[float, float]]] = [[]]
    for index, value in enumerate(values):
        if value is None:
            runs.append([])
        else:
            runs[-1].append((2 + index * step, y(value)))
    parts = [_svg_open(width, height, _("trend"))]

    for run in runs:
        if len(run) > 1:
            parts.append(f'<polyline points="{_coords(run)}" fill="none" stroke="{COMPETITOR_COLOUR}" '
                         f'stroke-width="1.5"/>')
        elif run:
            parts.append(f'<circle cx="{run[0][0]:.1f}" cy="{run[0][1]:.1f}" r="1.5" fill="{COMPETITOR_COLOUR}"/>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _svg_open(width: int, height: int, label: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(label)}">')


def _text(x: float, y: float, content: str, *, anchor: str = "start") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="10" fill="{TEXT_COLOUR}" text-anchor="{anchor}">'
            f"{escape(content)}</text>")


def _steps(points: Sequence[tuple[datetime, float]], x, y, end: datetime) -> list[tuple[float, float]]:
    """A value holds from its observation until the next one; the last holds to the end of the period."""
    coords: list[tuple[float, float]] = []
    for index, (moment, value) in enumerate(points):
        following = points[index + 1][0] if index + 1 < len(points) else end
        coords += [(x(moment), y(value)), (x(following), y(value))]
    return coords


def _coords(points: Sequence[tuple[float, float]]) -> str:
    return " ".join(f"{px:.1f},{py:.1f}" for px, py in points)


def _nice_scale(low: float, high: float) -> tuple[float, float, list[float]]:
    """Axis limits on round numbers around [low, high] and the 3-5 ticks between them."""
    if math.isclose(low, high):
        pad = max(abs(low) * 0.1, 1.0)
        low, high = low - pad, high + pad
    raw = (high - low) / 4
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.floor(low / step) * step
    last = math.ceil(high / step) * step
    count = round((last - first) / step)
    return first, last, [first + i * step for i in range(count + 1)]


def _amount(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}".rstrip("0").rstrip(".")


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"
