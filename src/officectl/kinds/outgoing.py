"""发文: the document number, who may sign, and the checks before a number is given.

The number (发文字号) is the issuer's code, the year in 六角括号 and the next number of
that code's year: ``江税发〔2026〕7号``, never ``007`` or ``第7号`` (GB/T 9704-2012
7.2.5), never twice, with no gap. It is given when the documents room registers a
signed document (《条例》第二十五条), not before. An upward document is signed by the
principal leader, a document changed in substance after signing goes back to its
signer, and the date of writing is the signing date (《条例》第九条、第二十二条).
A classified document's text never enters the register: its number, title and
secrecy marking do, its body does not.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from officectl import reports
from officectl.errors import BadInput, Refused
from officectl.kinds import documents as docs
from officectl.register import Register
from officectl.workflow import Action, Kind

OWNED: dict[str, str | tuple[str, ...]] = {
    "received_on": "receive",
    "doc_number": "number",
    "signer": "",
    "signed_on": "",
    "printed_on": "",
}

NUMBER = re.compile(r"^(?P<code>[^\s〔〕]+)〔(?P<year>\d{4})〕(?P<seq>[1-9]\d*)号$")
# What people type instead: other brackets, 第, leading zeros, a two-digit year.
LOOSE_NUMBER = re.compile(
    r"^(?P<code>[^\s〔〕\[\]［］()（）【】]+?)\s*(?P<open>[〔\[［(（【])\s*(?P<year>\d{2,4})\s*"
    r"(?P<close>[〕\]］)）】])\s*(?P<di>第)?\s*(?P<seq>\d+)\s*(?P<hao>号?)$"
)
PRINCIPAL = "leader"  # 机关主要负责人: the post that signs upward documents


def before_step(
    register: Register, kind: Kind, action: Action, tree: Any, step: Any
) -> None:
    docs.take_step(_STEPS, OWNED, register, kind, action, tree, step)


def check(register: Register, kind: Kind, data: Mapping[str, Any]) -> docs.Problems:
    problems = _content_problems(data)
    problems += _number_problems(register, data)
    signed_on, written_on = data.get("signed_on"), data.get("written_on")
    if signed_on and written_on and written_on != signed_on:
        problems.append(
            (
                ("written_on",),
                f"成文日期应为签发日期 {_cn(signed_on)}，而不是 {_cn(written_on)}",
            )
        )
    copies, sent = data.get("copies"), data.get("dispatched_copies")
    if isinstance(copies, int) and isinstance(sent, int) and sent > copies:
        problems.append(
            (("dispatched_copies",), f"发出 {sent} 份，多于印制的 {copies} 份")
        )
    return problems


# --- the steps ----------------------------------------------------------------------


def _receive(register: Register, tree: Any, step: Any) -> None:
    if tree.get("received_on") is None:
        docs.put(tree, "received_on", step.when.date(), after="state")
    if not tree.get("issuer"):
        bureau = register.settings.bureau
        if not bureau:
            raise BadInput(
                "须填写发文机关署名：--set issuer=…（officectl.yaml 未设 bureau）"
            )
        docs.put(tree, "issuer", bureau, after="issuer_code")
    _require_content(tree)


def _resubmit(register: Register, tree: Any, step: Any) -> None:
    _require_content(tree)


def _sign(register: Register, tree: Any, step: Any) -> None:
    person = step.person
    if tree.get("direction") == "上行文" and PRINCIPAL not in docs.posts(
        register, person.id
    ):
        raise Refused(f"上行文由机关主要负责人签发；{person.name}不能签发 {tree['id']}")
    earlier = [e for e in tree["history"][:-1] if e.get("action") == "sign"]
    if earlier and earlier[-1].get("by") != person.id:
        original = docs.name(register, earlier[-1].get("by"))
        raise Refused(
            f"{tree['id']} 签发后作了实质性修改，须报原签批人{original}复审签发"
        )
    # 《条例》第九条：成文日期署负责人签发的日期.
    day = step.when.date()
    docs.put(tree, "signed_on", day, after="signer")
    docs.put(tree, "written_on", day, after="signed_on")


def _number(register: Register, tree: Any, step: Any) -> None:
    """Give the number, once: a document revised and signed again keeps its own."""
    given = tree.get("doc_number")
    if given and not docs.given(step, "doc_number"):
        return
    code = str(tree["issuer_code"])
    if given:
        code, year, wanted = _parse_given(str(given), code)
    else:
        year, wanted = step.when.year, None
    numbers = _numbers(register)
    sequence = numbers.claim(
        str(tree["id"]), (code, year), wanted, lambda n: _format(code, year, n)
    )
    docs.put(tree, "doc_number", _format(code, year, sequence), after="written_on")


def _proofread(register: Register, tree: Any, step: Any) -> None:
    drafter = tree.get("drafter")
    if step.person.id != drafter:
        raise Refused(f"{tree['id']} 由拟稿人{docs.name(register, drafter)}校对")


def _print(register: Register, tree: Any, step: Any) -> None:
    if not tree.get("printer"):
        docs.put(tree, "printer", register.settings.office, after="copies")
    docs.put(tree, "printed_on", step.when.date(), after="printer")


_STEPS: dict[str, Callable[[Register, Any, Any], None]] = {
    "receive": _receive,
    "resubmit": _resubmit,
    "sign": _sign,
    "number": _number,
    "proofread": _proofread,
    "print": _print,
}


# --- the number ---------------------------------------------------------------------


def number_problem(text: str) -> str:
    """Why ``text`` is not a well-formed document number, or ``""`` when it is."""
    if NUMBER.match(text):
        return ""
    loose = LOOSE_NUMBER.match(text)
    if loose is None:
        return (
            f"发文字号 {text} 格式不对：应为机关代字、〔年份〕、顺序号再加“号”，"
            "如 江税发〔2026〕7号"
        )
    reasons = []
    if loose["open"] != "〔" or loose["close"] != "〕":
        reasons.append("年份用六角括号〔〕括入")
    if len(loose["year"]) != 4:
        reasons.append("年份写全四位")
    if loose["di"]:
        reasons.append("顺序号不加“第”字")
    if int(loose["seq"]) == 0:
        reasons.append("顺序号从 1 起")
    elif loose["seq"].startswith("0"):
        reasons.append("顺序号不编虚位（1 不写作 01）")
    if not loose["hao"]:
        reasons.append("顺序号后加“号”")
    if not reasons:
        reasons.append("去掉多余的空格")
    if int(loose["seq"]) == 0 or len(loose["year"]) != 4:
        return f"发文字号 {text} 格式不对：{'、'.join(reasons)}（GB/T 9704-2012 7.2.5）"
    fixed = _format(loose["code"], int(loose["year"]), int(loose["seq"]))
    return f"发文字号 {text} 格式不对：{'、'.join(reasons)}，应写作 {fixed}（GB/T 9704-2012 7.2.5）"


def _parse_given(text: str, code: str) -> tuple[str, int, int]:
    problem = number_problem(text)
    if problem:
        raise BadInput(problem)
    match = NUMBER.match(text)
    assert match is not None
    if match["code"] != code:
        raise BadInput(f"发文字号 {text} 的代字应为本文的 {code}")
    return code, int(match["year"]), int(match["seq"])


def _format(code: str, year: int, sequence: int) -> str:
    return f"{code}〔{year}〕{sequence}号"


def _numbers(register: Register) -> docs.Numbers:
    return docs.Numbers.of(register, "outgoing", number_of)


def number_of(data: Mapping[str, Any]) -> docs.Numbered | None:
    match = NUMBER.match(str(data.get("doc_number") or ""))
    if match is None:
        return None
    return (match["code"], int(match["year"])), int(match["seq"])


def _number_problems(register: Register, data: Mapping[str, Any]) -> docs.Problems:
    text = data.get("doc_number")
    if not text:
        return []
    if not docs.took(data, "number"):
        return [(("doc_number",), "发文字号在签发后登记编号（number）时由文书室给出")]
    found = number_of(data)
    if found is None:
        return []  # the schema names a malformed number
    (code, year), sequence = found
    problems: docs.Problems = []
    if code != data.get("issuer_code"):
        problems.append(
            (("doc_number",), f"发文字号 {text} 的代字应为 {data.get('issuer_code')}")
        )
    other = _numbers(register).holder((code, year), sequence, but=str(data.get("id")))
    if other:
        problems.append((("doc_number",), f"发文字号 {text} 与 {other} 重复"))
    return problems


# --- classified or not --------------------------------------------------------------


def _require_content(tree: Any) -> None:
    problems = _content_problems(tree)
    if problems:
        raise BadInput(problems[0][1])


def _content_problems(data: Mapping[str, Any]) -> docs.Problems:
    """A classified document has its marking and no text; any other has its text."""
    level = data.get("secrecy")
    if level is None:
        if not data.get("body"):
            return [(("body",), "须填写正文：--set body=…")]
        if data.get("secrecy_term") is not None:
            return [(("secrecy_term",), "非涉密公文不标注保密期限")]
        return []
    if data.get("body"):
        return [
            (
                ("body",),
                f"{level}公文的正文不在 officectl 中保存，只登记标题、文号和密级；请删去 body",
            )
        ]
    term = data.get("secrecy_term")
    if term is None:
        return [
            (("secrecy_term",), f"{level}公文须标注保密期限：--set secrecy_term=年数")
        ]
    most = docs.SECRECY_YEARS[level]
    if isinstance(term, int) and term > most:
        return [
            (
                ("secrecy_term",),
                f"{level}保密期限除另有规定外不超过 {most} 年（《保守国家秘密法》第二十条）",
            )
        ]
    return []


def _cn(value: Any) -> str:
    day = reports.day_of(value)
    return f"{day.year}年{day.month}月{day.day}日" if day else str(value)
