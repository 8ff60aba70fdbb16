"""Small server-side SVG charts: no JavaScript library, nothing fetched by the browser."""

from __future__ import annotations

import datetime
from collections.abc import Sequence

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT, PAD_LEFT, PAD_BOTTOM, PAD_TOP = 720, 220, 40, 28, 16


def daily_bars(
    series: Sequence[tuple[datetime.date, int]],
    *,
    markers: Sequence[tuple[datetime.date, str]] = (),
    colour: str = "#417690",
    label: str = "",
) -> SafeString:
    """A bar per day between the first and last day of ``series`` (and of the markers),
    with a dashed vertical line and caption for each marker (e.g. the registration cut-off)."""
    days = [d for d, _ in series] + [d for d, _ in markers]
    if not days:
        return format_html('<p class="chart-empty">{}</p>', "所选范围内没有数据。")
    first, last = min(days), max(days)
    span = (last - first).days + 1
    peak = max([n for _, n in series] + [1])
    plot_w, plot_h = WIDTH - PAD_LEFT - 8, HEIGHT - PAD_BOTTOM - PAD_TOP
    step = plot_w / span

    def x(day: datetime.date) -> float:
        return PAD_LEFT + (day - first).days * step

    def y(n: int) -> float:
        return PAD_TOP + plot_h * (1 - n / peak)

    # format_html escapes its arguments into strings, so numbers are formatted first.
    bars = format_html_join(
        "",
        '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}：{}</title></rect>',
        (
            (_n(x(d)), _n(y(n)), _n(max(step * 0.8, 1)), _n(PAD_TOP + plot_h - y(n)), colour, d.strftime("%Y-%m-%d"), n)
            for d, n in series
        ),
    )
    lines = format_html_join(
        "",
        '<line x1="{0}" x2="{0}" y1="{1}" y2="{2}" stroke="#c62828" stroke-dasharray="4 3"/>'
        # A white halo keeps the caption legible over tall bars.
        '<text x="{3}" y="{4}" fill="#c62828" font-size="11" text-anchor="end" '
        'stroke="#fff" stroke-width="3" paint-order="stroke">{5}</text>',
        (
            (_n(x(d) + step * 0.9), PAD_TOP - 4, _n(PAD_TOP + plot_h), _n(x(d) + step * 0.9 - 3), PAD_TOP + 8, text)
            for d, text in markers
        ),
    )
    axis = format_html(
        '<line x1="{0}" x2="{1}" y1="{2}" y2="{2}" stroke="#999"/>'
        '<text x="{0}" y="{3}" font-size="11" fill="#666">{4}</text>'
        '<text x="{1}" y="{3}" font-size="11" fill="#666" text-anchor="end">{5}</text>'
        '<text x="{6}" y="{7}" font-size="11" fill="#666" text-anchor="end">{8}</text>',
        PAD_LEFT,
        WIDTH - 8,
        PAD_TOP + plot_h,
        HEIGHT - 8,
        first.strftime("%Y-%m-%d"),
        last.strftime("%Y-%m-%d"),
        PAD_LEFT - 4,
        PAD_TOP + 8,
        peak,
    )
    return format_html(
        '<svg class="chart" viewBox="0 0 {} {}" role="img" aria-label="{}">{}{}{}</svg>',
        WIDTH,
        HEIGHT,
        label,
        axis,
        bars,
        lines,
    )


def ratio_bar(value: float | None, *, colour: str = "#2e7d32") -> SafeString:
    """An inline percentage bar for a table cell."""
    if value is None:
        return mark_safe('<span class="muted">—</span>')
    percent = f"{value * 100:.0f}"
    return format_html(
        '<span class="ratio"><span style="width:{}%;background:{}"></span></span> {}%', percent, colour, percent
    )


def _n(value: float) -> str:
    return f"{value:.1f}"
