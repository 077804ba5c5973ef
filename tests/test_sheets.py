"""Ledgers in and out: ``officectl import`` from Excel and CSV, ``officectl export``."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import openpyxl
import pytest

from officectl.register import Register
from officectl.sheets import load_mapping

# A ledger as offices keep it: a title row, then the header in row 2, then one row a
# letter. Row numbers in messages are the ones Excel shows (the first letter is row 3).
TITLE = "江城市税务局来信登记台账（2026年）"
HEADER = ["序号", "来信日期", "姓名", "联系电话", "身份证号", "来信事由", "主要内容",
          "来信渠道", "办理状态", "承办单位"]  # fmt: skip
FIRST_ROW = 3

MAPPING = """\
# 来信台账 → letter
sheet: 来信台账
header_row: 2
columns:
  来信日期: received
  姓名: petitioner.name
  联系电话: petitioner.phone
  身份证号: petitioner.id_number
  来信事由: title
  主要内容: content
  来信渠道: channel
status:
  column: 办理状态
  then:
    已登记: []
    已交办:
      - action: assign
        columns: {承办单位: unit}
"""


def good_row(n: int) -> list[object]:
    """The n-th letter of the ledger (n from 1), all of it valid."""
    received = dt.datetime(2026, 3, 2) + dt.timedelta(days=n % 20)
    return [n, received, f"来信人{n}", f"1380000{n:04d}", f"42010219900307{n:04d}",
            f"反映问题{n}", f"来信内容{n}", "邮寄", "", None]  # fmt: skip


def write_xlsx(path: Path, rows: list[list[object]]) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "来信台账"
    sheet.append([TITLE])
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def write_csv(
    path: Path, rows: list[list[object]], encoding: str = "utf-8-sig"
) -> Path:
    def cell(value: object) -> str:
        if isinstance(value, dt.datetime):
            return f"{value.year}/{value.month}/{value.day}"  # as Excel saves dates
        return "" if value is None else str(value)

    stream = io.StringIO(newline="")
    writer = csv.writer(stream)
    writer.writerow([TITLE] + [""] * (len(HEADER) - 1))
    writer.writerow(HEADER)
    writer.writerows([[cell(v) for v in row] for row in rows])
    path.write_bytes(stream.getvalue().encode(encoding))
    return path


@pytest.fixture
def mapping(tmp_path: Path) -> Path:
    path = tmp_path / "来信台账.yaml"
    path.write_text(MAPPING, encoding="utf-8")
    return path


@pytest.fixture
def ledger(tmp_path: Path) -> Path:
    return write_xlsx(
        tmp_path / "来信台账2026.xlsx", [good_row(n) for n in range(1, 31)]
    )


def records(register: Path) -> dict[str, dict]:
    from officectl.yamlio import load_file

    folder = register / "registers/letter/2026"
    return {p.stem: load_file(p)[0] for p in sorted(folder.glob("*.yaml"))}


def commits_since(git, head: str) -> list[str]:
    return git("rev-list", f"{head}..HEAD").split()


# --- a clean import -----------------------------------------------------------------


def test_a_clean_import_is_one_commit_with_ids_in_row_order(
    cli, git, letter, ledger, mapping
):
    before = git("rev-parse", "HEAD").strip()

    result = cli("import", "letter", str(ledger), "-m", str(mapping), "--by", "wangli")

    assert result.exit_code == 0, result.output
    assert commits_since(git, before) == [git("rev-parse", "HEAD").strip()]
    # LTR-2026-0001 was on file: the import numbers on from it, in row order.
    expected = [
        f"来信台账2026.xlsx:{FIRST_ROW + n}: LTR-2026-{n + 2:04d}" for n in range(30)
    ]
    assert result.stdout.splitlines() == expected
    files = git("show", "--name-only", "--format=", "HEAD").split()
    assert files == [
        f"registers/letter/2026/LTR-2026-{n:04d}.yaml" for n in range(2, 32)
    ]
    assert git("status", "--porcelain") == ""
    assert cli("validate").output == ""

    subject, author = git("log", "-1", "--format=%s%n%an").splitlines()
    assert (subject, author) == ("导入 letter 30 件（来信台账2026.xlsx）", "王丽")
    body = git("log", "-1", "--format=%b")
    assert "第 3 行 → LTR-2026-0002" in body
    assert "Officectl-Action: import" in body
    assert "已导入 letter 30 件" in result.stderr


def test_an_imported_row_becomes_the_record_the_ledger_describes(
    cli, register, ledger, mapping
):
    result = cli("import", "letter", str(ledger), "-m", str(mapping), "--by", "wangli")

    assert result.exit_code == 0, result.output
    record = records(register)["LTR-2026-0007"]
    assert record["received"] == dt.date(2026, 3, 9)
    assert record["petitioner"] == {
        "name": "来信人7", "phone": "13800000007", "id_number": "420102199003070007",
    }  # fmt: skip
    assert (record["state"], record["handler"], record["channel"]) == (
        "registered",
        "wangli",
        "邮寄",
    )
    (step,) = record["history"]
    assert step["at"] == "2026-03-09T09:00:00+08:00"  # the ledger's date, not today
    assert step["note"] == "导入自 来信台账2026.xlsx 第 9 行"
    register_limit = record["deadlines"][0]
    assert (
        register_limit["done"] == dt.date(2026, 3, 9) and "late" not in register_limit
    )


def test_a_dry_run_checks_every_row_and_writes_nothing(cli, untouched, ledger, mapping):
    with untouched():
        result = cli("import", "letter", str(ledger), "-m", str(mapping), "--by", "wangli",
                     "--dry-run")  # fmt: skip

    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert "试运行：30 行可以导入" in result.stderr


# --- bad rows -----------------------------------------------------------------------

BAD_ROWS = {
    5: ("来信日期（received）", "'2026-02-30' 不是有效的日期"),
    9: ("联系电话（petitioner.phone）", "'1.38E+10' 是科学计数法"),
    12: ("姓名（petitioner.name）", "必填，但这一格是空的"),
}


def bad_ledger(tmp_path: Path, suffix: str) -> Path:
    rows = [good_row(n) for n in range(1, 13)]
    rows[5 - FIRST_ROW][1] = "2026-02-30"
    rows[9 - FIRST_ROW][3] = "1.38E+10"  # the phone, after Excel showed it as a float
    rows[12 - FIRST_ROW][2] = None
    name = tmp_path / f"来信台账2026{suffix}"
    return write_xlsx(name, rows) if suffix == ".xlsx" else write_csv(name, rows)


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_every_bad_row_is_reported_by_its_row_number_and_nothing_is_written(
    cli, untouched, tmp_path, mapping, suffix
):
    ledger = bad_ledger(tmp_path, suffix)

    with untouched():
        result = cli(
            "import", "letter", str(ledger), "-m", str(mapping), "--by", "wangli"
        )

    assert result.exit_code == 2, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == len(BAD_ROWS)
    for line, (row, (field, words)) in zip(
        lines, sorted(BAD_ROWS.items()), strict=True
    ):
        assert line.startswith(f"{ledger.name}:{row}: {field}: "), line
        assert words in line
    assert "3 行有问题（第 5、9、12 行），未导入任何记录" in result.stderr
    assert "Traceback" not in result.output


def test_a_dry_run_reports_bad_rows_too(cli, untouched, tmp_path, mapping):
    ledger = bad_ledger(tmp_path, ".xlsx")

    with untouched():
        result = cli("import", "letter", str(ledger), "-m", str(mapping), "--by", "wangli",
                     "--dry-run")  # fmt: skip

    assert result.exit_code == 2
    assert [line.split(": ")[0] for line in result.stdout.splitlines()] == [
        f"{ledger.name}:{row}" for row in sorted(BAD_ROWS)
    ]


def test_skip_bad_imports_the_good_rows_and_names_the_rest(
    cli, git, register, tmp_path, mapping
):
    ledger = bad_ledger(tmp_path, ".xlsx")
    before = git("rev-parse", "HEAD").strip()

    result = cli("import", "letter", str(ledger), "-m", str(mapping), "--by", "wangli",
                 "--skip-bad")  # fmt: skip

    assert result.exit_code == 1, result.output  # the skipped rows are to look at
    assert len(commits_since(git, before)) == 1
    imported = [line for line in result.stdout.splitlines() if ": LTR-" in line]
    good = [row for row in range(FIRST_ROW, FIRST_ROW + 12) if row not in BAD_ROWS]
    # A skipped row leaves no gap in the numbering.
    assert imported == [
        f"{ledger.name}:{row}: LTR-2026-{n:04d}" for n, row in enumerate(good, start=1)
    ]
    assert "跳过有问题的 3 行（第 5、9、12 行）" in result.stderr
    assert len(records(register)) == 9
    assert git("status", "--porcelain") == ""


def test_a_row_with_several_problems_reports_them_all(
    cli, untouched, tmp_path, mapping
):
    row = good_row(1)
    row[1], row[2], row[8] = "2026-13-01", "", "办理中"
    ledger = write_xlsx(tmp_path / "台账.xlsx", [row])

    with untouched():
        result = cli(
            "import", "letter", str(ledger), "-m", str(mapping), "--by", "wangli"
        )

    assert result.exit_code == 2
    assert result.stdout.splitlines() == [
        "台账.xlsx:3: 来信日期（received）: '2026-13-01' 不是有效的日期"
        "（应形如 2026-03-02、2026/3/2 或 2026年3月2日）",
        "台账.xlsx:3: 姓名（petitioner.name）: 必填，但这一格是空的",
        "台账.xlsx:3: 办理状态: '办理中' 不在 来信台账.yaml 的 status.then 中；应为：已登记、已交办",
    ]


# --- what Excel does to numbers -----------------------------------------------------


def test_a_phone_excel_made_a_number_comes_back_as_its_digits(
    cli, register, tmp_path, mapping
):
    row = good_row(1)
    row[3] = 13800001234.0
    ledger = write_xlsx(tmp_path / "台账.xlsx", [row])

    result = cli("import", "letter", str(ledger), "-m", str(mapping), "--by", "wangli")

    assert result.exit_code == 0, result.output
    assert records(register)["LTR-2026-0001"]["petitioner"]["phone"] == "13800001234"
    assert (
        "联系电话 列有 1 格是数字，已按文本导入（如第 3 行 13800001234）"
        in result.stderr
    )


def test_an_id_number_excel_made_a_number_is_a_bad_row(
    cli, untouched, tmp_path, mapping
):
    row = good_row(1)
    row[4] = 4.20102199003071e17  # 420102199003071234 after Excel kept 15 digits
    ledger = write_xlsx(tmp_path / "台账.xlsx", [row])

    with untouched():
        result = cli(
            "import", "letter", str(ledger), "-m", str(mapping), "--by", "wangli"
        )

    assert result.exit_code == 2
    assert result.stdout.startswith(
        "台账.xlsx:3: 身份证号（petitioner.id_number）: 单元格是数字 "
    )
    assert "15 位有效数字" in result.stdout


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gb18030"])
def test_csv_as_excel_saves_it(cli, register, tmp_path, mapping, encoding):
    rows = [good_row(1), good_row(2), good_row(3)]
    rows[0][1] = "2026年3月2日"
    rows[1][6] = "第一段\n第二段"  # one Excel row, two lines in the file
    rows[2][1] = "2026-02-30"
    ledger = write_csv(tmp_path / "台账.csv", rows, encoding)

    result = cli("import", "letter", str(ledger), "-m", str(mapping), "--by", "wangli",
                 "--skip-bad")  # fmt: skip

    assert result.exit_code == 1, result.output
    assert result.stdout.startswith("台账.csv:5: 来信日期（received）")  # the Excel row
    saved = records(register)
    assert saved["LTR-2026-0001"]["received"] == dt.date(2026, 3, 2)
    assert saved["LTR-2026-0002"]["content"] == "第一段\n第二段"
    assert saved["LTR-2026-0002"]["petitioner"]["name"] == "来信人2"


# --- further steps from a status column -----------------------------------------------


def test_a_status_column_takes_the_steps_it_names(cli, register, tmp_path, mapping):
    row = good_row(1)
    row[8], row[9] = (
        "已交办",
        "江城市东湖区税务局",
    )  # a unit by its name, as ledgers write it
    ledger = write_xlsx(tmp_path / "台账.xlsx", [row])

    result = cli("import", "letter", str(ledger), "-m", str(mapping), "--by", "wangli")

    assert result.exit_code == 0, result.output
    record = records(register)["LTR-2026-0001"]
    assert (record["state"], record["unit"]) == ("assigned", "donghu")
    assert [step["action"] for step in record["history"]] == ["register", "assign"]


APPROVED = """
    已审批:
      - action: assign
        columns: {承办单位: unit}
      - accept
      - action: submit-opinion
        constants: {opinion: 经核查，已整改。}
      - check
      - action: approve
        by: qianmin
"""


@pytest.mark.parametrize("by", ["qianmin", None])
def test_later_steps_are_taken_by_whom_the_mapping_names(cli, register, tmp_path, by):
    mapping = tmp_path / "map.yaml"
    steps = APPROVED if by else APPROVED.replace("        by: qianmin\n", "")
    mapping.write_text(
        MAPPING.replace("    已登记: []\n", "    已登记: []" + steps), "utf-8"
    )
    row = good_row(1)
    row[8], row[9] = "已审批", "collection"
    ledger = write_xlsx(tmp_path / "台账.xlsx", [row])

    result = cli("import", "letter", str(ledger), "-m", str(mapping), "--by", "wangli")

    if by is None:  # 王丽 may register, assign and accept, but not approve
        assert result.exit_code == 2
        assert result.stdout == (
            "台账.xlsx:3: 王丽（wangli）的岗位（信访管理岗）不能局领导审批；"
            "须由局领导、分管局领导办理\n"
        )
        return
    assert result.exit_code == 0, result.output
    history = records(register)["LTR-2026-0001"]["history"]
    assert [(s["action"], s["by"]) for s in history] == [
        ("register", "wangli"), ("assign", "wangli"), ("accept", "wangli"),
        ("submit-opinion", "wangli"), ("check", "wangli"), ("approve", "qianmin"),
    ]  # fmt: skip
    assert records(register)["LTR-2026-0001"]["state"] == "approved"


def test_an_unknown_unit_is_named_with_its_column(cli, untouched, tmp_path, mapping):
    row = good_row(1)
    row[8], row[9] = "已交办", "江城市某某局"
    ledger = write_xlsx(tmp_path / "台账.xlsx", [row])

    with untouched():
        result = cli(
            "import", "letter", str(ledger), "-m", str(mapping), "--by", "wangli"
        )

    assert result.exit_code == 2
    assert result.stdout.startswith(
        "台账.xlsx:3: 承办单位（unit）: 名册中没有单位“江城市某某局”"
    )


# --- the mapping and the file -----------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "words"),
    [
        ("  姓名: petitioner.name", "  姓名: petitioner.nmae", ["petitioner.nmae"]),
        ("  来信事由: title", "  来信事由: id", ["id", "由 officectl 维护"]),
        ("  主要内容: content\n", "", ["content", "必填"]),
        ("header_row: 2", "header_row: 1", ["第 1 行表头中没有列", "header_row"]),
        ("sheet: 来信台账", "sheet: 来访台账", ["没有工作表“来访台账”", "来信台账"]),
        ("      - action: assign", "      - action: asign", ["asign", "assign"]),
        ("status:", "statuss:", ["statuss"]),
    ],
    ids=[
        "unknown field",
        "reserved field",
        "required field unmapped",
        "header row",
        "sheet",
        "unknown action",
        "unknown key",
    ],
)
def test_a_bad_mapping_is_one_clear_error(
    cli, untouched, one_line_error, tmp_path, ledger, old, new, words
):
    mapping = tmp_path / "map.yaml"
    assert old in MAPPING
    mapping.write_text(MAPPING.replace(old, new), encoding="utf-8")

    with untouched():
        result = cli(
            "import", "letter", str(ledger), "-m", str(mapping), "--by", "wangli"
        )

    one_line_error(result, 2, *words)


def test_an_old_excel_file_is_refused_with_what_to_do(
    cli, one_line_error, tmp_path, mapping
):
    old = tmp_path / "台账.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0")

    result = cli("import", "letter", str(old), "-m", str(mapping), "--by", "wangli")

    one_line_error(result, 2, "台账.xls", "另存为 .xlsx")


def test_a_failed_commit_leaves_the_register_as_it_was(
    cli, untouched, register, ledger, mapping
):
    hook = register / ".git/hooks/pre-commit"
    hook.parent.mkdir(exist_ok=True)
    hook.write_text("#!/bin/sh\necho refused by hook >&2\nexit 1\n", encoding="utf-8")
    hook.chmod(0o755)

    with untouched():
        result = cli(
            "import", "letter", str(ledger), "-m", str(mapping), "--by", "wangli"
        )

    assert result.exit_code == 4, result.output
    assert not (register / "registers/letter/2026").exists() or not any(
        (register / "registers/letter/2026").iterdir()
    )


def test_the_example_mapping_fits_the_example_register(register):
    example = Path(__file__).parent.parent / "examples" / "import-letter.yaml"

    mapping = load_mapping(Register(register), example, "letter")

    assert mapping.columns["来信日期"] == "received"
    assert mapping.header_row >= 1


# --- export ------------------------------------------------------------------------

PHONE, ID_NUMBER, ADDRESS = "13800001234", "420102199003071234", "江城市东湖区幸福路8号"


@pytest.fixture
def assigned(cli, letter):
    """LTR-2026-0001 (conftest.FIRST_LETTER) assigned to 东湖区 on 2026-03-09."""
    result = cli("do", "LTR-2026-0001", "assign", "--set", "unit=donghu", "--by", "wangli",
                 "--date", "2026-03-09")  # fmt: skip
    assert result.exit_code == 0, result.output
    return letter


def test_export_to_xlsx_reads_back_masked_with_real_dates(cli, assigned, tmp_path):
    out = tmp_path / "来信.xlsx"

    result = cli("export", "letter", "-o", str(out))

    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(out)
    sheet = book.active
    header = [cell.value for cell in sheet[1]]
    row = dict(zip(header, [cell for cell in sheet[2]], strict=True))
    assert sheet.title == "来信"
    assert header[:5] == ["编号", "类型", "状态", "事由", "最近时限"]
    assert {
        "收信日期",
        "信访人姓名",
        "信访人电话",
        "信访人居民身份证号",
        "承办单位",
    } <= set(header)
    assert row["编号"].value == "LTR-2026-0001"
    assert row["信访人姓名"].value == "张三"
    assert row["信访人电话"].value == "138******34"  # masked exactly as list masks it
    assert row["承办单位"].value == "江城市东湖区税务局"
    assert row["收信日期"].is_date and row["收信日期"].value == dt.datetime(2026, 3, 2)
    assert row["最近时限"].is_date
    assert sheet.freeze_panes == "A2"
    title_column = sheet.column_dimensions["D"].width
    assert title_column >= 2 * len(
        "反映物业收费问题"
    )  # a Chinese character is two wide
    for cells in sheet.iter_rows(values_only=True):
        for value in cells:
            assert not any(s in str(value) for s in (PHONE, ID_NUMBER, ADDRESS))


def test_export_to_csv_opens_in_excel_with_chinese_headers(cli, assigned, tmp_path):
    out = tmp_path / "来信.csv"

    result = cli("export", "letter", "-o", str(out))

    assert result.exit_code == 0, result.output
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # so Excel reads it as UTF-8
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert [(r["编号"], r["状态"], r["收信日期"], r["信访人电话"]) for r in rows] == [
        ("LTR-2026-0001", "已交办待受理", "2026-03-02", "138******34")
    ]
    assert not any(s.encode() in raw for s in (PHONE, ID_NUMBER, ADDRESS))


def test_export_to_json_has_the_list_keys(cli, assigned, tmp_path):
    out = tmp_path / "来信.json"

    result = cli("export", "letter", "-o", str(out))

    assert result.exit_code == 0, result.output
    (row,) = json.loads(out.read_text(encoding="utf-8"))
    listed = json.loads(cli("list", "letter", "--format", "json").stdout)
    assert {key: row[key] for key in listed[0]} == listed[0]
    assert row["petitioner.phone"] == "138******34"
    assert row["received"] == "2026-03-02"
    assert "张三" in out.read_text(
        encoding="utf-8"
    )  # written as characters, not escapes


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["letter"],
        ["letter", "--state", "assigned"],
        ["letter", "--state", "closed"],
        ["--open"],
        ["--overdue", "--as-of", "2026-03-10"],
        ["letter", "--overdue", "--as-of", "2026-04-01"],
    ],
    ids=" ".join,
)
def test_export_selects_what_list_lists(cli, assigned, tmp_path, args):
    out = tmp_path / "out.json"

    result = cli("export", *args, "-o", str(out))

    assert result.exit_code == 0, result.output
    exported = json.loads(out.read_text(encoding="utf-8"))
    listed = json.loads(cli("list", *args, "--format", "json").stdout)
    keys = listed[0] if listed else {}
    assert [{k: row[k] for k in keys} for row in exported] == listed


def test_export_overdue_counts_working_days_late(cli, assigned, tmp_path):
    out = tmp_path / "逾期.xlsx"

    result = cli("export", "--overdue", "--as-of", "2026-04-01", "-o", str(out))

    assert result.exit_code == 0, result.output
    sheet = openpyxl.load_workbook(out).active
    header = [cell.value for cell in sheet[1]]
    assert header == ["编号", "类型", "状态", "事由", "最近时限", "暂定", "逾期工作日"]
    assert sheet.cell(2, 6).value is False  # a plain date, and 暂定 beside it
    assert sheet.cell(2, 7).value > 0


def test_export_needs_a_format_it_knows(cli, one_line_error, assigned, tmp_path):
    result = cli("export", "letter", "-o", str(tmp_path / "来信.txt"))

    one_line_error(result, 2, "--format")
    assert not (tmp_path / "来信.txt").exists()


def test_an_export_imports_back(cli, register, assigned, tmp_path):
    out = tmp_path / "来信.xlsx"
    cli("export", "letter", "--by", "lijun", "-o", str(out))
    mapping = tmp_path / "back.yaml"
    mapping.write_text(
        "columns: {收信日期: received, 信访人姓名: petitioner.name, 事由: title, "
        "来信内容摘要: content}\n",
        encoding="utf-8",
    )

    result = cli("import", "letter", str(out), "-m", str(mapping), "--by", "wangli")

    assert result.exit_code == 0, result.output
    assert result.stdout == f"{out.name}:2: LTR-2026-0002\n"
    copy = records(register)["LTR-2026-0002"]
    assert (copy["received"], copy["title"]) == (
        dt.date(2026, 3, 2),
        "反映物业收费问题",
    )


def test_text_that_looks_like_a_formula_stays_text(cli, letter, tmp_path):
    formula = '=HYPERLINK("http://example.invalid","点击查看")'
    result = cli("new", "letter", "--set", "received=2026-03-03", "--set",
                 "petitioner.name=李四", "--set", f"title={formula}", "--set", "content=c",
                 "--by", "wangli")  # fmt: skip
    assert result.exit_code == 0, result.output

    cli("export", "letter", "-o", str(tmp_path / "来信.xlsx"))
    cli("export", "letter", "-o", str(tmp_path / "来信.csv"))

    cell = openpyxl.load_workbook(tmp_path / "来信.xlsx").active["D3"]
    assert (cell.value, cell.data_type) == (formula, "s")
    rows = list(csv.reader(io.StringIO((tmp_path / "来信.csv").read_text("utf-8-sig"))))
    assert rows[2][3] == f"'{formula}"


@pytest.mark.parametrize(("last", "expected"), [(1000, 0), (502, 4)])
def test_a_shared_register_numbers_from_this_clones_block(
    cli, git, register, hand_commit, ledger, mapping, last, expected
):
    from officectl import ids

    clone = ids.clone_id(register, create=True)
    lease = ids.Lease("LTR", 2026, 501, last, clone, "wangli")
    hand_commit(register / ids.LEASES, ids.dumps(ids.Leases(500, (lease,))))
    before = git("rev-parse", "HEAD").strip()

    result = cli("import", "letter", str(ledger), "-m", str(mapping), "--by", "wangli")

    assert result.exit_code == expected, result.output
    if expected:  # two numbers left for thirty rows: nothing is written
        assert "officectl sync" in result.stderr
        assert git("rev-parse", "HEAD").strip() == before
        assert git("status", "--porcelain") == ""
        return
    assert result.stdout.splitlines()[0].endswith(": LTR-2026-0501")
    assert result.stdout.splitlines()[-1].endswith(": LTR-2026-0530")
