"""A record's history: the walk through its workflow it records, and what changed.

The engine judges every record by it, ``audit`` replays commits by it, and ``sync``
merges two clerks' histories by it, so it stands below all three.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from officectl import yamlio
from officectl.workflow import Kind


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


def history_change(before: Any, after: Any) -> tuple[list[Any], int]:
    """The history entries ``after`` adds to ``before``, and how many it lost."""
    new = _entries(after)
    added, lost = added_places(before, after)
    return [new[index] for index in added], lost


def added_places(before: Any, after: Any) -> tuple[list[int], int]:
    """Where in ``after``'s history the entries ``before`` lacks stand, and how many
    of ``before``'s entries ``after`` lost. Equal entries are counted, not matched by
    place: a merge may interleave two clerks' steps."""
    remaining = Counter(entry_key(entry) for entry in _entries(before))
    added = []
    for index, entry in enumerate(_entries(after)):
        key = entry_key(entry)
        if remaining[key] > 0:
            remaining[key] -= 1
        else:
            added.append(index)
    return added, sum(remaining.values())


def _entries(record: Any) -> list[Any]:
    history = record.get("history") if isinstance(record, dict) else None
    return history if isinstance(history, list) else []
