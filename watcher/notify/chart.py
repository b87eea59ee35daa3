"""The digest's chart: calls per OPCO over the last weeks, as stacked bars.

``svg`` draws it as inline SVG for the standalone HTML file; ``bars`` gives the same numbers
as table rows for email clients, many of which drop SVG. Labels are escaped here, since the
SVG is handed to the template as markup.
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup, escape

from watcher.fr import NBSP

#: one colour per series, in the order of the legend (the last for "Autres acheteurs")
PALETTE = (
    "#1f5fbf",
    "#d97706",
    "#15803d",
    "#b42318",
    "#7c3aed",
    "#0e7490",
    "#a16207",
    "#be185d",
    "#4d7c0f",
    "#475569",
    "#9333ea",
    "#94a3b8",
)
WIDTH, HEIGHT, LEFT, BOTTOM, TOP, LEGEND = 640, 260, 36, 28, 12, 150


def series_colours(names: list[str]) -> dict[str, str]:
    return {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(names)}


def svg(chart: dict[str, Any]) -> Markup:
    """``chart`` = {"weeks": [labels], "series": [{"name", "counts": [per week]}]}."""
    weeks, series = chart["weeks"], chart["series"]
    top = max([sum(s["counts"][i] for s in series) for i in range(len(weeks))] + [1])
    plot_w, plot_h = WIDTH - LEFT - LEGEND, HEIGHT - BOTTOM - TOP
    step = plot_w / max(len(weeks), 1)
    colours = series_colours([s["name"] for s in series])
    parts = [_axis(top, plot_h)]
    for i, week in enumerate(weeks):
        parts.append(_stack(i, step, series, colours, plot_h / top))
        x = LEFT + i * step + step / 2
        parts.append(
            f'<text x="{x:.1f}" y="{HEIGHT - 10}" text-anchor="middle">{escape(week)}</text>'
        )
    parts += _legend(series, colours)
    body = "".join(parts)
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" style="max-width:100%;height:auto" role="img" '
        f'font-family="Arial, sans-serif" '
        f'font-size="11" fill="#1d2733"><title>Appels par OPCO et par semaine</title>{body}</svg>'
    )


def _axis(top: int, plot_h: float) -> str:
    base = TOP + plot_h
    return (
        f'<line x1="{LEFT}" y1="{base}" x2="{WIDTH - LEGEND}" y2="{base}" stroke="#94a3b8"/>'
        f'<text x="{LEFT - 6}" y="{TOP + 4}" text-anchor="end">{top}</text>'
        f'<text x="{LEFT - 6}" y="{base}" text-anchor="end">0</text>'
    )


def _stack(
    i: int, step: float, series: list[dict[str, Any]], colours: dict[str, str], unit: float
) -> str:
    y = TOP + (HEIGHT - BOTTOM - TOP)
    x, width = LEFT + i * step + step * 0.2, step * 0.6
    rects = []
    for s in series:
        count = s["counts"][i]
        if count:
            y -= count * unit
            label = escape(f"{s['name']}{NBSP}: {count}")
            rects.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{count * unit:.1f}" '
                f'fill="{colours[s["name"]]}"><title>{label}</title></rect>'
            )
    return "".join(rects)


def _legend(series: list[dict[str, Any]], colours: dict[str, str]) -> list[str]:
    x = WIDTH - LEGEND + 12
    return [
        f'<rect x="{x}" y="{TOP + 16 * k}" width="10" height="10" fill="{colours[s["name"]]}"/>'
        f'<text x="{x + 16}" y="{TOP + 16 * k + 9}">{escape(s["name"])} ({sum(s["counts"])})</text>'
        for k, s in enumerate(series)
    ]


def bars(chart: dict[str, Any], width: int = 240) -> list[dict[str, Any]]:
    """One row per week: its total and the bar's segments (name, count, colour, pixels).

    The longest bar is ``width`` pixels: with the week and the total beside it, the row fits
    the 390 px of a phone, where the email's text column is about 330 px wide."""
    series = chart["series"]
    totals = [sum(s["counts"][i] for s in series) for i in range(len(chart["weeks"]))]
    unit = width / max([*totals, 1])
    colours = series_colours([s["name"] for s in series])
    return [
        {
            "week": week,
            "total": totals[i],
            "segments": [
                {
                    "name": s["name"],
                    "count": s["counts"][i],
                    "colour": colours[s["name"]],
                    "pixels": max(1, round(s["counts"][i] * unit)),
                }
                for s in series
                if s["counts"][i]
            ],
        }
        for i, week in enumerate(chart["weeks"])
    ]


def legend(chart: dict[str, Any]) -> list[dict[str, str]]:
    names = [s["name"] for s in chart["series"]]
    return [{"name": n, "colour": c} for n, c in series_colours(names).items()]
