"""What the engine refuses, found by a new user's trial: a department head acting on
another unit's case, dates that cannot be, rules changed but not committed, and
control characters in text fields. Each refusal is one line, and the register is left
exactly as it was."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest

from officectl import engine
from officectl.yamlio import loads

ID = "LTR-2026-0001"
RELATIVE = "registers/letter/2026/LTR-2026-0001.yaml"


def record(path: Path) -> dict:
    data, _ = loads(path.read_text(encoding="utf-8"))
    return data


def assign(cli, unit: str, date: str = "2026-03-09") -> None:
    result = cli(
        "do", ID, "assign", "--set", f"unit={unit}", "--by", "wangli", "--date", date
    )
    assert result.exit_code == 0, result.output


# --- a unit-bound post counts only for its own unit ---------------------------------


@pytest.mark.parametrize(
    ("unit", "by", "wanted"),
    [
        # 法制处's head on a lower bureau's case: a bureau has no head in the roster
        (
            "hanjiang",
            "xuming",
            "江城市汉江区税务局承办的记录办理“承办单位受理”；须由信访管理岗办理",
        ),
        ("office", "heping", "办公室的处室负责人"),  # 督察内审处's head
        ("legal", "lvyang", "法制处的处室负责人"),  # 纳税服务处's staff
    ],
)
def test_a_department_head_may_not_accept_another_units_case(
    cli, letter, untouched, one_line_error, unit, by, wanted
):
    assign(cli, unit)

    with untouched():
        result = cli("do", ID, "accept", "--by", by)

    one_line_error(result, 3, "信访管理岗", wanted)


def test_the_head_of_the_assigned_unit_and_the_petition_officer_may(cli, letter):
    assign(cli, "legal")

    accepted = cli("do", ID, "accept", "--by", "xuming")
    opinion = cli(
        "do", ID, "submit-opinion", "--set", "opinion=已核实", "--by", "wangli"
    )

    assert (accepted.exit_code, opinion.exit_code) == (0, 0), opinion.output
    assert record(letter)["state"] == "reviewing"


def test_a_head_cannot_take_the_case_by_changing_its_unit_in_the_same_step(
    cli, letter, untouched, one_line_error
):
    assign(cli, "hanjiang")

    with untouched():
        result = cli("do", ID, "accept", "--set", "unit=legal", "--by", "xuming")

    one_line_error(result, 3, "汉江区")


def classified(cli, unit: str) -> str:
    """A classified document passed on to ``unit`` for handling."""
    steps = [
        ["new", "classified", "--set", "issuer=国家税务总局湖北省税务局",
         "--set", "title=某专项工作方案", "--set", "secrecy=机密",
         "--set", "secrecy_term=10", "--set", "copy_numbers=000001",
         "--by", "chenjing", "--date", "2026-03-02T09:00"],
        ["do", "CLS-2026-0001", "sort", "--set", "category=文件", "--by", "chenjing"],
        ["do", "CLS-2026-0001", "propose", "--set", "proposal=拟呈阅", "--by", "lijun"],
        ["do", "CLS-2026-0001", "present", "--by", "chenjing"],
        ["do", "CLS-2026-0001", "instruct", "--set", "instruction=阅办",
         "--by", "qianmin"],
        ["do", "CLS-2026-0001", "pass-on", "--set", f"unit={unit}",
         "--by", "chenjing"],
    ]  # fmt: skip
    for step in steps:
        result = cli(*step)
        assert result.exit_code == 0, (step, result.output)
    return "CLS-2026-0001"


def test_only_the_handling_departments_head_finishes_a_classified_document(
    cli, untouched, one_line_error
):
    record_id = classified(cli, "policy2")

    with untouched():
        result = cli(
            "do", record_id, "finish", "--set", "result=已办", "--by", "youjie"
        )
    one_line_error(result, 3, "所得税处的处室负责人")
    done = cli("do", record_id, "finish", "--set", "result=已办", "--by", "qinlan")

    assert done.exit_code == 0, done.output


def test_audit_finds_a_step_by_another_units_head(cli, git, letter, monkeypatch):
    assign(cli, "hanjiang")
    monkeypatch.setattr(engine, "_check_person", lambda *args: None)
    assert cli("do", ID, "accept", "--by", "xuming").exit_code == 0

    result = cli("audit")

    assert result.exit_code == 1
    assert "不能为江城市汉江区税务局承办的记录办理" in result.stdout, result.stdout


# --- dates --------------------------------------------------------------------------


def test_a_step_dated_before_the_last_one_is_refused(
    cli, letter, untouched, one_line_error
):
    assign(cli, "donghu", "2026-03-09T10:00")

    with untouched():
        day = cli("do", ID, "accept", "--by", "wangli", "--date", "2020-01-01")
        hour = cli("do", ID, "accept", "--by", "wangli", "--date", "2026-03-09T09:00")

    one_line_error(day, 2, "--date", "2020-01-01", "assign")
    one_line_error(hour, 2, "--date", "2026-03-09T09:00", "时刻")
    same = cli("do", ID, "accept", "--by", "wangli", "--date", "2026-03-09T10:00")
    assert same.exit_code == 0, same.output


def test_a_step_dated_after_today_is_refused(cli, letter, untouched, one_line_error):
    future = (dt.date.today() + dt.timedelta(days=400)).isoformat()

    with untouched():
        result = cli("do", ID, "assign", "--set", "unit=donghu", "--by", "wangli",
                     "--date", future)  # fmt: skip

    one_line_error(result, 2, "--date", future, "今天")


NEW = ["new", "letter", "--set", "petitioner.name=张三", "--set", "title=t",
       "--set", "content=c", "--by", "wangli"]  # fmt: skip


@pytest.mark.parametrize(
    ("received", "words"),
    [
        ((dt.date.today() + dt.timedelta(days=200)).isoformat(), ["今天"]),
        ("1999-01-01", ["2004", "核对"]),
        ("2026-03-05", ["办理日期 2026-03-04"]),
    ],
    ids=["in the future", "before the calendar", "after its registration"],
)
def test_a_received_date_that_cannot_be_is_refused(
    cli, untouched, one_line_error, received, words
):
    with untouched():
        result = cli(*NEW, "--set", f"received={received}", "--date", "2026-03-04")

    one_line_error(result, 2, "received", received, *words)


def test_a_future_received_date_in_a_file_is_refused(cli, untouched, one_line_error):
    fields = "received: 2099-05-01\npetitioner:\n  name: 张三\ntitle: t\ncontent: c\n"

    with untouched():
        result = cli("new", "letter", "--file", "-", "--by", "wangli", input=fields)

    one_line_error(result, 2, "received", "2099-05-01")


def test_an_imported_row_received_in_the_future_is_a_bad_row(cli, untouched, tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "来信台账"
    sheet.append(["来信日期", "姓名", "来信事由", "主要内容"])
    sheet.append([dt.datetime(2026, 3, 2), "张三", "事由一", "内容一"])
    sheet.append([dt.datetime(2099, 3, 2), "李四", "事由二", "内容二"])
    book.save(tmp_path / "台账.xlsx")
    (tmp_path / "map.yaml").write_text(
        "sheet: 来信台账\nheader_row: 1\ncolumns:\n  来信日期: received\n"
        "  姓名: petitioner.name\n  来信事由: title\n  主要内容: content\n",
        encoding="utf-8",
    )

    with untouched():
        result = cli("import", "letter", str(tmp_path / "台账.xlsx"),
                     "-m", str(tmp_path / "map.yaml"), "--by", "wangli")  # fmt: skip

    assert result.exit_code == 2, result.output
    assert "第 3 行" in result.output and "2099-03-02" in result.output


# --- rules changed but not committed ------------------------------------------------


def grant_leader_to_the_clerk(register: Path) -> None:
    settings = register / "officectl.yaml"
    text = settings.read_text(encoding="utf-8")
    mine = "  - id: zhengyan\n    name: 郑燕\n    posts:\n      - clerk\n"
    assert mine in text
    settings.write_text(text.replace(mine, mine + "      - leader\n"), "utf-8")


def at_approval(cli) -> None:
    steps = [
        ["assign", "--set", "unit=donghu", "--by", "wangli", "--date", "2026-03-09"],
        ["accept", "--by", "wangli", "--date", "2026-03-10"],
        ["submit-opinion", "--set", "opinion=已核实", "--by", "wangli"],
        ["check", "--by", "wangli"],
    ]
    for step in steps:
        assert cli("do", ID, *step).exit_code == 0


@pytest.mark.parametrize("staged", [False, True], ids=["edited", "staged"])
def test_an_uncommitted_roster_grants_no_post(
    cli, git, register, letter, untouched, one_line_error, staged
):
    at_approval(cli)
    grant_leader_to_the_clerk(register)
    if staged:
        git("add", "officectl.yaml")

    with untouched(clean=False):
        result = cli("do", ID, "approve", "--by", "zhengyan")

    one_line_error(result, 4, "officectl.yaml", "提交")


@pytest.mark.parametrize(
    "path", ["workflows/letter.yaml", "schemas/x.schema.json", "templates/x.html"]
)
def test_an_uncommitted_rule_file_stops_every_write(
    cli, register, letter, untouched, one_line_error, path
):
    (register / path).parent.mkdir()
    (register / path).write_text("", encoding="utf-8")  # not read: wrong for none

    with untouched(clean=False):
        step = cli("do", ID, "store", "--set", "store_reason=重复", "--by", "wangli")
        chase = cli("chase", "--as-of", "2026-06-01", "--by", "wangli")

    one_line_error(step, 4, path)
    assert chase.exit_code == 4 and path in chase.stderr, chase.output


def test_a_classified_record_is_shown_by_the_committed_roster(cli, register, untouched):
    record_id = classified(cli, "policy2")
    grant = "    posts:\n      - clerk\n    department: office\n    email: zhengyan"
    settings = register / "officectl.yaml"
    text = settings.read_text(encoding="utf-8")
    assert grant in text
    settings.write_text(
        text.replace(grant, grant.replace("clerk", "confidential-clerk")), "utf-8"
    )

    shown = cli("show", record_id, "--by", "zhengyan")
    clerk = cli("show", record_id, "--by", "chenjing")

    assert shown.exit_code == 3, shown.output
    assert clerk.exit_code == 0, clerk.output


# --- control characters in text fields ----------------------------------------------


@pytest.mark.parametrize(
    "char", ["\t", "\a", "\x1b", "\u2028", "\u0085", "\ufeff", "\n", "\u202e"]
)
def test_a_title_with_a_control_character_is_refused_by_its_field(
    cli, untouched, one_line_error, char
):
    with untouched():
        result = cli(*NEW[:4], "--set", f"title=反映{char}问题",
                     *NEW[6:], "--set", "received=2026-03-02")  # fmt: skip

    message = one_line_error(result, 2, "title（事由）", "一行文字", f"U+{ord(char):04X}"
                             if char != "\n" else "换行")  # fmt: skip
    assert "registers/" not in message  # no file was written, so none is named


def test_content_keeps_its_lines_but_not_a_control_character(
    cli, register, untouched, one_line_error
):
    lines = cli(*NEW[:6], "--set", "content=第一段\n第二段", *NEW[8:],
                "--set", "received=2026-03-02")  # fmt: skip
    assert lines.exit_code == 0, lines.output
    path = register / "registers/letter/2026" / f"{lines.stdout.strip()}.yaml"
    assert record(path)["content"] == "第一段\n第二段"

    with untouched():
        bell = cli(*NEW[:6], "--set", "content=第一段\n第二\a段", *NEW[8:],
                   "--set", "received=2026-03-02")  # fmt: skip

    one_line_error(bell, 2, "content", "U+0007")


def test_a_note_or_a_list_item_with_a_control_character_is_refused(
    cli, letter, untouched, one_line_error
):
    with untouched():
        note = cli("do", ID, "assign", "--set", "unit=donghu", "--by", "wangli",
                   "--note", "电话\x1b通知")  # fmt: skip
        behalf = cli("do", ID, "assign", "--set", "unit=donghu", "--by", "wangli",
                     "--on-behalf-of", "东湖\u2028区局")  # fmt: skip

    one_line_error(note, 2, "note", "U+001B")
    one_line_error(behalf, 2, "on_behalf_of", "U+2028")


def test_validate_names_a_hand_written_control_character(cli, letter, hand_commit):
    text = letter.read_text(encoding="utf-8")
    hand_commit(letter, text.replace("title: 反映物业收费问题", 'title: "反映\\t问题"'))

    result = cli("validate")

    assert result.exit_code == 1
    assert f"{RELATIVE}:" in result.stdout and "title（事由）" in result.stdout
