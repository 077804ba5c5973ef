"""A kind's workflow as tables and as a Mermaid state diagram."""

from __future__ import annotations

from typing import Any

from officectl.register import POSTS
from officectl.workflow import Kind


def step_rows(kind: Kind) -> tuple[list[dict[str, Any]], dict[str, str]]:
    rows = [
        {
            "action": action.name,
            "label": action.label,
            "from": "（新建）"
            if action.create
            else "、".join(kind.state_label(s) for s in action.sources),
            "to": kind.state_label(action.target) if action.target else "（不变）",
            "posts": "、".join(POSTS.get(p, p) for p in action.posts),
            "requires": "、".join(action.requires),
        }
        for action in kind.actions.values()
    ]
    headers = {
        "action": "动作",
        "label": "名称",
        "from": "从",
        "to": "到",
        "posts": "办理岗位",
        "requires": "必填字段",
    }
    return rows, headers


def limit_rows(kind: Kind) -> tuple[list[dict[str, Any]], dict[str, str]]:
    rows = [
        {
            "label": limit.label,
            "length": limit.describe(),
            "start": "、".join(kind.actions[a].label for a in limit.start_actions)
            + (f"（自 {limit.date_field} 起算）" if limit.date_field else ""),
            "stop": "、".join(
                [kind.actions[a].label for a in limit.stop_actions]
                + [kind.state_label(s) for s in limit.stop_states]
            ),
            "rule": limit.rule,
        }
        for limit in kind.limits.values()
    ]
    headers = {
        "label": "时限",
        "length": "期限",
        "start": "起算",
        "stop": "止于",
        "rule": "依据",
    }
    return rows, headers


def mermaid(kind: Kind) -> str:
    """A ``stateDiagram-v2`` with Chinese labels; ids are made safe for Mermaid."""
    lines = ["stateDiagram-v2"]
    lines += [f'    state "{s.label}" as {_id(s.name)}' for s in kind.states.values()]
    for action in kind.actions.values():
        target = action.target
        if action.create and target:
            lines.append(f"    [*] --> {_id(target)}: {action.label}")
            continue
        for source in action.sources:
            lines.append(
                f"    {_id(source)} --> {_id(target or source)}: {action.label}"
            )
    lines += [f"    {_id(s.name)} --> [*]" for s in kind.states.values() if s.final]
    return "\n".join(lines)


def _id(name: str) -> str:
    return name.replace("-", "_")
