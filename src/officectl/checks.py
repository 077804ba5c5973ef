"""Validating the whole register without judging the same file twice.

A record's findings depend only on its text and on the rules it is judged by (schemas,
workflows, roster, officectl itself). Findings are kept in the index keyed by the
record's git blob id and a digest of those rules, so after one record changes only
that record is read again. A cold run spreads the work over the machine's cores.

What is judged is what git holds, committed and staged, like every report: git's HEAD
and its staging area name what changed without looking at a single working file. Files
that differ from git's index (hand edits not yet staged, files git does not track) are
judged from the working tree when asked (``working=True``), because finding them means
asking the file system about every record: about 0.15 s per 100,000 records here,
three times what the rest of a run costs.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from officectl import __version__
from officectl.errors import OfficeError
from officectl.index import PARALLEL_FROM, Index, Seen, git_lines, read_blobs
from officectl.register import RECORDS, SETTINGS, Register
from officectl.schemas import Finding

FORMAT = "3"  # of a stored judgement; a new format judges everything again

_TABLE = """
CREATE TABLE IF NOT EXISTS judgements (
    path TEXT PRIMARY KEY, blob TEXT NOT NULL, rules TEXT NOT NULL, found TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS judgements_found ON judgements (rules) WHERE found != '[]';
"""


def rules_digest(register: Register) -> str:
    """A digest of everything a record is judged by, so a change to any re-judges all."""
    import hashlib

    digest = hashlib.sha256(f"{__version__}/{FORMAT}".encode())
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


def validate_register(register: Register, working: bool = False) -> list[Finding]:
    """Every problem in every record git holds, in path order.

    What git holds is judged from the last run's judgements and what git says changed
    since; with ``working``, files that differ from git's index are judged as they
    stand on disk instead.
    """
    with Index(register) as index:
        index.db.executescript(_TABLE)
        judged_by, seen = _last_run(index)
        ready: list[str] = []
        changed, now = index.look(
            seen, meanwhile=lambda: ready.append(_get_ready(register))
        )
        rules = ready[0] if ready else rules_digest(register)
        if rules != judged_by:
            changed = None  # judged by other rules: judge everything again
        if changed != {} or now != seen:
            judged = _judge_changes(register, index, rules, changed)
            if changed is not None and _numbered(register, set(changed)):
                _judge_numbered_again(register, index, rules, judged)
            _remember_run(index, rules, seen, now)
        findings = _findings(index, rules)
        if working:
            edited = _working_changes(register)
            findings = [f for f in findings if f.file not in edited]
            for path in sorted(edited):
                file = register.root / path
                if file.is_file():
                    findings += _judge_files(register, [file])
        findings += _twice(
            register, findings, lambda ps: set(_judged(index, rules, ps))
        )
    return sorted(findings, key=lambda f: (f.file, f.line))


def _get_ready(register: Register) -> str:
    """The digest of the rules, and what judging needs loaded: done while git looks
    for what changed."""
    from officectl.engine import get_ready

    get_ready(register)
    return rules_digest(register)


def _last_run(index: Index) -> tuple[str, Seen]:
    """The rules the last run judged by, and what git held then (nothing seen when
    there was no run, so that everything is judged)."""
    stored = dict(
        index.db.execute(
            "SELECT key, value FROM meta WHERE key IN ('judged-rules', 'judged-seen')"
        )
    )
    return stored.get("judged-rules", ""), Seen.parse(stored.get("judged-seen", ""))


def _judge_changes(
    register: Register, index: Index, rules: str, changed: dict[str, str] | None
) -> set[str]:
    """Judge what changed (path → blob, "" when gone; None: everything) that is not
    judged under ``rules`` yet; the paths judged."""
    if changed is None:
        blobs = index.index_blobs(None)
        judged = _judged(index, rules, None)
        gone = [(path,) for path in judged if path not in blobs]
    else:
        blobs = {path: blob for path, blob in changed.items() if blob}
        judged = _judged(index, rules, set(changed))
        gone = [(path,) for path, blob in changed.items() if not blob]
    todo = [
        (path, blob) for path, blob in sorted(blobs.items()) if judged.get(path) != blob
    ]
    fresh = _judge_blobs(register, todo)
    rows = [
        (path, blob, rules, json.dumps([list(_fields(f)) for f in fresh[path]]))
        for path, blob in todo
    ]
    index.db.execute("BEGIN IMMEDIATE")
    if changed is None:
        index.db.execute("DELETE FROM judgements WHERE rules != ?", (rules,))
    index.db.executemany("INSERT OR REPLACE INTO judgements VALUES (?, ?, ?, ?)", rows)
    index.db.executemany("DELETE FROM judgements WHERE path = ?", gone)
    index.db.execute("COMMIT")
    return {path for path, _ in todo}


def _numbered(register: Register, paths: set[str]) -> bool:
    """Whether any of ``paths`` is a record of a kind that numbers its records."""
    from officectl.kinds import rules_named

    kinds = {path.split("/")[1] for path in paths if path.count("/") >= 2}
    return any(
        hasattr(rules_named(register.kinds[kind].rules), "number_of")
        for kind in kinds
        if kind in register.kinds
    )


def _judge_numbered_again(
    register: Register, index: Index, rules: str, judged: set[str]
) -> None:
    """Judge again the numbered documents whose judgement may depend on others.

    A document's number is judged against every other document's (a 发文字号 given
    twice), so its kept judgement goes stale when another document changes. Judged
    again after a numbered document changed: each document that shares its number
    with another (as the index has them now), and each numbered one with findings
    kept, since the record it clashed with may be gone. A clean register has neither.
    """
    index.refresh()
    shared = {
        path
        for (path,) in index.db.execute(
            "SELECT path FROM numbers WHERE (kind, sequence, number) IN ("
            " SELECT kind, sequence, number FROM numbers"
            " GROUP BY kind, sequence, number HAVING count(*) > 1)"
        )
    }
    flagged = {
        path
        for (path,) in index.db.execute(
            "SELECT path FROM judgements WHERE rules = ? AND found != '[]' "
            "AND path IN (SELECT path FROM numbers)",
            (rules,),
        )
    }
    again = index.index_blobs((shared | flagged) - judged)
    if not again:
        return
    todo = sorted(again.items())
    fresh = _judge_blobs(register, todo)
    rows = [
        (path, blob, rules, json.dumps([list(_fields(f)) for f in fresh[path]]))
        for path, blob in todo
    ]
    index.db.execute("BEGIN IMMEDIATE")
    index.db.executemany("INSERT OR REPLACE INTO judgements VALUES (?, ?, ?, ?)", rows)
    index.db.execute("COMMIT")


def _judged(index: Index, rules: str, paths: set[str] | None) -> dict[str, str]:
    """Path → blob of what is judged under ``rules``: of ``paths``, or all (None)."""
    query = "SELECT path, blob FROM judgements WHERE rules = ?"
    if paths is None:
        return dict(index.db.execute(query, (rules,)))
    return dict(index.of_paths(query, (rules,), paths))


def _remember_run(index: Index, rules: str, before: Seen, now: Seen) -> None:
    """Keep what this run saw, for the next to start from; unless another run stored
    what it saw since this one started, whose judgements may be mixed with these:
    then the next run compares everything git holds with the judgements kept (which
    reads only git's index) and judges again what differs."""
    index.db.execute("BEGIN IMMEDIATE")
    _, stored = _last_run(index)
    kept = now if stored == before else Seen()
    index.db.executemany(
        "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
        [("judged-rules", rules), ("judged-seen", kept.dumps())],
    )
    index.db.execute("COMMIT")


def _findings(index: Index, rules: str) -> list[Finding]:
    rows = index.db.execute(
        "SELECT found FROM judgements WHERE rules = ? AND found != '[]'", (rules,)
    )
    return [Finding(*item) for (found,) in rows for item in json.loads(found)]


def validate_files(register: Register, files: Iterable[Path]) -> list[Finding]:
    """Judge the named working files as they are on disk."""
    findings = _judge_files(register, files)
    findings += _twice(
        register, findings, lambda ps: {p for p in ps if (register.root / p).is_file()}
    )
    return findings


def _twice(
    register: Register, findings: list[Finding], held: Callable[[set[str]], set[str]]
) -> list[Finding]:
    """One record in two files: a file away from its id's place, and that place
    (``held`` says which of some paths hold a record), or another such file."""
    from officectl.engine import expected_place

    away: dict[str, set[str]] = {}
    for finding in findings:
        try:
            kind = register.kind_of_id(finding.record)
        except OfficeError:
            continue
        place = expected_place(kind, finding.record)
        if place and finding.file != place:
            away.setdefault(place, set()).add(finding.file)
    present = held(set(away)) if away else set()
    twice: list[Finding] = []
    for place, files in sorted(away.items()):
        paths = sorted(files | ({place} & present))
        if len(paths) < 2:
            continue
        for path in paths:
            others = "、".join(p for p in paths if p != path)
            record_id = Path(place).stem
            message = f"id: 编号 {record_id} 重复：{others} 也是这条记录"
            twice.append(Finding(path, 1, message, record_id))
    return twice


def _judge_files(register: Register, files: Iterable[Path]) -> list[Finding]:
    from officectl.engine import check_text

    findings: list[Finding] = []
    for path in files:
        name = register.relative(path)
        text = _decoded(path.read_bytes(), name)
        if isinstance(text, Finding):
            findings.append(text)
        else:
            findings += check_text(register, text, name)
    return findings


def _decoded(raw: bytes, name: str) -> str | Finding:
    """A record file's text, or the finding that it is not UTF-8 (naming the byte)."""
    from officectl import yamlio

    try:
        return yamlio.decode(raw, name)
    except yamlio.YamlError as err:
        return Finding(name, 1, str(err).partition(": ")[2])


def _working_changes(register: Register) -> set[str]:
    """Record files whose working copy differs from git's index, or that git lacks."""
    entries = git_lines(
        register.root,
        "status",
        "--porcelain=v1",
        "-z",
        "--untracked-files=all",
        "--no-renames",
        "--",
        RECORDS,
    )
    return {
        entry[3:]
        for entry in entries
        if entry[1] != " " and entry[3:].endswith(".yaml")
    }


def _fields(finding: Finding) -> tuple[str, int, str, str, int]:
    return finding.file, finding.line, finding.message, finding.record, finding.column


def _judge_blobs(
    register: Register, wanted: list[tuple[str, str]]
) -> dict[str, list[Finding]]:
    if len(wanted) < PARALLEL_FROM or (os.cpu_count() or 1) < 2:
        return _judge_texts(register, wanted)
    from concurrent.futures import ProcessPoolExecutor

    workers = min(os.cpu_count() or 2, 4)
    chunks = [wanted[i::workers] for i in range(workers)]
    with ProcessPoolExecutor(workers) as pool:
        results: dict[str, list[Finding]] = {}
        for part in pool.map(_judge_chunk, [register.root] * workers, chunks):
            results.update(part)
        return results


def _judge_chunk(root: Path, wanted: list[tuple[str, str]]) -> dict[str, list[Finding]]:
    return _judge_texts(Register(root), wanted)


def _judge_texts(
    register: Register, wanted: list[tuple[str, str]]
) -> dict[str, list[Finding]]:
    from officectl.engine import check_text

    texts = read_blobs(register.root, [blob for _, blob in wanted])
    return {
        path: check_text(register, text, path)
        for (path, _), text in zip(wanted, texts, strict=True)
    }


# --- the pre-commit hook ----------------------------------------------------------------


def staged_problems(register: Register) -> list[Finding]:
    """What is wrong with the record files as staged for the next commit.

    git runs the hook with the index it is about to commit (a temporary one for
    ``git commit --only``), so the staged text is read, never the working file; the
    steps it adds to the committed version are new, and judged by the roster now.
    """
    from officectl import gitstore
    from officectl.audit import RECORD_PATH
    from officectl.engine import check_text

    listed = gitstore.output(
        register.root,
        "diff",
        "--cached",
        "--name-only",
        "-z",
        "--diff-filter=ACMR",
        "--",
        RECORDS,
    )
    names = [name for name in listed.split("\0") if RECORD_PATH.match(name)]
    found: list[Finding] = []
    with gitstore.Blobs(register.root) as blobs:
        for name in names:
            text = _decoded(blobs.get(f":{name}") or b"", name)
            if isinstance(text, Finding):
                found.append(text)
                continue
            since = committed(blobs.get(f"HEAD:{name}"), name)
            found += check_text(register, text, name, since)
    return found


def committed(raw: bytes | None, name: str) -> Any:
    """A record's data as committed, to judge new steps against; {} for none."""
    from officectl import yamlio

    if raw is None:
        return {}
    try:
        data, _ = yamlio.loads(raw.decode("utf-8"), name)
    except (UnicodeDecodeError, yamlio.YamlError):
        return {}
    return data if isinstance(data, dict) else {}
