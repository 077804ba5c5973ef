"""收文: what the incoming workflow's data cannot say.

The office's own incoming number (收文编号), one sequence a year; the step a paper
document has and an electronic one has not (the clerk who signed for it carries it to
the leader and passes it on); the handling deadline an urgent document must carry; the
handling departments with exactly one lead; and the circulation log (传阅), where a
document cannot come back before it went out, nor be closed while someone holds it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from officectl.errors import BadInput, Refused
from officectl.kinds import documents as docs
from officectl.register import Register
from officectl.workflow import Action, Kind

# Fields one action writes, or officectl alone ("").
OWNED: dict[str, str | tuple[str, ...]] = {
    "received_on": "register",
    "received_time": "register",
    "incoming_number": "register",
    "handling_deadline": "instruct",
    "circulation": "",
    "chases": "",
}


def before_step(
    register: Register, kind: Kind, action: Action, tree: Any, step: Any
) -> None:
    docs.take_step(_STEPS, OWNED, register, kind, action, tree, step)


def check(register: Register, kind: Kind, data: Mapping[str, Any]) -> docs.Problems:
    problems = docs.stray_inputs(register, kind, data)
    if data.get("secrecy") in docs.SECRECY_YEARS:
        problems.append((("secrecy",), _classified_message(data["secrecy"])))
    problems += _number_problems(register, data)
    if (
        _urgent(data)
        and docs.took(data, "instruct")
        and not data.get("handling_deadline")
    ):
        problems.append(
            (("handling_deadline",), f"{data['urgency']}件须有局领导确定的办理时限")
        )
    problems += _department_problems(data)
    problems += _circulation_problems(data)
    return problems


# --- the steps ----------------------------------------------------------------------


def _register(register: Register, tree: Any, step: Any) -> None:
    docs.default_received(tree, step, "received_on", "received_time")
    if tree.get("secrecy") in docs.SECRECY_YEARS:
        raise BadInput(_classified_message(tree["secrecy"]))

    year = docs.record_year(tree)
    wanted = tree.get("incoming_number")
    number = _numbers(register).claim(
        str(tree["id"]),
        year,
        None if wanted is None else int(wanted),
        lambda n: f"收文编号 {year} 年第 {n} 号",
    )
    docs.put(tree, "incoming_number", number, after="received_time")


def _present(register: Register, tree: Any, step: Any) -> None:
    if tree.get("medium") != "纸质":
        raise Refused(
            f"{tree['id']} 是电子公文，经公文处理系统送局领导批示，不需呈批；"
            "拟办后由局领导直接批示（instruct）"
        )
    _by_recipient(register, tree, step, "呈局领导批示")


def _instruct(register: Register, tree: Any, step: Any) -> None:
    came_from = tree["history"][-1].get("from")
    if tree.get("medium") == "纸质" and came_from == "proposed":
        raise Refused(
            f"{tree['id']} 是纸质文件，须先由收文人呈局领导批示（present）再批示"
        )
    if _urgent(tree) and tree.get("handling_deadline") is None:
        raise BadInput(
            f"{tree['urgency']}件须由局领导明确办理时限：--set handling_deadline=YYYY-MM-DD"
        )
    docs.not_before(
        "handling_deadline", tree.get("handling_deadline"), step.when.date()
    )
    _departments(register, tree)


def _distribute(register: Register, tree: Any, step: Any) -> None:
    if tree.get("medium") == "纸质":
        _by_recipient(register, tree, step, "送承办部门")
    _departments(register, tree)


def _circulate(register: Register, tree: Any, step: Any) -> None:
    """Hand the document to ``holder``; one passed on directly closes the last line."""
    now = docs.stamp(step)
    for entry in _open_entries(tree):
        entry["back"] = now
    docs.append(
        tree,
        "circulation",
        {"holder": tree["holder"], "by": step.person.id, "out": now},
    )


def _return(register: Register, tree: Any, step: Any) -> None:
    open_entries = _open_entries(tree)
    if not open_entries:
        raise Refused(f"{tree['id']} 没有传阅在外，不能收回：须先传阅（circulate）")
    for entry in open_entries:
        entry["back"] = docs.stamp(step)
    docs.take_inputs(tree, ["holder"])


def _chase(register: Register, tree: Any, step: Any) -> None:
    note = docs.take_inputs(tree, ["chase_note"])["chase_note"]
    entry = {"at": docs.stamp(step), "by": step.person.id}
    if tree.get("unit"):
        entry["unit"] = tree["unit"]
    docs.append(tree, "chases", {**entry, "note": note})


def _finish(register: Register, tree: Any, step: Any) -> None:
    out = _open_entries(tree)
    if out:
        holder = docs.name(register, out[-1]["holder"])
        raise Refused(
            f"{tree['id']} 尚在传阅中（{holder}持有），收回（return）后才能办结"
        )
    came_from = tree["history"][-1].get("from")
    if tree.get("handling") != "阅知" and came_from == "instructed":
        raise Refused(f"{tree['id']} 是批办件，须先送承办部门办理（distribute）再办结")


_STEPS: dict[str, Callable[[Register, Any, Any], None]] = {
    "register": _register,
    "present": _present,
    "instruct": _instruct,
    "distribute": _distribute,
    "circulate": _circulate,
    "return": _return,
    "chase": _chase,
    "finish": _finish,
}


# --- pieces the steps share ---------------------------------------------------------


def _by_recipient(register: Register, tree: Any, step: Any, what: str) -> None:
    """A paper document is carried by the clerk who signed for it (收文人)."""
    recipient = tree.get("handler")
    if step.person.id == recipient or step.on_behalf_of == recipient:
        return
    raise Refused(
        f"纸质文件由收文人{docs.name(register, recipient)}{what}；"
        f"他人代办请注明 --on-behalf-of {recipient}"
    )


def _departments(register: Register, tree: Any) -> None:
    problems = _department_problems(tree)
    if problems:
        raise BadInput(problems[0][1])
    for unit in tree.get("co_units") or []:
        docs.known_unit(register, "co_units", unit)


def _department_problems(data: Mapping[str, Any]) -> docs.Problems:
    """Handling departments: at most one lead, and co-handlers only beside a lead."""
    co_units = list(data.get("co_units") or [])
    lead = data.get("unit")
    if co_units and not lead:
        return [(("co_units",), "有协办部门时须明确一个主办部门：--set unit=…")]
    if lead in co_units:
        return [(("co_units",), f"主办部门 {lead} 不能同时列为协办部门")]
    if len(set(co_units)) != len(co_units):
        return [(("co_units",), "协办部门有重复")]
    return []


def _open_entries(data: Mapping[str, Any]) -> list[Any]:
    return [e for e in data.get("circulation") or [] if "back" not in e]


def _circulation_problems(data: Mapping[str, Any]) -> docs.Problems:
    out = _open_entries(data)
    holder = data.get("holder")
    if len(out) > 1:
        return [(("circulation",), "传阅记录中有多条未收回，同一时间只能一人持有")]
    if out and out[0].get("holder") != holder:
        return [
            (("holder",), f"当前持有人应为传阅记录中未收回的 {out[0].get('holder')}")
        ]
    if holder and not out:
        return [(("holder",), f"传阅记录中没有 {holder} 未收回的记录")]
    for index, entry in enumerate(data.get("circulation") or []):
        if "back" in entry and str(entry["back"]) < str(entry.get("out")):
            return [(("circulation", index, "back"), "收回时间早于送出时间")]
    return []


def _number_problems(register: Register, data: Mapping[str, Any]) -> docs.Problems:
    found = number_of(data)
    if found is None:
        return []
    other = _numbers(register).holder(*found, but=str(data.get("id")))
    if not other:
        return []
    year, number = found
    return [(("incoming_number",), f"收文编号 {year} 年第 {number} 号与 {other} 重复")]


def _numbers(register: Register) -> docs.Numbers:
    return docs.Numbers.of(register, "incoming", number_of)


def number_of(data: Mapping[str, Any]) -> docs.Numbered | None:
    number = data.get("incoming_number")
    if not isinstance(number, int):
        return None
    return docs.record_year(data), number


def _urgent(data: Mapping[str, Any]) -> bool:
    return data.get("urgency") in docs.URGENT


def _classified_message(level: str) -> str:
    return (
        f"{level}文件不在收文登记簿登记：涉密载体由机要员按“三密”文件签收登记"
        "（officectl new classified）"
    )
