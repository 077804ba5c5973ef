"""简报: the pieces of an issue, its number in its series, and the brief's extra check.

An issue of 《情况通报》 carries only pieces a bureau leader has signed; 信息简报 collects
more freely. Each series numbers its issues anew every year (第N期), with no gap and
none twice. Only the brief is checked once more after typesetting (核对); the bulletin
goes from typesetting straight to dispatch.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from officectl.errors import BadInput, Refused
from officectl.kinds import documents as docs
from officectl.register import Register
from officectl.workflow import Action, Kind

SERIES = {"qktb": "《情况通报》", "xxjb": "信息简报"}
SIGNED_PIECES = "qktb"  # 收到各科室转来的局领导签发的稿件
PROOFED = "xxjb"  # 文书室编号后送文印室排版，核对后封发
LEADERS = {"leader", "leader-in-charge"}

OWNED: dict[str, str | tuple[str, ...]] = {
    "collected_on": "collect",
    "series": "collect",
    "issue_number": "number",
    "issue_year": "",
    "issued_on": "",
    "pieces": "",
}
PIECE = ("piece_title", "piece_source", "piece_signed_by", "piece_text")


def before_step(
    register: Register, kind: Kind, action: Action, tree: Any, step: Any
) -> None:
    docs.take_step(_STEPS, OWNED, register, kind, action, tree, step)


def check(register: Register, kind: Kind, data: Mapping[str, Any]) -> docs.Problems:
    problems = docs.stray_inputs(register, kind, data)
    if data.get("series") == SIGNED_PIECES:
        problems += [
            (("pieces", index, "signed_by"), "《情况通报》的稿件须经局领导签发")
            for index, piece in enumerate(data.get("pieces") or [])
            if not piece.get("signed_by")
        ]
    found = number_of(data)
    other = _numbers(register).holder(*found, but=str(data["id"])) if found else ""
    if found and other:
        (series, year), number = found
        problems.append(
            (("issue_number",), f"{SERIES[series]}{year}年第{number}期与 {other} 重复")
        )
    return problems


# --- the steps ----------------------------------------------------------------------


def _collect(register: Register, tree: Any, step: Any) -> None:
    if tree.get("collected_on") is None:
        docs.put(tree, "collected_on", step.when.date(), after="state")


def _add_piece(register: Register, tree: Any, step: Any) -> None:
    values = docs.take_inputs(tree, PIECE)
    signer = values.get("piece_signed_by")
    if tree["series"] == SIGNED_PIECES and not signer:
        raise BadInput(
            "《情况通报》只收局领导签发的稿件：--set piece_signed_by=局领导编号"
        )
    if signer and not docs.posts(register, signer) & LEADERS:
        raise BadInput(f"piece_signed_by: {docs.name(register, signer)}不是局领导")

    piece = {"title": values["piece_title"], "source": values["piece_source"]}
    if signer:
        piece["signed_by"] = signer
    if values.get("piece_text"):
        piece["text"] = values["piece_text"]
    docs.append(tree, "pieces", {**piece, "at": docs.stamp(step), "by": step.person.id})


def _edit(register: Register, tree: Any, step: Any) -> None:
    if not tree.get("pieces"):
        raise Refused(f"{tree['id']} 还没有收录稿件（add-piece），不能编辑成期")


def _number(register: Register, tree: Any, step: Any) -> None:
    series, year = str(tree["series"]), step.when.year
    wanted = tree.get("issue_number")
    number = _numbers(register).claim(
        str(tree["id"]),
        (series, year),
        None if wanted is None else int(wanted),
        lambda n: f"{SERIES[series]}{year}年第{n}期",
    )
    docs.put(tree, "issue_year", year, after="send_back_reason")
    docs.put(tree, "issue_number", number, after="issue_year")


def _proof(register: Register, tree: Any, step: Any) -> None:
    if tree["series"] != PROOFED:
        raise Refused(f"{SERIES[tree['series']]}排版后由文书室直接封发，没有核对环节")


def _dispatch(register: Register, tree: Any, step: Any) -> None:
    came_from = tree["history"][-1].get("from")
    if tree["series"] == PROOFED and came_from != "proofed":
        raise Refused("信息简报排版后须先核对（proof）再封发")
    docs.put(tree, "issued_on", step.when.date(), after="distribution")


_STEPS: dict[str, Callable[[Register, Any, Any], None]] = {
    "collect": _collect,
    "add-piece": _add_piece,
    "edit": _edit,
    "number": _number,
    "proof": _proof,
    "dispatch": _dispatch,
}


def _numbers(register: Register) -> docs.Numbers:
    return docs.Numbers.of(register, "bulletin", number_of)


def number_of(data: Mapping[str, Any]) -> docs.Numbered | None:
    number, year = data.get("issue_number"), data.get("issue_year")
    if not isinstance(number, int) or not isinstance(year, int):
        return None
    return (str(data.get("series")), year), number
