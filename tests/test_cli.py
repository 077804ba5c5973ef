"""The command line: help, ids, acting persons, listings, the calendar, flows."""

from __future__ import annotations

import csv
import io
import json
import subprocess
from importlib.metadata import version
from pathlib import Path

import pytest

from officectl.cli import COMMANDS, main
from officectl.yamlio import loads

ID = "LTR-2026-0001"

# The personal data of the first letter (see conftest.FIRST_LETTER).
PHONE = "13800001234"
ID_NUMBER = "420102199003071234"
ADDRESS = "江城市东湖区幸福路8号"

FIRST_STEP = [
    "new", "letter", "--set", "received=2026-03-02", "--set", "petitioner.name=张三",
    "--set", "title=t", "--set", "content=c", "--by", "wangli",
]  # fmt: skip


# --- help ---------------------------------------------------------------------------


def test_help_lists_every_command(runner):
    result = runner.invoke(main, ["--help"])

    assert result.exit_code == 0
    listed = result.stdout.split("Commands:")[1]
    for name in COMMANDS:
        assert f"  {name} " in listed
    assert "Exit codes:" in result.stdout


@pytest.mark.parametrize(
    "command",
    [pytest.param([name], id=name) for name in COMMANDS]
    + [
        pytest.param(["calendar", "due"], id="calendar due"),
        pytest.param(["calendar", "show"], id="calendar show"),
    ],
)
def test_every_command_has_help_with_an_example(runner, command):
    result = runner.invoke(main, [*command, "--help"])

    assert result.exit_code == 0, result.output
    text = result.stdout.split("\n\n", 1)[1]  # after the "Usage:" line
    first_line = text.strip().splitlines()[0].strip()
    assert first_line and first_line[0].isupper() and not first_line.endswith(":")
    assert "Example" in result.stdout


def test_version(runner):
    result = runner.invoke(main, ["--version"], prog_name="officectl")

    assert result.exit_code == 0
    assert result.stdout == f"officectl, version {version('officectl')}\n"


# --- ids ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["show", "LTR-2026-9999"],
        ["history", "LTR-2026-9999"],
        ["render", "LTR-2026-9999"],
        ["do", "LTR-2026-9999", "assign", "--set", "unit=donghu", "--by", "wangli"],
    ],
    ids=lambda args: args[0],
)
def test_unknown_id_is_bad_input(cli, letter, untouched, one_line_error, args):
    with untouched():
        result = cli(*args)

    one_line_error(result, 2, "LTR-2026-9999")
    assert result.stdout == ""


@pytest.mark.parametrize(
    "record_id",
    ["../../.git/config", "LTR-2026-0001/../../x", "../LTR-2026-0001", "LTR-2026-1/"],
)
@pytest.mark.parametrize("command", ["show", "history", "render", "do"])
def test_id_that_leads_out_of_the_register_is_refused(
    cli, letter, register, untouched, one_line_error, command, record_id
):
    # Something worth stealing where the id points, if it were taken as a path.
    (register / "x").write_text("secret\n", encoding="utf-8")
    (register.parent / "x").write_text("secret\n", encoding="utf-8")
    args = [command, record_id]
    if command == "do":
        args += ["assign", "--set", "unit=donghu", "--by", "wangli"]

    with untouched(clean=False):
        result = cli(*args)

    one_line_error(result, 2, record_id)
    assert result.stdout == ""
    assert "secret" not in result.output and "[core]" not in result.output


def test_register_is_found_from_a_subfolder(runner, register, letter, monkeypatch):
    monkeypatch.chdir(register / "registers" / "letter")

    result = runner.invoke(main, ["show", ID])

    assert result.exit_code == 0
    assert result.stdout.startswith(f"id: {ID}\n")


def test_outside_a_register_says_how_to_find_one(runner, one_line_error):
    result = runner.invoke(main, ["list"])

    one_line_error(result, 4, "officectl.yaml", "-C", "init")


# --- acting person ------------------------------------------------------------------


def test_a_git_worktree_is_refused_with_what_to_do(runner, register, one_line_error):
    subprocess.run(
        ["git", "worktree", "add", "-q", "--detach", str(register.parent / "wt")],
        cwd=register,
        check=True,
    )

    result = runner.invoke(main, ["-C", str(register.parent / "wt"), "list"])

    one_line_error(result, 4, "worktree", "git clone")


def test_unknown_person_is_bad_input(cli, letter, untouched, one_line_error):
    with untouched():
        result = cli("do", ID, "assign", "--set", "unit=donghu", "--by", "nobody")

    one_line_error(result, 2, "nobody")


def test_new_machine_has_no_git_identity_and_the_tool_still_works(runner, tmp_path):
    root = tmp_path / "fresh"
    assert runner.invoke(main, ["init", str(root), "--example"]).exit_code == 0
    # The conftest gives every test a home with no git configuration at all.
    asked = subprocess.run(
        ["git", "config", "user.email"], cwd=root, capture_output=True, check=False
    )
    assert (asked.returncode, asked.stdout) == (1, b"")

    result = runner.invoke(main, ["-C", str(root), *FIRST_STEP])

    assert result.exit_code == 0, result.output
    people = subprocess.run(
        ["git", "log", "--format=%an <%ae>%n%cn <%ce>"],
        cwd=root, capture_output=True, text=True, check=True,
    ).stdout.splitlines()  # fmt: skip
    assert sorted(set(people)) == [
        "officectl <officectl@officectl.invalid>",
        "王丽 <wangli@jiangcheng-tax.example>",
    ]


@pytest.mark.parametrize(
    "email", [None, "someone@example.invalid"], ids=["no email", "email off roster"]
)
def test_without_by_and_known_email_nobody_acts(
    cli, git, letter, untouched, one_line_error, email
):
    if email:
        git("config", "user.email", email)

    with untouched():
        result = cli("do", ID, "assign", "--set", "unit=donghu")

    one_line_error(result, 2, "--by")


def test_without_by_the_roster_person_with_gits_email_acts(cli, git, letter):
    git("config", "user.email", "WangLi@jiangcheng-tax.example")

    result = cli("do", ID, "assign", "--set", "unit=donghu")

    assert result.exit_code == 0, result.output
    record, _ = loads(letter.read_text(encoding="utf-8"))
    assert record["history"][-1]["by"] == "wangli"
    assert (
        git("log", "-1", "--format=%an <%ae>")
        == "王丽 <wangli@jiangcheng-tax.example>\n"
    )


# --- text as typed ------------------------------------------------------------------


def test_html_in_a_text_field_is_stored_as_typed(cli, register):
    content = '张三<img src=x onerror=alert(1)> & "引号" <script>x</script>'

    result = cli(
        "new", "letter", "--set", "received=2026-03-02",
        "--set", "petitioner.name=张三", "--set", "title=<b>紧急</b>",
        "--set", f"content={content}", "--by", "wangli",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    text = (register / "registers/letter/2026/LTR-2026-0001.yaml").read_text("utf-8")
    record, _ = loads(text)
    assert (record["title"], record["content"]) == ("<b>紧急</b>", content)
    assert "&lt;" not in text
    shown = cli("show", ID).stdout
    assert content in shown and "&lt;" not in shown


# --- listings and masking -----------------------------------------------------------


@pytest.fixture
def overdue_letter(cli, letter):
    result = cli(
        "do", ID, "assign", "--set", "unit=donghu", "--by", "wangli",
        "--date", "2026-03-09",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return letter


@pytest.mark.parametrize(
    "args",
    [
        ["list"],
        ["list", "--format", "json"],
        ["list", "--format", "csv"],
        ["list", "--format", "md"],
        ["list", "letter", "--open", "--overdue", "--as-of", "2026-04-01"],
        ["overdue", "--as-of", "2026-04-01"],
        ["overdue", "--as-of", "2026-04-01", "--format", "json"],
        ["overdue", "--as-of", "2026-04-01", "--format", "md"],
    ],
    ids=" ".join,
)
def test_listings_do_not_show_personal_data(cli, overdue_letter, args):
    result = cli(*args)

    assert result.exit_code == 0, result.output
    assert ID in result.stdout
    for secret in (PHONE, ID_NUMBER, ADDRESS, "幸福路"):
        assert secret not in result.output


def test_show_prints_personal_data_in_full(cli, overdue_letter):
    result = cli("show", ID)

    assert result.exit_code == 0
    for value in (PHONE, ID_NUMBER, ADDRESS):
        assert value in result.stdout
    assert result.stdout == overdue_letter.read_text(encoding="utf-8")


def test_list_formats_parse(cli, overdue_letter):
    rows = json.loads(cli("list", "--format", "json").stdout)
    table = list(csv.DictReader(io.StringIO(cli("list", "--format", "csv").stdout)))

    assert [row["id"] for row in rows] == [ID]
    assert rows[0]["state"] == "已交办待受理"
    assert [row["编号"] for row in table] == [ID]


@pytest.mark.parametrize(
    ("args", "ids"),
    [
        (["list", "--state", "assigned"], [ID]),
        (["list", "--state", "closed"], []),
        (["list", "--overdue", "--as-of", "2026-03-10"], []),
        (["list", "--overdue", "--as-of", "2026-04-01"], [ID]),
    ],
    ids=" ".join,
)
def test_list_filters(cli, overdue_letter, args, ids):
    rows = json.loads(cli(*args, "--format", "json").stdout)

    assert [row["id"] for row in rows] == ids


def test_list_names_a_file_it_cannot_read_and_goes_on(
    cli, register, overdue_letter, hand_commit
):
    broken = register / "registers/letter/2026/LTR-2026-0002.yaml"
    hand_commit(broken, "id: LTR-2026-0002\ntitle: [\n")

    result = cli("list", "--format", "json")

    assert result.exit_code == 0
    assert [row["id"] for row in json.loads(result.stdout)] == [ID]
    assert "LTR-2026-0002.yaml" in result.stderr


# --- validate -----------------------------------------------------------------------


def test_validate_is_silent_on_a_fresh_register(cli):
    result = cli("validate")

    assert (result.exit_code, result.output) == (0, "")


# --- calendar -----------------------------------------------------------------------


@pytest.fixture(params=["outside a register", "in a register"])
def calendar_cli(request, runner):
    """``officectl calendar`` run from a plain folder, or on a register."""
    prefix = []
    if request.param == "in a register":
        prefix = ["-C", str(request.getfixturevalue("register"))]

    def run(*args):
        return runner.invoke(main, [*prefix, "calendar", *args])

    return run


@pytest.mark.parametrize(
    ("args", "due"),
    [
        (["2026-02-13", "--workdays", "2"], "2026-02-24"),  # 春节; Saturday 2/14 worked
        (["2026-09-21", "--days", "10"], "2026-10-08"),  # 10/1 falls in 国庆节
        (["2026-09-18", "--workdays", "1"], "2026-09-20"),  # a make-up Sunday (C4)
        (["2026-03-02", "--days", "60"], "2026-05-06"),  # ends on May Day, rolls on
    ],
)
def test_calendar_due(calendar_cli, args, due):
    result = calendar_cli("due", *args)

    assert result.exit_code == 0, result.output
    assert result.stdout == f"{due}\n"
    assert result.stderr == ""


def test_calendar_due_in_a_year_not_yet_published(calendar_cli):
    result = calendar_cli("due", "2026-12-28", "--workdays", "5")

    assert result.exit_code == 0
    assert result.stdout == "2027-01-05（暂定）\n"  # 元旦 2027-01-01 is off by law
    assert "2026 年" in result.stderr
    assert "calendar.yaml" in result.stderr


def test_calendar_due_never_ends_on_new_years_day(calendar_cli):
    result = calendar_cli("due", "2026-12-31", "--workdays", "1")

    assert (result.exit_code, result.stdout) == (0, "2027-01-04（暂定）\n")


def test_calendar_before_2004_says_there_is_no_data(calendar_cli):
    result = calendar_cli("due", "2003-06-02", "--workdays", "1")

    assert (result.exit_code, result.stdout) == (0, "2003-06-03（暂定）\n")
    assert "没有 2004 年以前的官方放假数据" in result.stderr
    assert "官方数据至" not in result.stderr and "通知" not in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_calendar_show_marks_holidays_and_make_up_days(calendar_cli):
    result = calendar_cli("show", "2026-10")

    assert result.exit_code == 0
    days = {line.split()[0]: line for line in result.stdout.splitlines()[2:]}
    assert len(days) == 31
    assert "国庆节" in days["2026-10-01"] and "休息" in days["2026-10-01"]
    assert "补班" in days["2026-10-10"] and "上班" in days["2026-10-10"]


def test_office_calendar_file_wins_over_the_package(cli, register):
    # C2: the office closes on Monday 2026-03-09 and works Saturday 2026-03-14.
    (register / "calendar.yaml").write_text(
        "years:\n  2026:\n    holidays: [2026-03-09]\n    workdays: [2026-03-14]\n",
        encoding="utf-8",
    )

    closed = cli("calendar", "due", "2026-03-06", "--workdays", "1")
    worked = cli("calendar", "due", "2026-03-13", "--workdays", "1")

    assert (closed.stdout, worked.stdout) == ("2026-03-10\n", "2026-03-14\n")


@pytest.mark.parametrize(
    ("args", "word"),
    [
        (["due", "2026-02-30", "--workdays", "1"], "2026-02-30"),
        (["due", "2026-03-02", "--workdays", "-1"], "-1"),
        (["due", "2026-03-02", "--days", "-5"], "-5"),
        (["show", "2026-13"], "2026-13"),
        (["show", "March"], "March"),
    ],
    ids=["impossible date", "negative workdays", "negative days", "month 13", "month"],
)
def test_calendar_bad_value(calendar_cli, one_line_error, args, word):
    one_line_error(calendar_cli(*args), 2, word)


@pytest.mark.parametrize(
    "args",
    [["due", "2026-03-02"], ["due", "2026-03-02", "--days", "1", "--workdays", "1"]],
    ids=["no count", "two counts"],
)
def test_calendar_due_needs_exactly_one_count(calendar_cli, args):
    result = calendar_cli(*args)

    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert (
        result.stderr.strip()
        .splitlines()[-1]
        .endswith("--workdays N 与 --days N 须给且只给一个")
    )


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["do"], "officectl do: 缺少参数 ID"),
        (["list", "--ovrdue"], "没有 --ovrdue 这个选项（是不是 --overdue？）"),
        (["list", "--format", "xml"], "选项 --format 的值 'xml' 无效：应为 table、json、csv、md 之一"),
        (["lst"], "officectl: 没有 lst 这个命令（是不是 list？）"),
        (["overdue", "--as-of"], "选项 --as-of 后面须跟一个值"),
        (["show", ID, "extra"], "多余的参数：extra"),
        (["calendar", "due", "2026-03-02", "--days", "ten"], "应为不小于 0 的整数"),
    ],
    ids=["missing argument", "misspelt option", "bad choice", "misspelt command",
         "option without value", "extra argument", "not a number"],
)  # fmt: skip
def test_usage_errors_are_said_in_chinese(cli, one_line_error, args, said):
    line = one_line_error(cli(*args), 2, said)

    for english in (
        "No such",
        "Missing",
        "Invalid",
        "requires",
        "unexpected",
        "not one",
    ):
        assert english not in line


# --- flow ---------------------------------------------------------------------------


def test_flow_prints_a_table_and_a_state_diagram(cli):
    result = cli("flow", "letter")

    assert result.exit_code == 0
    assert "stateDiagram-v2" in result.stdout
    for word in ("assign", "交办", "信访管理岗", "60"):
        assert word in result.stdout
    assert "----" in result.stdout  # a table rule


def test_flow_of_an_unknown_kind(cli, one_line_error):
    one_line_error(cli("flow", "telegram"), 2, "telegram", "letter")


def test_readme_command_reference_is_the_help_of_today():
    from officectl import readme

    text = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")

    assert readme.update(text) == text, (
        "the README's command reference is stale: make readme"
    )
