"""Replaying the register's history: every commit that changed a record outside the rules.

git is the audit trail only if nobody can change a record without it showing. The audit
reads every commit (or those since a given one) and, for each record file a commit
changed, compares the version before with the version after:

* a commit with no ``Officectl-Action`` trailer that changes a record is a hand edit
  that bypassed the workflow;
* a step adds exactly one entry to the record's ``history``, and that entry names the
  commit's action, person and on-behalf-of; the commit's author is that roster person;
* the person's posts (in the roster as it stood at that commit) allow the action;
* the history reads as a walk through the kind's workflow, each step taken from a
  state it may be taken from, and the record's ``state`` is where the walk ends: a state
  no workflow action explains is found here;
* the step, replayed on the version before with the engine, gives the version after:
  the fields the action sets, the handler it records, every time limit it opens,
  closes or extends (counted with ``calendar.yaml`` as it stood at that commit);
* an ``import`` commit only creates records, each registered by the importing person
  from its ledger; a ``chase`` commit only adds its day to open, overdue limits;
* the new version passes validation (schema, workflow, the kind's rules);
* a merge keeps every history entry of every side and invents no value of its own;
* ``ids.yaml`` only ever gains number blocks, none overlapping another.

Problems a record already had before a commit are not reported again for that commit.
With ``require_signed`` every commit must also carry a good signature.

One ``git log`` streams the history and one ``git cat-file`` serves the file versions,
so the cost is a parse and a validation per changed file, whatever the register's size.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shlex
import sys
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

from officectl import gitstore, ids, yamlio
from officectl.engine import CHASE_ACTION, CHASERS, RESERVED, post_refusal
from officectl.errors import BadInput, OfficeError, RegisterError
from officectl.history import entry_key, history_change
from officectl.register import (
    POSTS,
    SETTINGS,
    Person,
    Register,
    Settings,
    parse_settings,
)
from officectl.workdays import CalendarFileError, OfficeCalendar
from officectl.workflow import Kind

RECORD_PATH = re.compile(r"^registers/[^/]+/\d{4}/[^/]+\.yaml$")
CALENDAR = "calendar.yaml"
GOOD_SIGNATURES = {"G", "U"}
SIGNATURES = {
    "N": "提交没有签名",
    "B": "签名无效（内容在签名后被改动过）",
    "E": "无法验证签名（缺少公钥，或没有配置 gpg.ssh.allowedSignersFile）",
    "X": "签名已过期",
    "Y": "签名所用的密钥已过期",
    "R": "签名所用的密钥已被吊销",
}


@dataclass(frozen=True)
class AuditFinding:
    """One problem with one commit, and the file it concerns (``""``: the commit)."""

    commit: str
    path: str
    message: str
    line: int = 0

    def __str__(self) -> str:
        where = f" {self.path}:{self.line}" if self.line else f" {self.path}"
        return f"{self.commit[:10]}{where if self.path else ''}: {self.message}"


# --- the history of one record as a walk through its workflow --------------------------


# --- file versions, read once ----------------------------------------------------------


@dataclass
class Version:
    """One version of a record file: its data, or why it cannot be read."""

    data: Any = None
    lines: Any = None
    error: str = ""
    found: list[tuple[int, str]] | None = (
        None  # its problems, (line, message), once known
    )


def read_version(register: Register, raw: bytes | None, name: str) -> Version:
    """Parse one version of a record file; every problem it has, when ``judge``."""
    if raw is None:
        return Version(error="git 中找不到此版本")
    try:
        data, lines = yamlio.loads(raw.decode("utf-8"), name)
    except UnicodeDecodeError:
        return Version(error="不是 UTF-8 编码的文本")
    except yamlio.YamlError as err:
        return Version(error=str(err).removeprefix(f"{name}:").strip())
    return Version(data, lines)


def judge(register: Register, version: Version, name: str) -> list[tuple[int, str]]:
    """Validation and workflow problems of a version, as (line, message)."""
    from officectl.engine import check_data

    if version.found is not None:
        return version.found
    if version.error:
        version.found = [(0, version.error)]
        return version.found
    found = [
        (f.line, f.message)
        for f in check_data(register, version.data, version.lines.of, name)
    ]
    version.found = found
    return found


class Versions:
    """Record versions by object id, parsed once; a bounded cache of the recent ones.

    Versions judged ahead of time (on other cores) wait in ``ready`` until asked for.
    """

    def __init__(self, register: Register, blobs: gitstore.Blobs, size: int = 4096):
        self.register = register
        self.blobs = blobs
        self.size = size
        self.cache: OrderedDict[str, Version] = OrderedDict()
        self.ready: dict[str, Version] = {}

    def get(self, sha: str, name: str) -> Version | None:
        if sha == gitstore.ABSENT:
            return None
        version = self.cache.get(sha)
        if version is not None:
            self.cache.move_to_end(sha)
            return version
        version = self.ready.pop(sha, None)
        if version is None:
            version = read_version(self.register, self.blobs.get(sha), name)
        self.cache[sha] = version
        if len(self.cache) > self.size:
            self.cache.popitem(last=False)
        return version

    def problems(self, version: Version, name: str) -> list[tuple[int, str]]:
        return judge(self.register, version, name)

    def known(self, version: Version | None, name: str) -> set[str]:
        if version is None:
            return set()
        return {message for _, message in self.problems(version, name)}


# --- the audit -------------------------------------------------------------------------

BATCH = 4000  # commits read ahead, so their new versions can be judged on every core
PARALLEL_FROM = 1000  # fewer versions than this: judged here, as they come


def audit(
    register: Register, since: str | None = None, require_signed: bool = False
) -> Iterator[AuditFinding]:
    """Every problem in the commits after ``since`` (all commits when None), in order."""
    root = register.root
    if since is not None and not gitstore.resolve(root, since):
        raise BadInput(f"--since {since}: 没有这个提交或版本")
    if not gitstore.resolve(root, "HEAD"):
        return
    revisions = f"{since}..HEAD" if since else "HEAD"
    with gitstore.Blobs(root) as blobs, _Workers(root) as workers:
        replay = _Replay(register, blobs, require_signed)
        if since:
            replay.read_roster(f"{since}:{SETTINGS}")
            replay.read_calendar(f"{since}:{CALENDAR}")
        steps = gitstore.walk(root, revisions, signatures=require_signed)
        while batch := list(islice(steps, BATCH)):
            wanted = _new_versions(batch, replay.versions)
            if len(wanted) >= PARALLEL_FROM and (os.cpu_count() or 1) > 1:
                replay.versions.ready.update(workers.judge(wanted))
            for step in batch:
                yield from replay.commit(step)


def _new_versions(
    batch: list[gitstore.Step], versions: Versions
) -> list[tuple[str, str]]:
    """The record versions a batch of commits writes, not yet read."""
    wanted = {
        change.new: change.path
        for step in batch
        for changes in step.against
        for change in changes
        if RECORD_PATH.match(change.path)
        and change.new != gitstore.ABSENT
        and change.new not in versions.cache
    }
    return list(wanted.items())


class _Workers:
    """Processes that judge record versions, started when first needed."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.pool: Any = None
        self.count = min(os.cpu_count() or 2, 4)

    def judge(self, wanted: list[tuple[str, str]]) -> dict[str, Version]:
        from concurrent.futures import ProcessPoolExecutor

        if self.pool is None:
            self.pool = ProcessPoolExecutor(self.count)
        chunks = [wanted[i :: self.count] for i in range(self.count)]
        ready: dict[str, Version] = {}
        for part in self.pool.map(_judge_chunk, [self.root] * self.count, chunks):
            ready.update(part)
        return ready

    def __enter__(self) -> _Workers:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)


def _judge_chunk(root: Path, wanted: list[tuple[str, str]]) -> dict[str, Version]:
    """In a worker process: read and judge versions; their line maps stay behind."""
    register = Register(root)
    ready = {}
    with gitstore.Blobs(root) as blobs:
        for sha, name in wanted:
            version = read_version(register, blobs.get(sha), name)
            judge(register, version, name)
            version.lines = None
            ready[sha] = version
    return ready


class _Replay:
    """The state an audit carries from commit to commit: the roster as it stood."""

    def __init__(self, register: Register, blobs: gitstore.Blobs, signed: bool):
        self.register = register
        self.blobs = blobs
        self.signed = signed
        self.versions = Versions(register, blobs)
        self.roster: Settings | None = None
        self.calendar = OfficeCalendar(source=CALENDAR)  # as it stood at the commit

    def read_roster(self, name: str) -> str:
        raw = self.blobs.get(name)
        if raw is None:
            return ""
        try:
            data, _ = yamlio.loads(raw.decode("utf-8"), SETTINGS)
            self.roster = parse_settings(data, SETTINGS)
        except (UnicodeDecodeError, BadInput) as err:
            return f"名册无法读取，之后的提交按此前的名册审计：{err}"
        return ""

    def read_calendar(self, name: str) -> str:
        raw = self.blobs.get(name)
        if raw is None:
            self.calendar = OfficeCalendar(source=CALENDAR)
            return ""
        try:
            text = raw.decode("utf-8")
            self.calendar = OfficeCalendar.from_text(text, Path(CALENDAR))
        except (UnicodeDecodeError, CalendarFileError) as err:
            return f"日历无法读取，之后的提交按此前的日历审计：{err}"
        return ""

    def commit(self, step: gitstore.Step) -> Iterator[AuditFinding]:
        if self.signed and step.signature not in GOOD_SIGNATURES:
            reason = SIGNATURES.get(step.signature, f"签名状态 {step.signature!r}")
            yield AuditFinding(step.sha, "", reason)
        paths = {change.path: change for changes in step.against for change in changes}
        records = sorted(path for path in paths if RECORD_PATH.match(path))
        if ids.LEASES in paths:
            yield from self._leases(step, paths[ids.LEASES])
        if records and len(step.parents) > 1:
            yield from self._merge(step, records)
        elif records:
            yield from self._step(step, [paths[path] for path in records])
        if SETTINGS in paths:
            problem = self.read_roster(paths[SETTINGS].new)
            if problem:
                yield AuditFinding(step.sha, SETTINGS, problem)
        if CALENDAR in paths:
            problem = self.read_calendar(paths[CALENDAR].new)
            if problem:
                yield AuditFinding(step.sha, CALENDAR, problem)

    # --- one step --------------------------------------------------------------------

    def _step(
        self, step: gitstore.Step, changes: list[gitstore.Change]
    ) -> Iterator[Any]:
        from officectl.sheets import IMPORT_ACTION

        action_name = step.trailers.get(gitstore.TRAILER_ACTION, "")
        person_id = step.trailers.get(gitstore.TRAILER_PERSON, "")
        if not action_name:
            author = self._author(step)
            if author:
                yield AuditFinding(step.sha, "", author)
            for change in changes:
                yield AuditFinding(step.sha, change.path, _hand_edit(change))
                yield from self._new_problems(step, change)
            return
        if action_name == IMPORT_ACTION:
            yield from self._import(step, changes)
            return
        if action_name == CHASE_ACTION and self._history_kept(changes):
            yield from self._chase(step, changes)
            return
        person, problem = self._acting(step, person_id)
        if len(changes) > 1:
            yield AuditFinding(
                step.sha, "", f"一次办理改动了 {len(changes)} 条记录，应只有一条"
            )
        if problem:
            yield AuditFinding(step.sha, "", problem)
        for change in changes:
            yield from self._record_step(step, change, action_name, person_id, person)

    def _acting(self, step: gitstore.Step, person_id: str) -> tuple[Person | None, str]:
        """The roster person a commit names, and why it may not stand for them."""
        person = self.roster.people.get(person_id) if self.roster else None
        if person is None:
            return None, f"办理人 {person_id or '（未写明）'} 不在名册中"
        author = self._author(step)
        if author:
            return person, author
        if _email(person).lower() != step.email.lower() or person.name != step.author:
            return (
                person,
                f"提交作者 {step.author} <{step.email}> 不是办理人 {person.label()}",
            )
        return person, ""

    def _record_step(
        self,
        step: gitstore.Step,
        change: gitstore.Change,
        action_name: str,
        person_id: str,
        person: Person | None,
    ) -> Iterator[AuditFinding]:
        path = change.path
        before = self.versions.get(change.old, path)
        after = self.versions.get(change.new, path)
        if after is None:
            yield AuditFinding(step.sha, path, "记录被删除：officectl 从不删除记录")
            return
        if after.error or not isinstance(after.data, dict):
            yield from self._new_problems(step, change)
            return
        data = after.data
        record_id = step.trailers.get(gitstore.TRAILER_RECORD, "")
        if record_id != str(data.get("id")):
            yield AuditFinding(
                step.sha,
                path,
                f"提交记的是 {record_id or '（未写明）'}，改动的却是 {data.get('id')}",
            )
        old = (
            before.data if before is not None and isinstance(before.data, dict) else {}
        )
        for key in ("id", "kind"):
            if old and old.get(key) != data.get(key):
                yield AuditFinding(
                    step.sha, path, f"{key} 被改动：{old.get(key)} → {data.get(key)}"
                )
        added, removed = history_change(old, data)
        if removed:
            yield AuditFinding(
                step.sha, path, f"改写或删除了 {removed} 条已有的办理记录"
            )
        if len(added) != 1:
            yield AuditFinding(
                step.sha,
                path,
                f"一次办理应新增一条办理记录，这次新增了 {len(added)} 条",
            )
        else:
            yield from self._entry(step, path, added[0], action_name, person_id)
        kind = self.register.kinds.get(str(data.get("kind")))
        action = kind.actions.get(action_name) if kind else None
        if kind is not None and action is None:
            yield AuditFinding(
                step.sha, path, f"{kind.label}流程中没有动作 {action_name}"
            )
        elif action is not None and person is not None and self.roster is not None:
            refusal = post_refusal(self.roster, action, person, old or data)
            if refusal:
                yield AuditFinding(step.sha, path, refusal)
        if kind is not None and action is not None and not removed and len(added) == 1:
            for message in self._replayed(kind, old or None, data, added):
                yield AuditFinding(step.sha, path, message)
        yield from self._new_problems(step, change)

    def _replayed(
        self, kind: Kind, before: dict[str, Any] | None, after: Any, steps: list[Any]
    ) -> list[str]:
        """Where a commit's record differs from what the engine makes of its steps.

        A due date counted while a year's notice was not out is kept as it was
        counted: such a provisional date is checked against the calendar without
        that notice.
        """
        found = _replay_problems(self.calendar, kind, before, after, steps)
        if not found or not _provisional(after):
            return found
        years = {moment.year for moment in map(_moment, steps) if moment}
        for year in sorted(years | {year + 1 for year in years}):
            calendar = self.calendar.unpublished_from(year)
            if not _replay_problems(calendar, kind, before, after, steps):
                return []
        return found

    # --- an import, a chase ------------------------------------------------------------

    def _import(
        self, step: gitstore.Step, changes: list[gitstore.Change]
    ) -> Iterator[AuditFinding]:
        """``officectl import``: new records only, each a walk of real steps from
        the ledger, registered by the importing person, in one commit."""
        from officectl.sheets import TRAILER_SOURCE

        person_id = step.trailers.get(gitstore.TRAILER_PERSON, "")
        _, problem = self._acting(step, person_id)
        if problem:
            yield AuditFinding(step.sha, "", problem)
        source = step.trailers.get(TRAILER_SOURCE, "")
        if not source:
            yield AuditFinding(
                step.sha, "", f"导入提交没有写明台账（{TRAILER_SOURCE}）"
            )
        for change in changes:
            if change.new == gitstore.ABSENT:
                yield AuditFinding(step.sha, change.path, _hand_edit(change))
                continue
            if change.old != gitstore.ABSENT:
                yield AuditFinding(
                    step.sha, change.path, "导入只能新建记录，这次却改动了已有的记录"
                )
            yield from self._imported(step, change, person_id, source)
            yield from self._new_problems(step, change)

    def _imported(
        self, step: gitstore.Step, change: gitstore.Change, importer: str, source: str
    ) -> Iterator[AuditFinding]:
        after = self.versions.get(change.new, change.path)
        data = after.data if after is not None else None
        kind = self.register.kinds.get(str(data.get("kind"))) if data else None
        history = data.get("history") if isinstance(data, dict) else None
        if kind is None or not isinstance(history, list) or not history:
            return  # validation says what is wrong with it
        for index, entry in enumerate(history):
            if not isinstance(entry, dict):
                continue  # the walk through the workflow says so
            action = kind.actions.get(str(entry.get("action")))
            if action is None:
                continue
            for message in self._imported_step(index, entry, action, importer, source):
                yield AuditFinding(step.sha, change.path, message)
        for message in self._replayed(kind, None, data, history):
            yield AuditFinding(step.sha, change.path, message)

    def _imported_step(
        self, index: int, entry: dict[str, Any], action: Any, importer: str, source: str
    ) -> Iterator[str]:
        named = f"history[{index}]: {action.label}（{action.name}）"
        by = str(entry.get("by") or "")
        if index == 0 and by != importer:
            yield f"{named}应由导入人 {importer or '（未写明）'} 登记，记录的却是 {by}"
        person = self.roster.people.get(by) if self.roster else None
        if person is None:
            yield f"{named}: 办理人 {by or '（未写明）'} 不在名册中"
        elif self.roster is not None:
            refusal = post_refusal(self.roster, action, person)
            if refusal:
                yield f"{named}: {refusal}"
        if not str(entry.get("note") or "").startswith(f"导入自 {source} 第"):
            yield f"{named}没有注明导入自 {source or '哪一台账'}：不是这次导入办理的"

    def _posts(self, person: Person) -> set[str]:
        return set(self.roster.posts_of(person)) if self.roster is not None else set()

    def _history_kept(self, changes: list[gitstore.Change]) -> bool:
        """Whether no record gains or loses a step: a chase commit, not a step."""
        for change in changes:
            before = self.versions.get(change.old, change.path)
            after = self.versions.get(change.new, change.path)
            if before is None or after is None:
                continue
            if history_change(before.data, after.data) != ([], 0):
                return False
        return True

    def _chase(
        self, step: gitstore.Step, changes: list[gitstore.Change]
    ) -> Iterator[AuditFinding]:
        """``officectl chase``: one commit notes the day on every overdue limit it
        chased, by a person whose post chases, and changes nothing else."""
        person_id = step.trailers.get(gitstore.TRAILER_PERSON, "")
        person, problem = self._acting(step, person_id)
        if problem:
            yield AuditFinding(step.sha, "", problem)
        elif person is not None and not self._posts(person) & CHASERS:
            wanted = "、".join(POSTS[post] for post in sorted(CHASERS))
            yield AuditFinding(
                step.sha, "", f"{person.label()} 不能催办；须由{wanted}办理"
            )
        said = step.trailers.get(gitstore.TRAILER_RECORD, "")
        chased = {_record_id(change.path) for change in changes}
        if set(filter(None, said.split(","))) != chased:
            yield AuditFinding(
                step.sha,
                "",
                f"提交记的催办记录是 {said or '（未写明）'}，"
                f"改动的却是 {','.join(sorted(chased))}",
            )
        days: set[Any] = set()
        for change in changes:
            before = self.versions.get(change.old, change.path)
            after = self.versions.get(change.new, change.path)
            if before is None or after is None:
                message = "催办只在已有记录上记下日期，不新建也不删除记录"
                yield AuditFinding(step.sha, change.path, message)
            elif isinstance(before.data, dict) and isinstance(after.data, dict):
                for message in _chase_problems(before.data, after.data, days):
                    yield AuditFinding(step.sha, change.path, message)
            yield from self._new_problems(step, change)
        if len(days) > 1:
            listed = "、".join(str(day) for day in sorted(days))
            yield AuditFinding(step.sha, "", f"一次催办记了不同的日期：{listed}")

    def _entry(
        self, step: gitstore.Step, path: str, entry: Any, action: str, person: str
    ) -> Iterator[AuditFinding]:
        """The history entry a step added must say what its commit says."""
        if not isinstance(entry, dict):
            return
        behalf = step.trailers.get(gitstore.TRAILER_BEHALF, "")
        said = {
            "action": (str(entry.get("action", "")), action),
            "by": (str(entry.get("by", "")), person),
            "on_behalf_of": (str(entry.get("on_behalf_of") or ""), behalf),
        }
        for field, (recorded, committed) in said.items():
            if recorded != committed:
                yield AuditFinding(
                    step.sha,
                    path,
                    f"办理记录的 {field} 为 {recorded or '（空）'}，"
                    f"提交记的却是 {committed or '（空）'}",
                )

    def _new_problems(
        self, step: gitstore.Step, change: gitstore.Change
    ) -> Iterator[AuditFinding]:
        before = self.versions.get(change.old, change.path)
        after = self.versions.get(change.new, change.path)
        if after is None:
            return
        known = self.versions.known(before, change.path)
        for line, message in self.versions.problems(after, change.path):
            if message not in known:
                yield AuditFinding(step.sha, change.path, message, line)

    def _author(self, step: gitstore.Step) -> str:
        """Why the commit's author is not a roster person, or ``""``."""
        if self.roster is None:
            return ""
        for person in self.roster.people.values():
            if _email(person).lower() == step.email.lower():
                if person.name == step.author:
                    return ""
                return f"提交作者 {step.author} <{step.email}> 与名册中的 {person.label()} 姓名不符"
        return f"提交作者 {step.author} <{step.email}> 不在名册中"

    # --- a merge -----------------------------------------------------------------------

    def _merge(self, step: gitstore.Step, records: list[str]) -> Iterator[AuditFinding]:
        """A merge may combine its sides; it may not lose a step or invent a value."""
        author = self._author(step)
        if author:
            yield AuditFinding(step.sha, "", author)
        for path in records:
            listed = [c for side in step.against for c in side if c.path == path]
            result_sha = listed[0].new
            result = self.versions.get(result_sha, path)
            # git lists a merge once for each parent it differs from, and not at all
            # for a parent it equals: such a parent held the result's own version.
            olds = [c.old for c in listed]
            olds += [result_sha] * (len(step.parents) - len(listed))
            sides = [self.versions.get(old, path) for old in olds]
            parents = [
                s.data for s in sides if s is not None and isinstance(s.data, dict)
            ]
            if result is None:
                yield AuditFinding(
                    step.sha, path, "合并删除了记录：officectl 从不删除记录"
                )
                continue
            if result.error or not isinstance(result.data, dict):
                yield AuditFinding(step.sha, path, result.error or "记录应为键值映射")
                continue
            for message in _merge_problems(result.data, parents):
                yield AuditFinding(step.sha, path, message)
            known = set().union(*(self.versions.known(s, path) for s in sides))
            for line, message in self.versions.problems(result, path):
                if message not in known:
                    yield AuditFinding(step.sha, path, message, line)

    def _leases(
        self, step: gitstore.Step, change: gitstore.Change
    ) -> Iterator[AuditFinding]:
        texts = []
        for sha in (change.old, change.new):
            raw = None if sha == gitstore.ABSENT else self.blobs.get(sha)
            texts.append(raw.decode("utf-8", "replace") if raw is not None else None)
        for message in ids.check_change(texts[0], texts[1]):
            yield AuditFinding(step.sha, ids.LEASES, message)


# --- a step replayed ----------------------------------------------------------------

# What the audit compares after a replay; the state and the history are checked as a
# walk through the workflow (check_chain), the id and kind on their own.
NOT_REPLAYED = ("id", "kind", "state", "history")


def _replay_problems(
    calendar: OfficeCalendar,
    kind: Kind,
    before: dict[str, Any] | None,
    after: dict[str, Any],
    steps: list[Any],
) -> list[str]:
    try:
        expected = replay(calendar, kind, before, after, steps)
    except OfficeError as err:
        return [f"按流程不能这样办理：{err}"]
    if expected is None:
        return []
    return list(differences(expected, after, skip=NOT_REPLAYED))


def replay(
    calendar: OfficeCalendar,
    kind: Kind,
    before: dict[str, Any] | None,
    after: dict[str, Any],
    steps: list[Any],
) -> dict[str, Any] | None:
    """The record the engine makes of ``before`` by ``steps`` (history entries).

    The fields a person sets on a step are not in the history, so they are taken as
    ``after`` has them; what the engine itself writes is worked out again: the fields
    an action sets, the person it records as handler, and every time limit opened,
    closed or extended, counted by ``calendar``. The fields of the last step are
    checked: a later step of an import may set again what an earlier one set. None
    when a step cannot be replayed at all (an unknown action, a moment that is not
    one); the walk through the workflow and validation report those.
    """
    from officectl.engine import update_limits

    expected = {key: value for key, value in after.items() if key not in RESERVED}
    old = before or {}
    expected["deadlines"] = [
        yamlio.new_map(dict(entry)) if isinstance(entry, dict) else entry
        for entry in old.get("deadlines") or []
    ]
    state = str(old.get("state") or "")
    for index, entry in enumerate(steps):
        named = entry.get("action") if isinstance(entry, dict) else None
        action = kind.actions.get(str(named))
        when = _moment(entry)
        if action is None or when is None:
            return None
        if index == len(steps) - 1:
            expected.update(action.sets)
            if action.sets_person:
                expected[action.sets_person] = entry.get("by")
        state = action.target or state
        try:
            update_limits(calendar, kind, action, expected, when, state)
        except (TypeError, ValueError, KeyError, AttributeError):
            return None  # a field the limits need is malformed: validation says so
    return expected


def differences(
    expected: Any, actual: Any, path: str = "", skip: tuple[str, ...] = ()
) -> Iterator[str]:
    """Each field where ``actual`` is not ``expected``, as a person reads it."""
    if _same(expected, actual):
        return
    if isinstance(expected, dict) and isinstance(actual, dict):
        for key in [*expected, *(k for k in actual if k not in expected)]:
            if key in skip:
                continue
            where = f"{path}.{key}" if path else str(key)
            if key not in actual:
                yield f"{where} 被删去，按流程应为 {_shown(expected[key])}"
            elif key not in expected:
                yield f"{where} 为 {_shown(actual[key])}，按流程不应有此项"
            else:
                yield from differences(expected[key], actual[key], where)
        return
    if isinstance(expected, list) and isinstance(actual, list):
        for index in range(max(len(expected), len(actual))):
            where = f"{path}[{index}]"
            if index >= len(actual):
                yield f"{where} 被删去，按流程应为 {_shown(expected[index])}"
            elif index >= len(expected):
                yield f"{where} 为 {_shown(actual[index])}，按流程不应有此项"
            else:
                yield from differences(expected[index], actual[index], where)
        return
    yield f"{path} 改为 {_shown(actual)}，按流程应为 {_shown(expected)}"


def _same(expected: Any, actual: Any) -> bool:
    """Equal, and of the same type all the way down (``1`` is not ``true``)."""
    if isinstance(expected, dict):
        return (
            isinstance(actual, dict)
            and expected.keys() == actual.keys()
            and all(_same(value, actual[key]) for key, value in expected.items())
        )
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(expected) == len(actual)
            and all(_same(a, b) for a, b in zip(expected, actual, strict=True))
        )
    return type(expected) is type(actual) and expected == actual


def _shown(value: Any) -> str:
    if value is None:
        return "（空）"
    if isinstance(value, str):
        return value
    if isinstance(value, dt.date):
        return value.isoformat()
    return entry_key(value)


def _moment(entry: Any) -> dt.datetime | None:
    """When a history entry's step was taken."""
    value = entry.get("at") if isinstance(entry, dict) else None
    if isinstance(value, dt.datetime):
        return value
    try:
        return dt.datetime.fromisoformat(str(value))
    except ValueError:
        return None


def _provisional(data: Any) -> bool:
    return any(
        isinstance(entry, dict) and entry.get("provisional") is True
        for entry in data.get("deadlines") or []
    )


def _chase_problems(
    before: dict[str, Any], after: dict[str, Any], days: set[Any]
) -> Iterator[str]:
    """What a chase changed besides noting its day on the limits it chased."""
    expected = dict(before)
    expected["deadlines"] = []
    listed = after.get("deadlines")
    news: list[Any] = listed if isinstance(listed, list) else []
    for index, entry in enumerate(before.get("deadlines") or []):
        new = news[index] if index < len(news) else None
        old_days = list(entry.get("chased") or []) if isinstance(entry, dict) else []
        new_days = new.get("chased") if isinstance(new, dict) else None
        added = [day for day in new_days or [] if day not in old_days]
        if not added or not isinstance(entry, dict):
            expected["deadlines"].append(entry)
            continue
        days.update(added)
        day = added[0]
        if "done" in entry:
            yield f"deadlines[{index}]: 时限已经结束（{_shown(entry['done'])}），不能催办"
        elif not _overdue_on(entry.get("due"), day):
            yield f"deadlines[{index}]: 时限 {_shown(entry.get('due'))} 在 {day} 尚未逾期，不能催办"
        expected["deadlines"].append({**entry, "chased": [*old_days, day]})
    yield from differences(expected, after, skip=("state",))


def _overdue_on(due: Any, day: Any) -> bool:
    if not isinstance(day, dt.date):
        return False
    if isinstance(due, str):
        try:
            due = dt.datetime.fromisoformat(due).date()
        except ValueError:
            return False
        return due <= day  # a limit in hours may be late on the day it falls due
    return isinstance(due, dt.date) and due < day


def _record_id(path: str) -> str:
    return path.rsplit("/", 1)[-1].removesuffix(".yaml")


def _hand_edit(change: gitstore.Change) -> str:
    if change.new == gitstore.ABSENT:
        return "记录被删除：officectl 从不删除记录"
    return (
        "手工修改：提交不是 officectl 办理产生的（没有 Officectl-Action），绕过了流程"
    )


def _email(person: Person) -> str:
    """The email officectl commits a person's steps with."""
    return person.email or f"{person.id}@officectl.invalid"


def _merge_problems(result: dict[str, Any], parents: list[dict[str, Any]]) -> list[str]:
    problems = []
    keys = [[entry_key(e) for e in p.get("history") or []] for p in parents]
    mine = [entry_key(e) for e in result.get("history") or []]
    everyone = set().union(*keys) if keys else set()
    if any(key not in mine for key in everyone):
        problems.append("合并丢失了一方的办理记录")
    if any(key not in everyone for key in mine):
        problems.append("合并加入了哪一方都没有的办理记录")
    for field in _invented(
        {k: v for k, v in result.items() if k != "history"},
        [{k: v for k, v in p.items() if k != "history"} for p in parents],
        "",
    ):
        problems.append(f"合并把 {field} 改成了哪一方都没有的值")
    return problems


def _invented(value: Any, sides: list[Any], path: str) -> Iterator[str]:
    """The fields of a merge result whose value comes from no side."""
    key = entry_key(value)
    if any(entry_key(side) == key for side in sides):
        return
    if isinstance(value, dict):
        for name, item in value.items():
            below = [s.get(name) for s in sides if isinstance(s, dict) and name in s]
            yield from _invented(item, below, f"{path}.{name}" if path else str(name))
        return
    if isinstance(value, list):
        items = {entry_key(i) for s in sides if isinstance(s, list) for i in s}
        for index, item in enumerate(value):
            if entry_key(item) in items:
                continue
            below = [s[index] for s in sides if isinstance(s, list) and index < len(s)]
            yield from _invented(item, below, f"{path}[{index}]")
        return
    yield path or "（记录）"


# --- the pre-commit hook ----------------------------------------------------------------

HOOK_MARK = "officectl.cli.team hooks pre-commit"


def hook_text() -> str:
    python = shlex.quote(sys.executable)
    return (
        "#!/bin/sh\n"
        "# officectl: check the record files a commit changes, as staged, before git\n"
        "# records it. Installed by `officectl hooks install`; to replace it, run that\n"
        "# again with --force.\n"
        "unset OFFICECTL_REGISTER\n"
        f"exec {python} -m {HOOK_MARK}\n"
    )


def install_hook(register: Register, force: bool = False) -> tuple[Path, Path | None]:
    """Write the pre-commit hook; refuse to replace somebody else's without ``force``.

    Somebody else's hook replaced with ``force`` is kept beside it; the hook and that
    backup (None when there was nothing to keep) are returned.
    """
    hooks = Path(
        gitstore.output(register.root, "rev-parse", "--git-path", "hooks").strip()
    )
    path = hooks if hooks.is_absolute() else register.root / hooks
    path = path / "pre-commit"
    backup = None
    if path.exists():
        current = path.read_text(encoding="utf-8", errors="replace")
        if HOOK_MARK not in current and not force:
            raise RegisterError(
                f"{path} 已有别的 pre-commit 钩子：加 --force 替换它"
                "（或把 officectl 的检查并入它）"
            )
        if HOOK_MARK not in current:
            backup = _free_name(path.with_name("pre-commit.before-officectl"))
            path.replace(backup)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(hook_text(), encoding="utf-8")
    path.chmod(0o755)
    return path, backup


def _free_name(path: Path) -> Path:
    """``path``, or ``path.1``, ``path.2`` … : the first that is not taken."""
    candidate, number = path, 0
    while candidate.exists():
        number += 1
        candidate = path.with_name(f"{path.name}.{number}")
    return candidate
