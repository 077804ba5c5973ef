"""Putting a register right after a command was killed: ``officectl repair``.

A step writes the record in one rename, then commits it (``git add``, ``git commit``).
Killed at any moment, it leaves the register in one of these states, each of which the
next write command refuses with a message that points here:

* killed before the rename: a ``.<ID>.yaml.tmp`` file beside the record. Removed.
* killed between the rename and the commit: the record file is the new version and the
  commit never happened (the file may be staged). The step did not take place: the file
  is put back to its last committed version, or a record that was being registered is
  removed, so the clerk takes the step again. Only with ``--yes``, and only when the
  file differs from its committed version by exactly what a step writes (one more
  history entry); any other uncommitted change is a person's, and is only reported.
* killed inside git: ``.git/index.lock`` (or another lock) stays behind and git refuses
  to work. Removed, with its age, but only when no git or officectl process is working
  in this register: a lock that belongs to a running git is not stale.

A sync stopped at a conflict is explained, not repaired (``sync --continue`` or
``--abort``).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from officectl import gitstore, yamlio
from officectl.audit import RECORD_PATH
from officectl.errors import RegisterError
from officectl.history import history_change
from officectl.register import RECORDS, Register


@dataclass(frozen=True)
class Problem:
    """Something left behind: what it is, and what repair does (or would do) about it."""

    what: str
    fix: str = ""  # "" when repair leaves it to a person
    needs_yes: bool = False
    action: Callable[[], None] | None = None


def busy(root: Path) -> list[tuple[int, str]]:
    """The git and officectl processes working in ``root`` (other than this one)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            name = (entry / "comm").read_text().strip()
            if not _maybe_ours(name):
                continue
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
            words = [
                w.decode("utf-8", "replace")
                for w in (entry / "cmdline").read_bytes().split(b"\0")
                if w
            ]
            cwd = os.readlink(entry / "cwd")
        except (OSError, IndexError):
            continue  # gone meanwhile, or not ours to look at
        if state in {"Z", "X"} or not _git_or_officectl(name, words):
            continue
        if _within(cwd, root) or any(_within(word, root) for word in words):
            found.append((int(entry.name), name))
    return found


def _maybe_ours(name: str) -> bool:
    """From the process name alone: could it be git, or officectl run by Python?"""
    return name.startswith(("git", "python", "officectl", "pytest"))


def _git_or_officectl(name: str, words: list[str]) -> bool:
    if name == "git" or name.startswith("git-"):
        return True
    return name == "officectl" or any("officectl" in Path(w).name for w in words[:3])


def _within(text: str, root: Path) -> bool:
    path = os.path.abspath(text) if text.startswith(("/", ".")) else text
    return path == str(root) or path.startswith(f"{root}/")


def diagnose(register: Register) -> list[Problem]:
    """Everything a killed command may have left behind, with how to put it right.

    Nothing is judged while a git or officectl process works in the register: what
    looks left behind may be that process's work in progress.
    """
    root = register.root
    problems = _locks(root) + _leftovers(root) + _records(register)
    if problems:
        running = busy(root)
        if running:
            names = "、".join(f"{name}（进程 {pid}）" for pid, name in running[:5])
            raise RegisterError(
                f"{names} 正在此登记簿中运行：等它结束后再运行 officectl repair"
            )
    operation = gitstore.in_progress(root)
    if operation == "rebase":
        problems.append(
            Problem(
                "上一次同步停在冲突处：改好冲突后运行 officectl sync --continue，"
                "或运行 officectl sync --abort 回到同步前"
            )
        )
    elif operation:
        problems.append(
            Problem(f"git {operation} 尚未完成：完成它，或 git {operation} --abort")
        )
    elif not gitstore.branch(root):
        problems.append(
            Problem("HEAD 处于游离状态（检出了某个历史版本）：git switch main")
        )
    return problems


def repair(register: Register, yes: bool) -> tuple[list[Problem], list[Problem]]:
    """Fix what can be fixed (with ``yes``, also what undoes a step); (done, left)."""
    done, left = [], []
    for problem in diagnose(register):
        if problem.action is not None and (yes or not problem.needs_yes):
            problem.action()
            done.append(problem)
        else:
            left.append(problem)
    return done, left


def _locks(root: Path) -> list[Problem]:
    git_dir = root / ".git"
    found = []
    locks = [*git_dir.glob("*.lock"), *git_dir.glob("refs/**/*.lock")]
    for lock in sorted(locks):
        age = gitstore.age_of(lock)
        found.append(
            Problem(
                f".git/{lock.relative_to(git_dir).as_posix()}（{age}前留下）："
                "没有 git 进程在运行，是上次被中断的命令留下的",
                "删除它",
                action=partial(lock.unlink, missing_ok=True),
            )
        )
    for leftover in [
        *git_dir.glob("officectl-commit-index-*"),
        git_dir / "OFFICECTL_MSG",
    ]:
        if leftover.exists():
            found.append(
                Problem(
                    f".git/{leftover.name}：被中断的命令留下的临时文件",
                    "删除它",
                    action=partial(leftover.unlink, missing_ok=True),
                )
            )
    return found


def _leftovers(root: Path) -> list[Problem]:
    """Half-written records: the temporary file a write renames into place."""
    return [
        Problem(
            f"{path.relative_to(root).as_posix()}：写到一半被中断的临时文件",
            "删除它",
            action=partial(path.unlink, missing_ok=True),
        )
        for path in sorted((root / RECORDS).glob("*/*/.*.yaml.tmp"))
    ]


def _records(register: Register) -> list[Problem]:
    root = register.root
    listed = gitstore.output(
        root, "--no-optional-locks", "status", "--porcelain", "-z",
        "--untracked-files=all", "--", RECORDS,
    )  # fmt: skip
    problems = []
    for item in filter(None, listed.split("\0")):
        code, name = item[:2], item[3:]
        if not RECORD_PATH.match(name):
            continue
        problems.append(_record(register, code, name))
    return problems


def _record(register: Register, code: str, name: str) -> Problem:
    root = register.root
    path = root / name
    hand = Problem(
        f"{name} 有未提交的手工修改（不是被中断的办理留下的）："
        "先提交（git commit）或撤销（git restore）"
    )
    if not path.exists():
        return hand
    text = path.read_text(encoding="utf-8", errors="replace")
    committed = gitstore.call(root, "show", f"HEAD:{name}")
    before = committed.stdout if committed.returncode == 0 else None
    if not _one_step_more(before, text, name):
        return hand
    if before is None:
        staged = code[0] == "A"

        def remove() -> None:
            if staged:
                gitstore.output(root, "rm", "--cached", "-q", "--", name)
            path.unlink(missing_ok=True)

        return Problem(
            f"{name}：登记被中断，新记录写入了但没有提交",
            "删除它（登记没有完成，请重新登记）",
            needs_yes=True,
            action=remove,
        )

    def restore() -> None:
        gitstore.output(
            root, "restore", "--source=HEAD", "--staged", "--worktree", "--", name
        )

    return Problem(
        f"{name}：办理被中断，记录写入了但没有提交",
        "恢复为最后一次提交的版本（这一步没有完成，请重新办理）",
        needs_yes=True,
        action=restore,
    )


def _one_step_more(before: str | None, after: str, name: str) -> bool:
    """Whether ``after`` is ``before`` plus exactly what one step writes."""
    try:
        new, _ = yamlio.loads(after, name)
        old = yamlio.loads(before, name)[0] if before is not None else {}
    except yamlio.YamlError:
        return False
    if not isinstance(new, dict) or not isinstance(old, dict):
        return False
    added, removed = history_change(old, new)
    if removed or len(added) != 1:
        return False
    return before is not None or len(new.get("history") or []) == 1
