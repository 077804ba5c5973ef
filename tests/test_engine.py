"""The engine through the command line: bad record files, the workflow, time limits."""

from __future__ import annotations

import json

import pytest

from officectl.yamlio import loads

ID = "LTR-2026-0001"
RELATIVE = "registers/letter/2026/LTR-2026-0001.yaml"

# A letter as a clerk might write it by hand; it is valid. Each bad case below changes
# one piece of it (old text -> new text) and says on which line the problem stands.
#
#  1 id             5 petitioner:      9 content     13 history items
#  2 kind           6   name          10 handler
#  3 state          7   phone         11 history:
#  4 received       8 title           12   - action
RECORD = """\
id: LTR-2026-0001
kind: letter
state: registered
received: 2026-03-02
petitioner:
  name: 张三
  phone: '13800001234'
title: 反映物业收费问题
content: 小区物业费上涨未公示
handler: wangli
history:
  - action: register
    to: registered
    by: wangli
    at: '2026-03-06T09:00:00+08:00'
"""

# (case, old, new, line of the problem, words the message must contain)
BAD_RECORDS = [
    (
        "malformed YAML",
        "content: 小区物业费上涨未公示",
        "content: 小区物业费上涨: 未公示",
        9,
        ["YAML"],
    ),
    (
        "duplicate key",
        "handler: wangli\n",
        "handler: wangli\nhandler: wuqiang\n",
        11,
        ["handler", "10", "11"],
    ),
    ("YAML 1.1 directive", "id: LTR", "%YAML 1.1\n---\nid: LTR", 1, ["%YAML"]),
    (
        "anchor and alias",
        "title: 反映物业收费问题\ncontent: 小区物业费上涨未公示",
        "title: &same 反映物业收费问题\ncontent: *same",
        8,
        ["别名"],
    ),
    ("tab", "  name: 张三", "\tname: 张三", 6, ["Tab"]),
    ("unknown state", "state: registered", "state: lost", 3, ["state", "lost"]),
    (
        "enum value not allowed",
        "title: 反映",
        "channel: 飞鸽\ntitle: 反映",
        8,
        ["channel", "飞鸽"],
    ),
    (
        "impossible date",
        "received: 2026-03-02",
        "received: 2026-02-30",
        4,
        ["received"],
    ),
    ("missing required field", "content: 小区物业费上涨未公示\n", "", 1, ["content"]),
    (
        "unquoted phone number",
        "phone: '13800001234'",
        "phone: 13800001234",
        7,
        ["phone", "引号"],
    ),
    (
        "serial with a leading zero",
        "title: 反映",
        "serial: 0089\ntitle: 反映",
        8,
        ["serial", "引号"],
    ),
    (
        "attachment path out of the register",
        "handler: wangli\n",
        "handler: wangli\nattachments:\n  - name: 原信\n    path: ../../.git/config\n",
        13,
        ["attachments", "path"],
    ),
]


def bad(old: str, new: str) -> str:
    assert old in RECORD
    return RECORD.replace(old, new, 1)


# BAD_RECORDS as pytest params, named by their case.
BAD_PARAMS = [pytest.param(*case[1:], id=case[0]) for case in BAD_RECORDS]


def test_hand_written_record_is_valid(cli, letter, hand_commit):
    hand_commit(letter, RECORD)

    result = cli("validate")

    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")


@pytest.mark.parametrize(
    ("old", "new", "line", "words"),
    BAD_PARAMS,
)
def test_validate_names_file_and_line(cli, letter, hand_commit, old, new, line, words):
    hand_commit(letter, bad(old, new))

    result = cli("validate")

    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    findings = result.stdout.strip().splitlines()
    assert findings, result.output
    assert findings[0].startswith(f"{RELATIVE}:{line}:"), findings
    assert all(word in result.stdout for word in words), findings


@pytest.mark.parametrize(
    ("old", "new", "line", "words"),
    BAD_PARAMS,
)
def test_do_refuses_a_bad_record_and_changes_nothing(
    cli, letter, hand_commit, untouched, one_line_error, old, new, line, words
):
    hand_commit(letter, bad(old, new))

    with untouched():
        result = cli("do", ID, "assign", "--set", "unit=donghu", "--by", "wangli")

    message = one_line_error(result, 2)
    assert all(word in message for word in words), message


def test_validate_is_silent_on_a_register_made_by_the_tool(cli, letter):
    step = cli("do", ID, "assign", "--set", "unit=donghu", "--by", "wangli")
    assert step.exit_code == 0, step.output

    result = cli("validate")

    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")


def test_validate_names_the_column_of_a_tab(cli, letter, hand_commit):
    hand_commit(letter, bad("  name: 张三", "\tname: 张三"))

    result = cli("validate")

    assert result.stdout.startswith(f"{RELATIVE}:6:1: ")


def test_validate_reports_every_problem_not_the_first(cli, letter, hand_commit):
    text = bad("state: registered", "state: lost")
    hand_commit(letter, text.replace("phone: '13800001234'", "phone: 13800001234"))

    result = cli("validate")

    lines = result.stdout.splitlines()
    assert result.exit_code == 1
    assert {line.split(": ")[0] for line in lines} == {f"{RELATIVE}:3", f"{RELATIVE}:7"}


def test_validate_judges_what_git_holds_and_working_files_when_asked(
    cli, letter, hand_commit, git
):
    hand_commit(letter, RECORD)
    letter.write_text(bad("state: registered", "state: lost"), encoding="utf-8")
    # Two files git does not track: a valid one, and one without a state.
    valid = RECORD.replace(ID, "LTR-2026-0002")
    letter.with_name("LTR-2026-0002.yaml").write_text(valid, encoding="utf-8")
    stateless = RECORD.replace(ID, "LTR-2026-0003").replace("state: registered\n", "")
    letter.with_name("LTR-2026-0003.yaml").write_text(stateless, encoding="utf-8")

    held = cli("validate")
    working = cli("validate", "--working")
    git("add", str(letter))
    staged = cli("validate")

    assert (held.exit_code, held.output) == (0, "")
    assert working.exit_code == 1
    named = {line.split(":")[0] for line in working.stdout.splitlines()}
    assert named == {RELATIVE, "registers/letter/2026/LTR-2026-0003.yaml"}
    assert staged.exit_code == 1
    assert {line.split(":")[0] for line in staged.stdout.splitlines()} == {RELATIVE}


# --- attachments --------------------------------------------------------------------


def test_attachment_path_out_of_the_register_is_refused_on_new(
    cli, untouched, one_line_error
):
    fields = """\
received: 2026-03-02
petitioner:
  name: 张三
title: 附件路径
content: 附件路径指向登记簿之外
attachments:
  - name: 原信
    path: ../../.git/config
"""
    with untouched():
        result = cli("new", "letter", "--file", "-", "--by", "wangli", input=fields)

    one_line_error(result, 2, "attachments.0.path")


def test_attachment_set_on_the_command_line_is_a_schema_violation(
    cli, letter, untouched, one_line_error
):
    with untouched():
        result = cli(
            "do", ID, "assign", "--set", "unit=donghu",
            "--set", "attachments=../../.git/config", "--by", "wangli",
        )  # fmt: skip

    one_line_error(result, 2, "attachments")


# --- the workflow -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "posts"),
    [
        (["assign", "--set", "unit=donghu", "--by", "zhengyan"], ["信访管理岗"]),
        (["assign", "--set", "unit=donghu", "--by", "zhaoguoqiang"], ["信访管理岗"]),
        (
            ["extend", "--set", "extension_days=10",
             "--set", "extension_reason=案情复杂", "--by", "wangli"],
            ["局领导", "分管局领导"],
        ),
    ],
    ids=["clerk assigns", "leader assigns", "officer extends"],
)  # fmt: skip
def test_step_by_a_post_that_may_not_take_it_is_refused(
    cli, letter, untouched, one_line_error, args, posts
):
    with untouched():
        result = cli("do", ID, *args)

    message = one_line_error(result, 3)
    assert posts and all(post in message for post in posts), message


def test_register_by_wrong_post_names_the_posts_that_may(
    cli, untouched, one_line_error
):
    with untouched():
        result = cli(
            "new", "letter", "--set", "received=2026-03-02",
            "--set", "petitioner.name=张三", "--set", "title=t", "--set", "content=c",
            "--by", "hanbing",
        )  # fmt: skip

    one_line_error(result, 3, "韩冰", "信访管理岗", "书记岗")


@pytest.mark.parametrize(
    ("action", "by"),
    [("accept", "wangli"), ("approve", "zhaoguoqiang"), ("check", "wangli")],
)
def test_step_out_of_order_lists_the_allowed_actions(
    cli, letter, untouched, one_line_error, action, by
):
    with untouched():
        result = cli("do", ID, action, "--by", by)

    message = one_line_error(result, 3, action, "已登记")
    for allowed in ("assign", "reply", "forward", "store"):
        assert allowed in message


def test_extension_of_31_days_is_refused(cli, letter, untouched, one_line_error):
    with untouched():
        result = cli(
            "do", ID, "extend", "--set", "extension_days=31",
            "--set", "extension_reason=案情复杂", "--by", "zhaoguoqiang",
        )  # fmt: skip

    one_line_error(result, 3, "30", "31")


def test_second_extension_is_refused(cli, letter, untouched, one_line_error):
    first = cli(
        "do", ID, "extend", "--set", "extension_days=10",
        "--set", "extension_reason=案情复杂", "--by", "zhaoguoqiang",
    )  # fmt: skip
    assert first.exit_code == 0, first.output
    close = deadline(letter, "close")
    assert (close["due"].isoformat(), close["extended"]) == ("2026-05-11", 10)

    with untouched():
        result = cli(
            "do", ID, "extend", "--set", "extension_days=5",
            "--set", "extension_reason=仍需调查", "--by", "qianmin",
        )  # fmt: skip

    one_line_error(result, 3, "1 次")


@pytest.mark.parametrize(
    ("action", "by", "missing"),
    [
        ("assign", "wangli", ["unit"]),
        ("reply", "wangli", ["reply_text"]),
        ("forward", "wangli", ["forward_to", "forward_by"]),
        ("extend", "qianmin", ["extension_days", "extension_reason"]),
    ],
)
def test_step_without_its_required_fields_names_them(
    cli, letter, untouched, one_line_error, action, by, missing
):
    with untouched():
        result = cli("do", ID, action, "--by", by)

    message = one_line_error(result, 2)
    for field in missing:
        assert f"--set {field}=" in message


def test_a_full_letter_flow_ends_closed(cli, letter):
    steps = [
        ["assign", "--set", "unit=donghu", "--by", "wangli", "--date", "2026-03-09"],
        ["accept", "--by", "wangli", "--date", "2026-03-10"],
        ["submit-opinion", "--set", "opinion=已核实", "--by", "wangli"],
        ["check", "--by", "wangli"],
        ["approve", "--by", "qianmin"],
        ["reply", "--set", "reply_text=已责成物业公示", "--by", "wangli"],
    ]
    for step in steps:
        result = cli("do", ID, *step)
        assert result.exit_code == 0, result.output

    record, _ = loads(letter.read_text(encoding="utf-8"))
    assert (record["state"], record["disposition"]) == ("closed", "答复")
    assert [entry["action"] for entry in record["history"]] == [
        "register", "assign", "accept", "submit-opinion", "check", "approve", "reply",
    ]  # fmt: skip
    assert all("done" in entry for entry in record["deadlines"])


# --- time limits --------------------------------------------------------------------


def deadline(path, limit: str) -> dict:
    record, _ = loads(path.read_text(encoding="utf-8"))
    [entry] = [entry for entry in record["deadlines"] if entry["limit"] == limit]
    return entry


@pytest.mark.parametrize(
    ("limit", "due"),
    [
        ("register", "2026-03-05"),  # 3 working days after Monday 2026-03-02
        ("handle", "2026-03-23"),  # 15 working days
        ("close", "2026-05-06"),  # 60 days end on 5/1, inside the May Day holiday
    ],
)
def test_limits_of_a_new_letter(letter, limit, due):
    assert deadline(letter, limit)["due"].isoformat() == due


def test_registering_after_the_limit_is_done_late(letter):
    register = deadline(letter, "register")

    assert register["done"].isoformat() == "2026-03-06"
    assert register["done"] > register["due"]
    assert register.get("late") == 1
    assert "done" not in deadline(letter, "handle")


@pytest.fixture
def assigned(cli, letter):
    """The first letter assigned to 东湖区 on 2026-03-09: it must answer by 03-16."""
    result = cli(
        "do", ID, "assign", "--set", "unit=donghu", "--by", "wangli",
        "--date", "2026-03-09",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return letter


def test_overdue_check_lists_the_record_under_the_unit(cli, assigned):
    result = cli("overdue", "--as-of", "2026-04-01", "--check")

    assert result.exit_code == 1
    [row] = [line.split() for line in result.stdout.splitlines() if ID in line]
    # The unit had to say by 03-16 whether it accepts; 03-17 … 04-01: 12 working days.
    assert row[0] == "江城市东湖区税务局"
    assert row[-2:] == ["2026-03-16", "12"]


def test_overdue_json_has_the_record(cli, assigned):
    result = cli("overdue", "--as-of", "2026-04-01", "--format", "json")

    report = json.loads(result.stdout)
    assert report["as_of"] == "2026-04-01"
    [item] = report["overdue"]
    assert (item["record"], item["department"], item["late"]) == (
        ID,
        "江城市东湖区税务局",
        12,
    )


def test_overdue_check_is_quiet_when_nothing_is_late(cli, letter):
    # The handle limit falls due on 03-23: due soon on 03-20, not yet overdue.
    result = cli("overdue", "--as-of", "2026-03-20", "--check", "--format", "json")

    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert report["overdue"] == []
    assert [item["record"] for item in report["due_soon"]] == [ID]


def test_closing_stops_every_limit(cli, letter):
    result = cli(
        "do", ID, "store", "--set", "store_reason=重复来信", "--by", "wangli",
        "--date", "2026-03-09",
    )  # fmt: skip
    assert result.exit_code == 0, result.output

    report = json.loads(
        cli("overdue", "--as-of", "2026-12-01", "--format", "json").stdout
    )
    assert report["overdue"] == []
    assert deadline(letter, "close")["done"].isoformat() == "2026-03-09"
