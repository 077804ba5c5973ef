"""``make bench``: the main commands timed on real registers, as ratios to baselines.

These machines are noisy, so each command is run several times, each time as a whole
command in a fresh process and in turn with its baseline on the same register, and the
result is the ratio of the two medians: ``git ls-files | wc -l`` for reports, PyYAML's
C loader over the same files for a full validate, a plain ``git add`` + ``git commit``
for a step, and ``python -c 'import click'`` for start-up.

Registers: the demo register as ``make demo`` builds it, and larger ones shaped like a
decade of a real office (about 1,000 cases open, the rest closed over ten years). Those
are built fast, for the benchmark's sake: the demo's records are copied under new ids
and shifted into earlier years, and written with one ``git fast-import`` in commits of
ten files each.
"""

from __future__ import annotations

import argparse
import compileall
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from officectl import demo
from officectl.gitstore import BatchCommits, Identity
from officectl.register import ID_PATTERN, RECORDS

AS_OF = demo.CUTOFF.isoformat()
OPEN_TARGET = 1000  # open cases in a large register, as in a real office
CLERK = Identity("王丽", "wangli@jiangcheng-tax.example", "2026-12-01T09:00:00+08:00")


@dataclass(frozen=True)
class Result:
    name: str
    seconds: float
    baseline: str
    ratio: float
    target: float | None = None

    def row(self) -> str:
        target = f"≤ {self.target:g}" if self.target else ""
        verdict = (
            "" if not self.target else ("ok" if self.ratio <= self.target else "MISSED")
        )
        return (
            f"| {self.name} | {self.seconds:.3f} | {self.baseline} | "
            f"{self.ratio:.2f} | {target} | {verdict} |"
        )


# --- timing -------------------------------------------------------------------------


def timed(run: Callable[[], object]) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def paired(
    run: Callable[[], object],
    baseline: Callable[[], object],
    repeat: int,
    before: Callable[[], object] | None = None,
) -> tuple[float, float]:
    """Medians of ``run`` and its ``baseline``, timed in turn: a slow spell of a shared
    machine falls on both, and their ratio stays."""
    ours, theirs = [], []
    for _ in range(repeat):
        if before is not None:
            before()
        ours.append(timed(run))
        theirs.append(timed(baseline))
    return statistics.median(ours), statistics.median(theirs)


def command(args: list[str], cwd: Path | None = None) -> Callable[[], object]:
    def run() -> object:
        return subprocess.run(
            args,
            cwd=cwd,
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    return run


def shell(text: str, cwd: Path) -> Callable[[], object]:
    def run() -> object:
        return subprocess.run(
            text,
            shell=True,
            cwd=cwd,
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    return run


def officectl(register: Path, *args: str) -> list[str]:
    executable = shutil.which("officectl")
    base = [executable] if executable else [sys.executable, "-m", "officectl"]
    return [*base, "-C", str(register), *args]


# --- building registers -------------------------------------------------------------


def demo_register(folder: Path) -> Path:
    """A copy of ``demo/register`` (built first when there is none)."""
    source = Path("demo/register")
    if not (source / "officectl.yaml").is_file():
        print("正在生成示例登记簿（make demo 的那一份）…", file=sys.stderr)
        demo.build(source)
    target = folder / "demo"
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(source, target, symlinks=True)
    return target


def large_register(seed: Path, folder: Path, records: int) -> Path:
    """A register of ``records`` records over ten years, copied from ``seed``'s."""
    target = folder / f"r{records}"
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(
        seed, target, symlinks=True, ignore=shutil.ignore_patterns("registers")
    )
    shutil.rmtree(target / ".git" / "officectl", ignore_errors=True)
    # Letters and visits only: document kinds number their records (发文字号 …), and a
    # copy under a new id would hold a duplicate number that validate rightly flags.
    texts = [
        (p.stem, p.parent.parent.name, p.read_text(encoding="utf-8"))
        for kind in ("letter", "visit")
        for p in sorted((seed / RECORDS / kind).rglob("*.yaml"))
    ]
    closed = [t for t in texts if "state: closed" in t[2]]
    running = [t for t in texts if "state: closed" not in t[2]]
    # A real office has most open cases in time: one in ten is copied from a late one.
    late = [t for t in running if _is_late(t[2])] or running
    timely = [t for t in running if not _is_late(t[2])] or running
    running = [
        late[i % len(late)] if i % 10 == 0 else timely[i % len(timely)]
        for i in range(OPEN_TARGET)
    ]

    files = dict(_copies(closed, running, records))
    subprocess.run(
        ["git", "rm", "-r", "-q", "--cached", RECORDS],
        cwd=target,
        check=False,
        capture_output=True,
    )
    batch = BatchCommits(target)
    paths = sorted(files)
    for start in range(0, len(paths), 10):
        chunk = {path: files[path] for path in paths[start : start + 10]}
        for path, text in chunk.items():
            file = target / path
            file.parent.mkdir(parents=True, exist_ok=True)
            file.write_text(text, encoding="utf-8")
        batch.add(chunk, f"基准测试数据 {start // 10 + 1}", CLERK, {})
    batch.flush()
    return target


def _copies(
    closed: list[tuple[str, str, str]],
    running: list[tuple[str, str, str]],
    records: int,
) -> list[tuple[str, str]]:
    """(path, text) pairs: the open cases this year, closed ones spread over ten years."""
    numbers: dict[tuple[str, int], int] = {}
    out = []
    open_count = min(OPEN_TARGET, records // 10)
    for index in range(records):
        if index < open_count:
            stem, kind, text = running[index % len(running)]
            year = demo.YEAR
        else:
            stem, kind, text = closed[index % len(closed)]
            year = demo.YEAR - 9 + (index % 10)
        match = ID_PATTERN.match(stem)
        assert match is not None
        key = (match["prefix"], year)
        numbers[key] = numbers.get(key, 0) + 1
        new_id = f"{match['prefix']}-{year}-{numbers[key]:04d}"
        shifted = _shift(text.replace(stem, new_id), year - demo.YEAR)
        out.append((f"{RECORDS}/{kind}/{year}/{new_id}.yaml", shifted))
    return out


def _is_late(text: str) -> bool:
    from officectl import yamlio

    data, _ = yamlio.loads(text)
    return any(
        "done" not in entry and str(entry.get("due")) < AS_OF
        for entry in data.get("deadlines") or []
    )


def _shift(text: str, years: int) -> str:
    if not years:
        return text
    for year in (demo.YEAR + 1, demo.YEAR):
        text = text.replace(f"{year}-", f"@{year + years}-")
    return text.replace("@", "")


# --- measuring ----------------------------------------------------------------------


def measure(register: Path, repeat: int, heavy: bool) -> list[Result]:
    """Every benchmark of the issue, on one register, each beside its baseline."""

    def drop_index() -> None:
        """Cold: no index, no judgements, no parsed snapshot, no compiled gates."""
        shutil.rmtree(register / ".git" / "officectl", ignore_errors=True)

    ls = shell("git ls-files | wc -l", register)
    quick = repeat * 3  # a command of a tenth of a second: more runs
    results: list[Result] = []
    bases: list[float] = []

    def vs_ls(
        name: str,
        args: list[str],
        target: float | None = None,
        before: Callable[[], object] | None = None,
        times: int = quick,
    ) -> None:
        seconds, base = paired(command(args), ls, times, before)
        bases.append(base)
        results.append(Result(name, seconds, "ls-files", seconds / base, target))

    vs_ls(
        "`overdue`, cold (no index)",
        officectl(register, "overdue", "--as-of", AS_OF),
        before=drop_index,
        times=1 if heavy else repeat,
    )
    vs_ls("`overdue`, warm", officectl(register, "overdue", "--as-of", AS_OF), 5)
    vs_ls(
        "`list --overdue`, warm",
        officectl(register, "list", "--overdue", "--as-of", AS_OF),
        5,
    )
    record = _some_record(register)
    vs_ls(f"`show {record}`", officectl(register, "show", record))
    vs_ls(f"`history {record}`", officectl(register, "history", record))
    command(officectl(register, "validate"))()  # the judgements to start from
    vs_ls(
        "`validate` after one record changed",
        officectl(register, "validate"),
        5,
        before=_change_one(register, record),
    )

    ls_files = statistics.median(bases)
    writes = _writes(register, repeat)
    step = writes[1].seconds + writes[2].seconds
    return [
        Result("`git ls-files \\| wc -l`", ls_files, "—", 1.0),
        *results,
        *writes,
        Result("one `new` + one `do`", step, "ls-files", step / ls_files),
        *_validation(register, repeat, heavy, drop_index),
    ]


def _change_one(register: Path, record: str) -> Callable[[], None]:
    """A hand edit of one record, committed with plain git."""
    path = next((register / RECORDS).rglob(f"{record}.yaml"))

    def change() -> None:
        with path.open("a", encoding="utf-8") as stream:
            stream.write("# 基准测试：改动一条记录\n")
        git_commit(register, "-a")

    return change


def git_commit(register: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=bench", "-c", "user.email=bench@x", "commit", "-q",
         "-m", "bench", *args],
        cwd=register,
        check=True,
    )  # fmt: skip


def _writes(register: Path, repeat: int) -> list[Result]:
    """One ``new`` and one ``do``, each beside a plain ``git add`` + ``git commit``."""
    scratch = register / "bench-scratch.txt"
    counter = iter(range(10**6))

    def plain_commit() -> None:
        scratch.write_text(f"{next(counter)}\n", encoding="utf-8")
        subprocess.run(["git", "add", scratch.name], cwd=register, check=True)
        git_commit(register, "--", scratch.name)

    created: list[str] = []

    def new() -> None:
        out = subprocess.run(
            officectl(
                register, "new", "letter", "--by", "wangli",
                "--set", f"received={AS_OF}", "--set", "petitioner.name=测试",
                "--set", "title=基准测试来信", "--set", "content=基准测试",
            ),
            check=True,
            capture_output=True,
            text=True,
        )  # fmt: skip
        created.append(out.stdout.strip())

    new_time, first = paired(new, plain_commit, repeat)
    ids = iter(created)

    def step() -> None:
        subprocess.run(
            officectl(
                register, "do", next(ids), "assign", "--by", "wangli",
                "--set", "unit=donghu",
            ),
            check=True,
            stdout=subprocess.DEVNULL,
        )  # fmt: skip

    do_time, second = paired(step, plain_commit, repeat)
    baseline = statistics.median([first, second])
    return [
        Result("plain `git add` + `git commit` of one file", baseline, "—", 1.0),
        Result("one `new`", new_time, "add+commit", new_time / first, 5),
        Result("one `do`", do_time, "add+commit", do_time / second, 5),
    ]


def _validation(
    register: Path, repeat: int, heavy: bool, drop_index: Callable[[], None]
) -> list[Result]:
    parse_only = command(
        [sys.executable, "-m", "officectl.bench", "--parse-only", str(register)]
    )
    cold, parse = paired(
        command(officectl(register, "validate")),
        parse_only,
        1 if heavy else repeat,
        before=drop_index,
    )
    helps, click = paired(
        command(officectl(register, "--help")),
        command([sys.executable, "-c", "import click"]),
        31,  # a twentieth of a second each: only many runs make a steady median
    )
    return [
        Result("PyYAML C loader over every record", parse, "—", 1.0),
        Result("`validate`, cold (no index)", cold, "C loader", cold / parse, 1.5),
        Result("`python -c 'import click'`", click, "—", 1.0),
        Result("`officectl --help`", helps, "import click", helps / click, 1.3),
    ]


def _heading(name: str, count: int) -> str:
    if name == "demo":
        return f"The demo register: {count:,} records"
    return f"{count:,} records" + (
        " (the targets apply here)" if is_large(count) else ""
    )


def is_large(count: int) -> bool:
    """A register where the slow measurements are taken once, and the targets apply."""
    return count > 20_000


def _some_record(register: Path) -> str:
    files = sorted((register / RECORDS / "letter").rglob("*.yaml"))
    return files[len(files) // 2].stem


def parse_only(register: Path) -> None:
    """The baseline: every record file loaded with PyYAML's C loader, nothing else."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    for path in (register / RECORDS).rglob("*.yaml"):
        yaml.load(path.read_bytes(), Loader=loader)


# --- the command --------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m officectl.bench",
        description="Benchmark officectl (make bench).",
    )
    parser.add_argument("--out", type=Path, default=Path("bench/out"))
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--sizes",
        default="10000,100000",
        help="sizes of the large registers, comma-separated ('' for none)",
    )
    parser.add_argument("--parse-only", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.parse_only:
        parse_only(args.parse_only)
        return 0

    os.environ.setdefault("GIT_CONFIG_NOSYSTEM", "1")
    # pip byte-compiles what it installs; an editable install is compiled on first
    # import, except where PYTHONDONTWRITEBYTECODE is set, and then on every run.
    compileall.compile_dir(Path(__file__).parent, quiet=1)
    args.out.mkdir(parents=True, exist_ok=True)
    seed = demo_register(args.out)
    registers = [seed]
    for size in filter(None, args.sizes.split(",")):
        print(f"正在生成 {size} 件记录的登记簿…", file=sys.stderr, flush=True)
        registers.append(large_register(seed, args.out, int(size)))

    report = []
    for register in registers:
        count = sum(1 for _ in (register / RECORDS).rglob("*.yaml"))
        heavy = is_large(count)
        print(f"正在测量 {register.name}（{count} 件）…", file=sys.stderr, flush=True)
        results = measure(register, 3 if heavy else args.repeat, heavy)
        report += [
            f"\n#### {_heading(register.name, count)}\n",
            "| what | median (s) | baseline | ratio | target | |",
            "|---|---:|---|---:|---|---|",
            *(r.row() for r in results),
        ]
    text = "\n".join(report) + "\n"
    (args.out / "results.md").write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
