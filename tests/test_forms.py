"""Printed forms, on a real register built in ``tmp_path`` with records written by hand.

Every shipped form of both petition kinds is compared with a golden file in
``tests/golden/<kind>-<form>.<fmt>``. After a deliberate change to a template or to the
records below, regenerate them and read the diff before committing::

    UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_forms.py
"""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from officectl import engine, forms, yamlio
from officectl.errors import Refused
from officectl.forms import FormError
from officectl.register import Register
from officectl.resources import default_dir
from officectl.workflow import load_kind

GOLDEN = Path(__file__).parent / "golden"
FORMS = ["registration", "transfer-slip", "reply", "extension"]
INJECTION = "张三<img src=x onerror=alert(1)>"

SETTINGS = """\
office: 江城市税务局办公室
bureau: 江城市税务局
timezone: Asia/Shanghai
people:
  - {id: wangfang, name: 王芳, posts: [petition-officer]}
  - {id: lijun, name: 李军, posts: [leader-in-charge]}
  - {id: zhaolei, name: 赵磊, posts: [staff], department: zsk}
departments:
  - {id: zsk, name: 征收管理科, head: zhaolei}
bureaus:
  - {id: dhq, name: 东湖区税务局}
"""

# A letter taken the whole way: assigned to 征收管理科, the close limit extended by 30
# days, the unit's opinion late, approved and answered. Written as the engine writes.
LETTER = """\
id: LTR-2026-0001
kind: letter
state: closed
received: 2026-03-02
channel: 邮寄
petitioner:
  name: 李四
  id_number: '110101198001010011'
  phone: 010-12345678
  address: 江城市人民路 1 号
title: 发票退票纠纷
content: |-
  反映某企业拒绝开具发票。
  请求查处。
handler: wangfang
unit: zsk
extension_days: 30
extension_reason: 需调取企业账簿核实
opinion: 经核实，企业已补开发票。
reply_text: |-
  经核实，该企业已于 4 月 8 日补开发票。
  对其未按规定开具发票的行为已依法处理。
disposition: 答复
deadlines:
  - {limit: register, label: 登记, start: 2026-03-02, due: 2026-03-05, done: 2026-03-03}
  - {limit: handle, label: 办理, start: 2026-03-02, due: 2026-03-23, done: 2026-03-04}
  - limit: close
    label: 办结
    start: 2026-03-02
    original_due: 2026-05-06
    due: 2026-06-01
    extended: 30
    done: 2026-04-15
  - limit: accept
    label: 承办单位告知是否受理
    start: 2026-03-04
    due: 2026-03-11
    done: 2026-03-06
  - limit: reply
    label: 书面答复信访人
    start: 2026-03-04
    due: 2026-04-03
    done: 2026-04-15
    late: 7
  - limit: opinion
    label: 承办单位提交答复意见
    start: 2026-03-06
    due: 2026-03-23
    done: 2026-04-10
    late: 13
history:
  - {action: register, to: registered, by: wangfang, at: '2026-03-03T09:00:00+08:00'}
  - action: assign
    from: registered
    to: assigned
    by: wangfang
    at: '2026-03-04T09:00:00+08:00'
    note: 请核实后提出答复意见
  - action: accept
    from: assigned
    to: accepted
    by: zhaolei
    at: '2026-03-06T09:00:00+08:00'
  - action: extend
    from: accepted
    to: accepted
    by: lijun
    at: '2026-03-20T09:00:00+08:00'
  - action: submit-opinion
    from: accepted
    to: reviewing
    by: zhaolei
    at: '2026-04-10T09:00:00+08:00'
  - action: check
    from: reviewing
    to: checked
    by: wangfang
    at: '2026-04-13T09:00:00+08:00'
  - action: approve
    from: checked
    to: approved
    by: lijun
    at: '2026-04-14T09:00:00+08:00'
  - action: reply
    from: approved
    to: closed
    by: wangfang
    at: '2026-04-15T09:00:00+08:00'
"""

# A group visit of twelve with the five representatives the rules allow; one visitor
# needed a doctor. Assigned, extended by 15 days, answered.
VISIT = """\
id: VST-2026-0001
kind: visit
state: closed
visited_on: 2026-03-09
visit_time: '09:30'
group: true
visitors: 12
petitioner:
  name: 赵一
  id_number: '420102198505051234'
  phone: '13900000001'
  address: 江城市工业园 8 号
representatives:
  - {name: 赵一, phone: '13900000001', work_unit: 江城制造有限公司}
  - {name: 钱二, phone: '13900000002', work_unit: 江城制造有限公司}
  - {name: 孙三, phone: '13900000003', work_unit: 江城制造有限公司}
  - {name: 周四, phone: '13900000004', address: 江城市东湖区 3 号}
  - {name: 吴五, phone: '13900000005', id_number: '42010219900101567X'}
title: 企业职工个税汇算退税
content: 十二名职工反映个税汇算退税迟迟未到账。
handler: wangfang
interview_notes: |-
  听取代表陈述，登记各人退税申请时间。
  代表要求一周内答复。
transfer_slip: true
medical_note: 一名来访人血压升高，已通知医务室。
unit: zsk
extension_days: 15
extension_reason: 需与银行核对退库信息
opinion: 退税款已于 3 月 20 日退库到账。
reply_text: 经核实，12 名职工的个人所得税汇算退税款已于 3 月 20 日全部退库到账。
disposition: 答复
deadlines:
  - {limit: register, label: 登记, start: 2026-03-09, due: 2026-03-09, done: 2026-03-09}
  - {limit: handle, label: 办理, start: 2026-03-09, due: 2026-03-30, done: 2026-03-10}
  - limit: close
    label: 办结
    start: 2026-03-09
    original_due: 2026-05-08
    due: 2026-05-25
    extended: 15
    done: 2026-03-27
  - limit: accept
    label: 承办单位告知是否受理
    start: 2026-03-10
    due: 2026-03-17
    done: 2026-03-12
  - limit: reply
    label: 书面答复信访人
    start: 2026-03-10
    due: 2026-04-09
    done: 2026-03-27
  - limit: opinion
    label: 承办单位提交答复意见
    start: 2026-03-12
    due: 2026-03-27
    done: 2026-03-24
history:
  - {action: register, to: registered, by: wangfang, at: '2026-03-09T09:40:00+08:00'}
  - action: interview
    from: registered
    to: interviewed
    by: wangfang
    at: '2026-03-09T10:00:00+08:00'
  - action: medical-aid
    from: interviewed
    to: interviewed
    by: wangfang
    at: '2026-03-09T10:20:00+08:00'
    note: 医务室已处置
  - action: assign
    from: interviewed
    to: assigned
    by: wangfang
    at: '2026-03-10T10:00:00+08:00'
  - action: accept
    from: assigned
    to: accepted
    by: zhaolei
    at: '2026-03-12T10:00:00+08:00'
  - action: extend
    from: accepted
    to: accepted
    by: lijun
    at: '2026-03-13T10:00:00+08:00'
  - action: submit-opinion
    from: accepted
    to: reviewing
    by: zhaolei
    at: '2026-03-24T10:00:00+08:00'
  - action: check
    from: reviewing
    to: checked
    by: wangfang
    at: '2026-03-25T10:00:00+08:00'
  - action: approve
    from: checked
    to: approved
    by: lijun
    at: '2026-03-26T10:00:00+08:00'
  - action: reply
    from: approved
    to: closed
    by: wangfang
    at: '2026-03-27T10:00:00+08:00'
"""

RECORDS = {"letter": LETTER, "visit": VISIT}


@pytest.fixture
def office(tmp_path: Path) -> Register:
    """A register with a roster, one department with its head and one lower bureau."""
    root = tmp_path / "register"
    root.mkdir()
    (root / "officectl.yaml").write_text(SETTINGS, encoding="utf-8")
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return Register(root)


def commit_roster(register: Register) -> None:
    """Commit ``officectl.yaml``: a step is refused while the roster is uncommitted."""
    git = ["git", "-C", str(register.root), "-c", "user.name=t", "-c", "user.email=t@x"]
    subprocess.run([*git, "add", "officectl.yaml"], check=True)
    subprocess.run([*git, "commit", "-qm", "名册"], check=True)


def write_record(register: Register, text: str) -> dict[str, Any]:
    """Write a record file where it belongs and load it as the CLI would."""
    record_id = yamlio.loads(text)[0]["id"]
    path = register.record_path(record_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    data: dict[str, Any] = yamlio.load_file(path)[0]
    return data


def own_template(register: Register, name: str, text: str) -> None:
    path = register.root / "templates" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def matches_golden(name: str, text: str) -> bool:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.is_file(), f"{path} 不存在：用 UPDATE_GOLDEN=1 生成"
    return text == path.read_text(encoding="utf-8")


# --- every form --------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["html", "md"])
@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("kind", ["letter", "visit"])
def test_every_form_renders_as_its_golden_file(office, kind, form, fmt):
    record = write_record(office, RECORDS[kind])

    text = forms.render(office, record, form, fmt)

    assert office.kind(kind).forms[form].label in text
    assert record["id"] in text
    assert "None" not in text
    assert matches_golden(f"{kind}-{form}.{fmt}", text)


@pytest.mark.parametrize("kind", ["letter", "visit"])
def test_both_kinds_print_the_same_four_forms(office, kind):
    assert forms.form_names(office, kind) == FORMS


@pytest.mark.parametrize("kind", ["letter", "visit"])
def test_no_form_name_means_the_first(office, kind):
    record = write_record(office, RECORDS[kind])

    assert forms.render(office, record, None) == forms.render(office, record, FORMS[0])


def test_an_html_form_is_a_whole_printable_page(office):
    record = write_record(office, LETTER)

    page = forms.render(office, record, "registration", "html")

    assert page.startswith('<!DOCTYPE html>\n<html lang="zh-CN">')
    assert '<meta charset="utf-8">' in page
    assert "@page { size: A4;" in page
    # The standard fonts first, then free ones a Linux machine has.
    assert page.index('"仿宋_GB2312"') < page.index('"Noto Serif CJK SC"')
    assert '"方正小标宋_GBK", "小标宋", "Noto Serif CJK SC", serif' in page
    assert '<p class="office">江城市税务局办公室</p>' in page


# --- what the forms say ------------------------------------------------------------


def test_registration_shows_the_petitioners_full_data(office):
    record = write_record(office, LETTER)

    page = forms.render(office, record, "registration", "html")

    for value in ["110101198001010011", "010-12345678", "江城市人民路 1 号"]:
        assert value in page
    assert "2026年3月2日" in page


def test_group_visit_lists_its_five_representatives(office):
    record = write_record(office, VISIT)

    for fmt in ["html", "md"]:
        text = forms.render(office, record, "registration", fmt)
        assert "代表（5 人）" in text
        for name, phone in [("钱二", "13900000002"), ("吴五", "13900000005")]:
            assert name in text and phone in text
        assert "42010219900101567X" in text


def test_transfer_slip_gives_the_unit_its_time_limits(office):
    record = write_record(office, LETTER)

    slip = forms.render(office, record, "transfer-slip", "md")

    assert "征收管理科：" in slip
    assert "| 交办日期 | 2026年3月4日 |" in slip
    assert "| 承办单位告知是否受理 | 7 日 | 2026年3月4日 | 2026年3月11日 |" in slip
    assert "| 承办单位提交答复意见 | 15 日 | 2026年3月6日 | 2026年3月23日 |" in slip
    assert "| 全案办结 | 60 日（延长 30 日） | 2026年3月2日 | 2026年6月1日 |" in slip
    # The unit has no use for the petitioner's contact data.
    assert "010-12345678" not in slip


def test_transfer_slip_before_acceptance_counts_from_receipt(office):
    record = write_record(office, LETTER)
    record["deadlines"] = [d for d in record["deadlines"] if d["limit"] != "opinion"]

    slip = forms.render(office, record, "transfer-slip", "md")

    assert "| 承办单位提交答复意见 | 15 日 | 自受理之日 |  |" in slip


def test_reply_is_addressed_to_the_petitioner(office):
    record = write_record(office, LETTER)

    letter = forms.render(office, record, "reply", "html")

    assert '<p class="addressee">李四：</p>' in letter
    assert "<p>对其未按规定开具发票的行为已依法处理。</p>" in letter
    assert '<p class="signature">江城市税务局</p>' in letter
    assert '<p class="date">2026年4月15日</p>' in letter


def test_extension_shows_both_due_dates_and_the_approving_leader(office):
    record = write_record(office, LETTER)

    form = forms.render(office, record, "extension", "md")

    # 60 days from 3/2 is 5/1, Labour Day, so the original due date is 5/6.
    assert "| 原办结期限 | 2026年5月6日 |" in form
    assert "| 申请延长 | 30 日 |" in form
    assert "| 延长后期限 | 2026年6月1日 |" in form
    assert "| 延期理由 | 需调取企业账簿核实 |" in form
    assert "| 审批人 | 李军 |" in form
    assert "| 审批日期 | 2026年3月20日 |" in form


def test_a_person_gone_from_the_roster_prints_as_their_id(office):
    record = write_record(office, LETTER)
    record["handler"] = "retired"

    assert "<td>retired</td>" in forms.render(office, record, "registration")


# --- escaping (R1) -----------------------------------------------------------------


@pytest.mark.parametrize("form", FORMS)
def test_html_escapes_what_a_petitioner_wrote(office, form):
    record = write_record(office, VISIT)
    record["petitioner"]["name"] = INJECTION

    page = forms.render(office, record, form, "html")

    assert "张三&lt;img src=x onerror=alert(1)&gt;" in page
    assert "<img" not in page


@pytest.mark.parametrize("form", FORMS)
def test_markdown_keeps_what_a_petitioner_wrote_as_text(office, form):
    record = write_record(office, LETTER)
    record["petitioner"]["name"] = INJECTION
    record["title"] = "收费|不公 [详情](javascript:alert(1)) `x`"

    text = forms.render(office, record, form, "md")

    assert "<img" not in text
    assert "张三&lt;img src=x onerror=alert(1)&gt;" in text
    assert r"收费\|不公 \[详情\](javascript:alert(1)) \`x\`" in text


def test_an_escaped_pipe_keeps_a_markdown_table_row_whole(office):
    record = write_record(office, LETTER)
    record["title"] = "甲|乙|丙"

    text = forms.render(office, record, "registration", "md")

    row = next(line for line in text.splitlines() if line.startswith("| 事由 |"))
    assert len(re.findall(r"(?<!\\)\|", row)) == 3


# --- a register's own templates -----------------------------------------------------


def test_a_register_template_overrides_the_shipped_one(office):
    record = write_record(office, LETTER)
    own_template(
        office,
        "letter/reply.html.j2",
        "本局格式：{{ record.petitioner.name }}，{{ date_cn(record.received) }}\n",
    )

    assert forms.render(office, record, "reply") == "本局格式：李四，2026年3月2日\n"
    assert "来信登记表" in forms.render(office, record, "registration")
    assert "来访" in forms.render(office, write_record(office, VISIT), "reply")


@pytest.mark.parametrize(
    "source, named",
    [
        ("{{ recrod.title }}", "recrod"),
        ("{{ record.titel }}", "titel"),
        ("{{ persn(record.handler) }}", "persn"),
        ("{{ field('petitioner.phon') }}", "petitioner.phon"),
    ],
)
def test_a_misspelt_name_is_an_error_not_a_blank(office, source, named):
    """R2: the form must not go out with an empty cell where a value belongs."""
    record = write_record(office, LETTER)
    own_template(
        office, "letter/registration.html.j2", f"<p>登记</p>\n<p>{source}</p>\n"
    )

    with pytest.raises(FormError) as caught:
        forms.render(office, record, "registration")

    assert named in str(caught.value)
    assert "templates/letter/registration.html.j2:2" in str(caught.value)


def test_a_template_syntax_error_names_file_and_line(office):
    record = write_record(office, LETTER)
    own_template(office, "letter/reply.md.j2", "答复\n{% if record.title %}\n")

    with pytest.raises(
        FormError, match=r"templates/letter/reply\.md\.j2:\d+: 模板语法错误"
    ):
        forms.render(office, record, "reply", "md")


def test_a_register_template_cannot_reach_past_its_values(office):
    record = write_record(office, LETTER)
    own_template(office, "letter/reply.html.j2", "{{ kind.__class__.__mro__ }}\n")

    with pytest.raises(
        FormError, match=r"templates/letter/reply\.html\.j2:1: 模板错误"
    ):
        forms.render(office, record, "reply")


# --- refusals -----------------------------------------------------------------------


def test_an_unknown_form_lists_the_known_ones(office):
    record = write_record(office, VISIT)

    with pytest.raises(FormError) as caught:
        forms.render(office, record, "receipt")

    assert "receipt" in str(caught.value)
    for name in FORMS:
        assert name in str(caught.value)


def test_a_form_whose_fields_are_missing_says_which(office):
    record = write_record(office, LETTER)
    del record["reply_text"]

    with pytest.raises(FormError, match=r"reply_text（答复内容）"):
        forms.render(office, record, "reply")


def test_an_unknown_format_is_refused(office):
    record = write_record(office, LETTER)

    with pytest.raises(FormError, match="html、md"):
        forms.render(office, record, "reply", "pdf")


@pytest.mark.parametrize(
    "value, text",
    [
        (dt.date(2026, 3, 2), "2026年3月2日"),
        ("2026-10-01", "2026年10月1日"),
        ("2026-12-31T23:30:00+08:00", "2026年12月31日"),
        (None, ""),
    ],
)
def test_date_cn_writes_dates_without_zero_padding(value, text):
    assert forms.date_cn(value) == text


# --- the visit kind, as data ----------------------------------------------------------


@pytest.mark.parametrize("kind", ["letter", "visit"])
def test_the_records_above_are_valid(office, kind):
    text = RECORDS[kind]
    record_id = yamlio.loads(text)[0]["id"]
    name = office.relative(office.record_path(record_id))

    assert engine.check_text(office, text, name) == []


def test_a_group_visit_has_at_most_five_representatives(office):
    """《信访工作条例》第二十条：代表人数不得超过 5 人。"""
    text = VISIT.replace("representatives:\n", "representatives:\n  - {name: 郑六}\n")
    name = "registers/visit/2026/VST-2026-0001.yaml"

    messages = [f.message for f in engine.check_text(office, text, name)]

    assert messages == ["representatives（代表）: 最多 5 项，现有 6 项"]


def test_visit_workflow_file_parses_with_its_limits():
    kind = load_kind(default_dir("workflows") / "visit.yaml")

    assert (kind.name, kind.label, kind.prefix, kind.year_field) == (
        "visit",
        "来访",
        "VST",
        "visited_on",
    )
    register = kind.limits["register"]
    assert (register.length, register.unit, register.date_field) == (
        0,
        "days",
        "visited_on",
    )
    assert kind.limits["handle"].describe() == "15 个工作日"
    assert kind.actions["refer-police"].target is None
    assert kind.actions["medical-aid"].requires == ("medical_note",)
    assert "representatives.*.phone" in kind.masked


def test_joint_handling_needs_the_leader_in_charge(office):
    """The engine takes a visit through joint handling to filing (备案)."""
    settings = office.settings
    commit_roster(office)
    zone = ZoneInfo("Asia/Shanghai")

    def step(person: str, day: int, **fields: Any) -> engine.StepInput:
        when = dt.datetime(2026, 3, day, 10, 0, tzinfo=zone)
        return engine.StepInput(settings.person(person), when, fields)

    created = engine.create(
        office,
        "visit",
        step(
            "wangfang",
            2,
            visited_on=dt.date(2026, 3, 2),
            **{"petitioner.name": "王五"},
            title="多部门职责交叉",
            content="涉及税务与市场监管",
        ),
    )
    record_id = created.record_id
    engine.take(
        office, record_id, "interview", step("wangfang", 2, interview_notes="已接谈")
    )
    police = engine.take(
        office, record_id, "refer-police", step("wangfang", 2, police_note="劝阻无效")
    )
    assert police.state == "interviewed"
    joint = {"joint_reason": "涉及多部门", "joint_units": ["市场监管局"]}
    engine.take(office, record_id, "propose-joint", step("wangfang", 3, **joint))
    with pytest.raises(Refused):
        engine.take(office, record_id, "approve-joint", step("zhaolei", 4))
    engine.take(office, record_id, "approve-joint", step("lijun", 4))
    filed = engine.take(office, record_id, "file", step("wangfang", 20))

    record = yamlio.load_file(filed.path)[0]
    assert (record["state"], record["disposition"]) == ("closed", "备案")
    registered = next(d for d in record["deadlines"] if d["limit"] == "register")
    assert registered["due"] == dt.date(2026, 3, 2)
