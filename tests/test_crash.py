"""Crash safety: officectl killed at any moment leaves the register valid.

The kill test runs real steps and kills them (SIGKILL, their git children with them) at
random moments, hundreds of times. Most runs are forked from this process, which has
already imported officectl, so that the kills fall inside the step itself rather than
in the interpreter's start-up; a share runs the installed ``officectl`` program. After
every kill the record is either wholly before or wholly after the step.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from officectl import gitstore
from officectl.cli import COMMANDS, main
from officectl.register import Register

TEAM = {
    "repair": ("team", "repair", "Explain and clear what a killed command left."),
}

ID = "LTR-2026-0001"
RELATIVE = "registers/letter/2026/LTR-2026-0001.yaml"
FORKED_KILLS = 200
PROGRAM_KILLS = 16
SEED = int(os.environ.get("OFFICECTL_CRASH_SEED", "20260302"))


@pytest.fixture(autouse=True)
def team_commands(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, entry in TEAM.items():
        monkeypatch.setitem(COMMANDS, name, entry)


def git(root: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True,
                          check=False, env={**os.environ, "LC_ALL": "C.UTF-8"})  # fmt: skip
    assert done.returncode == 0, f"git {args}: {done.stderr}"
    return done.stdout


# --- running a step so that it can be killed ----------------------------------------


def _fork(root: Path, args: list[str]) -> int:
    """Run ``officectl -C root ARGS`` in a child of this process, in its own group."""
    pid = os.fork()
    if pid:
        return pid
    code = 70
    try:
        os.setpgid(0, 0)
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        sys.stdout = sys.stderr = open(os.devnull, "w")  # noqa: SIM115
        try:
            main.main(["-C", str(root), *args], prog_name="officectl")
        except SystemExit as done:
            code = done.code if isinstance(done.code, int) else 1
        else:
            code = 0
    finally:
        os._exit(code)


def _spawn(root: Path, args: list[str]) -> subprocess.Popen[bytes]:
    """Run the installed ``officectl`` program, in its own process group."""
    program = Path(sys.executable).with_name("officectl")
    return subprocess.Popen(
        [str(program), "-C", str(root), *args],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip


def _finish(run: int | subprocess.Popen[bytes]) -> int:
    if isinstance(run, subprocess.Popen):
        return run.wait()
    _, status = os.waitpid(run, 0)
    return os.waitstatus_to_exitcode(status)


def _kill(run: int | subprocess.Popen[bytes], delay: float) -> None:
    """Kill the step's whole process group after ``delay``; wait until it is gone."""
    group = run.pid if isinstance(run, subprocess.Popen) else run
    time.sleep(delay)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, signal.SIGKILL)
    _finish(run)
    deadline = time.monotonic() + 5
    while _alive_in_group(group) and time.monotonic() < deadline:
        time.sleep(0.005)


def _alive_in_group(group: int) -> bool:
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == group and fields[0] not in {"Z", "X"}:
            return True
    return False


def _timed(
    root: Path, args: list[str], start: Callable[[Path, list[str]], Any]
) -> float:
    began = time.monotonic()
    assert _finish(start(root, args)) == 0, args
    return time.monotonic() - began


# --- the kill test -----------------------------------------------------------------


class Steps:
    """Steps that can be taken again and again: inform, report-up, new letters."""

    def __init__(self, root: Path, chance: random.Random) -> None:
        self.root = root
        self.chance = chance
        self.count = 1

    def next(self, turn: int) -> tuple[list[str], str]:
        """The next command and the record file it writes."""
        if self.chance.random() < 0.2:
            new_id = f"LTR-2026-{self.count + 1:04d}"
            args = ["new", "letter", "--set", "received=2026-03-02", "--set",
                    f"petitioner.name=来信人{turn}", "--set", "title=反映问题",
                    "--set", "content=内容", "--by", "wangli"]  # fmt: skip
            return args, f"registers/letter/2026/{new_id}.yaml"
        number = self.chance.randint(1, self.count)
        record = f"LTR-2026-{number:04d}"
        if self.chance.random() < 0.5:
            args = ["do", record, "inform", "--set", f"informed=第{turn}次通报"]
        else:
            args = ["do", record, "report-up", "--set", f"report_form=第{turn}次上报"]
        return [*args, "--by", "wangli"], f"registers/letter/2026/{record}.yaml"

    def after(self, relative: str) -> None:
        if (
            relative.endswith(f"{self.count + 1:04d}.yaml")
            and (self.root / relative).exists()
        ):
            self.count += 1


def test_steps_killed_at_random_moments_leave_the_register_whole(
    cli, register, letter, runner, monkeypatch
):
    chance = random.Random(SEED)
    steps = Steps(register, chance)
    # Forked steps find the workflows already read, as this process read them: the
    # kills then fall in what a step writes rather than in reading workflow files.
    kinds = Register(register).kinds
    monkeypatch.setattr(Register, "kinds", property(lambda self: kinds))
    # How long a whole step takes, measured again as the record grows; the kills fall
    # anywhere in it, and a little after.
    took = {
        "fork": [_timed(register, _inform(turn), _fork) for turn in (0, 1, 2)],
        "program": [_timed(register, _inform(3), _spawn)],
    }
    plan = ["fork"] * FORKED_KILLS + ["program"] * PROGRAM_KILLS
    chance.shuffle(plan)
    outcomes = {"before": 0, "after": 0, "repaired": 0}

    for turn, how in enumerate(plan, start=4):
        args, relative = steps.next(turn)
        path = register / relative
        head = gitstore.head(register)
        before = path.read_bytes() if path.exists() else None
        start = _fork if how == "fork" else _spawn

        delay = chance.uniform(0, statistics.median(took[how]) * 1.3)
        _kill(start(register, args), delay)
        repaired = runner.invoke(main, ["-C", str(register), "repair", "--yes"])

        where = f"turn {turn} ({how}, seed {SEED}): {' '.join(args[:3])}"
        assert repaired.exit_code == 0, (where, repaired.output)
        outcomes["repaired"] += bool(repaired.stdout)
        outcomes[_whole(register, relative, head, before, where)] += 1
        steps.after(relative)
        gitstore.check_writable(register, [relative])  # what the next command checks
        if turn % 20 == 0:
            checked = cli("validate", "--working")
            assert checked.exit_code == 0, (where, checked.output)
            took["fork"].append(_timed(register, _inform(turn), _fork))  # it works

    assert cli("validate", "--working").exit_code == 0
    assert outcomes["before"] > 20 and outcomes["after"] > 20, outcomes
    assert outcomes["repaired"] > 10, outcomes  # kills between writing and committing


def _inform(turn: int) -> list[str]:
    return ["do", ID, "inform", "--set", f"informed=第{turn}次", "--by", "wangli"]


def _whole(
    root: Path, relative: str, head: str, before: bytes | None, where: str
) -> str:
    """The record is wholly before or wholly after the step; git agrees."""
    assert git(root, "status", "--porcelain", "--untracked-files=all") == "", where
    path = root / relative
    now = path.read_bytes() if path.exists() else None
    moved = git(root, "rev-list", f"{head}..HEAD").split()
    if not moved:
        assert now == before, where
        return "before"
    assert len(moved) == 1, where
    assert git(root, "show", "--name-only", "--format=", "HEAD") == f"{relative}\n", (
        where
    )
    assert now == git(root, "show", f"HEAD:{relative}").encode("utf-8"), where
    assert now != before, where
    return "after"


# --- repair, case by case ------------------------------------------------------------


def test_a_stale_lock_is_explained_and_cleared(cli, register, letter):
    lock = register / ".git" / "index.lock"
    lock.write_bytes(b"")
    two_hours_ago = time.time() - 2 * 3600 - 60
    os.utime(lock, (two_hours_ago, two_hours_ago))

    result = cli("repair")

    assert result.exit_code == 0, result.output
    assert (
        ".git/index.lock（2 小时前留下）" in result.stdout
        and "已删除它" in result.stdout
    )
    assert not lock.exists()
    assert cli(*_inform(1)).exit_code == 0


def test_a_lock_is_kept_while_git_runs_in_the_register(
    cli, register, letter, one_line_error
):
    lock = register / ".git" / "index.lock"
    lock.write_bytes(b"")
    running = subprocess.Popen(["git", "cat-file", "--batch"], cwd=register,
                               stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)  # fmt: skip
    try:
        refused = cli("repair", "--yes")
    finally:
        assert running.stdin is not None
        running.stdin.close()
        running.wait()
    cleared = cli("repair")

    one_line_error(refused, 4, f"git（进程 {running.pid}）")
    assert cleared.exit_code == 0 and not lock.exists()


@pytest.mark.parametrize("staged", [True, False], ids=["staged", "not staged"])
def test_a_step_written_but_not_committed_is_undone_only_with_yes(
    cli, register, letter, staged
):
    committed = letter.read_bytes()
    assert cli(*_inform(1)).exit_code == 0
    git(register, "reset", "-q", "--soft" if staged else "--mixed", "HEAD~1")
    written = letter.read_bytes()

    asked = cli("repair")
    done = cli("repair", "--yes")

    assert asked.exit_code == 1
    assert f"{RELATIVE}：办理被中断" in asked.stdout and "--yes" in asked.stdout
    assert written != committed
    assert done.exit_code == 0 and "已恢复为最后一次提交的版本" in done.stdout
    assert letter.read_bytes() == committed
    assert git(register, "status", "--porcelain") == ""
    assert cli(*_inform(2)).exit_code == 0


@pytest.mark.parametrize("staged", [True, False], ids=["staged", "not staged"])
def test_a_record_registered_but_not_committed_is_removed_with_yes(
    cli, register, letter, staged
):
    assert cli("new", "letter", "--set", "received=2026-03-03", "--set",
               "petitioner.name=李四", "--set", "title=t", "--set", "content=c",
               "--by", "wangli").exit_code == 0  # fmt: skip
    git(register, "reset", "-q", "--soft" if staged else "--mixed", "HEAD~1")
    second = register / "registers/letter/2026/LTR-2026-0002.yaml"

    result = cli("repair", "--yes")

    assert result.exit_code == 0, result.output
    assert "登记被中断" in result.stdout and not second.exists()
    assert git(register, "status", "--porcelain", "--untracked-files=all") == ""


def test_a_hand_edit_is_reported_and_left_alone(cli, register, letter):
    edited = letter.read_text(encoding="utf-8").replace(
        "title: 反映", "title: 再次反映"
    )
    letter.write_text(edited, encoding="utf-8")

    result = cli("repair", "--yes")

    assert result.exit_code == 1
    assert f"{RELATIVE} 有未提交的手工修改" in result.stdout
    assert letter.read_text(encoding="utf-8") == edited


def test_a_half_written_temporary_file_is_removed(cli, register, letter):
    temporary = letter.with_name(f".{letter.name}.tmp")
    temporary.write_text("id: LTR-2026-0001\nkind: let", encoding="utf-8")

    result = cli("repair")

    assert result.exit_code == 0 and "写到一半" in result.stdout
    assert not temporary.exists()


def test_a_register_in_order_needs_no_repair(cli, register, letter):
    result = cli("repair")

    assert result.exit_code == 0
    assert result.stdout == "" and "无需修复" in result.stderr


def test_repair_in_the_middle_of_a_sync_says_how_to_go_on(cli, git, register, letter):
    git("switch", "-q", "-c", "side")
    assert cli(*_inform(1)).exit_code == 0
    git("switch", "-q", "main")
    assert cli(*_inform(2)).exit_code == 0
    env = {"GIT_COMMITTER_NAME": "王丽", "GIT_COMMITTER_EMAIL": "wangli@x.invalid"}
    rebase = subprocess.run(["git", "rebase", "side"], cwd=register, capture_output=True,
                            env={**os.environ, **env}, check=False)  # fmt: skip
    assert rebase.returncode != 0

    result = cli("repair")

    assert result.exit_code == 1 and "sync --continue" in result.stdout
