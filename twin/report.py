"""``report.html``: a self-contained page a person checks (pictures, tables, warnings), no templates needed."""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }
h1 { margin-bottom: 0.2em; } .sub { color: #666; margin-top: 0; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; }
th { background: #f2f2f2; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
.pass { color: #176b1a; font-weight: 600; } .fail { color: #b00020; font-weight: 600; }
.skipped { color: #8a6d00; font-weight: 600; }
.warn { background: #fff4d6; border-left: 4px solid #e0a800; padding: 0.4em 0.8em; margin: 0.3em 0; }
img { max-width: 100%; border: 1px solid #ddd; } code { background: #f5f5f5; padding: 0 0.2em; }
"""


@dataclass(frozen=True)
class Section:
    """A titled block of already-escaped HTML."""

    title: str
    body: str


def esc(value: object) -> str:
    """HTML-escape ``str(value)``."""
    return html.escape(str(value))


def fmt(value: object, digits: int = 3) -> str:
    """Numbers rounded for display (``digits`` decimals, or significant digits below 0.01 so a small std
    does not show as 0.000); sequences joined with spaces; anything else as text."""
    if isinstance(value, float):
        return f"{value:.{digits}g}" if 0 < abs(value) < 0.01 else f"{value:.{digits}f}"
    if isinstance(value, (list, tuple)):
        return " ".join(fmt(v, digits) for v in value)
    return str(value)


def table(headers: Sequence[str], rows: Iterable[Sequence[object]], *, classes: Sequence[str] = ()) -> str:
    """An HTML table; cells are escaped; numeric cells are right-aligned; ``classes`` per column (optional)."""
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = []
    for row in rows:
        cells = []
        for i, cell in enumerate(row):
            cls = classes[i] if i < len(classes) and classes[i] else ("num" if isinstance(cell, (int, float)) else "")
            cls = cell if cls == "status" else cls
            cells.append(f'<td class="{esc(cls)}">{esc(fmt(cell))}</td>' if cls else f"<td>{esc(fmt(cell))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def picture(src: str, alt: str) -> str:
    """An <img> referencing a file relative to the report."""
    return f'<p><img src="{esc(src)}" alt="{esc(alt)}"></p>'


def warnings_block(warnings: Iterable[str]) -> str:
    """Each warning in a highlighted box (empty string when there are none)."""
    return "".join(f'<div class="warn">{esc(w)}</div>' for w in warnings)


def write_report(path: str | Path, title: str, sections: Iterable[Section], *, subtitle: str = "") -> None:
    """Write a standalone HTML page with ``sections`` in order."""
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{esc(title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{esc(title)}</h1>",
        f'<p class="sub">{esc(subtitle)}</p>' if subtitle else "",
    ]
    for section in sections:
        parts.append(f"<h2>{esc(section.title)}</h2>\n{section.body}")
    parts.append("</body></html>")
    Path(path).write_text("\n".join(p for p in parts if p) + "\n")
