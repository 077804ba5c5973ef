"""Git as the audit trail: who commits, what a commit holds, and when git says no."""

from __future__ import annotations

import os
import time

import pytest

ID = "LTR-2026-0001"
RELATIVE = "registers/letter/2026/LTR-2026-0001.yaml"

# Each step of a letter's life, the exact commit subject it leaves, and who acts.
STEPS = [
    (
        ["do", ID, "assign", "--set", "unit=collection", "--by", "wangli"],
        "LTR-2026-0001 assign: 交办 征管和科技发展处 (王丽)",
        ("王丽", "wangli"),
    ),
    (
        ["do", ID, "accept", "--by", "wuqiang"],
        "LTR-2026-0001 accept: 承办单位受理 (吴强)",
        ("吴强", "wuqiang"),
    ),
    (
        ["do", ID, "extend", "--set", "extension_days=15",
         "--set", "extension_reason=需实地核查", "--by", "qianmin"],
        "LTR-2026-0001 extend: 延期办理 15 日 (钱敏)",
        ("钱敏", "qianmin"),
    ),
    (
        ["do", ID, "submit-opinion", "--set", "opinion=物业费已按规定公示",
         "--by", "hanbing"],
        "LTR-2026-0001 submit-opinion: 提交答复意见 (韩冰)",
        ("韩冰", "hanbing"),
    ),
]  # fmt: skip


def test_new_is_one_commit_of_one_file_by_the_roster_person(git, letter):
    assert git("rev-list", "--count", "HEAD") == "2\n"
    assert git("show", "--name-only", "--format=", "HEAD") == f"{RELATIVE}\n"
    assert git("log", "-1", "--format=%an|%ae|%cn|%ce") == (
        "王丽|wangli@jiangcheng-tax.example|王丽|wangli@jiangcheng-tax.example\n"
    )
    assert git("log", "-1", "--format=%B") == (
        "LTR-2026-0001 register: 来信登记 (王丽)\n"
        "\n"
        "Officectl-Record: LTR-2026-0001\n"
        "Officectl-Action: register\n"
        "Officectl-Person: wangli\n"
        "\n"
    )


@pytest.mark.parametrize("step", range(len(STEPS)), ids=[s[0][2] for s in STEPS])
def test_each_step_is_one_commit_by_the_acting_person(cli, git, letter, step):
    for earlier, _, _ in STEPS[:step]:
        assert cli(*earlier).exit_code == 0
    args, subject, (name, person_id) = STEPS[step]
    email = f"{person_id}@jiangcheng-tax.example"
    before = git("rev-parse", "HEAD").strip()

    result = cli(*args)

    assert result.exit_code == 0, result.output
    assert git("rev-list", f"{before}..HEAD") == git("rev-parse", "HEAD")
    assert git("show", "--name-only", "--format=", "HEAD") == f"{RELATIVE}\n"
    assert git("log", "-1", "--format=%an|%ae|%cn|%ce") == (
        f"{name}|{email}|{name}|{email}\n"
    )
    assert git("log", "-1", "--format=%s") == f"{subject}\n"
    trailers = git("log", "-1", "--format=%(trailers:only,unfold)").strip()
    assert trailers.splitlines() == [
        f"Officectl-Record: {ID}",
        f"Officectl-Action: {args[2]}",
        f"Officectl-Person: {person_id}",
    ]
    assert git("status", "--porcelain") == ""


def test_acting_for_someone_is_a_trailer(cli, git, letter):
    result = cli(
        "do", ID, "assign", "--set", "unit=donghu", "--by", "wangli",
        "--on-behalf-of", "lijun",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    assert "Officectl-On-Behalf-Of: lijun" in git("log", "-1", "--format=%B")


def test_history_reads_the_commits(cli, letter):
    assert cli(*STEPS[0][0]).exit_code == 0

    result = cli("history", ID, "--format", "csv")

    lines = result.stdout.splitlines()
    assert result.exit_code == 0
    assert len(lines) == 3
    assert lines[1].split(",")[1:3] == ["王丽", "来信登记"]
    assert lines[2].split(",")[1:4] == ["王丽", "交办", STEPS[0][1]]


def test_history_names_a_hand_edit(cli, letter, hand_commit):
    hand_commit(letter, letter.read_text(encoding="utf-8") + "# 手工补充说明\n")

    result = cli("history", ID, "--format", "json")

    assert "（手工修改）" in result.stdout


def test_chinese_stays_characters_in_files_and_commit_messages(git, letter):
    raw = letter.read_bytes()

    assert "张三".encode() in raw and "反映物业收费问题".encode() in raw
    assert b"\\u" not in raw
    message = git("log", "-1", "--format=%B")
    assert "来信登记 (王丽)" in message and "\\" not in message
    assert git("log", "--format=%H", "--grep=来信登记") != ""


# --- refusals: nothing half-written -------------------------------------------------

ASSIGN = ["do", ID, "assign", "--set", "unit=donghu", "--by", "wangli"]
NEW = [
    "new", "letter", "--set", "received=2026-03-03", "--set", "petitioner.name=李四",
    "--set", "title=t", "--set", "content=c", "--by", "wangli",
]  # fmt: skip


@pytest.mark.parametrize("args", [ASSIGN, NEW], ids=["do", "new"])
def test_stale_index_lock_is_named_with_its_age(
    cli, register, letter, untouched, one_line_error, args
):
    lock = register / ".git" / "index.lock"
    lock.write_bytes(b"")
    three_hours_ago = time.time() - 3 * 3600 - 60
    os.utime(lock, (three_hours_ago, three_hours_ago))

    with untouched():
        result = cli(*args)

    one_line_error(result, 4, "index.lock", "3 小时")
    assert lock.exists()


@pytest.mark.parametrize("args", [ASSIGN, NEW], ids=["do", "new"])
def test_detached_head_is_refused(cli, git, letter, untouched, one_line_error, args):
    git("checkout", "-q", "--detach")

    with untouched():
        result = cli(*args)

    one_line_error(result, 4, "HEAD")


def test_hand_edit_not_yet_committed_is_kept(cli, letter, untouched, one_line_error):
    edited = letter.read_text(encoding="utf-8").replace(
        "title: 反映", "title: 再次反映"
    )
    letter.write_text(edited, encoding="utf-8")

    with untouched(clean=False):
        result = cli(*ASSIGN)

    one_line_error(result, 4, RELATIVE)
    assert letter.read_bytes() == edited.encode("utf-8")


@pytest.mark.parametrize("args", [ASSIGN, NEW], ids=["do", "new"])
def test_failing_commit_puts_file_and_index_back(
    cli, git, register, letter, untouched, one_line_error, args
):
    hook = register / ".git" / "hooks" / "pre-commit"
    hook.write_text("#!/bin/sh\necho 'hook says no' >&2\nexit 1\n", encoding="utf-8")
    hook.chmod(0o755)

    with untouched():
        result = cli(*args)

    one_line_error(result, 4)
    assert git("diff", "--cached", "--name-only") == ""
    assert not (register / "registers/letter/2026/LTR-2026-0002.yaml").exists()
    assert list(register.rglob("*.tmp")) == []


def test_after_a_refusal_the_next_step_works(cli, git, register, letter):
    lock = register / ".git" / "index.lock"
    lock.write_bytes(b"")
    assert cli(*ASSIGN).exit_code == 4

    lock.unlink()
    result = cli(*ASSIGN)

    assert result.exit_code == 0, result.output
    assert git("rev-list", "--count", "HEAD") == "3\n"


def test_numbering_continues_after_the_highest_id(cli, register, letter):
    result = cli(*NEW)

    assert result.stdout == "LTR-2026-0002\n"
    assert (register / "registers/letter/2026/LTR-2026-0002.yaml").is_file()
