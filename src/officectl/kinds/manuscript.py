"""综合文稿: research notes and comments as dated lines, and the draft count.

Each research meeting and each comment received is one step that adds a line with who
and when (the handbook: 征求各有关方面的意见和建议), so the comment sheet prints from
the record. The draft count (稿次) starts at the first draft and grows with each
revision; a comment remembers which draft it was on.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from officectl.kinds import documents as docs
from officectl.register import Register
from officectl.workflow import Action, Kind

OWNED: dict[str, str | tuple[str, ...]] = {
    "assigned_on": "outline",
    "due_on": ("outline", "approve-outline"),
    "consult_until": "consult",
    "version": "",
    "research": "",
    "comments": "",
}


def before_step(
    register: Register, kind: Kind, action: Action, tree: Any, step: Any
) -> None:
    docs.take_step(_STEPS, OWNED, register, kind, action, tree, step)


def check(register: Register, kind: Kind, data: Mapping[str, Any]) -> docs.Problems:
    return docs.stray_inputs(register, kind, data)


def _outline(register: Register, tree: Any, step: Any) -> None:
    if tree.get("assigned_on") is None:
        docs.put(tree, "assigned_on", step.when.date(), after="state")
    docs.not_before("due_on", tree.get("due_on"), step.when.date())


def _approve_outline(register: Register, tree: Any, step: Any) -> None:
    docs.not_before("due_on", tree.get("due_on"), step.when.date())


def _research(register: Register, tree: Any, step: Any) -> None:
    note = docs.take_inputs(tree, ["research_note"])["research_note"]
    docs.append(
        tree, "research", {"at": docs.stamp(step), "by": step.person.id, "note": note}
    )


def _draft(register: Register, tree: Any, step: Any) -> None:
    docs.put(tree, "version", 1, after="research")


def _consult(register: Register, tree: Any, step: Any) -> None:
    docs.not_before("consult_until", tree.get("consult_until"), step.when.date())


def _comment(register: Register, tree: Any, step: Any) -> None:
    values = docs.take_inputs(tree, ["comment", "comment_from"])
    entry = {
        "from": values.get("comment_from") or step.person.id,
        "text": values["comment"],
        "at": docs.stamp(step),
        "by": step.person.id,
        "version": tree.get("version", 1),
    }
    docs.append(tree, "comments", entry)


def _revise(register: Register, tree: Any, step: Any) -> None:
    tree["version"] = int(tree.get("version", 1)) + 1


_STEPS: dict[str, Callable[[Register, Any, Any], None]] = {
    "outline": _outline,
    "approve-outline": _approve_outline,
    "research": _research,
    "log-research": _research,
    "draft": _draft,
    "consult": _consult,
    "comment": _comment,
    "revise": _revise,
}
