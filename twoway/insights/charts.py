"""Server-rendered inline SVG charts: no JavaScript, no CDN, readable without colour.

Every series differs by line dash and marker shape (or a hatch pattern) as well as colour;
every chart has a <title> and a <desc> for screen readers, and the page puts the same numbers
in a table under it. Text is escaped; numbers are formatted here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from html import escape

from django.utils.safestring import SafeString, mark_safe

INK = "#1f2933"
GRID = "#d9dee5"
BLUE = "#1d5fa8"
ORANGE = "#b45309"
FONT = 'font-family="inherit" font-size="12"'


def _open(chart_id: str, width: int, height: int, title: str, desc: str) -> list[str]:
    return [
        f'<svg class="insight-chart" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-labelledby="{chart_id}-t {chart_id}-d" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{chart_id}-t">{escape(title)}</title>',
        f'<desc id="{chart_id}-d">{escape(desc)}</desc>',
        "<defs>"
        f'<pattern id="{chart_id}-hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
        f'patternTransform="rotate(45)"><rect width="6" height="6" fill="#dbe8f7"/>'
        f'<line x1="0" y1="0" x2="0" y2="6" stroke="{BLUE}" stroke-width="2.5"/></pattern>'
        "</defs>",
    ]


def _text(x: float, y: float, s: str, anchor: str = "start", extra: str = "") -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" {FONT} fill="{INK}"{extra}>'
        f"{escape(s)}</text>"
    )


def _marker(shape: str, x: float, y: float, colour: str) -> str:
    if shape == "square":
        return (
            f'<rect x="{x - 3.5:.1f}" y="{y - 3.5:.1f}" width="7" height="7" fill="white" '
            f'stroke="{colour}" stroke-width="2"/>'
        )
    if shape == "diamond":
        return (
            f'<path d="M{x:.1f},{y - 5:.1f} L{x + 5:.1f},{y:.1f} L{x:.1f},{y + 5:.1f} '
            f'L{x - 5:.1f},{y:.1f} Z" fill="{colour}"/>'
        )
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{colour}"/>'


def funnel(
    chart_id: str,
    steps: Sequence[tuple[str, int | None]],
    hidden_label: str,
    title: str = "Program funnel",
    desc: str = "Bars from eligible to meeting on cadence, each with its number next to it.",
) -> SafeString:
    """Horizontal bars, one per step, with the count (or the hidden label) at the bar's end."""
    width, row, left = 720, 34, 230
    height = row * len(steps) + 16
    top = max((v or 0) for _, v in steps) or 1
    parts = _open(
        chart_id,
        width,
        height,
        title,
        desc,
    )
    for i, (label, value) in enumerate(steps):
        y = 8 + i * row
        parts.append(_text(left - 10, y + 18, label, "end"))
        if value is None:
            parts.append(_text(left + 4, y + 18, hidden_label, extra=' font-style="italic"'))
            continue
        w = (width - left - 90) * value / top
        parts.append(
            f'<rect x="{left}" y="{y + 4}" width="{w:.1f}" height="{row - 12}" '
            f'fill="url(#{chart_id}-hatch)" stroke="{BLUE}"/>'
        )
        parts.append(_text(left + w + 6, y + 18, f"{value:,}"))
    parts.append("</svg>")
    return mark_safe("".join(parts))


def cadence(
    chart_id: str, weeks: Sequence[tuple[dt.date, int | None, float | None]], hidden_label: str
) -> SafeString:
    """Hatched bars: check-ins held each week; dashed line with squares: expected by cadence.
    A week without figures (too few pairs) is a grey band. The legend is HTML under the chart
    (`legend`), so it stays readable when the chart shrinks to a phone's width."""
    width, height, left, right, top, bottom = 720, 220, 44, 16, 14, 28
    pw, ph = width - left - right, height - top - bottom
    peak = max([1.0] + [max(h, e) for _, h, e in weeks if h is not None and e is not None])
    step = pw / max(len(weeks), 1)
    parts = _open(
        chart_id,
        width,
        height,
        "Check-ins held and expected per week",
        "Hatched bars are check-ins held each week; the dashed line with square markers is "
        "what the cadence asks of the active pairs that week. Grey weeks had "
        f"{hidden_label} active pairs and are not shown. The table below has the numbers.",
    )

    def y(v: float) -> float:
        return top + ph * (1 - v / peak)

    for frac in (0, 0.5, 1):
        v = peak * frac
        parts.append(
            f'<line x1="{left}" x2="{left + pw}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="{GRID}"/>'
        )
        parts.append(_text(left - 6, y(v) + 4, f"{v:.0f}", "end"))
    for i, (_, held, _) in enumerate(weeks):
        x = left + i * step + step * 0.15
        if held is None:
            parts.append(
                f'<rect x="{left + i * step:.1f}" y="{top}" width="{step:.1f}" height="{ph}" '
                f'fill="{GRID}" opacity="0.5"/>'
            )
            continue
        parts.append(
            f'<rect x="{x:.1f}" y="{y(held):.1f}" width="{step * 0.7:.1f}" '
            f'height="{ph * held / peak:.1f}" fill="url(#{chart_id}-hatch)" stroke="{BLUE}"/>'
        )
    runs: list[list[tuple[float, float]]] = [[]]
    for i, (_, _, e) in enumerate(weeks):
        if e is None:
            runs.append([])
        else:
            runs[-1].append((left + (i + 0.5) * step, y(e)))
    for points in runs:
        if not points:
            continue
        path = " ".join(f"{x:.1f},{yy:.1f}" for x, yy in points)
        parts.append(
            f'<polyline points="{path}" fill="none" stroke="{ORANGE}" stroke-width="2" '
            'stroke-dasharray="6 4"/>'
        )
        parts.extend(_marker("square", x, yy, ORANGE) for x, yy in points)
    for i, (week, _, _) in enumerate(weeks):
        if i % 4 == 0 or i == len(weeks) - 1:
            parts.append(_text(left + (i + 0.5) * step, height - 8, f"{week:%-d %b}", "middle"))
    parts.append("</svg>")
    return mark_safe("".join(parts))


def legend(entries: Sequence[tuple[str, str]]) -> SafeString:
    """An HTML legend: (swatch kind, label) with kinds 'bar', 'expected', 'participants',
    'others', 'hidden'. Text at the page's size, whatever the chart's scale."""
    swatches = {
        "bar": f'<rect x="1" y="3" width="20" height="12" fill="#dbe8f7" stroke="{BLUE}"/>',
        "expected": (
            f'<line x1="0" x2="28" y1="9" y2="9" stroke="{ORANGE}" stroke-width="2" '
            f'stroke-dasharray="6 4"/>{_marker("square", 14, 9, ORANGE)}'
        ),
        "participants": (
            f'<line x1="0" x2="28" y1="9" y2="9" stroke="{BLUE}" stroke-width="2"/>'
            f"{_marker('circle', 14, 9, BLUE)}"
        ),
        "others": (
            f'<line x1="0" x2="28" y1="9" y2="9" stroke="{ORANGE}" stroke-width="2" '
            f'stroke-dasharray="7 4"/>{_marker("square", 14, 9, ORANGE)}'
        ),
        "hidden": f'<rect x="1" y="3" width="20" height="12" fill="{GRID}"/>',
    }
    items = "".join(
        f'<li><svg width="28" height="18" aria-hidden="true">{swatches[kind]}</svg>'
        f"{escape(label)}</li>"
        for kind, label in entries
    )
    return mark_safe(f'<ul class="chart-legend">{items}</ul>')


def forest(chart_id: str, rows: Sequence[tuple[str, float, float, float]]) -> SafeString:
    """Mean change per item (diamond) with its 95 % interval (whiskers) around a zero line."""
    width, row, left, right = 720, 40, 150, 30
    height = row * len(rows) + 50
    lo = min([-1.0] + [r[2] for r in rows])
    hi = max([1.0] + [r[3] for r in rows])
    span = max(abs(lo), abs(hi))
    lo, hi = -span, span
    pw = width - left - right

    def x(v: float) -> float:
        return left + pw * (v - lo) / (hi - lo)

    parts = _open(
        chart_id,
        width,
        height,
        "Change in wellbeing from the start to after two months or more",
        "For each pulse item a diamond marks the mean change (after minus before, on the 1 to "
        "5 scale) and the whiskers its 95 % confidence interval; the vertical line is no change. "
        "The table below has the numbers.",
    )
    parts.append(
        f'<line x1="{x(0):.1f}" x2="{x(0):.1f}" y1="6" y2="{height - 34}" stroke="{INK}" '
        'stroke-dasharray="3 3"/>'
    )
    for tick in (lo, lo / 2, 0.0, hi / 2, hi):
        parts.append(_text(x(tick), height - 18, f"{tick:+.1f}" if tick else "0", "middle"))
    parts.append(_text(left + pw / 2, height - 3, "change on the 1–5 scale", "middle"))
    for i, (label, mean, low, high) in enumerate(rows):
        yy = 20 + i * row
        parts.append(_text(left - 10, yy + 4, label, "end"))
        parts.append(
            f'<line x1="{x(low):.1f}" x2="{x(high):.1f}" y1="{yy}" y2="{yy}" stroke="{BLUE}" '
            'stroke-width="2"/>'
            f'<line x1="{x(low):.1f}" x2="{x(low):.1f}" y1="{yy - 6}" y2="{yy + 6}" '
            f'stroke="{BLUE}" stroke-width="2"/>'
            f'<line x1="{x(high):.1f}" x2="{x(high):.1f}" y1="{yy - 6}" y2="{yy + 6}" '
            f'stroke="{BLUE}" stroke-width="2"/>'
        )
        parts.append(_marker("diamond", x(mean), yy, INK))
    parts.append("</svg>")
    return mark_safe("".join(parts))


KM_STYLE = {
    "participants": (BLUE, "", "circle", "Took part in the program"),
    "others": (ORANGE, "7 4", "square", "Did not take part"),
}


def survival(
    chart_id: str,
    curves: dict[str, list[tuple[float, float]]],
    years: int,
) -> SafeString:
    """Step curves of the share still at the company by years since hire, one style each."""
    width, height, left, right, top, bottom = 720, 280, 50, 20, 12, 40
    pw, ph = width - left - right, height - top - bottom
    # The axis starts at 0 %: a cut axis makes a small gap between the curves look large.
    floor = 0.0
    horizon = max(years, 1) * 365.25

    def x(t: float) -> float:
        return left + pw * min(t, horizon) / horizon

    def y(s: float) -> float:
        return top + ph * (1 - (s - floor) / (1 - floor))

    parts = _open(
        chart_id,
        width,
        height,
        "Share still at the company by years since hire",
        "Kaplan–Meier curves: solid with circles for people who took part, dashed with squares "
        "for people who did not. The tables below give the estimate and the number at risk.",
    )
    for k in range(5):
        s = floor + (1 - floor) * k / 4
        parts.append(
            f'<line x1="{left}" x2="{left + pw}" y1="{y(s):.1f}" y2="{y(s):.1f}" stroke="{GRID}"/>'
        )
        parts.append(_text(left - 6, y(s) + 4, f"{s:.0%}", "end"))
    for yr in range(0, max(years, 1) + 1):
        parts.append(_text(x(yr * 365.25), height - 22, f"{yr}", "middle"))
    parts.append(_text(left + pw / 2, height - 4, "years since hire", "middle"))
    for name, points in curves.items():
        colour, dash, shape, _ = KM_STYLE[name]
        if not points:
            continue
        d = [f"M{x(0):.1f},{y(1):.1f}"]
        prev = 1.0
        for t, s in points:
            d.append(f"L{x(t):.1f},{y(prev):.1f} L{x(t):.1f},{y(s):.1f}")
            prev = s
        last_t = points[-1][0]
        d.append(f"L{x(last_t):.1f},{y(prev):.1f}")
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(
            f'<path d="{" ".join(d)}" fill="none" stroke="{colour}" stroke-width="2"{dash_attr}/>'
        )
        for yr in range(0, max(years, 1) + 1):
            t = yr * 365.25
            if t > last_t and yr:
                break
            s = 1.0
            for pt, ps in points:
                if pt <= t:
                    s = ps
            parts.append(_marker(shape, x(t), y(s), colour))
    parts.append("</svg>")
    return mark_safe("".join(parts))


def bars(
    chart_id: str, title: str, rows: Sequence[tuple[str, int | None]], hidden_label: str
) -> SafeString:
    """A small horizontal bar chart of counts (hidden cells are written, not drawn)."""
    return funnel(
        chart_id,
        rows,
        hidden_label,
        title=title,
        desc="One bar per answer; each bar's number is written next to it.",
    )
