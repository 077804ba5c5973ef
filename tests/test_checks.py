"""One judgement of a record, made alike by validate, the pre-commit hook and sync."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ID = "LTR-2026-0001"
RELATIVE = "registers/letter/2026/LTR-2026-0001.yaml"
ELSEWHERE = "registers/letter/2025/LTR-2026-0001.yaml"

# LTR-2026-0001 registered, then assigned to 东湖 by 王丽; each bad case changes one
# piece (old -> new) and names the line the problem stands on.
#
#  3 state    12 history:   15 by (register)   17   - action: assign   20 by (assign)
#  11 unit    13   - action  16 at (register)   18     from             21 at (assign)
RECORD = """\
id: LTR-2026-0001
kind: letter
state: assigned
received: 2026-03-02
petitioner:
  name: 张三
  phone: '13800001234'
title: 反映物业收费问题
content: 小区物业费上涨未公示
handler: wangli
unit: donghu
history:
  - action: register
    to: registered
    by: wangli
    at: '2026-03-06T09:00:00+08:00'
  - action: assign
    from: registered
    to: assigned
    by: wangli
    at: '2026-03-09T09:00:00+08:00'
"""

BAD = [
    pytest.param("state: assigned", "state: closed", 3, "按办理记录应为", id="state"),
    pytest.param("by: wangli\n    at: '2026-03-09", "by: ghost\n    at: '2026-03-09",
                 20, "名册中没有人员 'ghost'", id="not in the roster"),
    pytest.param("from: registered\n    to: assigned",
                 "from: closed\n    to: assigned", 17, "此前的状态", id="wrong from"),
    pytest.param("at: '2026-03-09T09", "at: '2026-03-01T09", 21, "早于上一步",
                 id="dates out of order"),
]  # fmt: skip


def bad(old: str, new: str) -> str:
    assert old in RECORD
    return RECORD.replace(old, new, 1)


def _lines(result) -> list[str]:
    return result.stdout.strip().splitlines()


@pytest.mark.parametrize(("old", "new", "line", "words"), BAD)
def test_every_mode_of_validate_judges_the_history(
    cli, register, letter, hand_commit, old, new, line, words
):
    hand_commit(letter, bad(old, new))  # as with --no-verify: no hook

    results = {"held": cli("validate"), "file": cli("validate", str(letter))}
    results["working"] = cli("validate", "--working")
    shutil.rmtree(register / ".git" / "officectl")
    results["cold"] = cli("validate")

    for mode, result in results.items():
        assert result.exit_code == 1, (mode, result.output)
        assert f"{RELATIVE}:{line}: " in result.stdout, (mode, result.stdout)
        assert words in result.stdout, (mode, result.stdout)


def test_the_record_as_written_by_hand_is_valid(cli, letter, hand_commit):
    hand_commit(letter, RECORD)

    result = cli("validate")

    assert (result.exit_code, result.output) == (0, "")


def test_a_roster_change_judges_the_records_again(cli, register, letter, hand_commit):
    hand_commit(
        letter, bad("by: wangli\n    at: '2026-03-09", "by: ghost\n    at: '2026-03-09")
    )
    before = cli("validate")
    settings = register / "officectl.yaml"
    text = settings.read_text(encoding="utf-8")
    ghost = "  - id: ghost\n    name: 鬼\n    posts: [petition-officer]\n"
    settings.write_text(text.replace("people:\n", f"people:\n{ghost}"), "utf-8")

    after = cli("validate")

    assert before.exit_code == 1 and "ghost" in before.stdout
    assert (after.exit_code, after.output) == (0, "")


def test_a_step_taken_before_a_post_changed_stays_valid(cli, register, letter):
    assert (
        cli("do", ID, "assign", "--set", "unit=donghu", "--by", "wangli").exit_code == 0
    )
    settings = register / "officectl.yaml"
    text = settings.read_text(encoding="utf-8")
    moved = text.replace("posts:\n      - petition-officer\n    department: office\n"
                         "    email: wangli@", "posts:\n      - staff\n    department: "
                         "office\n    email: wangli@")  # fmt: skip
    assert moved != text
    settings.write_text(moved, encoding="utf-8")

    result = cli("validate")

    assert (result.exit_code, result.output) == (0, "")


# --- the pre-commit hook -------------------------------------------------------------


def _commit(register: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "-c", "user.name=王丽", "-c", "user.email=wangli@jiangcheng-tax.example",
         "commit", "-m", "hand"], cwd=register, capture_output=True, text=True,
        env={**os.environ, "LC_ALL": "C.UTF-8"}, check=False,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("by", "words"),
    [
        pytest.param("ghost", "history[1].by: 名册中没有人员 'ghost'", id="ghost"),
        pytest.param("zhengyan", "history[1]: 郑燕（zhengyan）的岗位", id="wrong post"),
    ],
)
def test_the_hook_refuses_a_step_by_nobody_or_by_the_wrong_post(
    cli, git, register, letter, by, words
):
    assert cli("hooks", "install").exit_code == 0
    text = letter.read_text(encoding="utf-8").replace(
        "state: registered", "state: assigned"
    )
    step = ("  - action: assign\n    from: registered\n    to: assigned\n"
            f"    by: {by}\n    at: '2026-03-09T09:00:00+08:00'\n")  # fmt: skip
    letter.write_text(text.replace("handler: wangli\n", "handler: wangli\nunit: donghu\n")
                      + step, encoding="utf-8")  # fmt: skip
    git("add", RELATIVE)

    refused = _commit(register)
    validated = cli("validate", "--working")

    assert refused.returncode == 1, refused.stderr
    assert words in refused.stderr
    assert git("rev-list", "--count", "HEAD") == "2\n"
    if by == "ghost":  # a post is judged when a step is taken; its person always
        assert words in validated.stdout


# --- the same id twice ------------------------------------------------------------------


def test_a_roster_id_given_twice_is_refused_by_every_command(
    cli, register, letter, git
):
    settings = register / "officectl.yaml"
    text = settings.read_text(encoding="utf-8")
    twice = "  - id: wangli\n    name: 王丽\n    posts: [clerk]\n"
    settings.write_text(text.replace("people:\n", f"people:\n{twice}"), "utf-8")
    git("-c", "user.name=管理员", "-c", "user.email=admin@example.invalid",
        "commit", "-q", "-am", "名册")  # fmt: skip
    lines = settings.read_text(encoding="utf-8").splitlines()
    second = [n for n, line in enumerate(lines, 1) if line == "  - id: wangli"][1]

    assign = ["do", ID, "assign", "--set", "unit=donghu", "--by", "wangli"]
    for args in (["list"], ["overdue"], assign):
        result = cli(*args)
        assert result.exit_code == 2, (args, result.output)
        assert f"officectl.yaml:{second}: people" in result.stderr, result.stderr
        assert "人员编号 wangli 重复（第 10 行已有）" in result.stderr
    validated = cli("validate")  # validate reports it among what it found: exit 1
    assert validated.exit_code == 1, validated.output
    assert f"officectl.yaml:{second}: people" in validated.output
    assert "人员编号 wangli 重复（第 10 行已有）" in validated.output


def test_a_record_filed_in_two_years_is_named_in_both(cli, git, register, letter):
    copy = register / ELSEWHERE
    copy.parent.mkdir(parents=True)
    copy.write_bytes(letter.read_bytes())
    git("add", ELSEWHERE)

    held = cli("validate")
    named = cli("validate", str(copy))
    listed = cli("list", "--format", "json")

    for result in (held, named):
        assert result.exit_code == 1, result.output
        assert (
            f"{ELSEWHERE}:1: id: {ID} 与文件位置不符，应在 {RELATIVE}" in result.stdout
        )
        assert f"{RELATIVE}:1: id: 编号 {ID} 重复：{ELSEWHERE}" in result.stdout
        assert f"{ELSEWHERE}:1: id: 编号 {ID} 重复：{RELATIVE}" in result.stdout
        assert "年份" not in result.stdout
    assert listed.exit_code == 0, listed.output
    assert listed.stdout.count(ID) == 1
    assert f"{ELSEWHERE}: 编号 {ID} 与文件位置不符" in listed.stderr


# --- where a problem is ------------------------------------------------------------------


def test_do_and_validate_name_the_same_line_of_a_hand_broken_record(
    cli, letter, hand_commit, one_line_error
):
    hand_commit(letter, letter.read_text(encoding="utf-8") + "remark: 手工\n")
    line = letter.read_text(encoding="utf-8").splitlines().index("remark: 手工") + 1

    validated = cli("validate")
    done = cli("do", ID, "assign", "--set", "unit=donghu", "--by", "wangli")

    assert validated.stdout.startswith(f"{RELATIVE}:{line}: ")
    assert f"{RELATIVE}:{line}: " in one_line_error(done, 2, "remark")


def test_new_from_stdin_names_the_line_of_its_input(cli, untouched, one_line_error):
    fields = """\
received: 2026-03-02
title: 反映物业收费问题
content: 小区物业费上涨未公示
petitioner:
  name: 张三
  phone: [13800001234]
"""
    with untouched():
        result = cli("new", "letter", "--file", "-", "--by", "wangli", input=fields)

    message = one_line_error(result, 2, "phone")
    assert message.startswith("officectl: <stdin>:6: "), message
