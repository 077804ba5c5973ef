"""三密文件: metadata only, and a ledger of every copy by its 份号.

What a classified document says never enters the register (《保守国家秘密法》第二十六、
二十八条; a git repository is no place for it): a body, a summary or a scan is refused
with the reason. Each copy is signed for by number and every movement is a line of the
ledger: handed out and signed for, given back, consulted in the confidential room,
returned to its issuer (清退), approved for destruction and destroyed (清点、登记、审批;
绝密 with two people present, 实施条例第二十八、二十九条). A copy moves only from the
status the ledger says it has: nothing comes back that did not go out.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from typing import Any

from officectl import yamlio
from officectl.errors import BadInput, Refused
from officectl.kinds import documents as docs
from officectl.register import Register
from officectl.workflow import Action, Kind

WITHHELD = (
    "body",
    "content",
    "text",
    "full_text",
    "main_text",
    "summary",
    "abstract",
    "excerpt",
    "attachments",
)
OWNED: dict[str, str | tuple[str, ...]] = {
    "received_on": "receive",
    "received_time": "receive",
    "copy_numbers": "receive",
    "copies": "",
    "movements": "",
}

# Each ledger event: the statuses a copy may have before it, and the one after.
EVENTS: dict[str, tuple[tuple[str, ...], str]] = {
    "签收": ((), "在库"),
    "分送签收": (("在库",), "借出"),
    "交还": (("借出",), "在库"),
    "查阅": (("在库",), "在库"),
    "清退": (("在库",), "已清退"),
    "批准销毁": (("在库",), "待销毁"),
    "销毁": (("待销毁",), "已销毁"),
}
HINTS = {
    "交还": "：须先分送签收（lend）",
    "销毁": "：须先由办公室主任或局领导批准销毁（approve-destroy）",
    "分送签收": "：在库的才能分送",
}
COPY_NUMBER = re.compile(r"^[0-9]{6}$")  # GB/T 9704-2012 7.2.1
TWO_PEOPLE = "绝密"  # 实施条例第二十九条：绝密级载体传递、携带须两人以上


def before_step(
    register: Register, kind: Kind, action: Action, tree: Any, step: Any
) -> None:
    withheld = _withheld(tree)
    if withheld:
        raise BadInput(withheld[0][1])
    docs.take_step(_STEPS, OWNED, register, kind, action, tree, step)


def check(register: Register, kind: Kind, data: Mapping[str, Any]) -> docs.Problems:
    problems = _withheld(data) + docs.stray_inputs(register, kind, data)
    problem = _term_problem(data.get("secrecy"), data.get("secrecy_term"))
    if problem:
        problems.append((("secrecy_term",), problem))
    return problems + _ledger_problems(data)


# --- the steps ----------------------------------------------------------------------


def _receive(register: Register, tree: Any, step: Any) -> None:
    docs.default_received(tree, step, "received_on", "received_time")
    problem = _term_problem(tree.get("secrecy"), tree.get("secrecy_term"))
    if problem:
        raise BadInput(problem)

    numbers = _copy_numbers(docs.take_inputs(tree, ["copy_numbers"])["copy_numbers"])
    docs.put(
        tree,
        "copies",
        [yamlio.new_map({"number": n, "status": "在库"}) for n in numbers],
    )
    signed_for = dt.datetime.combine(
        tree["received_on"],
        dt.time.fromisoformat(str(tree["received_time"])),
        tzinfo=step.when.tzinfo,
    )
    _log(tree, "签收", numbers, step, at=signed_for.isoformat())


def _lend(register: Register, tree: Any, step: Any) -> None:
    values = docs.take_inputs(tree, ["copy", "holder"])
    holder = values["holder"]
    for copy in _move(tree, "分送签收", values["copy"]):
        copy["holder"] = holder
    _log(tree, "分送签收", values["copy"], step, person=holder)


def _return(register: Register, tree: Any, step: Any) -> None:
    numbers = docs.take_inputs(tree, ["copy"])["copy"]
    holders: dict[str, list[str]] = {}
    for copy in _move(tree, "交还", numbers):
        holders.setdefault(str(copy.pop("holder", "")), []).append(copy["number"])
    for holder, returned in holders.items():
        _log(tree, "交还", returned, step, person=holder)


def _consult(register: Register, tree: Any, step: Any) -> None:
    values = docs.take_inputs(tree, ["copy", "reader", "purpose"])
    _move(tree, "查阅", values["copy"])
    _log(
        tree,
        "查阅",
        values["copy"],
        step,
        person=values["reader"],
        note=values["purpose"],
    )


def _recall(register: Register, tree: Any, step: Any) -> None:
    values = docs.take_inputs(tree, ["copy", "recall_to"])
    _move(tree, "清退", values["copy"])
    to = values.get("recall_to") or tree["issuer"]
    _log(tree, "清退", values["copy"], step, note=f"清退至{to}")


def _approve_destroy(register: Register, tree: Any, step: Any) -> None:
    numbers = docs.take_inputs(tree, ["copy"])["copy"]
    _move(tree, "批准销毁", numbers)
    _log(tree, "批准销毁", numbers, step)


def _destroy(register: Register, tree: Any, step: Any) -> None:
    """Counted, registered, approved before; two people for 绝密 (第二十八、二十九条)."""
    values = docs.take_inputs(tree, ["copy", "destroyed_by", "destroy_method"])
    _move(tree, "销毁", values["copy"])

    people = [
        docs.known_person(register, "destroyed_by", p) for p in values["destroyed_by"]
    ]
    if len(set(people)) != len(people):
        raise BadInput(f"销毁人有重复：{'、'.join(people)}")
    if tree.get("secrecy") == TWO_PEOPLE and len(people) < 2:
        raise Refused(
            "绝密级文件销毁须两人以上在场：--set destroyed_by=甲,乙"
            "（《保守国家秘密法实施条例》第二十九条）"
        )
    note = f"清点 {len(values['copy'])} 份"
    if values.get("destroy_method"):
        note += f"，{values['destroy_method']}"
    _log(tree, "销毁", values["copy"], step, people=people, note=note)


def _archive(register: Register, tree: Any, step: Any) -> None:
    out = [c for c in tree.get("copies") or [] if c.get("status") == "借出"]
    if out:
        listed = "、".join(
            f"{c['number']}（{docs.name(register, c.get('holder'))}）" for c in out
        )
        raise Refused(f"{tree['id']} 尚有未交还的份：{listed}；全部交还后才能存档")


_STEPS: dict[str, Callable[[Register, Any, Any], None]] = {
    "receive": _receive,
    "lend": _lend,
    "return": _return,
    "consult": _consult,
    "recall": _recall,
    "approve-destroy": _approve_destroy,
    "destroy": _destroy,
    "archive": _archive,
}


# --- the ledger ---------------------------------------------------------------------


def _move(tree: Any, event: str, numbers: list[Any]) -> list[Any]:
    """Move copies through ``event``; refuse any copy whose status does not allow it."""
    numbers = _copy_numbers(numbers)
    by_number = {c["number"]: c for c in tree.get("copies") or []}
    allowed, after = EVENTS[event]
    moved = []
    for number in numbers:
        copy = by_number.get(number)
        if copy is None:
            known = "、".join(by_number)
            raise BadInput(f"{tree['id']} 没有份号 {number}；登记的份号：{known}")
        if copy["status"] not in allowed:
            raise Refused(
                f"份号 {number} 现为“{copy['status']}”，不能{event}{HINTS.get(event, '')}"
            )
        moved.append(copy)
    for copy in moved:
        copy["status"] = after
    return moved


def _copy_numbers(values: list[Any]) -> list[str]:
    """份号 as given: six digits each, none twice."""
    numbers = [str(value) for value in values]
    for number in numbers:
        if not COPY_NUMBER.match(number):
            raise BadInput(f"份号应为 6 位数字（如 000012），收到 {number}")
    if len(set(numbers)) != len(numbers):
        raise BadInput(f"份号有重复：{'、'.join(numbers)}")
    return numbers


def _log(tree: Any, event: str, numbers: list[Any], step: Any, **extra: Any) -> None:
    entry: dict[str, Any] = {"event": event, "copies": [str(n) for n in numbers]}
    entry |= {k: v for k, v in extra.items() if k != "at" and v not in (None, "")}
    entry["at"] = extra.get("at") or docs.stamp(step)
    entry["by"] = step.person.id
    docs.append(tree, "movements", entry)


def _ledger_problems(data: Mapping[str, Any]) -> docs.Problems:
    """Replay the ledger: every copy's status and holder must follow from it."""
    status: dict[str, tuple[str, Any]] = {}
    for index, entry in enumerate(data.get("movements") or []):
        event = entry.get("event")
        allowed, after = EVENTS.get(event, ((), ""))
        for number in entry.get("copies") or []:
            before = status.get(number, ("", None))[0]
            if (event == "签收" and number in status) or (
                event != "签收" and before not in allowed
            ):
                where = ("movements", index)
                return [
                    (
                        where,
                        f"登记簿第 {index + 1} 行：份号 {number} 在“{before or '未签收'}”时不能{event}",
                    )
                ]
            holder = entry.get("person") if event == "分送签收" else None
            status[number] = (after, holder)
    problems: docs.Problems = []
    for index, copy in enumerate(data.get("copies") or []):
        expected = status.pop(copy.get("number"), ("未签收", None))
        found = (copy.get("status"), copy.get("holder"))
        if found != expected:
            problems.append(
                (
                    ("copies", index),
                    f"份号 {copy.get('number')} 的现状与登记簿不符：应为 {expected[0]}",
                )
            )
    problems += [(("movements",), f"登记簿中的份号 {n} 不在 copies 中") for n in status]
    return problems


def _withheld(data: Mapping[str, Any]) -> docs.Problems:
    return [
        (
            (name,),
            f"{name}: 三密文件只登记元数据，officectl 不保存涉密文件的内容（正文、摘要、"
            "扫描件），请删去此项",
        )
        for name in WITHHELD
        if data.get(name) not in (None, "", [])
    ]


def _term_problem(level: Any, term: Any) -> str:
    most = docs.SECRECY_YEARS.get(str(level))
    if most is None or not isinstance(term, int) or term <= most:
        return ""
    return (
        f"{level}级保密期限除另有规定外不超过 {most} 年，填写的是 {term} 年"
        "（《保守国家秘密法》第二十条）"
    )
