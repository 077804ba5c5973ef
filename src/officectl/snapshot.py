"""The roster, the workflows and the calendar, kept parsed between runs.

Every command needs them, and reading them costs a YAML parser's import and a dozen
files parsed: about a tenth of a second, more than the overdue report itself takes on a
register of ten years. So once read, each part is pickled into
``.git/officectl/parsed.pickle`` beside the index, with a stamp of every file it came
from (inode, size, modification and change times) and of the code that builds it. The
next run takes the part from there only when every stamp still matches; any other
answer (a file edited, added or removed, a pull, a new officectl, a snapshot that cannot
be read) means the files are read again, so deleting the snapshot loses nothing.

A file modified within the last few seconds is not trusted to show its next change: the
clock that stamps files ticks in milliseconds, and a second edit of the same size in the
same tick would leave the stamp as it was (git calls this "racy"). So a part read from
such a file is not kept until the file has settled.

The snapshot sits inside ``.git``, where only the register's own users can write; it is
read by nothing but officectl.
"""

from __future__ import annotations

import os
import pickle
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

FILE = "parsed.pickle"
SETTLED_AFTER = 3  # seconds since a source last changed before a part is kept
_CODE = Path(__file__).resolve().parent
_BUILDERS = ("register.py", "workflow.py", "workdays.py", "snapshot.py")

_loaded: dict[Path, dict[str, Any]] = {}


def cached(root: Path, part: str, sources: Iterable[Path], read: Callable[[], T]) -> T:
    """``part`` as last read from ``sources``, or ``read()`` when any of them moved.

    ``sources`` are the files (and folders, whose stamps change when a file is added or
    removed) the part is read from; a missing one is part of the stamp too.
    """
    stamp, newest = _stamp(sources)
    parts = _load(root)
    kept = parts.get(part)
    if kept is not None and kept[0] == stamp:
        # Each caller gets its own copy: a calendar notes the years it was asked about.
        return pickle.loads(kept[1])
    value = read()
    if newest < time.time_ns() - SETTLED_AFTER * 1_000_000_000:
        parts[part] = (stamp, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
        _save(root, parts)
    return value


def _stamp(sources: Iterable[Path]) -> tuple[tuple[Any, ...], int]:
    """The stamp of ``sources`` and of the code, and when the newest last changed."""
    marks: list[Any] = [sys.version_info[:2]]
    newest = 0
    for path in (*(_CODE / name for name in _BUILDERS), *sources):
        try:
            info = os.stat(path)
        except OSError:
            marks.append((str(path), None))
            continue
        marks.append(
            (str(path), info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)
        )
        newest = max(newest, info.st_mtime_ns)
    return tuple(marks), newest


def _file(root: Path) -> Path:
    return root / ".git" / "officectl" / FILE


def _load(root: Path) -> dict[str, Any]:
    parts = _loaded.get(root)
    if parts is None:
        try:
            with open(_file(root), "rb") as stream:
                parts = pickle.load(stream)
            if not isinstance(parts, dict):
                parts = {}
        except Exception:  # unreadable (cut short, another version): read it all again
            parts = {}
        _loaded[root] = parts
    return parts


def _save(root: Path, parts: dict[str, Any]) -> None:
    """Write the snapshot whole or not at all; a register without .git keeps none."""
    target = _file(root)
    if not target.parent.parent.is_dir():
        return
    temporary = target.with_name(f"{FILE}.{os.getpid()}.tmp")
    try:
        target.parent.mkdir(exist_ok=True)
        with open(temporary, "wb") as stream:
            pickle.dump(parts, stream, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, target)
    except (OSError, pickle.PicklingError):
        temporary.unlink(missing_ok=True)
