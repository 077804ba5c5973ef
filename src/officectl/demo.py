"""A year of petition traffic for the fictional 江城市 office, the same every run.

Each case is planned as a list of dated steps along one of the handbook's paths (assigned
and accepted, declined, forwarded, stored, replied, extended, sent back, joint handling),
some of them late. All planned steps of all cases are then taken in date order through
the engine, so every step is a real commit by a person whose post allows it and git
history reads like the year it describes. Steps planned after the cut-off date are left
undone: those cases are still open, some of them overdue.

The same planner serves the benchmarks at larger sizes (``cases``).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from officectl.engine import StepInput, create, take
from officectl.register import Register
from officectl.setup import create_register

YEAR = 2026
CUTOFF = dt.date(
    2026, 12, 1
)  # the demo's "today": the overdue report is as of this day

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国红志文玉兰凤春梅海燕鹏宇浩"
STREETS = [
    "解放大道",
    "中山路",
    "建设大街",
    "和平路",
    "江滨路",
    "友谊路",
    "人民路",
    "光谷大道",
]
DISTRICTS = [
    "东湖区",
    "西山区",
    "南湖区",
    "北岸区",
    "青山区",
    "汉江区",
    "临江县",
    "石门县",
]

TOPICS = [
    (
        "反映某公司拖欠工资且未代扣代缴个人所得税",
        "单位长期拖欠工资，个人所得税申报记录与实际收入不符。",
    ),
    ("举报某餐馆消费后拒开发票", "在该餐馆消费后索要发票被拒，要求税务机关依法查处。"),
    (
        "咨询个人所得税专项附加扣除政策",
        "对子女教育、赡养老人扣除标准有疑问，希望书面答复。",
    ),
    (
        "反映办税服务厅排队时间过长",
        "在办税服务厅办理业务等候三个多小时，建议增加窗口。",
    ),
    (
        "投诉基层分局工作人员服务态度",
        "办理涉税事项时工作人员态度生硬，未一次性告知所需材料。",
    ),
    ("反映企业出口退税进度缓慢", "公司申报出口退税已逾两个月仍未到账，影响资金周转。"),
    (
        "举报某商贸公司虚开增值税专用发票",
        "该公司无真实货物交易，对外大量开具增值税专用发票。",
    ),
    (
        "反映社会保险费缴费基数核定问题",
        "单位按最低基数为职工缴费，与实际工资差距较大。",
    ),
    ("对税务行政处罚决定有异议", "认为处罚事实认定不清，请求重新核查并说明依据。"),
    (
        "反映二手房交易税费计算问题",
        "二手房交易中契税和个人所得税计算方式与中介说法不一。",
    ),
    (
        "反映电子税务局系统频繁故障",
        "月末申报期间电子税务局多次无法登录，担心逾期申报。",
    ),
    (
        "请求减免小微企业房产税和城镇土地使用税",
        "受经营困难影响，申请按政策减免相关税款。",
    ),
    ("反映个体工商户定额核定过高", "门店营业额下降，定额未作调整，请求重新核定。"),
    ("举报某房地产企业隐瞒销售收入", "该企业以收据代替发票收取购房款，涉嫌隐瞒收入。"),
    (
        "反映车辆购置税退税手续繁琐",
        "车辆退货后申请退还车辆购置税，被要求多次补充材料。",
    ),
    ("咨询年度汇算清缴退税时间", "已完成个人所得税年度汇算，退税迟迟未到账。"),
]

REPORT_FORMS = ["原件上送", "摘要上报", "综合上报"]
VISIT_REPORT_FORMS = ["专题报告", "简报"]


@dataclass(order=True)
class Planned:
    """One step of one case, waiting for its date."""

    when: dt.datetime
    order: int
    case: int = field(compare=False)
    action: str = field(compare=False)
    by: str = field(compare=False)
    fields: dict[str, Any] = field(compare=False, default_factory=dict)
    behalf: str = field(compare=False, default="")
    note: str = field(compare=False, default="")


class Planner:
    """Plans cases step by step on working days, with a seeded random source."""

    def __init__(self, register: Register, seed: int) -> None:
        self.register = register
        self.random = random.Random(seed)
        self.steps: list[Planned] = []
        self.kinds: dict[int, str] = {}
        self.last: dict[int, dt.datetime] = {}
        settings = register.settings
        self.officers = [
            p.id for p in settings.people.values() if "petition-officer" in p.posts
        ]
        self.leaders = [
            p.id
            for p in settings.people.values()
            if {"leader", "leader-in-charge"} & set(p.posts)
        ]
        self.departments = [
            u for u in settings.units.values() if not u.lower and u.head
        ]
        self.bureaus = [u for u in settings.units.values() if u.lower]

    # --- dates -------------------------------------------------------------------

    def after(self, day: dt.date, low: int, high: int) -> dt.date:
        """A working day ``low``..``high`` working days after ``day``."""
        return self.register.calendar.add_workdays(
            day, self.random.randint(low, high)
        ).date

    def at(self, day: dt.date) -> dt.datetime:
        minute = self.random.randint(8 * 60 + 30, 17 * 60 + 30)
        return dt.datetime.combine(day, dt.time(minute // 60, minute % 60))

    def add(self, case: int, day: dt.date, action: str, by: str, **extra: Any) -> None:
        """Plan a step; steps of one case on one day follow each other in order."""
        when = self.at(day)
        previous = self.last.get(case)
        if previous is not None and when <= previous:
            when = previous + dt.timedelta(minutes=self.random.randint(5, 40))
        self.last[case] = when
        self.steps.append(Planned(when, len(self.steps), case, action, by, **extra))

    # --- people and words --------------------------------------------------------

    def petitioner(self) -> dict[str, Any]:
        r = self.random
        name = r.choice(SURNAMES) + "".join(
            r.choice(GIVEN) for _ in range(r.randint(1, 2))
        )
        birth = dt.date(1950, 1, 1) + dt.timedelta(days=r.randint(0, 365 * 50))
        digits = f"420102{birth:%Y%m%d}{r.randint(0, 999):03d}"
        return {
            "name": name,
            "id_number": digits + r.choice("0123456789X"),
            "phone": f"1{r.choice('3578')}{r.randint(0, 999_999_999):09d}",
            "address": f"江城市{r.choice(DISTRICTS)}{r.choice(STREETS)}{r.randint(1, 388)}号",
        }

    def officer(self) -> str:
        return self.random.choice(self.officers)

    def leader(self) -> str:
        return self.random.choice(self.leaders)

    def late(self, share: float) -> bool:
        return self.random.random() < share

    def wait(
        self,
        day: dt.date,
        low: int,
        high: int,
        late: tuple[int, int],
        share: float,
        stall: float = 0.03,
    ) -> dt.date:
        """The day a step is taken: usually in time, sometimes late, now and then stuck
        for weeks (so some cases are still open and overdue when the demo year ends)."""
        roll = self.random.random()
        if roll < stall:
            return self.after(day, 25, 60)
        if roll < stall + share:
            return self.after(day, *late)
        return self.after(day, low, high)


# --- the paths a case can take ------------------------------------------------------


def plan_letter(p: Planner, case: int, received: dt.date) -> None:
    r = p.random
    title, content = r.choice(TOPICS)
    officer = p.officer()
    registered = p.after(received, 5, 7) if p.late(0.06) else p.after(received, 0, 3)
    fields = {
        "received": received,
        "channel": r.choice(["邮寄", "邮寄", "电子邮件", "网上信访", "领导转来"]),
        "petitioner": p.petitioner(),
        "title": title,
        "content": content,
    }
    p.add(case, registered, "register", officer, fields=_flat(fields))
    p.kinds[case] = "letter"
    handled = p.wait(registered, 1, 10, (16, 22), share=0.08)
    _handle(p, case, handled, officer, r.random(), kind="letter")


def plan_visit(p: Planner, case: int, visited: dt.date) -> None:
    r = p.random
    title, content = r.choice(TOPICS)
    officer = p.officer()
    group = r.random() < 0.15
    fields: dict[str, Any] = {
        "visited_on": visited,
        "visit_time": f"{r.randint(9, 16):02d}:{r.choice(['00', '15', '30', '45'])}",
        "group": group,
        "visitors": r.randint(6, 30) if group else 1,
        "petitioner": p.petitioner(),
        "title": title,
        "content": content,
    }
    registered = p.after(visited, 1, 1) if p.late(0.04) else visited
    p.add(case, registered, "register", officer, fields=_flat(fields))
    p.kinds[case] = "visit"
    if group:
        names = [p.petitioner()["name"] for _ in range(r.randint(2, 5))]
        p.steps[-1].fields["representatives"] = [{"name": n} for n in names]
    if r.random() < 0.03:
        p.add(
            case,
            registered,
            "refer-police",
            officer,
            fields={
                "police_note": "来访人在接待室大声喧哗、拍打桌椅，经劝阻无效，联系辖区派出所处置。"
            },
        )
    if r.random() < 0.02:
        p.add(
            case,
            registered,
            "medical-aid",
            officer,
            fields={"medical_note": "来访人接谈中自述胸闷不适，联系医务室并送医检查。"},
        )
    p.add(
        case,
        registered,
        "interview",
        officer,
        fields={
            "interview_notes": f"来访人反映：{content}接谈人员已告知相关政策和办理程序。"
        },
    )
    handled = p.wait(registered, 1, 10, (16, 22), share=0.08)
    _handle(p, case, handled, officer, r.random(), kind="visit")


def _handle(
    p: Planner, case: int, day: dt.date, officer: str, roll: float, kind: str
) -> None:
    """Choose the case's path by ``roll``: most are assigned, others end at once."""
    r = p.random
    if r.random() < 0.12:
        form = r.choice(REPORT_FORMS if kind == "letter" else VISIT_REPORT_FORMS)
        p.add(case, day, "report-up", officer, fields={"report_form": form})
    if r.random() < 0.08:
        p.add(case, day, "inform", officer, fields={"informed": "分管局领导、相关处室"})
    if roll < 0.50:
        _assigned(p, case, day, officer)
    elif roll < 0.65:
        p.add(
            case,
            day,
            "forward",
            officer,
            fields={
                "forward_to": r.choice(
                    [
                        "江城市市场监督管理局",
                        "江城市人力资源和社会保障局",
                        "江城市住房和城乡建设局",
                        "江城市信访局",
                    ]
                ),
                "forward_by": "附转送单转送" if kind == "letter" else "发函转送",
            },
        )
    elif roll < 0.75 and kind == "letter":
        p.add(
            case,
            day,
            "store",
            officer,
            fields={"store_reason": "重复来信，已答复过，不再办理"},
        )
    elif roll < 0.75:
        _joint(p, case, day, officer)
    elif roll < 0.88:
        p.add(case, day, "reply", officer, fields={"reply_text": _reply_text()})
    elif kind == "visit":
        p.add(case, day, "file", officer)
    else:
        p.add(case, day, "reply", officer, fields={"reply_text": _reply_text()})


def _assigned(p: Planner, case: int, day: dt.date, officer: str) -> None:
    r = p.random
    use_bureau = r.random() < 0.6
    unit = r.choice(p.bureaus if use_bureau else p.departments)
    actor, behalf = (officer, unit.id) if use_bureau else (unit.head, "")
    p.add(case, day, "assign", officer, fields={"unit": unit.id})
    answered = p.wait(day, 1, 4, (6, 9), share=0.08, stall=0.05)
    if r.random() < 0.10:
        p.add(
            case,
            answered,
            "decline",
            actor,
            behalf=behalf,
            fields={
                "decline_reason": "该事项不属于本单位职权范围，建议转送市场监管部门办理。"
            },
        )
        p.add(
            case,
            p.after(answered, 1, 4),
            "forward",
            officer,
            fields={"forward_to": "江城市市场监督管理局", "forward_by": "附转送单转送"},
        )
        return
    p.add(case, answered, "accept", actor, behalf=behalf)
    if r.random() < 0.07:
        p.add(
            case,
            p.after(answered, 2, 6),
            "extend",
            p.leader(),
            fields={
                "extension_days": r.choice([15, 20, 30]),
                "extension_reason": "案情复杂，需要调取多年申报资料核实，经批准延期办理。",
            },
        )
    opinion = p.wait(answered, 3, 9, (12, 18), share=0.10, stall=0.05)
    p.add(
        case,
        opinion,
        "submit-opinion",
        actor,
        behalf=behalf,
        fields={
            "opinion": "经核查，来信反映情况基本属实，已责令相关单位整改并加强管理。"
        },
    )
    checked = p.after(opinion, 1, 3)
    if r.random() < 0.08:
        p.add(
            case,
            checked,
            "send-back",
            officer,
            fields={
                "send_back_reason": "答复意见未逐项回应来信人诉求，请补充核查情况后重新提交。"
            },
        )
        opinion = p.after(checked, 3, 8)
        p.add(
            case,
            opinion,
            "submit-opinion",
            actor,
            behalf=behalf,
            fields={"opinion": "经补充核查，已逐项回应诉求，相关问题已整改到位。"},
        )
        checked = p.after(opinion, 1, 3)
    p.add(case, checked, "check", officer)
    approved = p.after(checked, 1, 3)
    p.add(case, approved, "approve", p.leader())
    p.add(
        case,
        p.after(approved, 1, 4),
        "reply",
        officer,
        fields={"reply_text": _reply_text()},
    )


def _joint(p: Planner, case: int, day: dt.date, officer: str) -> None:
    units = [u.name for u in p.random.sample(p.departments, 2)]
    p.add(
        case,
        day,
        "propose-joint",
        officer,
        fields={
            "joint_reason": "事项涉及多个部门职责，需协调处理。",
            "joint_units": units,
        },
    )
    approved = p.after(day, 1, 2)
    p.add(case, approved, "approve-joint", "qianmin")
    p.add(
        case,
        p.after(approved, 5, 12),
        "reply",
        officer,
        fields={"reply_text": _reply_text()},
    )


def _reply_text() -> str:
    return (
        "您反映的问题已收悉。经调查核实，相关单位已按规定处理，现将处理结果答复如下：…"
    )


def _flat(fields: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in fields.items():
        if isinstance(value, dict):
            flat.update(_flat(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


# --- building ---------------------------------------------------------------------


def plan_year(
    register: Register, letters: int, visits: int, seed: int, documents: bool = True
) -> Planner:
    planner = Planner(register, seed)
    days = [
        d
        for d in (dt.date(YEAR, 1, 1) + dt.timedelta(n) for n in range(365))
        if d <= CUTOFF - dt.timedelta(days=1)
    ]
    for case in range(letters + visits):
        day = planner.random.choice(days)
        if case < letters:
            plan_letter(planner, case, day)
        else:
            visit_day = (
                day if register.calendar.is_workday(day) else planner.after(day, 1, 1)
            )
            plan_visit(planner, case, min(visit_day, CUTOFF))
    if documents:
        from officectl.demo_documents import plan_documents

        plan_documents(planner, letters + visits)
    return planner


def run(
    register: Register,
    planner: Planner,
    cutoff: dt.date,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Take every planned step dated before ``cutoff``, in date order; return the count."""
    from officectl.gitstore import BatchCommits

    batch = BatchCommits(register.root)
    ids: dict[int, str] = {}
    due = sorted(step for step in planner.steps if step.when.date() < cutoff)
    tz = register.now().tzinfo
    settings = register.settings
    for number, step in enumerate(due, start=1):
        if step.action != "register" and step.case not in ids:
            continue
        person = settings.person(step.by)
        step_input = StepInput(
            person, step.when.replace(tzinfo=tz), step.fields, step.note, step.behalf
        )
        if step.action == "register":
            kind = planner.kinds[step.case]
            ids[step.case] = create(register, kind, step_input, batch).record_id
        else:
            take(register, ids[step.case], step.action, step_input, batch)
        if progress:
            progress(number, len(due))
    batch.flush()
    return len(due)


def build(
    root: Path,
    letters: int = 420,
    visits: int = 110,
    seed: int = YEAR,
    progress: Callable[[int, int], None] | None = None,
) -> Register:
    """Create the example register at ``root`` and fill it with a year of cases."""
    register = Register(create_register(root, example=True))
    planner = plan_year(register, letters, visits, seed)
    run(register, planner, CUTOFF, progress)
    return register


def iter_ids(register: Register) -> Iterator[str]:
    for path in register.record_files():
        yield path.stem


# --- make demo ----------------------------------------------------------------------


def render_samples(register: Register, folder: Path) -> list[Path]:
    """One of each form of each kind, as HTML and Markdown, into ``folder``."""
    from officectl import forms

    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for kind in register.kinds.values():
        if kind.confidential:
            continue  # a classified ledger is printed by the confidential clerk alone
        for form in kind.forms.values():
            record = _first_with(register, kind.name, form.needs)
            if record is None:
                continue
            for fmt in ("html", "md"):
                path = folder / f"{record['id']}-{form.name}.{fmt}"
                path.write_text(
                    forms.render(register, record, form.name, fmt), encoding="utf-8"
                )
                written.append(path)
    return written


def _first_with(
    register: Register, kind: str, needs: tuple[str, ...]
) -> dict[str, Any] | None:
    from officectl import yamlio

    for path in register.record_files(kind):
        data, _ = yamlio.load_file(path)
        if all(data.get(name) not in (None, "") for name in needs):
            return dict(data)
    return None


def main(argv: list[str] | None = None) -> int:
    import argparse
    import sys
    import time

    parser = argparse.ArgumentParser(
        prog="python -m officectl.demo",
        description="Build the example register: the 江城市 office and a year of petitions.",
    )
    parser.add_argument("folder", type=Path, help="where to create the register")
    parser.add_argument("--letters", type=int, default=420)
    parser.add_argument("--visits", type=int, default=110)
    parser.add_argument("--seed", type=int, default=YEAR)
    parser.add_argument("--forms", type=Path, help="also render one of each form here")
    args = parser.parse_args(argv)

    started = time.monotonic()

    def progress(done: int, total: int) -> None:
        if done % 500 == 0 or done == total:
            print(f"  {done}/{total} 步", file=sys.stderr, flush=True)

    register = build(args.folder, args.letters, args.visits, args.seed, progress)
    count = sum(1 for _ in register.record_files())
    print(
        f"已建立示例登记簿 {register.root}：{count} 件记录，"
        f"用时 {time.monotonic() - started:.0f} 秒",
        file=sys.stderr,
    )
    if args.forms:
        written = render_samples(register, args.forms)
        print(f"已生成 {len(written)} 份表单样张于 {args.forms}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
