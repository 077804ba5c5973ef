"""A derived index of the register, so reports never parse every record.

Parsing a record costs about a millisecond; a register of ten years holds a hundred
thousand. The index is a SQLite file under ``.git/officectl/`` holding the few fields
reports need (id, kind, state, title, unit, handler) and every time limit, each row keyed
by the git blob id of the record it came from. It follows what git holds: committed and
staged records. Whether it is current is known from HEAD and the mtime of git's index
file, two small reads; when either moved, only the paths git says changed are read again
(from git's object store, so a half-written working file is never indexed). Deleting the
index loses nothing: the next command rebuilds it, on both cores.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from officectl.errors import RegisterError
from officectl.register import ID_PATTERN, RECORDS, Register

SCHEMA_VERSION = "8"
_ISO_DAY = "[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]"
PARALLEL_FROM = 2000  # below this many records to read, one process is faster
_STAGE_RANK = {"0": 0, "2": 1, "1": 2, "3": 3}  # git's index stages, preferred first
REBASE_AFTER = 1000  # paths differing from the basis before a newer basis is taken

_TABLES = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS records (
    path TEXT PRIMARY KEY, blob TEXT NOT NULL, id TEXT, kind TEXT, state TEXT,
    title TEXT, unit TEXT, handler TEXT, problem TEXT
);
CREATE INDEX IF NOT EXISTS records_kind ON records (kind, state);
CREATE INDEX IF NOT EXISTS records_problem ON records (path) WHERE problem != '';
CREATE TABLE IF NOT EXISTS limits (
    path TEXT NOT NULL, position INTEGER, limit_name TEXT, label TEXT,
    start TEXT, due TEXT, done TEXT, provisional INTEGER, extended INTEGER
);
CREATE INDEX IF NOT EXISTS limits_path ON limits (path);
CREATE INDEX IF NOT EXISTS limits_done ON limits (done);
CREATE TABLE IF NOT EXISTS running_limits (
    path TEXT NOT NULL, position INTEGER, id TEXT, kind TEXT, state TEXT, title TEXT,
    unit TEXT, handler TEXT, limit_name TEXT, label TEXT, start TEXT, due TEXT,
    provisional INTEGER, extended INTEGER
);
CREATE INDEX IF NOT EXISTS running_limits_path ON running_limits (path);
CREATE TABLE IF NOT EXISTS numbers (
    path TEXT NOT NULL, kind TEXT, id TEXT, sequence TEXT, number INTEGER
);
CREATE INDEX IF NOT EXISTS numbers_kind ON numbers (kind);
CREATE INDEX IF NOT EXISTS numbers_given ON numbers (kind, sequence, number);
"""
# ``running_limits`` repeats, for every limit still running, what the overdue report
# shows of it and its record: a thousand rows read in one go, where looking each up
# among ten years of closed limits and records costs a hundred times more. ``numbers``
# holds the number each document was given in its sequence (发文字号, 收文编号,
# 简报期数), as the kind's rules module reads it (``number_of``), so numbering the next
# one reads no record files. A limit keeps its start, its extension and whether its due
# date is provisional, so reports count that date again on today's calendar.

_TABLE_NAMES = ("records", "limits", "running_limits", "numbers")
# Tables of older versions, whose columns differ: new names let an older officectl
# run on the same clone again (it makes its own tables and rebuilds them).
_OLDER_TABLES = ("deadlines", "running")
Row = tuple[tuple[Any, ...], list[tuple[Any, ...]], list[tuple[Any, ...]]]


class Entry(NamedTuple):
    """One record as the index knows it."""

    path: str
    id: str
    kind: str
    state: str
    title: str
    unit: str
    handler: str
    problem: str = ""
    deadlines: tuple[dict[str, Any], ...] = ()


class Seen(NamedTuple):
    """What git held when a run last looked, so that the next asks only what changed.

    ``basis`` is a commit the index was compared with, and ``differing`` the record
    paths (joined by NUL) where the index then differed from it: together they say
    exactly what was seen. ``head`` and ``index_file`` (a stamp of git's index file)
    tell whether anything can have moved since.
    """

    head: str = ""
    index_file: str = ""
    basis: str = ""
    differing: str = ""

    def dumps(self) -> str:
        return json.dumps(self._asdict())

    @classmethod
    def parse(cls, text: str) -> Seen:
        try:
            fields = json.loads(text)
            return cls(*(str(fields.get(name, "")) for name in cls._fields))
        except (ValueError, AttributeError):  # none kept, or by another version
            return cls()


def index_stamp(root: Path) -> str:
    """A stamp of git's index file: git replaces the file whenever it writes it."""
    try:
        info = os.stat(root / ".git" / "index")
    except OSError:
        return ""
    return f"{info.st_ino}:{info.st_mtime_ns}:{info.st_ctime_ns}:{info.st_size}"


class Index:
    """The index of one register; :meth:`refresh` before reading."""

    def __init__(self, register: Register) -> None:
        self.register = register
        self.root = register.root
        folder = self.root / ".git" / "officectl"
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / "index.sqlite"
        self.db = self._connect()

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Index:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _connect(self) -> sqlite3.Connection:
        try:
            return self._open()
        except sqlite3.DatabaseError:
            # A damaged index is only a cache: start it again.
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
            return self._open()

    def _open(self) -> sqlite3.Connection:
        # A command waits while another brings the index up to date: a cold rebuild of
        # 100,000 records takes about 40 s here, so the wait may be long.
        db = sqlite3.connect(self.path, timeout=600, isolation_level=None)
        # Write-ahead logging without a sync per commit: a crash may lose the last
        # update of this cache, never corrupt it, and a run is a few ms shorter.
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = NORMAL")
        db.executescript(_TABLES)
        return db

    # --- keeping it current -----------------------------------------------------

    def refresh(self) -> None:
        """Bring the index up to what git holds, reading only what changed.

        When anything moved, looking and updating happen under the index's write lock,
        in one transaction: two commands refreshing at once take turns, and the second
        finds the first's work done. Otherwise a slower one could store what it saw
        before the faster one over what that one saw after.
        """
        if self._current():
            return
        self.db.execute("BEGIN IMMEDIATE")  # waits for another refresh to finish
        try:
            stored = dict(self.db.execute("SELECT key, value FROM meta").fetchall())
            rebuild = stored.get("version") != SCHEMA_VERSION
            seen = Seen() if rebuild else Seen.parse(stored.get("seen", ""))
            changed, now = self.look(seen)
            if now != seen or rebuild:
                self._update(changed, rebuild)
                self.db.executemany(
                    "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                    [("version", SCHEMA_VERSION), ("seen", now.dumps())],
                )
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def _current(self) -> bool:
        """Whether the index is of this version and neither HEAD nor git's index file
        moved since it was brought up: two small reads, no lock, no git."""
        from officectl.gitstore import head as head_of

        stored = dict(self.db.execute("SELECT key, value FROM meta").fetchall())
        if stored.get("version") != SCHEMA_VERSION:
            return False
        seen = Seen.parse(stored.get("seen", ""))
        return bool(seen.basis) and (seen.head, seen.index_file) == (
            head_of(self.root),
            index_stamp(self.root),
        )

    def look(
        self, seen: Seen, meanwhile: Callable[[], object] | None = None
    ) -> tuple[dict[str, str] | None, Seen]:
        """What git's index may hold differently from when ``seen``, and what is seen now.

        The first is record path → blob id in git's index ("" for a file gone), or
        None when everything must be compared (nothing seen before, or its basis gone
        from a rewritten history). No working file is looked at. When neither HEAD nor
        git's index file moved, nothing is asked of git at all; otherwise one diff of
        the index against the basis commit names every path that may have changed.
        That diff reads all of git's index (about 15 ms at 100,000 records), so
        ``meanwhile`` is called while git works: the caller gets ready to read what
        changed.
        """
        from officectl.gitstore import head as head_of

        head = head_of(self.root)
        stamp = index_stamp(self.root)
        if seen.basis and seen.head == head and seen.index_file == stamp:
            return {}, seen
        blobs = self._index_against(seen.basis, meanwhile) if seen.basis else None
        if blobs is None or len(blobs) > REBASE_AFTER:
            # Start a new basis: what the index holds apart from HEAD.
            differing = self._raw_diff(
                "--cached", head, meanwhile=None if seen.basis else meanwhile
            )
            now = Seen(head, stamp, head, "\0".join(sorted(differing)))
            if blobs is None:
                return None, now
        else:
            now = Seen(head, stamp, seen.basis, "\0".join(sorted(blobs)))
        # Differing from the basis last time, not now: the index holds the basis's blob.
        put_back = {p for p in seen.differing.split("\0") if p and p not in blobs}
        if put_back:
            found = self.index_blobs(put_back)
            blobs.update({path: found.get(path, "") for path in put_back})
        return blobs, now

    def _index_against(
        self, basis: str, meanwhile: Callable[[], object] | None
    ) -> dict[str, str] | None:
        """Where git's index differs from commit ``basis``; None when it is gone (a
        rewritten history), so that everything is compared."""
        try:
            return self._raw_diff("--cached", basis, meanwhile=meanwhile)
        except RegisterError:
            return None

    def _raw_diff(
        self, *revisions: str, meanwhile: Callable[[], object] | None = None
    ) -> dict[str, str]:
        """Record path → blob id on the newer side of ``git diff`` ("" when gone)."""
        words = git_lines(
            self.root, "diff", "--raw", "--no-abbrev", "--no-renames", "-z",
            *revisions, "--", RECORDS, meanwhile=meanwhile,
        )  # fmt: skip
        blobs = {}
        unmerged = set()
        for meta, path in zip(words[::2], words[1::2], strict=True):
            _, _, _, blob, status = meta.split()[:5]
            if not path.endswith(".yaml"):
                continue
            if status == "U":  # a conflict: git's index holds both sides, not one blob
                unmerged.add(path)
            else:
                blobs[path] = "" if set(blob) == {"0"} else blob
        if unmerged:
            blobs.update(self.index_blobs(unmerged))
        return blobs

    def _update(self, changed: dict[str, str] | None, rebuild: bool = False) -> None:
        """Read what changed into the tables; the caller holds the write lock."""
        if rebuild:  # written by another version of officectl: read everything again
            for table in (*_TABLE_NAMES, *_OLDER_TABLES):
                # Its tables may have other columns: made again, not just emptied
                # (statement by statement: executescript would end the transaction).
                self.db.execute(f"DROP TABLE IF EXISTS {table}")
            for statement in _TABLES.split(";"):
                if statement.strip():
                    self.db.execute(statement)
        if changed is None:
            blobs = self.index_blobs(None)
            known = dict(self.db.execute("SELECT path, blob FROM records").fetchall())
            gone = set(known) - set(blobs)
        else:
            blobs = {path: blob for path, blob in changed.items() if blob}
            query = "SELECT path, blob FROM records WHERE 1"
            known = dict(self.of_paths(query, (), changed))
            gone = {
                path for path, blob in changed.items() if not blob and path in known
            }
        wanted = [
            (path, blob) for path, blob in blobs.items() if known.get(path) != blob
        ]
        rows = parse_blobs(self.root, wanted, _readers(self.register))

        stale = [(path,) for path in gone | {path for path, _ in wanted}]
        if len(stale) == len(known) and changed is None:
            for table in _TABLE_NAMES:
                self.db.execute(f"DELETE FROM {table}")
        else:
            for table in _TABLE_NAMES:
                self.db.executemany(f"DELETE FROM {table} WHERE path = ?", stale)
        self.db.executemany(
            "INSERT INTO records VALUES (?,?,?,?,?,?,?,?,?)", [r for r, _, _ in rows]
        )
        self.db.executemany(
            "INSERT INTO limits VALUES (?,?,?,?,?,?,?,?,?)",
            [limit for _, limits, _ in rows for limit in limits],
        )
        self.db.executemany(
            "INSERT INTO numbers VALUES (?,?,?,?,?)",
            [number for _, _, numbers in rows for number in numbers],
        )
        self.db.executemany(
            "INSERT INTO running_limits VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            [
                (path, position, *record[2:8], name, label, start, due, *marks)
                for record, limits, _ in rows
                if not record[8]
                for path, position, name, label, start, due, done, *marks in limits
                if done is None
            ],
        )

    def index_blobs(self, paths: set[str] | None) -> dict[str, str]:
        """Path → blob id of record files in git's index (all, or just ``paths``)."""
        if paths is not None and not paths:
            return {}
        if paths is None or len(paths) > 500:
            lines = git_lines(self.root, "ls-files", "-s", "-z", "--", RECORDS)
        else:
            lines = git_lines(self.root, "ls-files", "-s", "-z", "--", *sorted(paths))
        blobs: dict[str, str] = {}
        ranks: dict[str, int] = {}
        for line in lines:
            meta, _, path = line.partition("\t")
            if path.endswith(".yaml") and (paths is None or path in paths):
                _, blob, stage = meta.split()
                # In a conflict, this clone's side (stage 2) stands for the record
                # until the conflict is resolved; then the base, then theirs.
                rank = _STAGE_RANK.get(stage, 9)
                if rank < ranks.get(path, 10):
                    blobs[path], ranks[path] = blob, rank
        return blobs

    # --- reading ----------------------------------------------------------------

    def entries(
        self,
        kind: str | None = None,
        finished: dict[str, set[str]] | None = None,
        running_limits_only: bool = False,
        due_before: dt.date | None = None,
    ) -> list[Entry]:
        """Records with their time limits, in kind and id order.

        ``finished`` maps kinds to their final states, whose records are left out;
        ``running_limits_only`` keeps just records with a limit still running, which is
        all the overdue report needs from a register of mostly closed cases, and
        ``due_before`` just those of their limits due before that day.
        """
        if running_limits_only:
            return self._running(kind, finished or {}, due_before)
        where, args = self._filters(kind, finished)
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        records = self.db.execute(
            "SELECT path, id, kind, state, title, unit, handler, problem FROM records "
            f"{clause} ORDER BY kind, id",
            args,
        ).fetchall()
        limits = self._limits({row[0] for row in records})
        return [
            Entry(
                path,
                rid,
                kind,
                state,
                title,
                unit,
                handler,
                problem,
                tuple(limits.get(path, ())),
            )
            for path, rid, kind, state, title, unit, handler, problem in records
        ]

    def is_built(self) -> bool:
        """Whether the index was built by this version, so that bringing it up to
        date reads only what changed."""
        stored = dict(self.db.execute("SELECT key, value FROM meta").fetchall())
        return stored.get("version") == SCHEMA_VERSION and bool(stored.get("seen"))

    def numbers(self, kind: str) -> list[tuple[str, Any, int]]:
        """(record id, sequence, number) of every number given in ``kind``."""
        rows = self.db.execute(
            "SELECT id, sequence, number FROM numbers WHERE kind = ?", (kind,)
        )
        return [(rid, _hashable(json.loads(seq)), number) for rid, seq, number in rows]

    def problems(self) -> list[str]:
        """What could not be read, one message a file."""
        rows = self.db.execute(
            "SELECT problem FROM records WHERE problem != '' ORDER BY path"
        ).fetchall()
        return [problem for (problem,) in rows]

    @staticmethod
    def _filters(
        kind: str | None, finished: dict[str, set[str]] | None
    ) -> tuple[list[str], list[str]]:
        where, args = [], []
        if kind:
            where.append("kind = ?")
            args.append(kind)
        for name, states in (finished or {}).items():
            if states:
                marks = ",".join("?" * len(states))
                where.append(f"NOT (kind = ? AND state IN ({marks}))")
                args += [name, *sorted(states)]
        return where, args

    def _running(
        self, kind: str | None, finished: dict[str, set[str]], before: dt.date | None
    ) -> list[Entry]:
        """Open records with a limit still running, with just those limits."""
        where, args = [], []
        if kind:
            where.append("kind = ?")
            args.append(kind)
        if before is not None:
            where.append(_due_before())
            args += _due_arguments(before)
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        rows = self.db.execute(
            "SELECT kind, id, position, path, state, title, unit, handler, "
            "limit_name, label, start, due, NULL, provisional, extended "
            "FROM running_limits" + clause,
            args,
        ).fetchall()
        return _gathered(rows, finished)

    def history(
        self,
        kind: str | None,
        finished: dict[str, set[str]],
        day: dt.date,
        before: dt.date,
    ) -> list[Entry]:
        """Records with a limit running on a past ``day``, with just those limits.

        A limit ran on ``day`` if it had started by then (its start, such as the day a
        letter was received) and was not done by then: a case closed since counts, a
        limit started later does not. Only limits due before ``before`` are kept, and
        provisional ones a little later (their date may move). A limit never done on a
        record now closed (a hand edit) is left out, as today's report leaves it out.
        Besides the running limits, this reads those done since the day, found through
        the index on ``done``: the further back the day, the more.
        """
        after = (day + dt.timedelta(days=1)).isoformat()
        where = [
            # Done after the day (ISO text: a time on the day sorts before the next
            # day), through the index on done: what was done since, and what runs.
            "(d.done IS NULL OR d.done >= ?)",
            "r.problem = ''",
            "substr(d.start, 1, 10) <= ?",
            _due_before("d."),
        ]
        args: list[Any] = [after, day.isoformat(), *_due_arguments(before)]
        if kind:
            where.append("r.kind = ?")
            args.append(kind)
        rows = self.db.execute(
            "SELECT r.kind, r.id, d.position, d.path, r.state, r.title, r.unit, "
            "r.handler, d.limit_name, d.label, d.start, d.due, d.done, d.provisional, "
            "d.extended FROM limits d JOIN records r ON r.path = d.path "
            f"WHERE {' AND '.join(where)}",
            args,
        ).fetchall()
        return _gathered(rows, finished)

    def of_paths(
        self, query: str, args: Sequence[Any], paths: Iterable[str]
    ) -> list[tuple[Any, ...]]:
        """The rows of ``query`` (which ends in a WHERE clause) whose path is one of
        ``paths``, asked in batches that stay under SQLite's limit of parameters."""
        rows: list[tuple[Any, ...]] = []
        wanted = sorted(paths)
        for first in range(0, len(wanted), 500):
            chunk = wanted[first : first + 500]
            marks = ",".join("?" * len(chunk))
            clause = f"{query} AND path IN ({marks})"
            rows += self.db.execute(clause, (*args, *chunk)).fetchall()
        return rows

    def _limits(self, paths: set[str]) -> dict[str, list[dict[str, Any]]]:
        rows = self.of_paths(
            "SELECT path, position, limit_name, label, start, due, done, provisional, "
            "extended FROM limits WHERE 1",
            (),
            paths,
        )
        rows.sort(key=lambda row: (row[0], row[1]))
        limits: dict[str, list[dict[str, Any]]] = {}
        for path, _, *limit in rows:
            limits.setdefault(path, []).append(_limit(*limit))
        return limits


# How much earlier a provisional due date may fall when it is counted again once its
# year is published: by the make-up working days (补班) the notice adds within its
# span, a few days at most. A month is ample.
PROVISIONAL_SLACK = dt.timedelta(days=31)


def _due_before(table: str = "") -> str:
    """The condition that keeps a limit due before a day (parameters: that day, and
    that day plus :data:`PROVISIONAL_SLACK`).

    A provisional due date counted again on today's calendar may fall a little
    earlier than written, so it passes within the slack. A due date not written as
    ISO text is left for the caller to judge.
    """
    return (
        f"(substr({table}due, 1, 10) < ?"
        f" OR ({table}provisional = 1 AND substr({table}due, 1, 10) < ?)"
        f" OR {table}due NOT GLOB '{_ISO_DAY}*')"
    )


def _due_arguments(before: dt.date) -> list[str]:
    return [before.isoformat(), (before + PROVISIONAL_SLACK).isoformat()]


def _limit(
    name: str,
    label: str,
    start: str,
    due: str,
    done: str | None,
    provisional: int,
    extended: int,
) -> dict[str, Any]:
    """One time limit as the record writes it, from an index row."""
    limit: dict[str, Any] = {"limit": name, "label": label, "start": start, "due": due}
    if done is not None:
        limit["done"] = done
    if provisional:
        limit["provisional"] = True
    if extended:
        limit["extended"] = extended
    return limit


def _gathered(
    rows: list[tuple[Any, ...]], finished: dict[str, set[str]]
) -> list[Entry]:
    """Entries from rows of (kind, id, position, path, state, title, unit, handler,
    and the limit's name, label, start, due, done, provisional and extension), in kind
    and id order; a limit not done on a record in a final state is left out."""
    rows.sort(key=lambda row: row[:3])
    records: dict[str, tuple[str, str, str, str, str, str]] = {}
    limits: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        rkind, rid, _, path, state, title, unit, handler = row[:8]
        if row[12] is None and state in finished.get(rkind, ()):
            continue
        records.setdefault(path, (rid, rkind, state, title, unit, handler))
        limits.setdefault(path, []).append(_limit(*row[8:]))
    return [
        Entry(path, rid, rkind, state, title, unit, handler, "", tuple(limits[path]))
        for path, (rid, rkind, state, title, unit, handler) in records.items()
    ]


# --- reading blobs, in parallel for large batches -------------------------------------


Readers = dict[str, tuple[str, str]]  # kind → (its title field, its rules module)


def _readers(register: Register) -> Readers:
    return {
        name: (kind.title_field, kind.rules) for name, kind in register.kinds.items()
    }


def parse_blobs(
    root: Path, wanted: list[tuple[str, str]], readers: Readers
) -> list[Row]:
    """Index rows for each (path, blob), read from git's object store."""
    if len(wanted) < PARALLEL_FROM or (os.cpu_count() or 1) < 2:
        return _parse_chunk(root, wanted, readers)
    from concurrent.futures import ProcessPoolExecutor

    workers = min(os.cpu_count() or 2, 4)
    chunks = [wanted[i::workers] for i in range(workers)]
    with ProcessPoolExecutor(workers) as pool:
        parts = pool.map(_parse_chunk, [root] * workers, chunks, [readers] * workers)
        return [row for part in parts for row in part]


def _parse_chunk(
    root: Path, wanted: list[tuple[str, str]], readers: Readers
) -> list[Row]:
    rows = []
    for (path, blob), text in zip(
        wanted, read_blobs(root, [b for _, b in wanted]), strict=True
    ):
        rows.append(_row(path, blob, text, readers))
    return rows


def read_blobs(root: Path, blobs: Sequence[str]) -> Iterator[str]:
    """The text of each blob, in order, through one ``git cat-file --batch``."""
    import subprocess

    if not blobs:
        return
    process = subprocess.Popen(
        ["git", "cat-file", "--batch"],
        cwd=root,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    assert process.stdin is not None and process.stdout is not None
    import threading

    def feed() -> None:
        assert process.stdin is not None
        process.stdin.write("".join(f"{blob}\n" for blob in blobs).encode())
        process.stdin.close()

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    with process:
        for _ in blobs:
            header = process.stdout.readline().split()
            size = int(header[2]) if len(header) == 3 else 0
            content = process.stdout.read(size)
            process.stdout.read(1)
            yield content.decode("utf-8", "replace")
        writer.join()


def _row(path: str, blob: str, text: str, readers: Readers) -> Row:
    """A record's rows; one that cannot be read is kept as its problem, so that one
    bad file never stops a report."""
    try:
        return _rows_of(path, blob, text, readers)
    except Exception as err:  # a hand edit no reader foresaw: name it, go on
        problem = f"{path}: 无法读入索引（{type(err).__name__}: {err}）"
        return (path, blob, "", "", "", "", "", "", problem), [], []


def _rows_of(path: str, blob: str, text: str, readers: Readers) -> Row:
    from officectl import yamlio

    try:
        data, _ = yamlio.loads(text, path)
    except yamlio.YamlError as err:
        return (path, blob, "", "", "", "", "", "", str(err)), [], []
    if not isinstance(data, dict):
        return (path, blob, "", "", "", "", "", "", f"{path}: 不是记录文件"), [], []
    kind = str(data.get("kind") or "")
    misplaced = _misplaced(path, kind, str(data.get("id") or ""))
    if misplaced:
        return (path, blob, "", "", "", "", "", "", misplaced), [], []
    title_field, rules = readers.get(kind, ("title", ""))
    title = _field(data, title_field)
    record = (
        path,
        blob,
        str(data.get("id") or ""),
        kind,
        str(data.get("state") or ""),
        "" if title is None else str(title),
        _text(data.get("unit")),
        _text(data.get("handler")),
        "",
    )
    deadlines = [
        (
            path,
            position,
            _text(e.get("limit")),
            _text(e.get("label")),
            _iso(e.get("start")),
            _iso(e.get("due")),
            _iso(e["done"]) if "done" in e else None,
            1 if e.get("provisional") else 0,
            _days(e.get("extended")),
        )
        for position, e in enumerate(data.get("deadlines") or [])
        if isinstance(e, dict)
    ]
    return record, deadlines, _number(rules, path, kind, record[2], data)


def _misplaced(path: str, kind: str, record_id: str) -> str:
    """Why a record is not where its id puts it, so that reports leave it out (a
    copy of a record in a second year would be listed twice); "" when it is."""
    match = ID_PATTERN.match(record_id)
    if match is None:
        return f"{path}: id {record_id!r} 不是记录编号"
    expected = f"{RECORDS}/{kind}/{match['year']}/{record_id}.yaml"
    if path == expected:
        return ""
    return f"{path}: 编号 {record_id} 与文件位置不符，应在 {expected}"


def _number(
    rules: str, path: str, kind: str, record_id: str, data: dict[str, Any]
) -> list[tuple[Any, ...]]:
    """The record's number in its sequence, as its kind's rules module reads it."""
    from officectl.kinds import rules_named

    number_of = getattr(rules_named(rules), "number_of", None)
    found = number_of(data) if number_of is not None else None
    if found is None:
        return []
    sequence, number = found
    if not -(2**63) <= number < 2**63:  # beyond what SQLite keeps: no number given
        return []
    return [(path, kind, record_id, json.dumps(sequence, ensure_ascii=False), number)]


def _hashable(value: Any) -> Any:
    """A sequence as the rules module gives it: JSON turned its tuples into lists."""
    return (
        tuple(_hashable(item) for item in value) if isinstance(value, list) else value
    )


def _field(data: dict[str, Any], path: str) -> Any:
    node: Any = data
    for part in path.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node


def _days(value: Any) -> int:
    """An extension's length in days; 0 for none (or for one a hand edit garbled)."""
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _iso(value: Any) -> str:
    from officectl import yamlio

    converted = yamlio.to_json(value)
    return "" if converted is None else str(converted)


def git_lines(
    root: Path,
    *args: str,
    stdin: str | None = None,
    meanwhile: Callable[[], object] | None = None,
) -> list[str]:
    """The NUL-separated output of a git command; ``meanwhile`` runs while git does."""
    import subprocess

    process = subprocess.Popen(
        ["git", *args],
        cwd=root,
        stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    with process:
        if meanwhile is not None:
            meanwhile()  # git works on; it waits only once its output fills the pipe
        out, err = process.communicate(stdin.encode() if stdin is not None else None)
    if process.returncode != 0:
        from officectl.gitstore import reason

        why = reason(err, str(process.returncode))
        raise RegisterError(f"git {args[0]} 失败：{why}")
    return [line for line in out.decode("utf-8").split("\0") if line]


def open_index(register: Register) -> Index:
    """The register's index, brought up to date; close it (or use ``with``) when done."""
    index = Index(register)
    try:
        index.refresh()
    except BaseException:
        index.close()
        raise
    return index
