"""Record kinds and their workflows, read from ``workflows/<kind>.yaml``.

A kind is data: its id prefix, its states with Chinese labels, the actions that move a
record between states (who may take them, which fields they need or set), the time limits
each action starts and stops, and the forms it prints. Adding a kind means adding a
workflow file, a schema and templates; nothing here changes.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any, NamedTuple

from officectl.errors import BadInput

UNITS = {"workdays": "个工作日", "days": "日", "hours": "小时"}
OWNERS = {"handler", "unit"}


class WorkflowError(BadInput):
    """A workflow file that does not describe a usable workflow."""


class State(NamedTuple):
    name: str
    label: str
    final: bool = False


class Extension(NamedTuple):
    """An action that lengthens a time limit: by a field's days, at most ``max``."""

    limit: str
    field: str
    max: int
    times: int


class Action(NamedTuple):
    name: str
    label: str
    sources: tuple[str, ...]  # states it may be taken from; empty for the creating one
    target: str | None  # None: the state does not change
    posts: tuple[str, ...]
    sets: dict[str, Any]  # fields the action writes, with their values
    requires: tuple[str, ...] = ()
    sets_person: str = ""  # field that records the acting person (the case handler)
    summary: str = ""
    extends: Extension | None = None
    create: bool = False
    # The record field naming the unit a unit-bound post (处室负责人, 处室工作人员) must
    # belong to for this action; "" when the kind names no responsible unit.
    unit_field: str = ""


class Limit(NamedTuple):
    name: str
    label: str
    start_actions: tuple[str, ...]
    date_field: str  # start from this field's date instead of the action's
    stop_actions: tuple[str, ...]
    stop_states: tuple[str, ...]
    length: int
    unit: str
    owner: str
    rule: str
    due_field: str = (
        ""  # a date a person sets (a leader's deadline) instead of a length
    )

    def describe(self) -> str:
        if self.due_field:
            return f"按 {self.due_field} 所定日期"
        return f"{self.length} {UNITS[self.unit]}"


class Form(NamedTuple):
    name: str
    label: str
    needs: tuple[str, ...] = ()


class Kind(NamedTuple):
    name: str
    label: str
    prefix: str
    year_field: str
    title_field: str
    states: dict[str, State]
    actions: dict[str, Action]
    limits: dict[str, Limit]
    forms: dict[str, Form]
    list_columns: tuple[str, ...]
    masked: tuple[str, ...]
    references: dict[str, str]
    source: Path
    rules: str = ""  # a module under officectl.kinds with what data cannot express
    confidential: bool = False  # titles and holders hidden from general reports

    @property
    def creating_action(self) -> Action:
        return next(action for action in self.actions.values() if action.create)

    def state_label(self, name: str) -> str:
        state = self.states.get(name)
        return state.label if state else name

    def is_open(self, state: str) -> bool:
        return not (state in self.states and self.states[state].final)

    def allowed(self, state: str) -> list[Action]:
        return [a for a in self.actions.values() if state in a.sources]

    @property
    def event_dates(self) -> tuple[str, ...]:
        """Fields dating what has already happened (来信日期, and what limits start
        from): none may lie after the step that records it."""
        starts = (limit.date_field for limit in self.limits.values())
        return tuple(dict.fromkeys(f for f in (self.year_field, *starts) if f))


def load_kinds(folders: Iterable[Path]) -> dict[str, Kind]:
    """Every kind found in ``folders``; a file in an earlier folder wins over a later."""
    files: dict[str, Path] = {}
    for folder in folders:
        for path in sorted(folder.glob("*.yaml")):
            files.setdefault(path.stem, path)
    kinds = {name: load_kind(path) for name, path in sorted(files.items())}
    prefixes: dict[str, str] = {}
    for kind in kinds.values():
        if kind.prefix in prefixes:
            raise WorkflowError(
                f"{kind.source}: 前缀 {kind.prefix} 已被 {prefixes[kind.prefix]} 使用"
            )
        prefixes[kind.prefix] = kind.name
    return kinds


def load_kind(path: Path) -> Kind:
    from officectl import yamlio

    data, _ = yamlio.load_file(path)
    try:
        return _build(data, path)
    except (KeyError, TypeError, ValueError) as err:
        raise WorkflowError(f"{path}: 流程定义不完整或格式不对：{err}") from None


def _build(data: dict[str, Any], path: Path) -> Kind:
    states = {
        name: State(name, spec["label"], bool(spec.get("final")))
        for name, spec in data["states"].items()
    }
    unit_field = str(data.get("unit_field") or "")
    actions = {
        name: _action(name, spec, unit_field) for name, spec in data["actions"].items()
    }
    limits = {
        name: _limit(name, spec) for name, spec in (data.get("limits") or {}).items()
    }
    forms = {
        name: Form(name, spec["label"], tuple(spec.get("needs") or ()))
        for name, spec in (data.get("forms") or {}).items()
    }
    kind = Kind(
        name=data["kind"],
        label=data["label"],
        prefix=data["prefix"],
        year_field=data["year_field"],
        title_field=data.get("title_field", "title"),
        states=states,
        actions=actions,
        limits=limits,
        forms=forms,
        list_columns=tuple(data.get("list_columns") or ()),
        masked=tuple(data.get("masked") or ()),
        references=dict(data.get("references") or {}),
        source=path,
        rules=str(data.get("rules") or ""),
        confidential=bool(data.get("confidential")),
    )
    _check(kind)
    return kind


def _action(name: str, spec: dict[str, Any], unit_field: str) -> Action:
    extends = spec.get("extends")
    return Action(
        name=name,
        label=spec["label"],
        sources=tuple(spec.get("from") or ()),
        target=spec.get("to"),
        posts=tuple(spec["posts"]),
        requires=tuple(spec.get("requires") or ()),
        sets=dict(spec.get("sets") or {}),
        sets_person=spec.get("sets_person", ""),
        summary=spec.get("summary", ""),
        extends=Extension(**extends) if extends else None,
        create=bool(spec.get("create")),
        unit_field=str(spec.get("unit_field", unit_field) or ""),
    )


def _limit(name: str, spec: dict[str, Any]) -> Limit:
    start, stop = spec["start"], spec["stop"]
    return Limit(
        name=name,
        label=spec["label"],
        start_actions=tuple(start["actions"]),
        date_field=start.get("date_field", ""),
        stop_actions=tuple(stop.get("actions") or ()),
        stop_states=tuple(stop.get("states") or ()),
        length=int(spec["length"]),
        unit=spec["unit"],
        owner=spec.get("owner", "handler"),
        rule=spec.get("rule", ""),
        due_field=spec.get("due_field", ""),
    )


def _check(kind: Kind) -> None:
    """Every name a workflow uses must exist; say which one does not."""
    from officectl.register import POSTS

    problems: list[str] = []
    creating = [a for a in kind.actions.values() if a.create]
    if len(creating) != 1:
        problems.append("须有且只有一个 create: true 的登记动作")
    for action in kind.actions.values():
        for state in (*action.sources, action.target):
            if state is not None and state not in kind.states:
                problems.append(f"动作 {action.name} 用了未定义的状态 {state}")
        problems += [
            f"动作 {action.name} 用了未知岗位 {post}"
            for post in action.posts
            if post not in POSTS
        ]
        if action.unit_field and kind.references.get(action.unit_field) != "unit":
            problems.append(
                f"动作 {action.name} 的 unit_field {action.unit_field} 须在 references "
                "中登记为 unit"
            )
        if action.extends and action.extends.limit not in kind.limits:
            problems.append(
                f"动作 {action.name} 延长的时限 {action.extends.limit} 未定义"
            )
    for limit in kind.limits.values():
        for name in (*limit.start_actions, *limit.stop_actions):
            if name not in kind.actions:
                problems.append(f"时限 {limit.name} 用了未定义的动作 {name}")
        problems += [
            f"时限 {limit.name} 用了未定义的状态 {state}"
            for state in limit.stop_states
            if state not in kind.states
        ]
        if limit.unit not in UNITS:
            problems.append(f"时限 {limit.name} 的单位应为 {'、'.join(UNITS)}")
        if limit.owner not in OWNERS:
            problems.append(f"时限 {limit.name} 的 owner 应为 {'、'.join(OWNERS)}")
    if kind.rules and not _is_rules_module(kind.rules):
        problems.append(f"rules 应为 officectl.kinds 下的模块名，而不是 {kind.rules!r}")
    if problems:
        raise WorkflowError(f"{kind.source}: " + "；".join(problems))


def _is_rules_module(name: str) -> bool:
    """Whether ``name`` is a module shipped in officectl.kinds (found, not imported)."""
    from importlib.util import find_spec

    return name.isidentifier() and find_spec(f"officectl.kinds.{name}") is not None
