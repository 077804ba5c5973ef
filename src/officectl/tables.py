"""Aligned plain-text tables for the terminal, cron output and mail bodies.

A Chinese character fills two columns of a terminal, so widths are display widths
(wcwidth), not string lengths. Every cell is already text and is measured once; columns
of whole numbers (days late) are right-aligned, everything else left-aligned. Line
breaks inside a cell become spaces, so one record is always one line for grep and mail.

tabulate still draws the Markdown tables; this draws the plain ones because tabulate
0.9 guesses every cell's type and measures it twice: on the overdue report of a
ten-year register (630 rows) that took 90 ms, more than the report's own work, where
this takes 15 ms (tabulate 0.10 is faster at drawing but imports importlib.metadata,
80 ms, on every run).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

GAP = "  "

# Printable ASCII and the common wide blocks (CJK symbols and punctuation less the
# combining tone marks, CJK ideographs and extension A, fullwidth forms): every
# character outside ASCII here is two columns wide and three bytes of UTF-8, which
# lets C code measure the whole cell.
_ASCII_AND_WIDE = re.compile(
    "[\x20-\x7e\u3000-\u3029\u3030-\u303e\u3400-\u4dbf\u4e00-\u9fff\uff01-\uff60]*"
)


def text_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """``rows`` under ``headers``, a dashed rule between, columns two spaces apart."""
    header = [_one_line(text) for text in headers]
    body = [[_one_line(text) for text in row] for row in rows]
    sizes = [[width(cell) for cell in row] for row in (header, *body)]
    widths = [max(column) for column in zip(*sizes, strict=True)]
    columns = list(zip(*body, strict=True)) if body else [() for _ in header]
    numeric = [
        any(column) and all(cell.isdigit() or not cell for cell in column)
        for column in columns
    ]
    lines = [_line(header, sizes[0], widths, numeric)]
    lines.append(GAP.join("-" * wanted for wanted in widths))
    lines += [
        _line(row, size, widths, numeric)
        for row, size in zip(body, sizes[1:], strict=True)
    ]
    return "\n".join(lines)


def width(text: str) -> int:
    """Columns ``text`` takes on a terminal: two for each wide (CJK) character."""
    if text.isascii() and text.isprintable():
        return len(text)
    if _ASCII_AND_WIDE.fullmatch(text):
        # a ASCII and w wide characters: a + 3w bytes, so the width a + 2w is
        return (len(text.encode()) + len(text)) // 2  # (bytes + characters) / 2
    from wcwidth import wcswidth, wcwidth

    columns = wcswidth(text)
    if columns < 0:  # a control character: count what can be shown
        columns = sum(max(wcwidth(char), 0) for char in text)
    return int(columns)


def _line(
    cells: Sequence[str],
    sizes: Sequence[int],
    widths: Sequence[int],
    numeric: Sequence[bool],
) -> str:
    padded = []
    for cell, size, wanted, right in zip(cells, sizes, widths, numeric, strict=True):
        fill = " " * (wanted - size)
        padded.append(fill + cell if right else cell + fill)
    return GAP.join(padded).rstrip()


def _one_line(text: str) -> str:
    return " ".join(text.splitlines()) if "\n" in text or "\r" in text else text
