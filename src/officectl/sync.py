"""Several clerks, one register: ``officectl sync``.

Each clerk works in a clone of the register; the clones share a bare remote. A sync:

1. **fetches** the remote, refusing a remote whose history was rewritten;
2. **integrates** by rebasing this clone's new steps onto the remote's, never by reset
   or force. Each step stays one commit by the person who took it; the syncing person
   becomes its committer. A record changed on both sides goes through the officectl
   merge driver (:func:`merge_text`), which merges at the level of fields:

   * fields changed on one side only, or to the same value on both, merge;
   * history entries added on both sides are all kept, the new ones in time order;
   * the same field changed to different values, a state changed on both sides, a
     history that no longer reads as a walk through the workflow, or a result that
     fails validation is a **conflict**: the rebase stops, the file shows both sides
     between ``<<<<<<<`` and ``>>>>>>>`` lines, and sync lists each conflicting field.
     The clerk edits the file and runs ``sync --continue``, drops their own step with
     ``sync --skip`` (the colleague's stands; redo the step if still needed), or goes
     back to where they were with ``sync --abort``. Nothing is ever chosen silently;

3. **re-validates** every record the push would change;
4. **leases** number blocks for offline numbering when this clone runs low
   (:mod:`officectl.ids`), as one more commit;
5. **pushes**. A push the remote rejects because someone pushed first is retried from
   step 1, a few times; then sync fails (exit 4) and says so. It never forces.

The merge driver and its attributes live in the clone's ``.git`` (sync writes them on
every run), so nothing about them is committed and plain ``git pull`` uses them too.
"""

from __future__ import annotations

import copy
import datetime as dt
import difflib
import os
import shlex
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from officectl import gitstore, ids, yamlio
from officectl.audit import RECORD_PATH
from officectl.errors import BadInput, RegisterError
from officectl.history import check_chain, entry_key
from officectl.register import RECORDS, Person, Register
from officectl.schemas import Finding

REMOTE = "origin"
ATTEMPTS = 3
LABELS = "OFFICECTL_MERGE_LABELS"  # how the driver names the two sides in a conflict
REMOTE_SIDE, LOCAL_SIDE = "远端", "本地"  # in a rebase, "ours" is the remote's side
EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
ATTRIBUTE = "registers/**/*.yaml merge=officectl"

HOW_TO_RESOLVE = (
    "改好上列记录后运行 officectl sync --continue；放弃本地这一步（以远端为准，之后按最新"
    "状态重新办理）运行 officectl sync --skip；回到同步前运行 officectl sync --abort"
)


@dataclass(frozen=True)
class Clash:
    """One thing two sides of a merge disagree on, in words a clerk can act on."""

    file: str
    field: str
    detail: str

    def __str__(self) -> str:
        return f"{self.file}: {self.field}: {self.detail}"


@dataclass
class Report:
    """What a sync did, or where it stopped."""

    fetched: int = 0
    pushed: int = 0
    leases: list[ids.Lease] = field(default_factory=list)
    clashes: list[Clash] = field(default_factory=list)
    problems: list[Finding] = field(default_factory=list)
    stopped_at: str = ""

    @property
    def stopped(self) -> bool:
        return bool(self.clashes or self.problems)


# --- sync ------------------------------------------------------------------------------


def sync(
    register: Register, person: Person, remote: str = REMOTE, attempts: int = ATTEMPTS
) -> Report:
    """Fetch, integrate, re-validate, lease if needed, push; see the module docstring."""
    root = register.root
    _ready(root)
    branch = gitstore.branch(root)
    _configure(root)
    who = _identity(register, person)
    report = Report()
    for _ in range(attempts):
        upstream = _fetch(root, remote, branch)
        if upstream:
            report.fetched += _count(root, f"HEAD..{upstream}")
            if not _rebase(register, ["rebase", "--quiet", upstream], who, report):
                return report
        _revalidate(register, upstream, report)
        if report.stopped:
            return report
        tip, leases = _lease(register, person, who)
        if tip == upstream:
            return report
        if _push(root, remote, branch, tip):
            report.pushed = _count(root, f"{upstream}..{tip}" if upstream else tip)
            report.leases = leases
            ids.forget_wanted(root)
            if tip != gitstore.head(root):
                gitstore.output(
                    root, "merge", "--ff-only", "--quiet", tip, env=who.env()
                )
            return report
    raise RegisterError(
        f"推送被远端拒绝了 {attempts} 次（每次都有人先推送了）：本地已合并远端的最新办理，"
        "尚未推送；稍后再运行 officectl sync"
    )


def resume(
    register: Register, person: Person, how: str, remote: str = REMOTE
) -> Report:
    """Go on with a sync stopped at a conflict: ``continue`` or ``skip`` this step."""
    root = register.root
    if gitstore.in_progress(root) != "rebase":
        raise BadInput("没有停在冲突处的同步：直接运行 officectl sync")
    who = _identity(register, person)
    report = Report()
    if how == "continue":
        unmerged = _unmerged(root)
        report.problems = _resolved_problems(register, unmerged)
        if report.problems:
            return report
        if unmerged:
            gitstore.output(root, "add", "--", *unmerged)
    if not _rebase(register, ["rebase", f"--{how}"], who, report):
        return report
    return sync(register, person, remote)


def abort(register: Register) -> None:
    """Give up a sync stopped at a conflict: the clone is as it was before it."""
    if gitstore.in_progress(register.root) != "rebase":
        raise BadInput("没有停在冲突处的同步，无需放弃")
    gitstore.output(register.root, "rebase", "--abort")


def _ready(root: Path) -> None:
    operation = gitstore.in_progress(root)
    if operation == "rebase":
        raise RegisterError(f"上一次同步停在冲突处：{HOW_TO_RESOLVE}")
    if operation:
        raise RegisterError(
            f"git {operation} 尚未完成：先完成或放弃（git {operation} --abort）"
        )
    gitstore.check_writable(root, [])
    status = gitstore.output(root, "status", "--porcelain", "--untracked-files=all")
    loose = (f"{RECORDS}/", ids.LEASES)  # new files there would clash with the remote's
    names = sorted(
        line[3:]
        for line in status.splitlines()
        if not line.startswith("??") or line[3:].startswith(loose)
    )
    if names:
        raise RegisterError(
            f"{'、'.join(names[:5])} 有未提交的改动：先提交或撤销再同步"
            "（被中断的办理留下的，运行 officectl repair）"
        )


def _configure(root: Path) -> None:
    """The merge driver, set in this clone's own ``.git`` (again if Python moved)."""
    driver = (
        f"{shlex.quote(sys.executable)} -m officectl.cli.team merge-file %O %A %B %P"
    )
    config = (root / ".git" / "config").read_text(encoding="utf-8")
    if f"driver = {driver}\n" not in config:
        gitstore.output(
            root, "config", "merge.officectl.name", "officectl 按字段合并记录"
        )
        gitstore.output(root, "config", "merge.officectl.driver", driver)
    attributes = root / ".git" / "info" / "attributes"
    text = attributes.read_text(encoding="utf-8") if attributes.exists() else ""
    if ATTRIBUTE not in text.splitlines():
        if text and not text.endswith("\n"):
            text += "\n"
        attributes.parent.mkdir(parents=True, exist_ok=True)
        attributes.write_text(f"{text}{ATTRIBUTE}\n", encoding="utf-8")


def _identity(register: Register, person: Person) -> gitstore.Identity:
    email = person.email or f"{person.id}@officectl.invalid"
    return gitstore.Identity(person.name, email, register.now().isoformat())


def _committer(who: gitstore.Identity) -> dict[str, str]:
    """Only the committer: a rebased step keeps the author who took it."""
    return {
        "GIT_COMMITTER_NAME": who.name,
        "GIT_COMMITTER_EMAIL": who.email,
        "GIT_EDITOR": "true",
        LABELS: f"{REMOTE_SIDE},{LOCAL_SIDE}",
    }


def _fetch(root: Path, remote: str, branch: str) -> str:
    """The remote's tip of ``branch`` after fetching, or ``""`` for an empty remote."""
    if gitstore.call(root, "remote", "get-url", remote).returncode != 0:
        raise RegisterError(
            f"没有名为 {remote} 的远端：先 git remote add {remote} <共享仓库地址>"
        )
    tracking = f"refs/remotes/{remote}/{branch}"
    before = gitstore.resolve(root, tracking)
    done = gitstore.call(root, "fetch", "--quiet", remote)
    if done.returncode != 0:
        reason = gitstore.reason(done.stderr)
        raise RegisterError(f"无法从远端 {remote} 获取（网络不通？）：{reason}")
    after = gitstore.resolve(root, tracking)
    if before and after and before != after:
        kept = gitstore.call(root, "merge-base", "--is-ancestor", before, after)
        if kept.returncode != 0:
            raise RegisterError(
                f"远端 {remote} 的 {branch} 历史被改写了（有人强制推送？）："
                "officectl 不在改写过的历史上同步，请先查明原因"
            )
    return after


def _count(root: Path, revisions: str) -> int:
    return int(gitstore.output(root, "rev-list", "--count", revisions).strip() or 0)


def _rebase(
    register: Register, args: list[str], who: gitstore.Identity, report: Report
) -> bool:
    """Run a rebase step; False (with the conflicts in ``report``) when it stopped."""
    root = register.root
    done = gitstore.call(root, *args, env=_committer(who))
    if done.returncode == 0 and not gitstore.in_progress(root):
        return True
    if gitstore.in_progress(root) != "rebase":
        reason = gitstore.reason(done.stderr)
        raise RegisterError(f"合并远端的办理失败：{reason}")
    report.clashes = clashes(register)
    message = root / ".git" / "rebase-merge" / "message"
    if message.exists():
        report.stopped_at = message.read_text(encoding="utf-8").split("\n", 1)[0]
    if not report.clashes:
        report.clashes = [Clash("（提交）", "—", (done.stderr.strip() or "git 停下了"))]
    return False


def _unmerged(root: Path) -> list[str]:
    listed = gitstore.output(root, "diff", "--name-only", "--diff-filter=U", "-z")
    return [name for name in listed.split("\0") if name]


def clashes(register: Register) -> list[Clash]:
    """What each conflicted file of a stopped sync disagrees on."""
    root = register.root
    found: list[Clash] = []
    with gitstore.Blobs(root) as blobs:
        for name in _unmerged(root):
            if not RECORD_PATH.match(name):
                found.append(
                    Clash(name, "（整个文件）", "两边都改动了此文件：请手工合并")
                )
                continue
            texts = [blobs.get(f":{stage}:{name}") for stage in (1, 2, 3)]
            if texts[1] is None or texts[2] is None:
                gone = REMOTE_SIDE if texts[1] is None else LOCAL_SIDE
                found.append(
                    Clash(name, "（整条记录）", f"{gone}删除了这条记录，另一边改动了它")
                )
                continue
            base, ours, theirs = (
                t.decode("utf-8", "replace") if t else "" for t in texts
            )
            _, more = merge_text(register, base, ours, theirs, name)
            found += more or [Clash(name, "（整条记录）", "git 无法合并此文件")]
    return found


def _resolved_problems(register: Register, names: list[str]) -> list[Finding]:
    """A conflicted file the clerk says is resolved must be a valid record."""
    problems: list[Finding] = []
    with gitstore.Blobs(register.root) as blobs:
        for name in names:
            path = register.root / name
            if not path.exists():
                continue
            text = path.read_text(encoding="utf-8", errors="replace")
            marked = [
                n
                for n, line in enumerate(text.splitlines(), 1)
                if line.startswith("<<<<<<<")
            ]
            if marked:
                problems.append(
                    Finding(name, marked[0], "仍有冲突标记 <<<<<<<：请改好后再继续")
                )
            elif RECORD_PATH.match(name):
                before = blobs.get(f"HEAD:{name}")
                problems += _record_problems(register, text, name, before)
    return problems


def _record_problems(
    register: Register, text: str, name: str, before: bytes | None
) -> list[Finding]:
    """The one judgement of a record, as ``validate`` makes it; the steps the
    version ``before`` (as git holds it) lacks are new."""
    from officectl.checks import committed
    from officectl.engine import check_text

    return check_text(register, text, name, committed(before, name))


def _revalidate(register: Register, upstream: str, report: Report) -> None:
    """Check every record the push would change, as integrated.

    Records only the remote changed are the remote's own versions, checked by the
    sync that pushed them (and by ``audit``); the merged ones are among these.
    """
    root = register.root
    basis = upstream or EMPTY_TREE
    with gitstore.Blobs(root) as blobs:
        for name in sorted(_changed(root, basis, "HEAD")):
            path = root / name
            if not path.exists():
                continue
            try:
                text = yamlio.read_text(path, name)
            except yamlio.YamlError as err:
                report.problems.append(Finding(name, 1, str(err).partition(": ")[2]))
                continue
            before = blobs.get(f"{basis}:{name}")
            report.problems += _record_problems(register, text, name, before)


def _changed(root: Path, old: str, new: str) -> set[str]:
    listed = gitstore.output(
        root, "diff", "--name-only", "--no-renames", "-z", old, new, "--", RECORDS
    )
    return {name for name in listed.split("\0") if RECORD_PATH.match(name)}


def _lease(
    register: Register, person: Person, who: gitstore.Identity
) -> tuple[str, list[ids.Lease]]:
    """The commit to push: HEAD, or a commit of new number blocks on top of it."""
    head = gitstore.head(register.root)
    planned = ids.top_up(register, person, register.now())
    if planned is None:
        return head, []
    text, added = planned
    first = added[0].label()
    blocks = f"{first} 等 {len(added)} 段" if len(added) > 1 else first
    listing = "\n".join(f"- {lease.label()}" for lease in added)
    trailers = {
        gitstore.TRAILER_ACTION: "lease-ids",
        gitstore.TRAILER_PERSON: person.id,
    }
    message = f"领取编号段 {blocks} ({person.name})\n\n{listing}"
    sha = gitstore.commit_files_on(
        register.root, head, {ids.LEASES: text}, message, who, trailers
    )
    return sha, added


# How git says the remote's branch moved: before the push began, or while it ran.
_MOVED_ON = ("[rejected]", "failed to update ref", "cannot lock ref")


def _push(root: Path, remote: str, branch: str, tip: str) -> bool:
    """Push ``tip``; False when the remote has moved on, an error for anything else."""
    done = gitstore.call(
        root, "push", "--porcelain", remote, f"{tip}:refs/heads/{branch}"
    )
    if done.returncode == 0:
        return True
    status = [line for line in done.stdout.splitlines() if line.startswith("!")]
    if status and any(reason in status[0] for reason in _MOVED_ON):
        return False
    reason = status[0].split("\t")[-1] if status else gitstore.reason(done.stderr)
    raise RegisterError(f"推送到 {remote} 失败：{reason}；本地的办理都还在，尚未推送")


# --- merging one record field by field -------------------------------------------------


class _Missing:
    def __repr__(self) -> str:
        return "（无此字段）"


MISSING: Any = _Missing()


def merge_data(
    base: Any, ours: Any, theirs: Any
) -> tuple[Any, list[tuple[tuple[Any, ...], Any, Any, str]]]:
    """Merge two changed versions of a record against their common base.

    Returns the merged data and the conflicts as (path, ours, theirs, note).
    """
    found: list[tuple[tuple[Any, ...], Any, Any, str]] = []
    merged = _merge(base, ours, theirs, (), found)
    if all(isinstance(x, dict) for x in (base, ours, theirs)):
        states = [x.get("state") for x in (base, ours, theirs)]
        both = states[1] != states[0] and states[2] != states[0]
        if both and not any(path == ("state",) for path, *_ in found):
            found.append(
                (("state",), states[1], states[2], "两边都办理了改变状态的步骤")
            )
    return merged, found


def _same(a: Any, b: Any) -> bool:
    if a is MISSING or b is MISSING:
        return a is b
    return entry_key(a) == entry_key(b)


def _merge(b: Any, o: Any, t: Any, path: tuple[Any, ...], found: list[Any]) -> Any:
    if _same(o, t):
        return o
    if _same(o, b):
        return t
    if _same(t, b):
        return o
    if path == ("history",) and all(isinstance(x, list) for x in (b, o, t)):
        return _merge_history(b, o, t, found)
    if isinstance(o, dict) and isinstance(t, dict):
        base = b if isinstance(b, dict) else {}
        merged = {}
        for key in _keys(o, t):
            value = _merge(
                base.get(key, MISSING),
                o.get(key, MISSING),
                t.get(key, MISSING),
                (*path, key),
                found,
            )
            if value is not MISSING:
                merged[key] = value
        return merged
    lists = all(isinstance(x, list) for x in (b, o, t))
    if lists and len(o) >= len(b) and len(t) >= len(b):
        n = len(b)
        merged_list = [_merge(b[i], o[i], t[i], (*path, i), found) for i in range(n)]
        added = list(o[n:])
        seen = {entry_key(x) for x in added}
        return merged_list + added + [x for x in t[n:] if entry_key(x) not in seen]
    found.append((path, o, t, ""))
    return o


def _keys(ours: dict[Any, Any], theirs: dict[Any, Any]) -> list[Any]:
    """Our keys in our order; a key only theirs has goes after its neighbour there."""
    keys = list(ours)
    order = list(theirs)
    for index, key in enumerate(order):
        if key in keys:
            continue
        before = next((k for k in reversed(order[:index]) if k in keys), None)
        keys.insert(keys.index(before) + 1 if before is not None else 0, key)
    return keys


def _merge_history(b: list[Any], o: list[Any], t: list[Any], found: list[Any]) -> Any:
    """Both sides' new entries, in time order after the common ones."""
    n = len(b)
    common = [entry_key(x) for x in b]
    if [entry_key(x) for x in o[:n]] != common or [
        entry_key(x) for x in t[:n]
    ] != common:
        found.append((("history",), o, t, "已有的办理记录被改动或删除"))
        return o
    added = list(o[n:])
    seen = {entry_key(x) for x in added}
    added += [x for x in t[n:] if entry_key(x) not in seen]
    return list(b) + sorted(added, key=_moment)


def _moment(entry: Any) -> float:
    try:
        moment = dt.datetime.fromisoformat(str(entry.get("at")))
    except (AttributeError, ValueError):
        return float("inf")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone(dt.timedelta(hours=8)))
    return moment.timestamp()


def merge_text(
    register: Register | None,
    base: str,
    ours: str,
    theirs: str,
    name: str,
    labels: tuple[str, str] = (REMOTE_SIDE, LOCAL_SIDE),
) -> tuple[str, list[Clash]]:
    """The merged text of a record file, and what could not be merged.

    When something could not be merged, the text shows both sides of it between
    conflict markers, and everything that merged as merged.
    """
    try:
        datas = [
            yamlio.loads(text, name)[0] if text else None
            for text in (base, ours, theirs)
        ]
    except yamlio.YamlError as err:
        clash = Clash(
            name, "（整条记录）", f"有一边不是有效的记录，无法按字段合并：{err}"
        )
        return _with_markers(ours, theirs, labels), [clash]
    merged, found = merge_data(*datas)
    clashes = [
        Clash(
            name,
            _dotted(path),
            note or f"{labels[0]} {_show(o)} ≠ {labels[1]} {_show(t)}",
        )
        for path, o, t, note in found
    ]
    if not found and register is not None and isinstance(merged, dict):
        merged, more = _merged_problems(register, merged, datas, name, found)
        clashes += more
    if found:
        return _marked(merged, datas, found, labels), clashes
    return _render(ours, merged, name), clashes


def _merged_problems(
    register: Register, merged: Any, datas: list[Any], name: str, found: list[Any]
) -> tuple[Any, list[Clash]]:
    """Each side was valid; the combination must be too.

    Steps taken on both sides are kept in time order when that reads as a walk
    through the workflow; else in the order the sides were pushed, or the other way
    round (each side's own steps keep their order). Only when no order does is it a
    conflict.
    """
    from officectl.engine import check_text

    kind = register.kinds.get(str(merged.get("kind")))
    if kind is not None:
        chain = check_chain(kind, merged)
        for history in _orders(datas) if chain else []:
            candidate = {**merged, "history": history}
            if not check_chain(kind, candidate):
                merged, chain = candidate, []
                break
        if chain:
            histories = [
                d.get("history") if isinstance(d, dict) else None for d in datas
            ]
            found.append((("history",), histories[1], histories[2], ""))
            return merged, [
                Clash(
                    name,
                    _dotted(path),
                    "两边的办理先后矛盾：" + message.removeprefix(f"{_dotted(path)}: "),
                )
                for path, message in chain
            ]
    text = yamlio.dumps(_editable(merged))
    return merged, [
        Clash(name, f"第 {f.line} 行", f"合并后校验不通过：{f.message}")
        for f in check_text(register, text, name)
    ]


def _orders(datas: list[Any]) -> list[list[Any]]:
    """The two histories with one side's new steps wholly before the other's."""
    base, ours, theirs = (
        list(d.get("history") or []) if isinstance(d, dict) else [] for d in datas
    )
    mine = ours[len(base) :]
    seen = {entry_key(x) for x in mine}
    other = [x for x in theirs[len(base) :] if entry_key(x) not in seen]
    return [base + mine + other, base + other + mine]


def _render(ours: str, merged: Any, name: str) -> str:
    """The merged record written over our file, so that comments in it stay."""
    tree = yamlio.load_for_edit(ours, name)
    _apply(tree, merged)
    text = yamlio.dumps(tree)
    if entry_key(yamlio.loads(text, name)[0]) != entry_key(merged):
        text = yamlio.dumps(_editable(merged))
    return text


def _apply(tree: Any, data: dict[Any, Any]) -> None:
    for key in [k for k in tree if k not in data]:
        yamlio.remove_field(tree, key)
    keys = list(data)
    for index, key in enumerate(keys):
        value = data[key]
        if key in tree:
            current = tree[key]
            if entry_key(current) == entry_key(value):
                continue
            if isinstance(current, dict) and isinstance(value, dict):
                _apply(current, value)
                continue
            tree[key] = _editable(value)
        else:
            before = next((k for k in keys[index + 1 :] if k in tree), None)
            yamlio.set_field(tree, key, _editable(value), before=before)


def _marked(
    merged: Any, datas: list[Any], found: list[Any], labels: tuple[str, str]
) -> str:
    """Merged text with each conflict shown as both sides between markers."""
    sides = [copy.deepcopy(merged), copy.deepcopy(merged)]
    for path, o, t, _ in found:
        if not (_put(sides[0], path, o) and _put(sides[1], path, t)):
            sides = [copy.deepcopy(datas[1]), copy.deepcopy(datas[2])]
            break
    texts = [yamlio.dumps(_editable(side)) for side in sides]
    return _with_markers(texts[0], texts[1], labels)


def _put(data: Any, path: tuple[Any, ...], value: Any) -> bool:
    if not path:
        return False
    node = data
    for part in path[:-1]:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return False
    last = path[-1]
    if isinstance(node, dict):
        if value is MISSING:
            node.pop(last, None)
        else:
            node[last] = value
        return True
    if isinstance(node, list) and isinstance(last, int) and last < len(node):
        node[last] = value
        return value is not MISSING
    return False


def _with_markers(ours: str, theirs: str, labels: tuple[str, str]) -> str:
    a, b = ours.splitlines(keepends=True), theirs.splitlines(keepends=True)
    out: list[str] = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            out += a[i1:i2]
            continue
        out += [f"<<<<<<< {labels[0]}\n", *a[i1:i2], "=======\n", *b[j1:j2]]
        out.append(f">>>>>>> {labels[1]}\n")
    return "".join(out)


def _editable(value: Any) -> Any:
    from ruamel.yaml.comments import CommentedSeq

    if isinstance(value, dict):
        return yamlio.new_map({key: _editable(item) for key, item in value.items()})
    if isinstance(value, list):
        return CommentedSeq(_editable(item) for item in value)
    return value


def _dotted(path: tuple[Any, ...]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text.lstrip(".") or "（整条记录）"


def _show(value: Any) -> str:
    if value is MISSING:
        return "（无此字段）"
    if isinstance(value, dict | list):
        text = entry_key(value)
        return text if len(text) <= 60 else text[:57] + "…"
    return "（空）" if value in (None, "") else str(value)


# --- the merge driver git runs ---------------------------------------------------------


def merge_driver(base: Path, current: Path, other: Path, name: str) -> list[Clash]:
    """git's ``%O %A %B %P``: write the merge into ``current``; the conflicts, if any."""
    texts = [p.read_bytes().decode("utf-8", "replace") for p in (base, current, other)]
    try:
        register: Register | None = Register.find(Path.cwd())
    except RegisterError:
        register = None
    first, _, second = os.environ.get(LABELS, "当前,合入").partition(",")
    labels = (first, second or "合入")
    text, found = merge_text(register, texts[0], texts[1], texts[2], name, labels)
    with open(current, "w", encoding="utf-8", newline="\n") as stream:
        stream.write(text)
    return found
