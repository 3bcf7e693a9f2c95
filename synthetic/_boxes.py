"""A small box-drawing table engine imitating ``w3m -dump`` of EDGAR's bordered HTML tables.

Only what the ownership forms need: one or two title lines, a two-level header (cells spanning
several leaf columns above sub-headers, and cells spanning both header rows), then data rows.
Column widths are fixed per layout (taken from w3m's output at 200 columns) and cells wrap.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Head:
    """A first-level header cell: ``span`` leaf columns wide; ``tall`` when it spans both header rows."""

    label: str
    span: int = 1
    tall: bool = True


_MARK = re.compile(r"(?=\^\()")


def pieces(text: str) -> list[tuple[str, bool]]:
    """Unbreakable pieces of a cell: words, and footnote markers glued to the word before them."""
    out: list[tuple[str, bool]] = []
    for word in text.split():
        for k, part in enumerate(p for p in _MARK.split(word) if p):
            out.append((part, k > 0))
    return out


def widest(text: str) -> int:
    """The longest unbreakable piece: a column narrower than this would cut a number or a date."""
    return max((len(p) for p, _ in pieces(text)), default=0)


def wrap(text: str, width: int) -> list[str]:
    """Greedy wrap at spaces, or just before a ``^(n)`` marker (as w3m breaks ``757,756^(1)``)."""
    if not text:
        return [""]
    lines: list[str] = []
    line = ""
    for part, glued in pieces(text):
        joined = line + part if glued or not line else f"{line} {part}"
        if len(joined) <= width or not line:
            line = joined
        else:
            lines.append(line)
            line = part
    lines.append(line)
    return lines


def _fit(text: str, width: int, align: str) -> str:
    if align == "left":
        return (" " + text).ljust(width)[:width] if text else " " * width
    return text.center(width)[:width] if text else " " * width


def _border(
    widths: list[int], kinds: list[str], group: list[int], left: str, right: str, cells: list[str]
) -> str:
    """One line of the header: each leaf is either text (its content) or a rule (``─``)."""
    out = []
    for i, width in enumerate(widths):
        if i == 0:
            out.append("│" if kinds[0] == "text" else left)
        else:
            a, b = kinds[i - 1], kinds[i]
            if a == "text" and b == "text":
                out.append("│")
            elif a == "text":
                out.append("├")
            elif b == "text":
                out.append("┤")
            else:
                out.append("┬" if group[i - 1] == group[i] else "┼")
        out.append(cells[i] if kinds[i] == "text" else "─" * width)
    out.append("│" if kinds[-1] == "text" else right)
    return "".join(out)


def table(
    titles: list[str],
    heads: list[Head],
    subs: list[str],
    widths: list[int],
    rows: list[list[str]],
    aligns: list[str],
) -> list[str]:
    """Render a bordered table.

    Args:
        titles: centred title lines spanning the whole table.
        heads: first header row; a non-tall head spans ``span`` leaf columns that ``subs`` label.
        subs: labels of the leaf columns under the non-tall heads, left to right.
        widths: inner width of each leaf column.
        rows: data rows, one string per leaf column.
        aligns: ``left`` or ``center`` per leaf column.
    """
    # w3m widens a column rather than cut a number: never narrower than its longest piece + padding.
    widths = [max(w, *(widest(r[i]) + 2 for r in rows)) if rows else w for i, w in enumerate(widths)]
    total = sum(widths) + len(widths) - 1
    lines = ["┌" + "─" * total + "┐"] + ["│" + t.center(total)[:total] + "│" for t in titles]
    # Map leaves to their first-level head.
    group: list[int] = []
    for g, head in enumerate(heads):
        group += [g] * head.span
    starts = [sum(h.span for h in heads[:g]) for g in range(len(heads))]
    head_w = [sum(widths[s : s + h.span]) + h.span - 1 for s, h in zip(starts, heads, strict=True)]
    top = []
    for g, w in enumerate(head_w):
        top.append(("├" if g == 0 else "┬") + "─" * w)
    lines.append("".join(top) + "┤")
    tall_text = {g: wrap(h.label, head_w[g] - 1) for g, h in enumerate(heads) if h.tall}
    span_text = {g: wrap(h.label, head_w[g] - 1) for g, h in enumerate(heads) if not h.tall}
    sub_iter = iter(subs)
    sub_text = {
        i: wrap(next(sub_iter), widths[i] - 2) for i in range(len(widths)) if not heads[group[i]].tall
    }
    h_a = max([len(t) for t in span_text.values()] or [0])
    h_b = max([len(t) for t in sub_text.values()] or [0])
    height = max([h_a + 1 + h_b] + [len(t) for t in tall_text.values()])
    h_a = height - 1 - h_b
    for y in range(height):
        kinds, cells = [], []
        for i, width in enumerate(widths):
            g = group[i]
            if heads[g].tall:
                kinds.append("text")
                lines_g = tall_text[g]
                # A tall head spans its leaves (one leaf in practice): print it in its first leaf.
                text = lines_g[y] if y < len(lines_g) and i == starts[g] else ""
                cells.append(_fit(text, width, "left"))
            elif y < h_a:
                kinds.append("text")
                lines_g = span_text[g]
                first = i == starts[g]
                text = lines_g[y] if first and y < len(lines_g) else ""
                cells.append(_fit(text, head_w[g], "left") if first else "")
            elif y == h_a:
                kinds.append("rule")
                cells.append("")
            else:
                kinds.append("text")
                sub = sub_text[i]
                offset = y - h_a - 1 - (h_b - len(sub))  # sub-headers sit at the bottom, as w3m puts them
                cells.append(_fit(sub[offset] if 0 <= offset < len(sub) else "", width, "center"))
        if y < h_a:
            lines.append(_span_line(widths, group, heads, cells))
        else:
            lines.append(_border(widths, kinds, group, "├", "┤", cells))
    rule = "├" + "┼".join("─" * w for w in widths) + "┤"
    for row in rows:
        lines.append(rule)
        wrapped = [wrap(text, w - 2) for text, w in zip(row, widths, strict=True)]
        for y in range(max(len(c) for c in wrapped)):
            parts = [
                _fit(c[y] if y < len(c) else "", w, a)
                for c, w, a in zip(wrapped, widths, aligns, strict=True)
            ]
            lines.append("│" + "│".join(parts) + "│")
    lines.append("└" + "┴".join("─" * w for w in widths) + "┘")
    return lines


def _span_line(widths: list[int], group: list[int], heads: list[Head], cells: list[str]) -> str:
    out = ["│"]
    for i, width in enumerate(widths):
        g = group[i]
        if not heads[g].tall and i != sum(h.span for h in heads[:g]):
            continue  # covered by the span's first leaf
        out.append(cells[i] if cells[i] else " " * width)
        out.append("│")
    return "".join(out)


def columns(parts: list[list[str]], widths: list[int]) -> list[str]:
    """Side-by-side text blocks inside one bordered box (the form's header boxes)."""
    height = max(len(p) for p in parts)
    lines = ["┌" + "┬".join("─" * w for w in widths) + "┐"]
    for y in range(height):
        cells = []
        for part, w in zip(parts, widths, strict=True):
            text = part[y] if y < len(part) else ""
            cells.append("─" * w if text == "\x00" else (" " + text).ljust(w)[:w])
        line = "│" + "│".join(cells) + "│"
        lines.append(_joints(line))
    lines.append("└" + "┴".join("─" * w for w in widths) + "┘")
    return lines


def _joints(line: str) -> str:
    """Turn ``│`` next to a rule into the right tee/cross, like w3m draws nested separators."""
    chars = list(line)
    for i, ch in enumerate(chars):
        if ch != "│":
            continue
        left = i > 0 and chars[i - 1] == "─"
        right = i + 1 < len(chars) and chars[i + 1] == "─"
        chars[i] = "┼" if left and right else "┤" if left else "├" if right else "│"
    return "".join(chars)


__all__ = ["Head", "columns", "table", "wrap"]
