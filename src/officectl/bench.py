"""``make bench``: the main commands timed on a real register, as ratios to a baseline.

These machines are noisy, so every time is the median of several runs of a whole
command in a fresh process, and every result is given as a ratio to
``git ls-files | wc -l`` on the same register in the same run.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from officectl import demo

AS_OF = demo.CUTOFF.isoformat()


def median_time(run: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def shell(command: str, cwd: Path) -> Callable[[], object]:
    def run() -> object:
        return subprocess.run(
            command,
            shell=True,
            cwd=cwd,
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    return run


def officectl(register: Path, *args: str) -> Callable[[], object]:
    executable = shutil.which("officectl") or f"{sys.executable} -m officectl"
    command = [*executable.split(), "-C", str(register), *args]

    def run() -> object:
        return subprocess.run(
            command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )

    return run


def new_and_do(register: Path) -> Callable[[], object]:
    """One ``new`` letter and one ``do`` on it, as a clerk would type them."""
    executable = shutil.which("officectl") or f"{sys.executable} -m officectl"
    base = [*executable.split(), "-C", str(register)]

    def run() -> object:
        created = subprocess.run(
            [
                *base,
                "new",
                "letter",
                "--by",
                "wangli",
                "--set",
                "received=" + AS_OF,
                "--set",
                "petitioner.name=测试",
                "--set",
                "title=基准测试来信",
                "--set",
                "content=基准测试",
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        record = created.stdout.strip()
        return subprocess.run(
            [*base, "do", record, "assign", "--by", "wangli", "--set", "unit=donghu"],
            check=True,
            stdout=subprocess.DEVNULL,
        )

    return run


def prepare(folder: Path) -> Path:
    """A fresh copy of the demo register to measure on (built if there is none)."""
    register = folder / "register"
    if register.exists():
        shutil.rmtree(register)
    source = Path("demo/register")
    if (source / "officectl.yaml").is_file():
        shutil.copytree(source, register, symlinks=True)
    else:
        print("正在生成示例登记簿…", file=sys.stderr)
        demo.build(register)
    return register


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m officectl.bench")
    parser.add_argument("--out", type=Path, default=Path("bench/out"))
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    os.environ.setdefault("GIT_CONFIG_NOSYSTEM", "1")

    register = prepare(args.out)
    files = subprocess.run(
        ["git", "ls-files"], cwd=register, capture_output=True, check=True
    ).stdout.count(b"\n")
    baseline = median_time(shell("git ls-files | wc -l", register), args.repeat)
    cases = [
        ("overdue", officectl(register, "overdue", "--as-of", AS_OF)),
        ("list --overdue", officectl(register, "list", "--overdue", "--as-of", AS_OF)),
        ("new + do", new_and_do(register)),
    ]
    rows = [("git ls-files | wc -l (baseline)", baseline, 1.0)]
    for name, run in cases:
        seconds = median_time(run, args.repeat)
        rows.append((f"officectl {name}", seconds, seconds / baseline))

    print(f"\n示例登记簿：{files} 个文件；每项取 {args.repeat} 次运行的中位数\n")
    print("| command | median (s) | × baseline |")
    print("|---|---:|---:|")
    for name, seconds, ratio in rows:
        print(f"| `{name}` | {seconds:.3f} | {ratio:.1f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
