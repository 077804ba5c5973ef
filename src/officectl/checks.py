"""Validating the whole register without judging the same file twice.

A record's findings depend only on its text and on the rules it is judged by (schemas,
workflows, roster, officectl itself). Findings are kept in the index keyed by the
record's git blob id and a digest of those rules, so after one record changes only
that record is read again. Files that differ from git's index (hand edits not yet
staged, new files) are always read from the working tree. A cold run spreads the work
over the machine's cores.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from pathlib import Path

from officectl import __version__
from officectl.engine import check_text
from officectl.index import PARALLEL_FROM, Index, _git_lines, read_blobs
from officectl.register import RECORDS, SETTINGS, Register
from officectl.schemas import Finding

_TABLE = """
CREATE TABLE IF NOT EXISTS findings (
    path TEXT NOT NULL, blob TEXT NOT NULL, rules TEXT NOT NULL, found TEXT NOT NULL,
    PRIMARY KEY (path, blob)
);
"""


def rules_digest(register: Register) -> str:
    """A digest of everything a record is judged by, so a change to any re-judges all."""
    digest = hashlib.sha256(__version__.encode())
    files = [register.root / SETTINGS]
    for name in ("schemas", "workflows"):
        for folder in register.folder(name):
            files += sorted(folder.glob("*.json")) + sorted(folder.glob("*.yaml"))
    kinds = Path(__file__).parent / "kinds"
    files += sorted(kinds.glob("*.py"))
    for path in files:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def validate_register(register: Register) -> list[Finding]:
    """Every problem in every record file of the register, in path order."""
    with Index(register) as index:
        index.db.executescript(_TABLE)
        blobs = index._index_blobs(None)
        changed = _working_changes(register)
        rules = rules_digest(register)
        cached = _cached(index, rules)

        findings: list[Finding] = []
        todo = []
        for path, blob in sorted(blobs.items()):
            if path in changed:
                continue
            if (path, blob) in cached:
                findings += cached[(path, blob)]
            else:
                todo.append((path, blob))
        fresh = _judge_blobs(register, todo)
        _store(index, rules, todo, fresh)
        for path, _ in todo:
            findings += fresh[path]

    for path in sorted(changed):
        file = register.root / path
        if file.is_file():
            findings += validate_files(register, [file])
    return sorted(findings, key=lambda f: (f.file, f.line))


def validate_files(register: Register, files: Iterable[Path]) -> list[Finding]:
    """Judge the named working files as they are on disk."""
    findings: list[Finding] = []
    for path in files:
        name = register.relative(path)
        try:
            text = path.read_bytes().decode("utf-8")
        except UnicodeDecodeError:
            findings.append(Finding(name, 1, "不是 UTF-8 编码的文本"))
            continue
        findings += check_text(register, text, name)
    return findings


def _working_changes(register: Register) -> set[str]:
    """Record files whose working copy differs from git's index, or that git lacks."""
    root = register.root
    modified = _git_lines(root, "diff", "--name-only", "-z", "--", RECORDS)
    untracked = _git_lines(
        root, "ls-files", "--others", "--exclude-standard", "-z", "--", RECORDS
    )
    return {path for path in (*modified, *untracked) if path.endswith(".yaml")}


def _cached(index: Index, rules: str) -> dict[tuple[str, str], list[Finding]]:
    rows = index.db.execute(
        "SELECT path, blob, found FROM findings WHERE rules = ?", (rules,)
    ).fetchall()
    return {
        (path, blob): [Finding(*item) for item in json.loads(found)]
        for path, blob, found in rows
    }


def _store(
    index: Index,
    rules: str,
    judged: list[tuple[str, str]],
    found: dict[str, list[Finding]],
) -> None:
    rows = [
        (path, blob, rules, json.dumps([list(_fields(f)) for f in found[path]]))
        for path, blob in judged
    ]
    index.db.execute("BEGIN IMMEDIATE")
    index.db.executemany("INSERT OR REPLACE INTO findings VALUES (?, ?, ?, ?)", rows)
    index.db.execute("COMMIT")


def _fields(finding: Finding) -> tuple[str, int, str, str]:
    return finding.file, finding.line, finding.message, finding.record


def _judge_blobs(
    register: Register, wanted: list[tuple[str, str]]
) -> dict[str, list[Finding]]:
    if len(wanted) < PARALLEL_FROM or (os.cpu_count() or 1) < 2:
        return _judge_chunk(register.root, wanted)
    from concurrent.futures import ProcessPoolExecutor

    workers = min(os.cpu_count() or 2, 4)
    chunks = [wanted[i::workers] for i in range(workers)]
    with ProcessPoolExecutor(workers) as pool:
        results: dict[str, list[Finding]] = {}
        for part in pool.map(_judge_chunk, [register.root] * workers, chunks):
            results.update(part)
        return results


def _judge_chunk(root: Path, wanted: list[tuple[str, str]]) -> dict[str, list[Finding]]:
    register = Register(root)
    texts = read_blobs(root, [blob for _, blob in wanted])
    return {
        path: check_text(register, text, path)
        for (path, _), text in zip(wanted, texts, strict=True)
    }
