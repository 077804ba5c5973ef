"""Due dates as every report and form shows them.

A due date counted into a year whose holidays are not yet published is provisional
(暂定). Once the year is entered in calendar.yaml it is counted again from the limit's
start and length wherever it is shown or judged; until then every human format marks
it 暂定 the same way, and JSON, CSV and export carry the plain date with a separate
``provisional`` field. A report as of a past day judges the limits as they ran then.

The 2027 arrangement entered here is made up for the tests: the real notice was not out
when they were written.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

LETTER = "LTR-2026-0002"  # received 2026-11-05; only its 60-day close limit runs
SLIP = "LTR-2026-0003"  # received 2026-11-05 and assigned: the transfer slip prints
# 2026-11-05 + 60 days = Monday 2027-01-04, a working day while only 元旦 is known.
WRITTEN = "2027-01-04"
# With 01-04 and 01-05 off, the period ends on the next working day (民法典 第二百零三条).
RECOUNTED = "2027-01-06"
PUBLISHED_2027 = """\
years:
  2027:
    source: https://www.gov.cn/zhengce/content/example.htm
    complete: true
    holidays: [2027-01-01, 2027-01-04, 2027-01-05, 2027-01-14]
    workdays: []
"""


def _ok(result):
    assert result.exit_code == 0, result.output
    return result


def _new_letter(cli, received: str, title: str) -> str:
    result = _ok(
        cli(
            "new", "letter", "--set", f"received={received}",
            "--set", "petitioner.name=赵六", "--set", f"title={title}",
            "--set", "content=c", "--by", "wangli", "--date", received,
        )
    )  # fmt: skip
    return result.stdout.strip()


@pytest.fixture
def winter(cli, letter) -> Path:
    """Two letters received on 2026-11-05 whose close limits run into 2027."""
    assert _new_letter(cli, "2026-11-05", "反映纳税服务问题") == LETTER
    _ok(cli("do", LETTER, "report-up", "--set", "report_form=摘要上报",
            "--by", "wangli", "--date", "2026-11-06"))  # fmt: skip
    assert _new_letter(cli, "2026-11-05", "反映办税厅排队问题") == SLIP
    _ok(cli("do", SLIP, "assign", "--set", "unit=donghu", "--by", "wangli",
            "--date", "2026-11-06"))  # fmt: skip
    return letter.parent


@pytest.fixture
def publish(register, hand_commit):
    """Enter 2027's arrangement in calendar.yaml and commit it, as an office would."""

    def run() -> None:
        hand_commit(register / "calendar.yaml", PUBLISHED_2027)

    return run


def _report(cli, as_of: str, *args: str):
    result = _ok(cli("overdue", "--as-of", as_of, "--format", "json", *args))
    report = json.loads(result.stdout)
    return report, result.stderr


def _close_row(report) -> dict:
    [row] = [
        row
        for row in report["overdue"] + report["due_soon"]
        if (row["record"], row["limit"]) == (LETTER, "办结")
    ]
    return row


# --- one mark, and plain dates for machines ----------------------------------------


def test_overdue_json_has_a_plain_date_and_a_provisional_field(cli, winter):
    report, stderr = _report(cli, "2027-01-05")

    row = _close_row(report)
    assert (row["due"], row["provisional"], row["late"]) == (WRITTEN, True, 1)
    assert all(isinstance(r["provisional"], bool) for r in report["overdue"])
    assert "2027 年" in stderr


@pytest.mark.parametrize("fmt", ["table", "md", "html"])
def test_overdue_for_people_marks_the_date_provisional(cli, winter, fmt):
    result = _ok(cli("overdue", "--as-of", "2027-01-05", "--format", fmt))

    assert f"{WRITTEN}（暂定）" in result.stdout


@pytest.mark.parametrize("fmt", ["table", "md"])
def test_list_marks_a_provisional_due_date(cli, winter, fmt):
    result = _ok(cli("list", "letter", "--format", fmt))

    [line] = [line for line in result.stdout.splitlines() if LETTER in line]
    assert f"{WRITTEN}（暂定）" in line


def test_list_json_and_csv_carry_the_plain_date(cli, winter):
    listed = json.loads(_ok(cli("list", "letter", "--format", "json")).stdout)
    rows = {row["id"]: row for row in listed}

    assert (rows[LETTER]["due"], rows[LETTER]["provisional"]) == (WRITTEN, True)
    assert rows["LTR-2026-0001"]["provisional"] is False
    csv = _ok(cli("list", "letter", "--format", "csv")).stdout.splitlines()
    assert csv[0].split(",")[4:6] == ["最近时限", "暂定"]
    [line] = [line for line in csv if line.startswith(LETTER)]
    assert line.split(",")[4:6] == [WRITTEN, "是"]


def test_export_json_carries_the_plain_date(cli, winter, tmp_path):
    out = tmp_path / "来信.json"

    _ok(cli("export", "letter", "-o", str(out)))

    rows = {row["id"]: row for row in json.loads(out.read_text(encoding="utf-8"))}
    assert (rows[LETTER]["due"], rows[LETTER]["provisional"]) == (WRITTEN, True)


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_transfer_slip_marks_the_close_date_provisional(cli, winter, fmt):
    result = _ok(cli("render", SLIP, "transfer-slip", "--format", fmt))

    assert "2027年1月4日（暂定）" in result.stdout
    assert "2026年11月13日（暂定）" not in result.stdout  # 2026 is published


# --- publishing the year counts provisional dates again ---------------------------


def test_publishing_the_year_recounts_the_overdue_report(cli, winter, publish):
    publish()

    report, stderr = _report(cli, "2027-01-05")

    row = _close_row(report)
    assert (row["due"], row["provisional"], row["late"]) == (RECOUNTED, False, "剩 1")
    assert row in report["due_soon"]  # no longer overdue on 01-05
    assert stderr == ""  # nothing is provisional any more
    table = _ok(cli("overdue", "--as-of", "2027-01-05")).stdout
    assert RECOUNTED in table and "暂定" not in table


def test_publishing_the_year_recounts_list_and_export(cli, winter, publish, tmp_path):
    publish()

    listed = json.loads(_ok(cli("list", "letter", "--format", "json")).stdout)
    out = tmp_path / "来信.json"
    _ok(cli("export", "letter", "-o", str(out)))
    exported = json.loads(out.read_text(encoding="utf-8"))

    for rows in (listed, exported):
        [row] = [row for row in rows if row["id"] == LETTER]
        assert (row["due"], row["provisional"]) == (RECOUNTED, False)
    assert "暂定" not in _ok(cli("list", "letter")).stdout


def test_publishing_the_year_recounts_the_forms(cli, winter, publish):
    publish()

    slip = _ok(cli("render", SLIP, "transfer-slip", "--format", "md")).stdout

    assert "2027年1月6日" in slip and "暂定" not in slip


def test_an_extended_limit_is_recounted_with_its_extension(cli, winter, publish):
    _ok(cli("do", LETTER, "extend", "--set", "extension_days=10",
            "--set", "extension_reason=案情复杂", "--by", "zhaoguoqiang",
            "--date", "2026-11-10"))  # fmt: skip
    before = _ok(cli("render", LETTER, "extension", "--format", "md")).stdout
    # 11-05 + 70 days = Thursday 2027-01-14; the original 60 days end on 01-04.
    assert "2027年1月14日（暂定）" in before and "2027年1月4日（暂定）" in before

    publish()

    after = _ok(cli("render", LETTER, "extension", "--format", "md")).stdout
    assert "2027年1月15日" in after and "2027年1月6日" in after
    assert "暂定" not in after
    report, _ = _report(cli, "2027-01-15")
    row = _close_row(report)
    assert (row["due"], row["provisional"]) == ("2027-01-15", False)


# --- a report as of a past day ------------------------------------------------------


@pytest.fixture
def stored_late(cli, letter) -> Path:
    """LTR-2026-0001: its handling limit fell due on 03-23; it was stored on 04-10,
    which closed it. A second letter came on 04-20."""
    _ok(cli("do", "LTR-2026-0001", "store", "--set", "store_reason=重复来信",
            "--by", "wangli", "--date", "2026-04-10"))  # fmt: skip
    _new_letter(cli, "2026-04-20", "反映发票问题")
    return letter


def _shown(report) -> set[tuple[str, str]]:
    return {(r["record"], r["limit"]) for r in report["overdue"] + report["due_soon"]}


def test_past_report_counts_a_case_closed_since(cli, stored_late):
    report, _ = _report(cli, "2026-04-01")

    [row] = report["overdue"]
    # 03-24 … 04-01: 7 working days late on that day.
    assert (row["record"], row["limit"], row["late"]) == ("LTR-2026-0001", "办理", 7)


def test_past_report_leaves_out_what_was_done_or_not_yet_started(cli, stored_late):
    done_that_day, _ = _report(cli, "2026-04-10", "--soon", "30")
    before_the_second, _ = _report(cli, "2026-04-15", "--soon", "30")

    assert _shown(done_that_day) == set()
    assert _shown(before_the_second) == set()  # LTR-2026-0002 came on 04-20


def test_list_overdue_as_of_a_past_day(cli, stored_late):
    listed = json.loads(
        _ok(
            cli("list", "--overdue", "--as-of", "2026-04-01", "--format", "json")
        ).stdout
    )
    still_open = json.loads(
        _ok(
            cli(
                "list",
                "--overdue",
                "--open",
                "--as-of",
                "2026-04-01",
                "--format",
                "json",
            )
        ).stdout
    )

    assert [(row["id"], row["late"]) for row in listed] == [("LTR-2026-0001", 7)]
    assert still_open == []  # closed since


def test_chase_as_of_a_past_day_leaves_out_what_is_done(cli, stored_late):
    result = _ok(cli("chase", "--as-of", "2026-04-01", "--dry-run", "--format", "md"))

    assert result.stdout == "（无逾期事项）\n"
