"""Fixtures that build a real register in ``tmp_path``: a git repository, real files.

Every test runs as on a new clerk's machine: a fresh ``HOME``, no global or system git
configuration, so no git identity, and no register in the environment. Nothing here
mocks git, the file system or the calendar.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from officectl.cli import main

# What would let a test see the developer's identity or a register of theirs.
_LEAKY_VARIABLES = (
    "GIT_AUTHOR_NAME",
    "GIT_AUTHOR_EMAIL",
    "GIT_AUTHOR_DATE",
    "GIT_COMMITTER_NAME",
    "GIT_COMMITTER_EMAIL",
    "GIT_COMMITTER_DATE",
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "EMAIL",
    "OFFICECTL_REGISTER",
)

# The letter most tests start from: received on Monday 2026-03-02, registered on Friday
# 2026-03-06 by the petition officer 王丽, with the personal data the lists must mask.
FIRST_LETTER = [
    "new",
    "letter",
    "--set",
    "received=2026-03-02",
    "--set",
    "petitioner.name=张三",
    "--set",
    "petitioner.phone=13800001234",
    "--set",
    "petitioner.id_number=420102199003071234",
    "--set",
    "petitioner.address=江城市东湖区幸福路8号",
    "--set",
    "title=反映物业收费问题",
    "--set",
    "content=小区物业费上涨未公示",
    "--by",
    "wangli",
    "--date",
    "2026-03-06",
]


def _new_machine(monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(home / ".gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for name in _LEAKY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(home)


@pytest.fixture(autouse=True)
def new_machine(tmp_path_factory: pytest.TempPathFactory, monkeypatch) -> Path:
    """A home with no git identity; the working directory is outside any register."""
    home = tmp_path_factory.mktemp("home")
    _new_machine(monkeypatch, home)
    return home


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture(scope="session")
def built_registers(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Registers built once, on a new machine too, for each test to copy.

    ``empty``: ``officectl init --example``, the fictional 江城市税务局. ``letter``: the
    same with FIRST_LETTER registered by ``officectl new``.
    """
    built = tmp_path_factory.mktemp("built")
    with pytest.MonkeyPatch.context() as monkeypatch:
        _new_machine(monkeypatch, tmp_path_factory.mktemp("home"))
        runner = CliRunner()
        result = runner.invoke(main, ["init", str(built / "empty"), "--example"])
        assert result.exit_code == 0, result.output
        shutil.copytree(built / "empty", built / "letter", symlinks=True)
        result = runner.invoke(main, ["-C", str(built / "letter"), *FIRST_LETTER])
        assert result.exit_code == 0, result.output
        assert result.stdout == "LTR-2026-0001\n"
    return {"empty": built / "empty", "letter": built / "letter"}


@pytest.fixture
def register(
    request: pytest.FixtureRequest, tmp_path: Path, built_registers: dict[str, Path]
) -> Path:
    """A fresh copy of a built register; with the first letter if ``letter`` is used.

    Choosing here makes one copy instead of two.
    """
    root = tmp_path / "register"
    which = "letter" if "letter" in request.fixturenames else "empty"
    shutil.copytree(built_registers[which], root, symlinks=True)
    return root


@pytest.fixture
def cli(runner: CliRunner, register: Path) -> Callable[..., Result]:
    """Run officectl on the register: ``cli("list", "--format", "json")``."""

    def run(*args: str, input: str | None = None) -> Result:
        return runner.invoke(main, ["-C", str(register), *args], input=input)

    return run


@pytest.fixture
def git(register: Path) -> Callable[..., str]:
    """Run git in the register and return its output; a failing git fails the test."""

    def run(*args: str) -> str:
        return _git(register, *args)

    return run


def _git(root: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", *args],
        cwd=root,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env={**os.environ, "LC_ALL": "C.UTF-8"},
        check=False,
    )
    assert done.returncode == 0, f"git {' '.join(args)}: {done.stderr}"
    return done.stdout


@pytest.fixture
def letter(register: Path) -> Path:
    """LTR-2026-0001 (FIRST_LETTER), made by ``officectl new``: the record file."""
    path = register / "registers/letter/2026/LTR-2026-0001.yaml"
    assert path.is_file()
    return path


@pytest.fixture
def hand_commit(register: Path) -> Callable[[Path, str], None]:
    """Write a record file by hand and commit it as a person at a terminal would."""

    def commit(path: Path, text: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))
        _git(register, "add", "--", str(path))
        _git(
            register,
            "-c",
            "user.name=手工",
            "-c",
            "user.email=hand@example.invalid",
            "commit",
            "-q",
            "-m",
            "hand edit",
        )

    return commit


@dataclass(frozen=True)
class Snapshot:
    head: str
    status: str
    index: str
    files: dict[str, bytes]


def snapshot(root: Path) -> Snapshot:
    """HEAD, ``git status``, the index and the bytes of every file outside .git."""
    files = {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and ".git" not in path.relative_to(root).parts
    }
    return Snapshot(
        head=_git(root, "rev-parse", "HEAD").strip(),
        status=_git(root, "status", "--porcelain", "--untracked-files=all"),
        index=_git(root, "ls-files", "--stage"),
        files=files,
    )


@pytest.fixture
def untouched(register: Path) -> Callable[..., object]:
    """``with untouched():`` asserts the block leaves HEAD, index and files alone.

    With ``clean=True`` (the default) the register must also have nothing uncommitted
    before and after.
    """

    @contextmanager
    def guard(clean: bool = True) -> Iterator[None]:
        before = snapshot(register)
        if clean:
            assert before.status == ""
        yield
        after = snapshot(register)
        assert after.head == before.head
        assert after.status == before.status
        assert after.index == before.index
        assert after.files == before.files

    return guard


@pytest.fixture
def one_line_error() -> Callable[..., str]:
    """Check a failed command: the exit code, one line on stderr, no traceback."""

    def check(result: Result, exit_code: int, *words: str) -> str:
        assert result.exit_code == exit_code, (result.stdout, result.stderr)
        assert isinstance(result.exception, SystemExit), repr(result.exception)
        assert "Traceback" not in result.output
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr
        for word in words:
            assert word in lines[0]
        return lines[0]

    return check
