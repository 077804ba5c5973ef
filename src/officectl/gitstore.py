"""Git, the register's audit trail.

Every change is one commit that touches exactly the files the command changed, authored
and committed by the acting person from the roster, never the machine's user. Everything
here runs git's own commands. GitPython's pure-Python index takes seconds a commit on a
register of 100,000 files, and its command wrapper adds 150 ms of start-up to every
command while doing nothing a plain subprocess does not, so neither is used.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from officectl.errors import RegisterError

if TYPE_CHECKING:
    import subprocess  # imported where git runs: reading HEAD needs none of it

TRAILER_RECORD = "Officectl-Record"
TRAILER_ACTION = "Officectl-Action"
TRAILER_PERSON = "Officectl-Person"
TRAILER_BEHALF = "Officectl-On-Behalf-Of"


class Identity(NamedTuple):
    """Who a commit is by, and when in the office's time zone (ISO 8601, or git's now)."""

    name: str
    email: str
    date: str = ""

    def env(self) -> dict[str, str]:
        env = {
            "GIT_AUTHOR_NAME": self.name,
            "GIT_AUTHOR_EMAIL": self.email,
            "GIT_COMMITTER_NAME": self.name,
            "GIT_COMMITTER_EMAIL": self.email,
        }
        if self.date:
            env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = self.date
        return env


class Commit(NamedTuple):
    sha: str
    author: str
    email: str
    date: str
    subject: str
    trailers: dict[str, str]


def reason(text: str | bytes, fallback: str = "?") -> str:
    """The line of git's messages that says what went wrong.

    git puts the cause first ("fatal: 'origin' does not appear to be a git
    repository") and advice after it ("and the repository exists."), so the first
    ``fatal:`` or ``error:`` line is the one to show; without one, the last line that
    is not a hint (``nothing to commit, working tree clean``).
    """
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    for line in lines:
        if line.startswith(("fatal:", "error:")):
            return line
    plain = [line for line in lines if not line.startswith("hint:")]
    return plain[-1] if plain else fallback


def _run(root: Path, *args: str, env: dict[str, str] | None = None) -> str:
    """Run git in ``root``; its output as text, or :class:`RegisterError` naming why."""
    import subprocess

    result = subprocess.run(
        ["git", *args],
        cwd=root,
        env={**os.environ, **(env or {}), "LC_ALL": "C.UTF-8"},
        capture_output=True,
        check=False,
    )
    if result.returncode != 0:
        why = reason(result.stderr or result.stdout, f"exit {result.returncode}")
        raise RegisterError(f"git {args[0]} 失败：{why}")
    return result.stdout.decode("utf-8", "replace")


def _succeeds(root: Path, *args: str) -> bool:
    import subprocess

    result = subprocess.run(["git", *args], cwd=root, capture_output=True, check=False)
    return result.returncode == 0


def init(root: Path) -> None:
    """A new repository on branch ``main``, with settings that keep large registers fast."""
    _run(root, "init", "-q", "-b", "main")
    _run(root, "config", "core.quotepath", "false")
    _run(root, "config", "feature.manyFiles", "true")


def check_writable(root: Path, paths: Sequence[str], rules: Sequence[str] = ()) -> None:
    """Refuse to write when git could not record the change cleanly.

    A stale ``index.lock`` (a killed git), a detached HEAD (a checkout of an old
    version), uncommitted hand edits to the same files, and uncommitted changes to the
    files that make the rules (``rules``: the roster, the workflows …) are all refused,
    with what to do about each. A rule changed but not committed would judge a step no
    commit explains.
    """
    lock = root / ".git" / "index.lock"
    if lock.exists():
        age = _age(time.time() - lock.stat().st_mtime)
        raise RegisterError(
            f".git/index.lock 存在（{age}前留下）：可能有 git 正在运行，或上次被中断；"
            "确认没有 git 在运行后运行 officectl repair"
        )
    if in_progress(root) == "rebase":
        raise RegisterError(
            "上一次同步停在冲突处：改好冲突后运行 officectl sync --continue，"
            "或运行 officectl sync --abort，再办理"
        )
    if not _on_branch(root):
        raise RegisterError(
            "HEAD 处于游离状态（检出了某个历史版本）：先 git switch main 再办理"
        )
    if not paths and not rules:
        return
    dirty = _run(
        root, "status", "--porcelain", "--untracked-files=all", "--", *paths, *rules
    )
    names = [line[3:] for line in dirty.splitlines() if line.strip()]
    ruled = [name for name in names if _under(name, rules)]
    if ruled:
        raise RegisterError(
            f"{'、'.join(ruled)} 有未提交的修改：名册、日历、流程、schema 和模板的改动"
            "须先提交（git commit）或撤销（git restore），再办理"
        )
    if names:
        raise RegisterError(
            f"{'、'.join(names)} 有未提交的手工修改：先提交（git commit）或撤销"
            "（git restore）再办理"
        )


def _under(name: str, paths: Sequence[str]) -> bool:
    """Whether ``name`` (as git status prints it, maybe ``old -> new``) is one of
    ``paths`` or inside one of them."""
    return any(
        part == path or part.startswith(f"{path}/")
        for part in name.strip('"').split(" -> ")
        for path in paths
    )


def _on_branch(root: Path) -> bool:
    """Whether HEAD names a branch; read from the file, as git itself does."""
    try:
        head = (root / ".git" / "HEAD").read_text(encoding="utf-8")
    except OSError:
        return _succeeds(root, "symbolic-ref", "-q", "HEAD")
    return head.startswith("ref: refs/heads/")


def commit(
    root: Path,
    paths: Sequence[str],
    message: str,
    who: Identity,
    trailers: dict[str, str],
) -> str:
    """Stage exactly ``paths`` and commit them alone; return the new commit id."""
    body = "\n".join(f"{key}: {value}" for key, value in trailers.items() if value)
    text = f"{message}\n\n{body}\n" if body else f"{message}\n"
    _run(root, "add", "--", *paths)
    # The message goes through a file: git reads it as UTF-8 whatever the locale.
    message_file = root / ".git" / "OFFICECTL_MSG"
    message_file.write_text(text, encoding="utf-8")
    try:
        _run(
            root,
            "commit",
            "-q",
            "-F",
            str(message_file),
            "--only",
            "--",
            *paths,
            env=who.env(),
        )
    finally:
        message_file.unlink(missing_ok=True)
    return head(root)


def head(root: Path) -> str:
    """The commit id HEAD points at, read from git's files when they are plain."""
    git_dir = root / ".git"
    try:
        ref = (git_dir / "HEAD").read_text(encoding="utf-8").strip()
        if ref.startswith("ref: "):
            return (git_dir / ref[5:]).read_text(encoding="utf-8").strip()
    except OSError:
        pass
    return _run(root, "rev-parse", "HEAD").strip()


def unstage(root: Path, paths: Sequence[str]) -> None:
    """Take ``paths`` out of the index again after a failed commit (best effort)."""
    _succeeds(root, "reset", "-q", "--", *paths)


def log(root: Path, path: str) -> list[Commit]:
    """The commits that touched ``path``, oldest first, with their officectl trailers."""
    raw = _run(
        root,
        "log",
        "--reverse",
        "--format=%H%x1f%an%x1f%ae%x1f%aI%x1f%s%x1f%(trailers:only,unfold)%x1e",
        "--",
        path,
    )
    commits = []
    for entry in filter(None, (part.strip("\n") for part in raw.split("\x1e"))):
        sha, name, email, date, subject, trailer_text = entry.split("\x1f")
        trailers = dict(
            line.split(": ", 1) for line in trailer_text.splitlines() if ": " in line
        )
        commits.append(Commit(sha, name, email, date, subject, trailers))
    return commits


def config_email(root: Path) -> str:
    """git's ``user.email`` for this repository, or ``""`` when none is set."""
    import subprocess

    result = subprocess.run(
        ["git", "config", "user.email"], cwd=root, capture_output=True, check=False
    )
    return (
        result.stdout.decode("utf-8", "replace").strip()
        if result.returncode == 0
        else ""
    )


def _age(seconds: float) -> str:
    if seconds < 120:
        return f"{int(seconds)} 秒"
    if seconds < 7200:
        return f"{int(seconds // 60)} 分钟"
    if seconds < 172800:
        return f"{int(seconds // 3600)} 小时"
    return f"{int(seconds // 86400)} 天"


class BatchCommits:
    """Commits gathered in memory and written by one ``git fast-import``.

    For building large registers (the demo, the benchmarks): every step is still its own
    commit with its own author, date, message and trailers, but git runs once, not three
    times a step. The working files are written as the steps go; :meth:`flush` writes the
    commits and brings git's index up to date with them.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.stream = bytearray()
        self.count = 0

    def add(
        self,
        files: dict[str, str],
        message: str,
        who: Identity,
        trailers: dict[str, str],
    ) -> None:
        body = "\n".join(f"{key}: {value}" for key, value in trailers.items() if value)
        text = (f"{message}\n\n{body}\n" if body else f"{message}\n").encode("utf-8")
        stamp = _raw_date(who.date)
        person = f"{who.name} <{who.email}> {stamp}".encode()
        out = self.stream
        out += b"commit refs/heads/main\n"
        out += b"author " + person + b"\ncommitter " + person + b"\n"
        out += b"data %d\n" % len(text) + text
        if self.count == 0:
            out += b"from refs/heads/main^0\n"
        for path, content in files.items():
            data = content.encode("utf-8")
            out += b"M 100644 inline " + path.encode("utf-8") + b"\n"
            out += b"data %d\n" % len(data) + data + b"\n"
        self.count += 1

    def flush(self) -> None:
        import subprocess

        if not self.count:
            return
        result = subprocess.run(
            ["git", "fast-import", "--quiet", "--done"],
            cwd=self.root,
            input=bytes(self.stream) + b"done\n",
            capture_output=True,
            check=False,
        )
        if result.returncode != 0:
            raise RegisterError(
                f"git fast-import 失败：{result.stderr.decode()[-300:]}"
            )
        _run(self.root, "reset", "-q")
        self.stream.clear()
        self.count = 0


def _raw_date(iso: str) -> str:
    """git's raw date (``<epoch> +0800``) from an ISO 8601 time with an offset."""
    import datetime as dt

    moment = dt.datetime.fromisoformat(iso)
    offset = moment.utcoffset() or dt.timedelta()
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{int(moment.timestamp())} {sign}{abs(minutes) // 60:02d}{abs(minutes) % 60:02d}"


# --- several clerks, audit, repair ------------------------------------------------
#
# A push, a rebase or a log of the whole history needs git's exit status and output
# together, or a stream of output, so these return the process or read it as it runs.


def call(
    root: Path,
    *args: str,
    env: dict[str, str] | None = None,
    stdin: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run git in ``root`` and return the finished process, whatever its exit status."""
    import subprocess

    return subprocess.run(
        ["git", *args],
        cwd=root,
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        env={**os.environ, **(env or {}), "LC_ALL": "C.UTF-8"},
        check=False,
    )


def output(root: Path, *args: str, env: dict[str, str] | None = None) -> str:
    """git's standard output; a failing git is a :class:`RegisterError` with its reason."""
    done = call(root, *args, env=env)
    if done.returncode != 0:
        why = reason(done.stderr or done.stdout, f"exit {done.returncode}")
        raise RegisterError(f"git {args[0]} 失败：{why}")
    return done.stdout


def has_remote(root: Path) -> bool:
    """Whether the repository names any remote; read from its config file, no process."""
    try:
        config = (root / ".git" / "config").read_text(encoding="utf-8")
    except OSError:
        return False
    return '[remote "' in config


def in_progress(root: Path) -> str:
    """The operation git has stopped in the middle of (``rebase``, ``merge``), or ``""``."""
    git_dir = root / ".git"
    if (git_dir / "rebase-merge").is_dir() or (git_dir / "rebase-apply").is_dir():
        return "rebase"
    if (git_dir / "MERGE_HEAD").exists():
        return "merge"
    if (git_dir / "CHERRY_PICK_HEAD").exists():
        return "cherry-pick"
    return ""


def branch(root: Path) -> str:
    """The branch HEAD is on (``main``), or ``""`` when HEAD is detached."""
    try:
        head_text = (root / ".git" / "HEAD").read_text(encoding="utf-8").strip()
    except OSError:
        return ""
    prefix = "ref: refs/heads/"
    return head_text[len(prefix) :] if head_text.startswith(prefix) else ""


def resolve(root: Path, rev: str) -> str:
    """The commit id ``rev`` names, or ``""`` when it names none."""
    done = call(root, "rev-parse", "--verify", "-q", f"{rev}^{{commit}}")
    return done.stdout.strip() if done.returncode == 0 else ""


def commit_files_on(
    root: Path,
    parent: str,
    files: dict[str, str],
    message: str,
    who: Identity,
    trailers: dict[str, str],
) -> str:
    """A new commit on ``parent`` changing ``files``; index, HEAD and files untouched.

    The commit is only an object until someone points a branch at it: ``sync`` pushes
    it first and moves the local branch to it only once the remote has taken it.
    """
    body = "\n".join(f"{key}: {value}" for key, value in trailers.items() if value)
    text = f"{message}\n\n{body}\n" if body else f"{message}\n"
    index = root / ".git" / f"officectl-commit-index-{os.getpid()}"
    env = {"GIT_INDEX_FILE": str(index)}
    try:
        output(root, "read-tree", parent, env=env)
        for path, content in files.items():
            blob = call(root, "hash-object", "-w", "--stdin", stdin=content)
            if blob.returncode != 0:
                raise RegisterError(f"git hash-object 失败：{blob.stderr.strip()}")
            entry = f"100644,{blob.stdout.strip()},{path}"
            output(root, "update-index", "--add", "--cacheinfo", entry, env=env)
        tree = output(root, "write-tree", env=env).strip()
    finally:
        index.unlink(missing_ok=True)
    made = call(root, "commit-tree", tree, "-p", parent, env=who.env(), stdin=text)
    if made.returncode != 0:
        raise RegisterError(f"git commit-tree 失败：{made.stderr.strip()}")
    return made.stdout.strip()


class Blobs:
    """File contents by object id (or ``REV:path``, ``:path``) from one ``git cat-file``.

    Reading a history of many thousands of commits asks git for tens of thousands of
    file versions; one long-running process answers them all. Use as a context manager.
    """

    def __init__(self, root: Path, env: dict[str, str] | None = None) -> None:
        import subprocess

        self.process = subprocess.Popen(
            ["git", "cat-file", "--batch"],
            cwd=root,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env={**os.environ, **(env or {}), "LC_ALL": "C.UTF-8"},
        )

    def get(self, name: str) -> bytes | None:
        """The object's bytes, or None when git knows no such object."""
        stdin, stdout = self.process.stdin, self.process.stdout
        assert stdin is not None and stdout is not None
        stdin.write(name.encode("utf-8") + b"\n")
        stdin.flush()
        header = stdout.readline()
        if not header or header.endswith(b" missing\n") or b" " not in header:
            return None
        size = int(header.split()[-1])
        data = stdout.read(size)
        stdout.read(1)  # the newline after each object
        return data

    def close(self) -> None:
        if self.process.stdin:
            self.process.stdin.close()
        if self.process.stdout:
            self.process.stdout.close()
        self.process.wait()

    def __enter__(self) -> Blobs:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Change(NamedTuple):
    """One file a commit changed: its old and new object ids (all zeros: absent)."""

    path: str
    old: str
    new: str


class Step(NamedTuple):
    """One commit as the audit reads it: who, trailers, parents, files changed.

    For a merge commit, ``against`` holds one list of changes per parent.
    """

    sha: str
    parents: tuple[str, ...]
    author: str
    email: str
    signature: str
    trailers: dict[str, str]
    against: tuple[tuple[Change, ...], ...]

    @property
    def changes(self) -> tuple[Change, ...]:
        return self.against[0] if self.against else ()


ABSENT = "0" * 40


def walk(
    root: Path, revisions: str = "HEAD", signatures: bool = False
) -> Iterator[Step]:
    """Every commit in ``revisions``, oldest first, with the files it changed.

    One ``git log`` streams the whole history; a merge is listed once per parent
    (``-m``) so that a merge that dropped one side's change shows it.
    """
    import subprocess

    signature = "%G?" if signatures else ""
    fields = ["%H", "%P", "%an", "%ae", signature, "%(trailers:only,unfold)"]
    command = [
        "git", "log", "--reverse", "--topo-order", "--raw", "-m", "--no-abbrev",
        "--no-renames", "--format=%x00" + "%x1f".join(fields) + "%x1e", revisions, "--",
    ]  # fmt: skip
    process = subprocess.Popen(
        command,
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "LC_ALL": "C.UTF-8"},
    )
    assert process.stdout is not None
    pending: list[Step] = []
    buffer = b""
    finished = False
    try:
        while chunk := process.stdout.read(1 << 16):
            buffer += chunk
            *complete, buffer = buffer.split(b"\x00")
            for part in complete:
                yield from _gather(pending, _parse_entry(part))
        yield from _gather(pending, _parse_entry(buffer))
        yield from _gather(pending, None)
        finished = True
    finally:
        if not finished:
            process.kill()
        process.stdout.close()
        error = b""
        if process.stderr:
            error = process.stderr.read()
            process.stderr.close()
        if process.wait() != 0 and finished:
            raise RegisterError(f"git log 失败：{reason(error, revisions)}")


def _parse_entry(raw: bytes) -> Step | None:
    text = raw.decode("utf-8", "replace")
    if not text.strip():
        return None
    header, _, rest = text.rpartition("\x1e")
    sha, parents, author, email, signature, trailer_text = header.split("\x1f", 5)
    trailers = dict(
        line.split(": ", 1) for line in trailer_text.splitlines() if ": " in line
    )
    changes = []
    for line in rest.splitlines():
        if not line.startswith(":"):
            continue
        meta, _, path = line.partition("\t")
        parts = meta.split()
        changes.append(Change(path, parts[2], parts[3]))
    return Step(
        sha,
        tuple(parents.split()),
        author,
        email,
        signature,
        trailers,
        (tuple(changes),),
    )


def _gather(pending: list[Step], step: Step | None) -> Iterator[Step]:
    """Join the per-parent entries ``-m`` prints for one merge into one :class:`Step`."""
    if step is not None and pending and pending[-1].sha == step.sha:
        last = pending.pop()
        pending.append(
            Step(
                last.sha,
                last.parents,
                last.author,
                last.email,
                last.signature,
                last.trailers,
                last.against + step.against,
            )
        )
        return
    if pending:
        yield pending.pop()
    if step is not None:
        pending.append(step)


def age_of(path: Path) -> str:
    """How long ago ``path`` was last written, in words (``3 分钟``)."""
    return _age(time.time() - path.stat().st_mtime)
