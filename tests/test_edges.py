"""Bad input at the edges: files a person edited, output files, dates near the ends.

Each case must end in one line on stderr naming what is wrong and the right exit code,
never a traceback, and leave the register as it was.
"""

from __future__ import annotations

import datetime as dt

import pytest

from officectl.cli import main

ID = "LTR-2026-0001"


# --- files that are not UTF-8 ---------------------------------------------------------


def _commit(git):
    """Commit every change as a person at a terminal would."""
    git(
        "-c", "user.name=手工", "-c", "user.email=hand@x.invalid", "commit", "-qam", "x"
    )


def _to_gbk(path):
    path.write_bytes(path.read_text(encoding="utf-8").encode("gbk"))


@pytest.mark.parametrize(
    "args",
    [["show", ID], ["do", ID, "assign", "--set", "unit=donghu", "--by", "wangli"]],
    ids=["show", "do"],
)
def test_a_record_saved_as_gbk_is_named(
    cli, git, letter, untouched, one_line_error, args
):
    _to_gbk(letter)
    _commit(git)

    with untouched():
        result = cli(*args)

    one_line_error(result, 2, f"{ID}.yaml", "UTF-8")


def test_new_from_stdin_that_is_not_utf8(cli, untouched, one_line_error):
    stdin = "title: 反映\n".encode("gbk")

    with untouched():
        result = cli("new", "letter", "--file", "-", "--by", "wangli", input=stdin)

    one_line_error(result, 2, "<stdin>", "UTF-8")


def test_new_from_a_utf8_file_still_works(cli, tmp_path):
    fields = tmp_path / "fields.yaml"
    fields.write_text(
        "received: 2026-03-02\npetitioner:\n  name: 李四\ntitle: 反映\ncontent: 内容\n",
        encoding="utf-8",
    )

    result = cli("new", "letter", "--file", str(fields), "--by", "wangli")

    assert result.exit_code == 0, result.output
    assert result.stdout == "LTR-2026-0001\n"


# --- officectl.yaml -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "words"),
    [
        ("timezone: Asia/Shanghai", "timezone: Mars/Olympus", ["timezone", "Mars"]),
        ("timezone: Asia/Shanghai", "timezone: 8", ["timezone", "IANA"]),
        ("      - leader\n", "      - chairman\n", ["posts", "chairman"]),
        ("    posts:\n      - leader\n", "    posts: leader\n", ["posts", "列表"]),
        ("people:\n", "people: 赵国强\npeople_old:\n", ["people", "列表"]),
        ("  - id: qianmin\n", "  - id: zhaoguoqiang\n", ["id", "zhaoguoqiang", "重复"]),
    ],
    ids=["unknown zone", "zone a number", "post", "posts text", "people", "duplicate"],
)
def test_bad_settings_name_the_file_line_and_field(
    cli, register, git, untouched, one_line_error, old, new, words
):
    settings = register / "officectl.yaml"
    text = settings.read_text(encoding="utf-8")
    assert old in text
    settings.write_text(text.replace(old, new, 1), encoding="utf-8")
    _commit(git)

    with untouched():
        listed = cli("list")
        checked = cli("validate")

    line = one_line_error(listed, 2, "officectl.yaml:", *words)
    assert checked.exit_code == 1
    assert checked.stdout == line.removeprefix("officectl: ") + "\n"


def test_validate_reports_a_bad_calendar_file(cli, register, git):
    (register / "calendar.yaml").write_text(
        "years:\n  2027:\n    holidays: [2027-02-30]\n", encoding="utf-8"
    )
    _commit(git)

    result = cli("validate")

    assert result.exit_code == 1
    assert "calendar.yaml:3: 2027 年：holidays 第 1 项" in result.stdout
    assert "不是有效日期" in result.stdout


def test_validate_checks_the_settings_file_as_settings(cli, register, one_line_error):
    assert cli("validate", str(register / "officectl.yaml")).exit_code == 0
    assert cli("validate", str(register)).exit_code == 0

    text = (register / "officectl.yaml").read_text(encoding="utf-8")
    (register / "officectl.yaml").write_text(
        text.replace("Asia/Shanghai", "Mars/Olympus"), encoding="utf-8"
    )
    result = cli("validate", str(register / "officectl.yaml"))

    assert result.exit_code == 1
    assert result.stdout.startswith("officectl.yaml:")
    assert "未知类型" not in result.output


def test_validate_says_a_file_outside_the_records_is_not_one(
    cli, register, one_line_error
):
    (register / "notes.yaml").write_text("a: 1\n", encoding="utf-8")

    one_line_error(cli("validate", str(register / "notes.yaml")), 2, "不是记录文件")


# --- output files ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["render", ID, "-o", "{dir}/x.html"],
        ["chase", "--as-of", "2026-06-01", "--by", "lijun", "-o", "{dir}/x.html"],
        ["chase", "--as-of", "2026-06-01", "--dry-run", "-o", "{dir}/x.md"],
        ["export", "letter", "-o", "{dir}/x.csv"],
        ["export", "letter", "-o", "{dir}/x.xlsx"],
    ],
    ids=["render", "chase", "chase dry run", "export csv", "export xlsx"],
)
def test_an_output_file_that_cannot_be_written(
    cli, letter, tmp_path, untouched, one_line_error, args
):
    missing = tmp_path / "no" / "such" / "folder"
    args = [arg.replace("{dir}", str(missing)) for arg in args]

    with untouched():
        result = cli(*args)

    one_line_error(result, 2, str(missing), "无法写入")
    assert not missing.parent.exists()


def test_render_writes_the_whole_file_in_place(cli, letter, tmp_path):
    (tmp_path / "forms").mkdir()
    target = tmp_path / "forms" / "form.html"
    target.write_text("old\n", encoding="utf-8")

    result = cli("render", ID, "-o", str(target))

    assert result.exit_code == 0, result.output
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert [p.name for p in target.parent.iterdir()] == ["form.html"]


# --- dates at the ends of the calendar ------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["due", "9999-12-31", "--days", "1"],
        ["due", "9999-12-31", "--workdays", "1"],
        ["due", "9999-12-20", "--days", "20"],
        ["due", "9999-12-30", "--workdays", "5"],
    ],
)
def test_calendar_past_the_last_day_is_bad_input(runner, one_line_error, args):
    result = runner.invoke(main, ["calendar", *args])

    one_line_error(result, 2, "9999-12-31", "超出日历范围")


@pytest.mark.parametrize(
    ("args", "last"),
    [
        (["due", "9999-12-30", "--workdays", "1"], "9999-12-31"),
        (["due", "0001-01-01", "--days", "1"], "0001-01-02"),
        (["show", "9999-12"], "9999-12-31"),
        (["show", "0001-01"], "0001-01-31"),
    ],
)
def test_calendar_at_the_first_and_last_days(runner, args, last):
    result = runner.invoke(main, ["calendar", *args])

    assert result.exit_code == 0, result.output
    assert last in result.stdout


def test_a_record_whose_limit_runs_past_9999_is_bad_input(
    cli, untouched, one_line_error
):
    with untouched():
        result = cli(
            "new", "letter", "--set", "received=9999-12-31", "--set",
            "petitioner.name=张三", "--set", "title=t", "--set", "content=c",
            "--by", "wangli", "--date", "9999-12-31",
        )  # fmt: skip

    one_line_error(result, 2, "9999-12-31")  # a day after today, past the calendar


# --- exit codes of listings -----------------------------------------------------------


@pytest.mark.parametrize("command", ["list", "export"])
@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["letter", "--state", "bogus"], ["bogus", "registered（已登记）"]),
        (["--state", "bogus"], ["bogus", "registered（已登记）", "instructed"]),
    ],
    ids=["of a kind", "of any kind"],
)
def test_an_unknown_state_names_the_valid_ones(
    cli, letter, tmp_path, untouched, one_line_error, command, args, words
):
    extra = ["-o", str(tmp_path / "x.csv")] if command == "export" else []

    with untouched():
        result = cli(command, *args, *extra)

    one_line_error(result, 2, *words)
    assert not (tmp_path / "x.csv").exists()


@pytest.mark.parametrize("state", ["registered", "已登记"])
def test_a_state_by_name_or_by_its_label(cli, letter, state):
    result = cli("list", "letter", "--state", state, "--format", "csv")

    assert result.exit_code == 0, result.output
    assert ID in result.stdout


def test_overdue_refuses_a_negative_soon(cli, one_line_error):
    one_line_error(cli("overdue", "--soon", "-1"), 2, "-1")


# --- chase ----------------------------------------------------------------------------

INSTRUCTED_INCOMING = [
    ["new", "incoming", "--set", "medium=电子", "--set", "issuer=省局",
     "--set", "title=关于报送分析的通知", "--set", "doc_type=通知",
     "--by", "zhengyan", "--date", "2026-03-03T09:00"],
    ["do", "INC-2026-0001", "first-check", "--by", "zhengyan",
     "--date", "2026-03-03T09:30"],
    ["do", "INC-2026-0001", "propose", "--set", "handling=批办",
     "--set", "proposal=拟请征管处办理", "--by", "zhoufang",
     "--date", "2026-03-03T10:00"],
    ["do", "INC-2026-0001", "instruct", "--set", "instruction=同意",
     "--set", "unit=collection", "--set", "handling_deadline=2026-03-10",
     "--by", "sunhao", "--date", "2026-03-03T11:00"],
]  # fmt: skip


@pytest.fixture
def late_letter_and_document(cli, letter):
    """The letter and an incoming document, both overdue on 2026-06-01."""
    for args in INSTRUCTED_INCOMING:
        result = cli(*args)
        assert result.exit_code == 0, result.output


def test_chase_leaves_out_kinds_the_person_may_not_chase(
    cli, git, register, late_letter_and_document
):
    document = register / "registers/incoming/2026/INC-2026-0001.yaml"
    before = document.read_bytes()

    result = cli("chase", "--as-of", "2026-06-01", "--by", "wangli", "--format", "md")

    assert result.exit_code == 0, result.output
    assert "王丽（wangli） 不能催办，未列入：收文 1 件须由" in result.stderr
    assert "INC-2026-0001" not in result.stdout and ID in result.stdout
    assert document.read_bytes() == before
    assert "chased" in (register / "registers/letter/2026" / f"{ID}.yaml").read_text(
        encoding="utf-8"
    )
    assert git("status", "--porcelain") == ""


def test_chase_by_a_person_who_may_chase_none_of_it_is_refused(
    cli, late_letter_and_document, untouched, one_line_error
):
    with untouched():
        result = cli("chase", "--as-of", "2026-06-01", "--by", "yangfan")

    one_line_error(result, 3, "不能催办", "来信", "收文")


def test_a_second_chase_on_the_same_day_records_nothing(
    cli, late_letter_and_document, untouched
):
    first = cli("chase", "--as-of", "2026-06-01", "--by", "zhengyan")
    assert first.exit_code == 0, first.output
    assert "已催办 2 件" in first.stderr

    with untouched():
        again = cli("chase", "--as-of", "2026-06-01", "--by", "zhengyan")

    assert again.exit_code == 0, again.output
    assert "都已催办过" in again.stderr
    assert "Traceback" not in again.output


def test_chase_refuses_to_record_a_day_to_come(
    cli, register, late_letter_and_document, untouched, one_line_error
):
    from officectl.register import Register

    later = (Register(register).today() + dt.timedelta(days=30)).isoformat()

    with untouched():
        recorded = cli("chase", "--as-of", later, "--by", "zhengyan")
        looked = cli("chase", "--as-of", later, "--dry-run")

    one_line_error(recorded, 2, later, "--dry-run")
    assert looked.exit_code == 0, looked.output
    assert ID in looked.stdout


# --- export of nested fields ------------------------------------------------------------

CLASSIFIED = [
    ["new", "classified", "--set", "issuer=省局", "--set", "title=某专项工作方案",
     "--set", "secrecy=绝密", "--set", "secrecy_term=30",
     "--set", "copy_numbers=000001,000002", "--by", "chenjing",
     "--date", "2026-03-02T09:00"],
    ["do", "CLS-2026-0001", "sort", "--set", "category=文件", "--by", "chenjing",
     "--date", "2026-03-02T09:10"],
    ["do", "CLS-2026-0001", "lend", "--set", "copy=000001", "--set", "holder=lijun",
     "--by", "chenjing", "--date", "2026-03-02T09:20"],
]  # fmt: skip


def test_export_of_classified_copies_reads_plainly(cli, tmp_path):
    import csv

    for args in CLASSIFIED:
        result = cli(*args)
        assert result.exit_code == 0, result.output
    target = tmp_path / "c.csv"

    result = cli("export", "classified", "--by", "chenjing", "-o", str(target))

    assert result.exit_code == 0, result.output
    with open(target, encoding="utf-8-sig", newline="") as stream:
        header, row = list(csv.reader(stream))
    cells = dict(zip(header, row, strict=True))
    assert len(set(header)) == len(header)
    assert not [name for name in header if name.startswith("涉密内容")]
    assert not [name for name in header if name.startswith("份号")]  # a step's input
    assert cells["各份现状"] == "000001 借出 lijun；000002 在库"
    assert cells["登记簿"].startswith("签收 000001、000002 2026-03-02")
    assert "；分送签收 000001 " in cells["登记簿"]


# --- smaller edges --------------------------------------------------------------------


def test_flow_outside_a_register_uses_the_shipped_workflows(runner, one_line_error):
    result = runner.invoke(main, ["flow", "letter"])

    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("来信（letter）办理流程")
    one_line_error(runner.invoke(main, ["flow", "bogus"]), 2, "bogus", "letter")


@pytest.mark.parametrize(
    "args",
    [
        ["show", ID],
        ["history", ID],
        ["render", ID],
        ["list"],
        ["export", "letter", "-o", "x.csv"],
        ["overdue"],
        ["chase", "--dry-run"],
    ],
    ids=lambda args: args[0],
)
def test_an_unknown_reader_is_bad_input_everywhere(
    cli, letter, untouched, one_line_error, args
):
    with untouched():
        result = cli(*args, "--by", "ghost")

    one_line_error(result, 2, "ghost")


def test_calendar_show_heads_every_column(runner):
    result = runner.invoke(main, ["calendar", "show", "2026-10"])

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0].split() == [
        "日期",
        "星期",
        "上班/休息",
        "说明",
    ]


def test_hooks_install_force_keeps_the_old_hook(cli, register):
    hooks = register / ".git" / "hooks"
    (hooks / "pre-commit").write_text("#!/bin/sh\necho mine\n", encoding="utf-8")
    (hooks / "pre-commit.before-officectl").write_text("older\n", encoding="utf-8")

    result = cli("hooks", "install", "--force")

    assert result.exit_code == 0, result.output
    kept = hooks / "pre-commit.before-officectl.1"
    assert kept.read_text(encoding="utf-8") == "#!/bin/sh\necho mine\n"
    assert str(kept) in result.stderr
    assert (hooks / "pre-commit.before-officectl").read_text(encoding="utf-8") == (
        "older\n"
    )
    again = cli("hooks", "install", "--force")
    assert again.exit_code == 0 and "保存为" not in again.stderr


def test_init_where_no_folder_can_be_made(runner, tmp_path, one_line_error):
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")

    result = runner.invoke(main, ["init", str(blocker / "register")])

    one_line_error(result, 4, str(blocker / "register"), "无法创建目录")


def test_a_template_saved_as_gbk_is_named(cli, register, letter, one_line_error):
    own = register / "templates" / "letter"
    own.mkdir(parents=True)
    (own / "registration.html.j2").write_bytes("<p>来信登记表</p>\n".encode("gbk"))

    result = cli("render", ID)

    one_line_error(result, 2, "registration.html.j2", "UTF-8")
