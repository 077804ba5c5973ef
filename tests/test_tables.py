"""Plain-text tables: Chinese counts two columns, and every column lines up."""

from __future__ import annotations

from wcwidth import wcswidth

from officectl.tables import text_table


def _starts(line: str, cells: list[str]) -> list[int]:
    """The display column each of ``cells`` starts at in ``line``."""
    columns, position = [], 0
    for cell in cells:
        at = line.index(cell, position)
        columns.append(wcswidth(line[:at]))
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
    assert (
        len({wcswidth(line) for line in lines[:4]}) == 1
    )  # the number column ends flush


def test_number_column_is_right_aligned_and_text_left():
    lines = text_table(["事由", "逾期"], [["甲", "5"], ["乙乙乙", "120"]]).splitlines()

    assert lines[0] == "事由      逾期"
    assert lines[2] == "甲" + " " * 11 + "5"
    assert lines[3] == "乙乙乙" + " " * 5 + "120"


def test_a_line_break_in_a_cell_keeps_the_row_on_one_line():
    table = text_table(["事由"], [["第一行\n第二行"], ["单行"]])

    assert table.splitlines()[2:] == ["第一行 第二行", "单行"]


def test_tabs_and_escape_sequences_take_the_room_they_are_measured_by():
    rows = [["A\tB", "1"], ["\x1b[1m加急\x1b[0m", "22"], ["平常\u2028", "333"]]

    lines = text_table(["事由", "逾期"], rows).splitlines()

    assert len({wcswidth(line) for line in lines[:1] + lines[2:]}) == 1
    assert all(line.isprintable() for line in lines)


def test_a_full_width_space_is_kept():
    assert (
        text_table(["地址"], [["办公室\u3000三楼"]]).splitlines()[2]
        == "办公室\u3000三楼"
    )


def test_no_rows_gives_the_header_and_rule():
    assert text_table(["编号", "事由"], []) == "编号    事由\n------  ------"


def test_cells_are_shown_as_given_not_as_numbers():
    lines = text_table(
        ["编号", "代字"], [["0012", "1e3"], ["007", "12.50"]]
    ).splitlines()

    assert [line.split() for line in lines[2:]] == [["0012", "1e3"], ["007", "12.50"]]
