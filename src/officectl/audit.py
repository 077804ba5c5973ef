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
* the new version passes validation (schema, workflow, the kind's rules);
* a merge keeps every history entry of every side and invents no value of its own;
* ``ids.yaml`` only ever gains number blocks, none overlapping another.

Problems a record already had before a commit are not reported again for that commit.
With ``require_signed`` every commit must also carry a good signature.

One ``git log`` streams the history and one ``git cat-file`` serves the file versions,
so the cost is a parse and a validation per changed file, whatever the register's size.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import sys
from collections import Counter, OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

from officectl import gitstore, ids, yamlio
from officectl.engine import post_refusal
from officectl.errors import BadInput, RegisterError
from officectl.register import (
    SETTINGS,
    Person,
    Register,
    Settings,
    parse_settings,
)
from officectl.schemas import Finding
from officectl.workflow import Kind

RECORD_PATH = re.compile(r"^registers/[^/]+/\d{4}/[^/]+\.yaml$")
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


def check_chain(kind: Kind, data: Any) -> list[tuple[tuple[Any, ...], str]]:
    """Where a record's history does not read as a walk through ``kind``'s workflow."""
    history = data.get("history") if isinstance(data, dict) else None
    if not isinstance(history, list) or not history:
        return [(("history",), "没有办理记录：记录只能由 officectl new 登记产生")]
    problems: list[tuple[tuple[Any, ...], str]] = []
    state = ""
    for index, entry in enumerate(history):
        where = ("history", index)
        if not isinstance(entry, dict):
            problems.append((where, f"history[{index}]: 应为一条办理记录（键值映射）"))
            continue
        action = kind.actions.get(str(entry.get("action")))
        if action is None:
            problems.append(
                (
                    where,
                    f"history[{index}]: {kind.label}流程中没有动作 {entry.get('action')!r}",
                )
            )
            state = str(entry.get("to") or state)
            continue
        source = str(entry.get("from") or "")
        named = f"history[{index}]: {action.label}（{action.name}）"
        if action.create != (index == 0):
            first = kind.creating_action
            problems.append(
                (where, f"{named}: 第一步必须是且只能是{first.label}（{first.name}）")
            )
        elif source != state:
            problems.append(
                (
                    where,
                    f"{named}记为在“{kind.state_label(source)}”时办理，"
                    f"但此前的状态是“{kind.state_label(state)}”",
                )
            )
        elif not action.create and source not in action.sources:
            problems.append((where, f"{named}不能在“{kind.state_label(source)}”时办理"))
        target = action.target or source
        if str(entry.get("to")) != target:
            problems.append(
                (
                    where,
                    f"{named}应使状态变为“{kind.state_label(target)}”，"
                    f"记录的却是“{kind.state_label(str(entry.get('to')))}”",
                )
            )
        state = str(entry.get("to") or target)
    if data.get("state") != state:
        problems.append(
            (
                ("state",),
                f"state: 状态为“{kind.state_label(str(data.get('state')))}”，"
                f"按办理记录应为“{kind.state_label(state)}”：没有流程动作能解释这一状态",
            )
        )
    return problems


def entry_key(value: Any) -> str:
    """A value as text that is equal exactly when the values are (``1`` is not ``true``)."""
    return json.dumps(yamlio.to_json(value), ensure_ascii=False, default=str)


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
    kind = register.kinds.get(str(version.data.get("kind")))
    if kind is not None:
        found += [
            (version.lines.of(path), message)
            for path, message in check_chain(kind, version.data)
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

    # --- one step --------------------------------------------------------------------

    def _step(
        self, step: gitstore.Step, changes: list[gitstore.Change]
    ) -> Iterator[Any]:
        action_name = step.trailers.get(gitstore.TRAILER_ACTION, "")
        person_id = step.trailers.get(gitstore.TRAILER_PERSON, "")
        author = self._author(step)
        if not action_name:
            if author:
                yield AuditFinding(step.sha, "", author)
            for change in changes:
                yield AuditFinding(step.sha, change.path, _hand_edit(change))
                yield from self._new_problems(step, change)
            return
        person = self.roster.people.get(person_id) if self.roster else None
        if len(changes) > 1:
            yield AuditFinding(
                step.sha, "", f"一次办理改动了 {len(changes)} 条记录，应只有一条"
            )
        if person is None:
            yield AuditFinding(
                step.sha, "", f"办理人 {person_id or '（未写明）'} 不在名册中"
            )
        elif author:
            yield AuditFinding(step.sha, "", author)
        elif _email(person).lower() != step.email.lower() or person.name != step.author:
            yield AuditFinding(
                step.sha,
                "",
                f"提交作者 {step.author} <{step.email}> 不是办理人 {person.label()}",
            )
        for change in changes:
            yield from self._record_step(step, change, action_name, person_id, person)

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
        yield from self._new_problems(step, change)

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


def _hand_edit(change: gitstore.Change) -> str:
    if change.new == gitstore.ABSENT:
        return "记录被删除：officectl 从不删除记录"
    return (
        "手工修改：提交不是 officectl 办理产生的（没有 Officectl-Action），绕过了流程"
    )


def _email(person: Person) -> str:
    """The email officectl commits a person's steps with."""
    return person.email or f"{person.id}@officectl.invalid"


def history_change(before: Any, after: Any) -> tuple[list[Any], int]:
    """The history entries ``after`` adds to ``before``, and how many it lost."""
    old = before.get("history") if isinstance(before, dict) else None
    new = after.get("history") if isinstance(after, dict) else None
    old = old if isinstance(old, list) else []
    new = new if isinstance(new, list) else []
    remaining = Counter(entry_key(entry) for entry in old)
    added = []
    for entry in new:
        key = entry_key(entry)
        if remaining[key] > 0:
            remaining[key] -= 1
        else:
            added.append(entry)
    return added, sum(remaining.values())


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


def staged_problems(register: Register) -> list[Finding]:
    """What is wrong with the record files as staged for the next commit.

    git runs the hook with the index it is about to commit (a temporary one for
    ``git commit --only``), so the staged text is read, never the working file.
    """
    root = register.root
    listed = gitstore.output(
        root,
        "diff",
        "--cached",
        "--name-only",
        "-z",
        "--diff-filter=ACMR",
        "--",
        "registers",
    )
    names = [name for name in listed.split("\0") if RECORD_PATH.match(name)]
    found: list[Finding] = []
    if not names:
        return found
    with gitstore.Blobs(root) as blobs:
        versions = Versions(register, blobs)
        for name in names:
            version = versions.get(f":{name}", name)
            assert version is not None
            found += [
                Finding(name, line, message)
                for line, message in versions.problems(version, name)
            ]
    return found


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


def install_hook(register: Register, force: bool = False) -> Path:
    """Write the pre-commit hook; refuse to replace somebody else's without ``force``."""
    hooks = Path(
        gitstore.output(register.root, "rev-parse", "--git-path", "hooks").strip()
    )
    path = hooks if hooks.is_absolute() else register.root / hooks
    path = path / "pre-commit"
    if path.exists() and not force:
        current = path.read_text(encoding="utf-8", errors="replace")
        if HOOK_MARK not in current:
            raise RegisterError(
                f"{path} 已有别的 pre-commit 钩子：加 --force 替换它"
                "（或把 officectl 的检查并入它）"
            )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(hook_text(), encoding="utf-8")
    path.chmod(0o755)
    return path
