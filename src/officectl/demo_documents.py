"""A year of document traffic for the fictional 江城市 office, the same every run.

收文 from above and from the lower bureaus, electronic and paper, for reading or for
handling, urgent or not, some returned to their senders; 发文 through review and
signing to a real-looking number and dispatch, some sent back, some changed after
signing; 三密文件 copy by copy from the confidential clerk to the readers and back, to
the archive, and on to 清退 or destruction; the two bulletin series; and the year's
comprehensive manuscripts. Each case is planned as dated steps on the
:class:`officectl.demo.Planner`, like the petitions, and taken in date order through
the engine by ``demo.run``; steps planned after the cut-off stay undone.

Numbers (收文编号, 发文字号, 期号) are not planned: the kinds' rules give them as the
steps are taken, in date order, so they run without gaps through the year.

``plan_documents(planner, first_case)`` plans everything and returns the next free
case number.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import partial
from typing import Any

from officectl.demo import CUTOFF, YEAR, Planner

# demo.run creates a case at its step called "register", whatever its kind's creating
# action is called (收文 registers, 发文 receives, 简报 collects…).
CREATE = "register"

INCOMING = 1520
OUTGOING = 310
CLASSIFIED = 40

# Who sends documents, with the code their numbers carry and their usual types.
SENDERS = [
    ("国家税务总局", "税总发", ["通知", "意见", "通报", "决定"], 6),
    ("国家税务总局办公厅", "税总办发", ["通知", "通报", "函"], 5),
    ("国家税务总局湖北省税务局", "鄂税发", ["通知", "意见", "通报", "批复"], 14),
    ("国家税务总局湖北省税务局办公室", "鄂税办发", ["通知", "函", "通报"], 10),
    ("江城市人民政府", "江政发", ["通知", "决定", "意见"], 4),
    ("江城市人民政府办公室", "江政办发", ["通知", "函", "纪要"], 6),
    ("江城市财政局", "江财发", ["通知", "函"], 3),
    ("江城市人力资源和社会保障局", "江人社发", ["通知", "函"], 2),
]
LOWER_TYPES = ["请示", "报告"]
TOPICS = [
    "2026年税收宣传月活动",
    "个人所得税综合所得年度汇算",
    "增值税留抵退税政策落实",
    "全面数字化电子发票推广",
    "2025年度纳税信用评价",
    "社会保险费征缴",
    "非税收入征管职责划转",
    "春节、国庆期间安全生产",
    "节假日值班和突发事件报告",
    "党风廉政建设责任制",
    "税收数据安全管理",
    "文书档案整理归档",
    "部门预算执行",
    "政务公开和政府信息公开",
    "优化税收营商环境",
    "便民办税春风行动",
    "重点税源监控分析",
    "出口退税审核",
    "税务稽查案件办理",
    "干部教育培训",
    "机关节能降耗",
    "信访维稳",
]
TITLES = {
    "通知": "关于做好{topic}工作的通知",
    "意见": "关于进一步加强{topic}工作的意见",
    "通报": "关于{topic}工作情况的通报",
    "决定": "关于表彰{topic}工作先进集体和先进个人的决定",
    "批复": "关于{topic}有关问题的批复",
    "函": "关于商请协助做好{topic}工作的函",
    "纪要": "{topic}工作专题会议纪要",
    "请示": "关于{topic}有关事项的请示",
    "报告": "关于{topic}工作情况的报告",
}
RESULTS = [
    "已按要求部署落实，并将落实情况报送来文单位。",
    "已转发各区县税务局执行，相关情况已汇总上报。",
    "已研究制定具体措施，按时完成相关工作。",
    "已组织专题学习，结合实际抓好贯彻。",
]


def plan_documents(
    p: Planner,
    first_case: int,
    incoming: int = INCOMING,
    outgoing: int = OUTGOING,
    classified: int = CLASSIFIED,
) -> int:
    """Plan the year's documents as cases from ``first_case``; the next free case.

    Bulletins come out on their own rhythm (情况通报 every four weeks, 信息简报 every
    three) and the six manuscripts on fixed days; the other counts may be given.
    """
    plans: list[tuple[Callable[[Planner, int, dt.date], None], list[dt.date]]] = [
        (plan_incoming, _days(p, incoming)),
        (plan_outgoing, _days(p, outgoing)),
        (plan_classified, _days(p, classified)),
        (partial(plan_bulletin, series="qktb"), _every(dt.date(YEAR, 1, 12), 28)),
        (partial(plan_bulletin, series="xxjb"), _every(dt.date(YEAR, 1, 20), 21)),
        (plan_manuscript, [dt.date(YEAR, m, d) for m, d in MANUSCRIPT_DAYS]),
    ]
    case = first_case
    for plan, days in plans:
        for day in days:
            plan(p, case, day)
            case += 1
    return case


# --- 收文 ---------------------------------------------------------------------------


def plan_incoming(p: Planner, case: int, day: dt.date) -> None:
    """One document signed in: returned, read, or handled by a department."""
    r = p.random
    sender, code, doc_type, lower = _sender(p)
    topic = r.choice(TOPICS)
    clerk = r.choice(_holders(p, "clerk"))
    paper = r.random() < 0.4
    fields: dict[str, Any] = {
        "medium": "纸质" if paper else "电子",
        "issuer": sender,
        "title": TITLES[doc_type].format(topic=topic),
        "doc_type": doc_type,
        "copies": r.choice([1, 1, 1, 2, 3]) if paper else 1,
        "pages": r.randint(2, 18),
    }
    if code:
        fields["doc_number"] = f"{code}〔{YEAR}〕{_next_sequence(p, code)}号"
    if r.random() < 0.11:
        fields["urgency"] = r.choice(["特急", "加急", "加急"])
    day = _workday(p, day)
    _create(p, case, "incoming", day, clerk, fields)

    if r.random() < 0.03 and not lower:
        p.add(
            case,
            day,
            "reject",
            clerk,
            fields={
                "reject_reason": "该文不属于本机关办理事项，已退回来文单位并说明理由。"
            },
        )
        return
    checked = p.after(day, 0, 1)
    p.add(case, checked, "first-check", clerk)
    reading = not lower and "urgency" not in fields and r.random() < 0.36
    _incoming_handling(p, case, checked, clerk, paper, reading, fields)


def _incoming_handling(
    p: Planner,
    case: int,
    day: dt.date,
    clerk: str,
    paper: bool,
    reading: bool,
    fields: dict[str, Any],
) -> None:
    r = p.random
    director = r.choice(_holders(p, "director", "deputy-director"))
    leader = p.leader()
    proposal = (
        "拟请局领导阅知。" if reading else "拟请分管局领导阅示，由相关处室牵头办理。"
    )
    day = p.after(day, 0, 1)
    p.add(
        case,
        day,
        "propose",
        director,
        fields={"handling": "阅知" if reading else "批办", "proposal": proposal},
    )
    if paper:
        day = p.after(day, 0, 1)
        p.add(case, day, "present", clerk)
    day = p.after(day, 0, 2)
    if reading:
        p.add(case, day, "instruct", leader, fields={"instruction": "阅。"})
        _circulate(p, case, day, clerk, [x for x in p.leaders if x != leader])
        p.add(
            case, p.after(day, 1, 3), "finish", clerk, fields={"result": "已传阅完毕。"}
        )
        return
    _incoming_handled(p, case, day, clerk, leader, fields)


def _incoming_handled(
    p: Planner, case: int, day: dt.date, clerk: str, leader: str, fields: dict[str, Any]
) -> None:
    r = p.random
    unit = r.choice(p.departments)
    instruction: dict[str, Any] = {
        "instruction": f"请{unit.name}牵头办理，按时反馈。",
        "unit": unit.id,
    }
    if r.random() < 0.25:
        others = [u for u in p.departments if u.id != unit.id]
        instruction["co_units"] = [u.id for u in r.sample(others, r.randint(1, 2))]
    urgent = "urgency" in fields
    if urgent or r.random() < 0.3:
        instruction["handling_deadline"] = p.after(
            day, *((2, 5) if urgent else (8, 20))
        )
    p.add(case, day, "instruct", leader, fields=instruction)

    day = p.after(day, 0, 1)
    p.add(case, day, "distribute", clerk)
    if r.random() < 0.2:
        _circulate(p, case, day, clerk, [unit.head])
    done = p.wait(day, 2, 12, (15, 30), share=0.1, stall=0.04)
    deadline = instruction.get("handling_deadline")
    if deadline is not None and done > deadline:
        p.add(
            case,
            p.after(deadline, 0, 1),
            "chase",
            clerk,
            fields={"chase_note": f"已过办理时限，电话催问{unit.name}办理进度。"},
        )
    p.add(case, done, "finish", unit.head, fields={"result": r.choice(RESULTS)})


def _circulate(
    p: Planner, case: int, day: dt.date, clerk: str, holders: list[str]
) -> None:
    """Pass the document from hand to hand, then take it back."""
    for holder in holders:
        p.add(case, day, "circulate", clerk, fields={"holder": holder})
        day = p.after(day, 0, 1)
    p.add(case, day, "return", clerk)


# --- 发文 ---------------------------------------------------------------------------

ISSUERS = {
    "江税发": (
        "国家税务总局江城市税务局",
        ["通知", "通知", "意见", "通报", "决定", "批复"],
    ),
    "江税函": ("国家税务总局江城市税务局", ["函"]),
    "江税办发": ("国家税务总局江城市税务局办公室", ["通知", "通报", "纪要"]),
}
UPWARD = [
    ("国家税务总局湖北省税务局", "请示"),
    ("国家税务总局湖北省税务局", "报告"),
    ("江城市人民政府", "报告"),
]
LOWER_RECIPIENTS = ["各区县税务局", "局内各处室"]
PEERS = [
    "江城市财政局",
    "江城市市场监督管理局",
    "江城市人力资源和社会保障局",
    "江城市住房和城乡建设局",
]


def plan_outgoing(p: Planner, case: int, day: dt.date) -> None:
    """One draft from a department to dispatch, sometimes sent back or revised."""
    r = p.random
    fields = _draft(p)
    clerk, printer = "zhengyan", "fenglei"
    day = _workday(p, day)
    _create(p, case, "outgoing", day, clerk, fields)

    day = p.after(day, 0, 1)
    if r.random() < 0.08:
        p.add(
            case,
            day,
            "return-draft",
            clerk,
            fields={
                "return_reason": "文种使用不当，主送机关不规范，请修改后重新报送。"
            },
        )
        day = p.after(day, 1, 4)
        p.add(case, day, "resubmit", fields["drafter"])
    p.add(case, day, "first-check", clerk)
    day = p.after(day, 0, 2)
    p.add(
        case,
        day,
        "review",
        r.choice(_holders(p, "director", "deputy-director")),
        note="同意，请局领导签发。",
    )
    upward = fields["direction"] == "上行文"
    signer = "zhaoguoqiang" if upward else p.leader()
    day = p.after(day, 0, 3)
    p.add(case, day, "sign", signer, note="同意印发。")
    day = p.after(day, 0, 1)
    p.add(case, day, "number", clerk, fields={"copies": r.choice([10, 20, 30, 50, 80])})
    if r.random() < 0.05:
        day = p.after(day, 0, 1)
        p.add(
            case,
            day,
            "revise",
            fields["drafter"],
            fields={
                "revision_reason": "根据最新政策调整第三条执行时间，报原签批人复审。"
            },
        )
        day = p.after(day, 0, 2)
        p.add(case, day, "sign", signer, note="同意修改后印发。")
        day = p.after(day, 0, 1)
        p.add(case, day, "number", clerk)
    _outgoing_printed(p, case, p.after(day, 0, 1), fields, printer)


def _outgoing_printed(
    p: Planner, case: int, day: dt.date, fields: dict[str, Any], printer: str
) -> None:
    r = p.random
    p.add(case, day, "typeset", printer)
    day = p.after(day, 0, 2)
    p.add(case, day, "proofread", fields["drafter"])
    day = p.after(day, 0, 1)
    p.add(case, day, "print", printer)
    sealed = p.after(day, 3, 4) if r.random() < 0.06 else p.after(day, 0, 2)
    recipients = fields["main_recipients"] + fields.get("copy_to", [])
    p.add(
        case,
        sealed,
        "dispatch",
        printer,
        fields={"distribution": recipients, "dispatched_copies": len(recipients) * 2},
    )


def _draft(p: Planner) -> dict[str, Any]:
    r = p.random
    unit = r.choice(p.departments)
    drafter = (
        r.choice(
            [
                x.id
                for x in p.register.settings.people.values()
                if x.department == unit.id
            ]
        )
        if unit.id != "office"
        else "chuhong"
    )
    topic = r.choice(TOPICS)
    roll = r.random()
    if roll < 0.1:
        recipient, doc_type = r.choice(UPWARD)
        code, direction, recipients = "江税发", "上行文", [recipient]
    elif roll < 0.35:
        code, direction, recipients, doc_type = (
            "江税函",
            "平行文",
            [r.choice(PEERS)],
            "函",
        )
    else:
        code = r.choice(["江税发", "江税发", "江税办发"])
        direction, recipients = "下行文", LOWER_RECIPIENTS
        doc_type = r.choice(ISSUERS[code][1])
    fields: dict[str, Any] = {
        "title": TITLES[doc_type].format(topic=topic),
        "doc_type": doc_type,
        "direction": direction,
        "issuer_code": code,
        "issuer": ISSUERS[code][0],
        "drafter": drafter,
        "unit": unit.id,
        "main_recipients": list(recipients),
    }
    if direction != "上行文" and r.random() < 0.4:
        fields["copy_to"] = ["国家税务总局湖北省税务局"]
    if r.random() < 0.02:
        fields |= {"secrecy": "秘密", "secrecy_term": 5}
    else:
        fields["body"] = _body(topic, doc_type)
    if r.random() < 0.3:
        fields["attachment_titles"] = [f"{topic}工作安排表"]
    return fields


def _body(topic: str, doc_type: str) -> str:
    opening = {
        "请示": f"为做好{topic}工作，现将有关事项请示如下：",
        "报告": f"现将我局{topic}工作情况报告如下：",
        "函": f"为做好{topic}工作，现商请贵单位协助有关事项如下：",
    }.get(doc_type, f"为做好{topic}工作，现就有关事项{doc_type}如下：")
    closing = {"请示": "妥否，请批示。", "报告": "特此报告。", "函": "请予支持为盼。"}
    return "\n".join(
        [
            opening,
            "一、提高思想认识",
            f"各单位要充分认识{topic}工作的重要意义，加强组织领导，明确责任分工。",
            "二、抓好工作落实",
            "要结合实际制定具体措施，细化工作任务，确保各项要求落到实处。",
            "三、及时报送情况",
            "工作中遇到的问题和有关情况，请及时报送局办公室。",
            closing.get(doc_type, "请认真贯彻执行。"),
        ]
    )


# --- 三密文件 -----------------------------------------------------------------------

SECRET_SENDERS = [
    "国家税务总局",
    "国家税务总局湖北省税务局",
    "中共江城市委办公室",
    "江城市国家保密局",
]
SECRET_TERMS = {"秘密": [5, 10], "机密": [10, 20], "绝密": [30]}


def plan_classified(p: Planner, case: int, day: dt.date) -> None:
    """Copies signed in by number, read by the leader and the department, returned the
    same day; archived, then consulted, returned to the issuer or destroyed."""
    r = p.random
    level = "绝密" if case % 20 == 0 else r.choice(["秘密", "秘密", "机密"])
    first = r.randint(1, 900)
    copies = [
        f"{first + n:06d}" for n in range(1 if level == "绝密" else r.randint(1, 3))
    ]
    clerk, leader = "chenjing", p.leader()
    unit = r.choice(p.departments)
    day = _workday(p, day)
    _create(
        p,
        case,
        "classified",
        day,
        clerk,
        {
            "issuer": r.choice(SECRET_SENDERS),
            "title": f"{r.choice(TOPICS)}有关事项（涉密）",
            "secrecy": level,
            "secrecy_term": r.choice(SECRET_TERMS[level]),
            "copy_numbers": copies,
            "pages": r.randint(2, 12),
        },
    )
    p.add(
        case,
        day,
        "sort",
        clerk,
        fields={"category": r.choice(["文件", "文件", "电报"])},
    )
    day = p.after(day, 0, 1)
    p.add(case, day, "propose", "lijun", fields={"proposal": "呈局领导阅示。"})
    p.add(case, day, "present", clerk)
    _lend(p, case, day, copies[:1], leader)
    p.add(case, day, "instruct", leader, fields={"instruction": f"请{unit.name}阅办。"})
    day = p.after(day, 0, 1)
    p.add(case, day, "pass-on", clerk, fields={"unit": unit.id})
    _lend(p, case, day, copies, unit.head)
    done = p.after(day, 1, 5)
    p.add(case, done, "finish", unit.head, fields={"result": "已按批示传达落实。"})
    archived = p.after(done, 0, 2)
    p.add(case, archived, "archive", clerk)
    _classified_afterlife(p, case, archived, copies, level)


def _lend(p: Planner, case: int, day: dt.date, copies: list[str], holder: str) -> None:
    """Hand copies out and take them back the same day (不得存留过夜)."""
    p.add(case, day, "lend", "chenjing", fields={"copy": copies, "holder": holder})
    p.add(case, day, "return", "chenjing", fields={"copy": copies})


def _classified_afterlife(
    p: Planner, case: int, day: dt.date, copies: list[str], level: str
) -> None:
    r = p.random
    if r.random() < 0.4:
        day = p.after(day, 5, 40)
        p.add(
            case,
            day,
            "consult",
            "chenjing",
            fields={
                "copy": copies[:1],
                "reader": r.choice(p.departments).head,
                "purpose": "核对有关政策依据",
            },
        )
    roll = r.random()
    if roll < 0.3 and level != "绝密":
        p.add(case, p.after(day, 10, 60), "recall", "chenjing", fields={"copy": copies})
    elif roll < 0.6 or level == "绝密":
        day = p.after(day, 20, 80)
        p.add(case, day, "approve-destroy", "lijun", fields={"copy": copies})
        day = p.after(day, 1, 5)
        people = ["chenjing", "zhoufang"] if level == "绝密" else ["chenjing"]
        p.add(
            case,
            day,
            "destroy",
            "chenjing",
            fields={
                "copy": copies,
                "destroyed_by": people,
                "destroy_method": "送指定销毁单位销毁",
            },
        )


# --- 简报 ---------------------------------------------------------------------------

PIECES = [
    ("{month}月全市税收收入完成情况", "collection"),
    ("纳税服务工作创新举措取得实效", "service"),
    ("货物和劳务税政策落实情况", "policy1"),
    ("个人所得税汇算清缴进展情况", "policy2"),
    ("督察内审发现问题整改情况", "audit"),
    ("东湖区局推行“预约办税”便民服务", "donghu"),
    ("临江县局开展税法进企业活动", "linjiang"),
    ("西山区局加强重点税源监控", "xishan"),
]


def plan_bulletin(p: Planner, case: int, day: dt.date, series: str) -> None:
    """One issue of ``series``: pieces collected, edited, approved, numbered, sent."""
    r = p.random
    writer = "chuhong"
    day = _workday(p, day)
    _create(
        p,
        case,
        "bulletin",
        day,
        writer,
        {
            "series": series,
            "title": f"{day.month}月工作情况"
            if series == "qktb"
            else f"{day.month}月工作动态",
        },
    )
    for title, source in r.sample(PIECES, r.randint(1, 4)):
        piece = {
            "piece_title": title.format(month=day.month),
            "piece_source": source,
            "piece_text": "有关情况如下：各项工作按计划推进，成效明显。",
        }
        if series == "qktb":
            piece["piece_signed_by"] = p.leader()
        p.add(case, day, "add-piece", writer, fields=piece)
    day = p.after(day, 1, 2)
    p.add(case, day, "edit", writer)
    p.add(case, day, "submit", writer)
    if r.random() < 0.15:
        day = p.after(day, 0, 1)
        p.add(
            case,
            day,
            "send-back",
            "lijun",
            fields={"send_back_reason": "数据口径需再核实。"},
        )
        p.add(case, day, "edit", writer)
        p.add(case, day, "submit", writer)
    day = p.after(day, 0, 1)
    p.add(case, day, "approve", r.choice(_holders(p, "director", "deputy-director")))
    p.add(case, day, "number", "zhengyan")
    if series == "xxjb":
        day = p.after(day, 0, 1)
        p.add(case, day, "proof", "zhengyan")
    p.add(
        case,
        p.after(day, 0, 1),
        "dispatch",
        "zhengyan",
        fields={"distribution": ["局领导", "局内各处室", "各区县税务局"]},
    )


# --- 综合文稿 -----------------------------------------------------------------------

MANUSCRIPT_DAYS = [(1, 6), (3, 2), (5, 11), (6, 15), (9, 7), (11, 9)]
MANUSCRIPTS_OF_YEAR = [
    ("2026年全市税务工作会议工作报告", "工作报告", "zhaoguoqiang"),
    ("关于优化税收营商环境的调研报告", "调研报告", "qianmin"),
    ("在全市税务系统党风廉政建设工作会议上的讲话", "领导讲话", "zhaoguoqiang"),
    ("2026年上半年工作总结", "工作总结", "sunhao"),
    ("关于税收征管改革情况的汇报材料", "汇报材料", "qianmin"),
    ("2027年全市税收工作要点", "工作要点", "zhaoguoqiang"),
]


def plan_manuscript(p: Planner, case: int, day: dt.date) -> None:
    """One text from outline to final; the first outline goes back once, the last is
    still out for comments when the year is cut off."""
    index = MANUSCRIPT_DAYS.index((day.month, day.day))
    title, genre, leader = MANUSCRIPTS_OF_YEAR[index]
    writer = "chuhong"
    day = _workday(p, day)
    _create(
        p,
        case,
        "manuscript",
        day,
        writer,
        {
            "title": title,
            "genre": genre,
            "requested_by": leader,
            "outline": "一、基本情况\n二、主要做法和成效\n三、存在的问题\n四、下一步工作打算",
            "due_on": p.after(day, 25, 35),
        },
    )
    if index == 0:
        day = p.after(day, 1, 2)
        p.add(
            case,
            day,
            "return-outline",
            leader,
            fields={"outline_return_reason": "请增加落实全国税务工作会议精神的内容。"},
        )
        day = p.after(day, 1, 2)
        p.add(
            case,
            day,
            "resubmit-outline",
            writer,
            fields={
                "outline": "一、2025年工作回顾\n二、落实全国税务工作会议精神\n三、2026年重点工作"
            },
        )
    day = p.after(day, 1, 2)
    p.add(case, day, "approve-outline", leader, note="同意，请抓紧起草。")
    _manuscript_drafted(p, case, day, writer, leader, index)


def _manuscript_drafted(
    p: Planner, case: int, day: dt.date, writer: str, leader: str, index: int
) -> None:
    r = p.random
    day = p.after(day, 1, 2)
    p.add(
        case,
        day,
        "research",
        writer,
        fields={"research_note": "召开处室负责人座谈会。"},
    )
    day = p.after(day, 2, 4)
    p.add(
        case,
        day,
        "log-research",
        writer,
        fields={"research_note": f"赴{r.choice(p.bureaus).name}实地调研。"},
    )
    day = p.after(day, 3, 6)
    p.add(case, day, "draft", writer, fields={"words": r.choice([6000, 8000, 12000])})
    until = p.after(day, 6, 8)
    p.add(
        case,
        day,
        "consult",
        writer,
        fields={"consulted": ["局领导", "局内各处室"], "consult_until": until},
    )
    for unit in r.sample(p.departments, r.randint(2, 5)):
        day = p.after(day, 1, 2)
        p.add(
            case,
            day,
            "comment",
            unit.head,
            fields={"comment": "建议补充本处室相关数据，进一步突出工作亮点。"},
        )
    if index == len(MANUSCRIPT_DAYS) - 1:
        return
    day = max(p.after(day, 1, 2), until)
    p.add(
        case,
        day,
        "revise",
        writer,
        fields={"revision_note": "已逐条研究吸收反馈意见。"},
    )
    day = p.after(day, 1, 3)
    if index % 2:
        p.add(
            case,
            day,
            "adopt-final",
            "lijun",
            fields={"meeting": f"{YEAR}年第{index + 2}次局长办公会"},
        )
    else:
        p.add(case, day, "approve-final", leader, note="同意定稿。")


# --- small helpers ------------------------------------------------------------------


def _create(
    p: Planner, case: int, kind: str, day: dt.date, by: str, fields: dict[str, Any]
) -> None:
    p.kinds[case] = kind
    p.add(case, day, CREATE, by, fields=fields)


def _days(p: Planner, count: int) -> list[dt.date]:
    """``count`` days of the year before the cut-off, in order, so that numbers a
    sender gives (鄂税发〔2026〕N号) grow with the date."""
    first = dt.date(YEAR, 1, 1)
    span = (CUTOFF - first).days
    return sorted(first + dt.timedelta(p.random.randrange(span)) for _ in range(count))


def _every(first: dt.date, days: int) -> list[dt.date]:
    last = CUTOFF - dt.timedelta(days=10)
    return [first + dt.timedelta(n) for n in range(0, (last - first).days, days)]


def _workday(p: Planner, day: dt.date) -> dt.date:
    return day if p.register.calendar.is_workday(day) else p.after(day, 1, 1)


def _holders(p: Planner, *posts: str) -> list[str]:
    people = p.register.settings.people.values()
    return [x.id for x in people if set(posts) & set(x.posts)]


def _sender(p: Planner) -> tuple[str, str, str, bool]:
    """Who sent it, the code of its number ("" for none), its type, from below."""
    r = p.random
    if r.random() < 0.12:
        bureau = r.choice(p.bureaus)
        return bureau.name, "", r.choice(LOWER_TYPES), True
    weights = [weight for *_, weight in SENDERS]
    name, code, types, _ = r.choices(SENDERS, weights=weights)[0]
    return name, code, r.choice(types), False


def _next_sequence(p: Planner, code: str) -> int:
    """Senders number their own documents; this office sees every few of them. The
    counters live on the planner, so two plans never share them."""
    counters: dict[str, int] = p.__dict__.setdefault("_sender_numbers", {})
    counters[code] = counters.get(code, 0) + p.random.randint(1, 6)
    return counters[code]
