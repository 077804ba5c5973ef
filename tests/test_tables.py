"""Plain-text tables: Chinese counts two columns, and every column lines up."""

from __future__ import annotations

import pytest
from wcwidth import wcswidth

from officectl.tables import text_table, width


def test_width_agrees_with_wcwidth_on_every_printable_character():
    # Every character of the Basic Multilingual Plane that a terminal can show.
    characters = [chr(code) for code in range(0x20, 0x10000)]
    shown = [char for char in characters if wcswidth(char) >= 0]

    wrong = [char for char in shown if width(char) != wcswidth(char)]

    assert len(shown) > 50_000
    assert wrong == []


@pytest.mark.parametrize(
    "text",
    [
        "江税发〔2026〕12号",
        "逾期：240 项",
        "ＡＢＣ１２３",
        "한국어 민원",
        "café 报告",
        "〇〆〾",
    ],
)
def test_width_of_mixed_text(text):
    assert width(text) == wcswidth(text)


def test_width_of_text_with_a_control_character_counts_what_shows():
    assert width("办公室\t三楼") == 10


def _starts(line: str, cells: list[str]) -> list[int]:
    """The display column each of ``cells`` starts at in ``line``."""
    columns, position = [], 0
    for cell in cells:
        at = line.index(cell, position)
        columns.append(width(line[:at]))
        position = at + len(cell)
    return columns


def test_columns_line_up_whatever_the_script():
    rows = [
        ["东湖区税务局", "LTR-2026-0001", "反映物业收费问题", "3"],
        ["办公室", "VST-2026-0012", "Parking fees", "12"],
        ["ＡＢＣ", "OUT-2026-0003", "江税发〔2026〕12号", ""],
    ]

    lines = text_table(["单位", "编号", "事由", "逾期"], rows).splitlines()

    assert len(lines) == 5
    assert set(lines[1]) == {"-", " "}
    firsts = {
        tuple(_starts(line, row[:3])) for line, row in zip(lines[2:], rows, strict=True)
    }
    assert len(firsts) == 1  # unit, id and title start at the same columns on every row
    assert len({width(line) for line in lines[:4]}) == 1  # the number column ends flush


def test_number_column_is_right_aligned_and_text_left():
    lines = text_table(["事由", "逾期"], [["甲", "5"], ["乙乙乙", "120"]]).splitlines()

    assert lines[0] == "事由    逾期"
    assert lines[2] == "甲" + " " * 9 + "5"
    assert lines[3] == "乙乙乙" + " " * 3 + "120"


def test_a_line_break_in_a_cell_keeps_the_row_on_one_line():
    table = text_table(["事由"], [["第一行\n第二行"], ["单行"]])

    assert table.splitlines()[2:] == ["第一行 第二行", "单行"]


def test_no_rows_gives_the_header_and_rule():
    assert text_table(["编号", "事由"], []) == "编号  事由\n----  ----"
