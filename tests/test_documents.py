"""The document kinds through the command line, on a real register in ``tmp_path``.

收文, 发文, 三密文件, 综合文稿 and 简报 are taken through every path of their workflows
by the people whose posts allow each step, as a clerk would type them. Each refusal the
issue names is a test of its own: the exit code (2 bad input, 3 refused by the
workflow), one line on stderr, and the register exactly as it was.

Most tests start from ``DOCUMENTS``, one register built once with a record of each kind
waiting at the step a test needs; see ``documents``.
"""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result
from hypothesis import given, settings
from hypothesis import strategies as st

from officectl.cli import main
from officectl.errors import BadInput
from officectl.index import open_index
from officectl.kinds import rules_named
from officectl.kinds.documents import missing_standard_fonts, standard_fonts_present
from officectl.register import Register
from officectl.resources import default_dir
from officectl.schemas import SchemaSet
from officectl.yamlio import load_file, to_json

Run = Callable[..., Result]

# One command in shorthand: "do ID ACTION field=value … @person ~date". Values hold no
# spaces; a word with "=" is a --set, "@" is --by and "~" is --date.
Command = str


def args_of(command: Command) -> list[str]:
    """A command in shorthand as the words a clerk types."""
    words: list[str] = []
    for word in command.split():
        if word.startswith("@"):
            words += ["--by", word[1:]]
        elif word.startswith("~"):
            words += ["--date", word[1:]]
        elif "=" in word and not word.startswith("-"):
            words += ["--set", word]
        else:
            words.append(word)
    return words


# A paper document marked 特急 waiting to be presented, an electronic one instructed,
# a paper one being circulated, and an electronic one proposed for reading.
INCOMING: list[Command] = [
    "new incoming medium=纸质 issuer=国家税务总局湖北省税务局"
    " doc_number=鄂税发〔2026〕12号 title=关于做好2026年纳税服务工作的通知"
    " doc_type=通知 urgency=特急 copies=2 pages=6 @zhengyan ~2026-03-02T09:15",
    "do INC-2026-0001 first-check @zhengyan ~2026-03-02T10:00",
    "do INC-2026-0001 propose handling=批办 proposal=拟请钱局长阅示 @lijun"
    " ~2026-03-02T15:00",
    "new incoming medium=电子 issuer=国家税务总局湖北省税务局"
    " title=关于报送一季度税收分析的通知 doc_type=通知 @zhengyan ~2026-03-03T09:00",
    "do INC-2026-0002 first-check @zhengyan ~2026-03-03T09:30",
    "do INC-2026-0002 propose handling=批办 proposal=拟请征管处办理 @zhoufang"
    " ~2026-03-03T10:00",
    "do INC-2026-0002 instruct instruction=同意 unit=collection @sunhao"
    " ~2026-03-03T11:00",
    "new incoming medium=纸质 issuer=江城市人民政府办公室"
    " title=关于开展安全生产检查的通知 doc_type=通知 @fenglei ~2026-03-04T08:40",
    "do INC-2026-0003 first-check @fenglei ~2026-03-04T09:00",
    "do INC-2026-0003 propose handling=批办 proposal=拟请办公室牵头 @lijun"
    " ~2026-03-04T10:00",
    "do INC-2026-0003 present @fenglei ~2026-03-04T10:30",
    "do INC-2026-0003 instruct instruction=同意 @zhaoguoqiang ~2026-03-04T11:00",
    "do INC-2026-0003 distribute unit=office @fenglei ~2026-03-04T14:00",
    "do INC-2026-0003 circulate holder=zhoufang @fenglei ~2026-03-04T15:00",
    "new incoming medium=电子 issuer=国家税务总局湖北省税务局"
    " title=关于转发税收调研报告的通知 doc_type=通知 @zhengyan ~2026-03-05T09:00",
    "do INC-2026-0004 first-check @zhengyan ~2026-03-05T09:10",
    "do INC-2026-0004 propose handling=阅知 proposal=请局领导阅 @lijun"
    " ~2026-03-05T10:00",
]

DRAFT = (
    "title=关于开展2026年税收宣传月活动的通知 doc_type=通知 issuer_code=江税发"
    " drafter=yangfan unit=service main_recipients=各区县税务局,局内各处室"
    " body=为深入开展税收宣传，现将有关事项通知如下。"
)

# Outgoing drafts at review, at signing, done (江税发〔2026〕1号), and an upward one.
OUTGOING: list[Command] = [
    f"new outgoing {DRAFT} direction=下行文 @zhengyan ~2026-03-02",
    "do OUT-2026-0001 first-check @zhengyan ~2026-03-02",
    "do OUT-2026-0001 review @lijun ~2026-03-02",
    f"new outgoing {DRAFT} direction=下行文 @zhengyan ~2026-03-02",
    "do OUT-2026-0002 first-check @zhengyan ~2026-03-02",
    "do OUT-2026-0002 review @lijun ~2026-03-02",
    "do OUT-2026-0002 sign @qianmin ~2026-03-03",
    f"new outgoing {DRAFT} direction=下行文 @zhengyan ~2026-03-02",
    "do OUT-2026-0003 first-check @zhengyan ~2026-03-02",
    "do OUT-2026-0003 review @lijun ~2026-03-02",
    "do OUT-2026-0003 sign @qianmin ~2026-03-03",
    "do OUT-2026-0003 number copies=50 @zhengyan ~2026-03-03",
    "do OUT-2026-0003 typeset @fenglei ~2026-03-04",
    "do OUT-2026-0003 proofread @yangfan ~2026-03-04",
    "do OUT-2026-0003 print @fenglei ~2026-03-04",
    "do OUT-2026-0003 dispatch distribution=各区县税务局,局内各处室"
    " dispatched_copies=45 @fenglei ~2026-03-05",
    f"new outgoing {DRAFT} direction=上行文 main_recipients=江城市人民政府 @zhengyan"
    f" ~2026-03-02",
    "do OUT-2026-0004 first-check @zhengyan ~2026-03-02",
    "do OUT-2026-0004 review @lijun ~2026-03-02",
]

# A 绝密 document back in the confidential room: copy 000001 lent, 000002 approved
# for destruction, 000003 in the room.
CLASSIFIED: list[Command] = [
    "new classified issuer=国家税务总局湖北省税务局 title=某专项工作方案 secrecy=绝密"
    " secrecy_term=30 copy_numbers=000001,000002,000003 @chenjing ~2026-03-02T09:00",
    "do CLS-2026-0001 sort category=文件 @chenjing ~2026-03-02T09:10",
    "do CLS-2026-0001 lend copy=000001 holder=lijun @chenjing ~2026-03-02T09:20",
]

BULLETIN: list[Command] = [
    "new bulletin series=qktb title=一季度税收收入情况 @chuhong ~2026-03-02",
    "new bulletin series=xxjb title=纳税服务工作动态 @chuhong ~2026-03-02",
    "do BUL-2026-0002 add-piece piece_title=东湖区局推行预约办税 piece_source=donghu"
    " @chuhong ~2026-03-02",
    "do BUL-2026-0002 edit @chuhong ~2026-03-02",
    "do BUL-2026-0002 submit @chuhong ~2026-03-02",
    "do BUL-2026-0002 approve @zhoufang ~2026-03-03",
    "do BUL-2026-0002 number @zhengyan ~2026-03-03",
]


def run_all(run: Run, commands: list[Command]) -> None:
    for command in commands:
        result = run(*args_of(command))
        assert result.exit_code == 0, (command, result.output)


@pytest.fixture(scope="session")
def documents(
    built_registers: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """The example register with the records above, built once."""
    root = tmp_path_factory.mktemp("documents") / "register"
    shutil.copytree(built_registers["empty"], root, symlinks=True)
    home = tmp_path_factory.mktemp("home")
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("HOME", str(home))
        monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(home / ".gitconfig"))
        monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
        runner = CliRunner()

        def run(*words: str) -> Result:
            return runner.invoke(main, ["-C", str(root), *words])

        run_all(run, INCOMING + OUTGOING + CLASSIFIED + BULLETIN)
    return root


@pytest.fixture
def docs(register: Path, documents: Path) -> Path:
    """The register fixture, now a copy of ``documents``."""
    shutil.rmtree(register)
    shutil.copytree(documents, register, symlinks=True)
    return register


@pytest.fixture(params=["record files", "index"])
def numbers_from(request: pytest.FixtureRequest, docs: Path, cli: Run) -> str:
    """Where numbers already given are read: the record files, while the register has
    no index yet, or the index, once a report has built it."""
    if request.param == "index":
        assert cli("list").exit_code == 0
        assert (docs / ".git" / "officectl" / "index.sqlite").is_file()
    return str(request.param)


@pytest.fixture
def do(cli: Run) -> Callable[..., Result]:
    """Run one command in shorthand; the result is returned, not judged."""

    def run(command: Command) -> Result:
        return cli(*args_of(command))

    return run


@pytest.fixture
def ok(do: Callable[..., Result]) -> Callable[..., str]:
    """Run commands in shorthand that must succeed; return the last one's output."""

    def run(*commands: Command) -> str:
        output = ""
        for command in commands:
            result = do(command)
            assert result.exit_code == 0, (command, result.output)
            output = result.stdout
        return output

    return run


def record(root: Path, record_id: str) -> dict[str, Any]:
    kind = {
        "INC": "incoming",
        "OUT": "outgoing",
        "CLS": "classified",
        "MSC": "manuscript",
        "BUL": "bulletin",
    }[record_id[:3]]
    path = root / "registers" / kind / record_id[4:8] / f"{record_id}.yaml"
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data


def refused(
    do, untouched, one_line_error, code: int, command: Command, *words: str
) -> str:
    """Run a command that must be refused and leave the register as it was."""
    with untouched():
        result = do(command)
    return one_line_error(result, code, *words)


# --- 收文 ---------------------------------------------------------------------------


def test_paper_document_from_sign_in_to_done(docs, ok, git):
    ok(
        "do INC-2026-0001 present @zhengyan ~2026-03-02T16:00",
        "do INC-2026-0001 instruct instruction=请征管处牵头，纳服处配合"
        " handling_deadline=2026-03-13 unit=collection co_units=service @qianmin"
        " ~2026-03-03T09:00",
        "do INC-2026-0001 circulate holder=qianmin @zhengyan ~2026-03-03T09:30",
        "do INC-2026-0001 circulate holder=sunhao @zhengyan ~2026-03-03T14:00",
        "do INC-2026-0001 return @zhengyan ~2026-03-04T09:00",
        "do INC-2026-0001 distribute @zhengyan ~2026-03-04T09:30",
        "do INC-2026-0001 chase chase_note=电话催问进度 @lijun ~2026-03-11T10:00",
        "do INC-2026-0001 finish result=已按要求落实并报省局 @hanbing"
        " ~2026-03-12T16:00",
    )

    data = record(docs, "INC-2026-0001")
    assert (data["state"], data["incoming_number"], data["received_time"]) == (
        "done",
        1,
        "09:15",
    )
    assert [
        (c["holder"], c["out"][:16], c["back"][:16]) for c in data["circulation"]
    ] == [
        ("qianmin", "2026-03-03T09:30", "2026-03-03T14:00"),
        ("sunhao", "2026-03-03T14:00", "2026-03-04T09:00"),
    ]
    assert "holder" not in data
    assert data["chases"][0]["unit"] == "collection"
    handle = data["deadlines"][0]
    assert (handle["limit"], str(handle["due"]), str(handle["done"])) == (
        "handle",
        "2026-03-13",
        "2026-03-12",
    )
    authors = git("log", "--format=%an", "-3", "--", "registers/incoming").split()
    assert authors == ["韩冰", "李军", "郑燕"]


def test_incoming_numbers_run_per_year(docs, numbers_from, ok):
    # Steps are never dated after today, so the other year is the one before.
    ok(
        "new incoming medium=电子 issuer=国家税务总局 title=年末通知 doc_type=通知"
        " @zhengyan ~2025-12-31T17:00",
        "new incoming medium=电子 issuer=国家税务总局 title=新年通知 doc_type=通知"
        " @zhengyan ~2026-03-06T09:00",
    )

    assert record(docs, "INC-2025-0001")["incoming_number"] == 1
    assert record(docs, "INC-2026-0005")["incoming_number"] == 5


def test_electronic_document_goes_to_the_leader_without_being_presented(
    docs, do, untouched, one_line_error, ok
):
    ok(
        "do INC-2026-0002 distribute @fenglei ~2026-03-03T14:00",
        "do INC-2026-0002 finish result=已报送 @hanbing ~2026-03-10",
    )
    assert record(docs, "INC-2026-0002")["state"] == "done"


def test_document_for_reading_is_closed_after_the_instruction(docs, ok):
    ok(
        "new incoming medium=纸质 issuer=省局 title=情况通报 doc_type=通报 @zhengyan"
        " ~2026-03-05T09:00",
        "do INC-2026-0005 first-check @zhengyan ~2026-03-05T09:10",
        "do INC-2026-0005 propose handling=阅知 proposal=请局领导阅 @lijun"
        " ~2026-03-05T10:00",
        "do INC-2026-0005 present @zhengyan ~2026-03-05T10:10",
        "do INC-2026-0005 instruct instruction=阅 @zhaoguoqiang ~2026-03-05T11:00",
        "do INC-2026-0005 finish result=已阅 @zhengyan ~2026-03-05T15:00",
    )
    assert record(docs, "INC-2026-0005")["state"] == "done"


def test_rejected_document_is_returned_with_the_reason(docs, ok):
    ok(
        "new incoming medium=纸质 issuer=某协会 title=邀请函 doc_type=函 @zhengyan"
        " ~2026-03-05T09:00",
        "do INC-2026-0005 reject reject_reason=不属于本机关办理事项，退回来文单位"
        " @zhengyan ~2026-03-05T09:30",
    )
    data = record(docs, "INC-2026-0005")
    assert (data["state"], data["reject_reason"][:5]) == ("returned", "不属于本机")


PRESENTED = ["do INC-2026-0001 present @zhengyan"]

INCOMING_REFUSALS = {
    # An urgent document needs the deadline its leader sets.
    "urgent-without-deadline": (
        PRESENTED,
        "do INC-2026-0001 instruct instruction=同意 @qianmin",
        2,
        ("特急", "handling_deadline"),
    ),
    # A paper document is presented by the clerk who signed for it…
    "present-by-another": ([], "do INC-2026-0001 present @fenglei", 3, ("收文人郑燕",)),
    # …and reaches the leader only that way.
    "instruct-unpresented": (
        [],
        "do INC-2026-0001 instruct instruction=同意 handling_deadline=2026-12-31"
        " @qianmin",
        3,
        ("present",),
    ),
    # Circulation: nothing comes back that did not go out.
    "return-before-lent": (
        [],
        "do INC-2026-0002 return @zhengyan",
        3,
        ("没有传阅在外",),
    ),
    # A document out on circulation cannot be closed.
    "finish-while-out": (
        [],
        "do INC-2026-0003 finish result=已办 @fenglei",
        3,
        ("周芳持有",),
    ),
    # One lead department, not also a co-handler.
    "lead-twice": (
        [],
        "do INC-2026-0003 chase chase_note=催 co_units=office @fenglei",
        2,
        ("主办部门 office",),
    ),
    # A classified document is not an ordinary incoming one.
    "classified-here": (
        [],
        "new incoming medium=纸质 issuer=省局 title=某件 doc_type=通知 secrecy=机密"
        " @zhengyan",
        2,
        ("new classified",),
    ),
    # The incoming number is officectl's.
    "number-by-hand": (
        [],
        "do INC-2026-0002 distribute incoming_number=9 @zhengyan",
        2,
        ("收文签收登记",),
    ),
    # An electronic document reaches the leader through the document system.
    "electronic-presented": (
        [],
        "do INC-2026-0004 present @zhengyan",
        3,
        ("电子公文",),
    ),
}


@pytest.mark.parametrize("case", INCOMING_REFUSALS)
def test_incoming_refusals(docs, ok, do, untouched, one_line_error, case):
    before, command, code, words = INCOMING_REFUSALS[case]
    ok(*before)
    refused(do, untouched, one_line_error, code, command, *words)


# --- 发文 ---------------------------------------------------------------------------


def test_outgoing_document_from_draft_to_dispatch(docs, ok, git):
    ok(
        "do OUT-2026-0002 number copies=60 @zhengyan ~2026-03-05",
        "do OUT-2026-0002 typeset @fenglei ~2026-03-05",
        "do OUT-2026-0002 proofread @yangfan ~2026-03-06",
        "do OUT-2026-0002 print @fenglei ~2026-03-06",
        "do OUT-2026-0002 dispatch distribution=各区县税务局 dispatched_copies=40"
        " @fenglei ~2026-03-09",
    )

    data = record(docs, "OUT-2026-0002")
    assert data["doc_number"] == "江税发〔2026〕2号"
    assert (str(data["signed_on"]), str(data["written_on"])) == (
        "2026-03-03",
        "2026-03-03",
    )
    assert (data["signer"], data["state"], str(data["printed_on"])) == (
        "qianmin",
        "done",
        "2026-03-06",
    )
    seal = data["deadlines"][0]
    assert (seal["limit"], str(seal["due"]), "late" in seal) == (
        "seal",
        "2026-03-10",
        False,
    )
    subject = git("log", "-1", "--format=%s", "--", "registers/outgoing")
    assert subject.startswith("OUT-2026-0002 dispatch: 用印封发")


def test_each_code_and_year_numbers_from_one(docs, numbers_from, ok):
    ok(
        "do OUT-2026-0001 sign @qianmin ~2026-03-05",
        "do OUT-2026-0001 number copies=10 @zhengyan ~2026-03-05",
        f"new outgoing {DRAFT} direction=平行文 issuer_code=江税函 @zhengyan"
        f" ~2026-03-05",
        "do OUT-2026-0005 first-check @zhengyan ~2026-03-05",
        "do OUT-2026-0005 review @zhoufang ~2026-03-05",
        "do OUT-2026-0005 sign @sunhao ~2026-03-06",
        "do OUT-2026-0005 number copies=5 @zhengyan ~2026-03-06",
        f"new outgoing {DRAFT} direction=下行文 @zhengyan ~2025-12-29",
        "do OUT-2025-0001 first-check @zhengyan ~2025-12-29",
        "do OUT-2025-0001 review @lijun ~2025-12-30",
        "do OUT-2025-0001 sign @qianmin ~2025-12-30",
        "do OUT-2025-0001 number copies=5 @zhengyan ~2025-12-31",
    )

    ids = ["OUT-2026-0001", "OUT-2026-0005", "OUT-2025-0001"]
    numbers = [record(docs, record_id)["doc_number"] for record_id in ids]
    assert numbers == ["江税发〔2026〕2号", "江税函〔2026〕1号", "江税发〔2025〕1号"]


def test_a_number_given_by_hand_is_taken_when_it_is_the_next(docs, ok):
    ok(
        "do OUT-2026-0002 number copies=5 doc_number=江税发〔2026〕2号 @zhengyan"
        " ~2026-03-05"
    )
    assert record(docs, "OUT-2026-0002")["doc_number"] == "江税发〔2026〕2号"


def test_substantive_change_after_signing_goes_back_to_the_signer(
    docs, ok, do, untouched, one_line_error
):
    ok(
        "do OUT-2026-0002 number copies=5 @zhengyan ~2026-03-04",
        "do OUT-2026-0002 revise revision_reason=第三条执行时间由4月改为5月 @yangfan"
        " ~2026-03-05",
    )
    refused(
        do,
        untouched,
        one_line_error,
        3,
        "do OUT-2026-0002 sign @sunhao ~2026-03-05",
        "原签批人钱敏",
    )
    ok(
        "do OUT-2026-0002 sign @qianmin ~2026-03-06",
        "do OUT-2026-0002 number copies=5 @zhengyan ~2026-03-06",
    )

    data = record(docs, "OUT-2026-0002")
    assert (data["doc_number"], str(data["written_on"])) == (
        "江税发〔2026〕2号",
        "2026-03-06",
    )


def test_upward_document_shows_its_signer(docs, ok):
    ok(
        "do OUT-2026-0004 sign @zhaoguoqiang ~2026-03-05",
        "do OUT-2026-0004 number copies=3 @zhengyan ~2026-03-05",
    )
    html = ok("render OUT-2026-0004 document")
    assert "签发人：" in html and "赵国强" in html


OUTGOING_REFUSALS = {
    "leading-zeros": (
        "do OUT-2026-0002 number copies=5 doc_number=江税发〔2026〕02号 @zhengyan",
        2,
        ("不编虚位", "江税发〔2026〕2号"),
    ),
    "di": (
        "do OUT-2026-0002 number copies=5 doc_number=江税发〔2026〕第2号 @zhengyan",
        2,
        ("“第”", "江税发〔2026〕2号"),
    ),
    "brackets": (
        "do OUT-2026-0002 number copies=5 doc_number=江税发[2026]2号 @zhengyan",
        2,
        ("六角括号",),
    ),
    "duplicate": (
        "do OUT-2026-0002 number copies=5 doc_number=江税发〔2026〕1号 @zhengyan",
        2,
        ("OUT-2026-0003", "不能重复"),
    ),
    "gap": (
        "do OUT-2026-0002 number copies=5 doc_number=江税发〔2026〕5号 @zhengyan",
        2,
        ("跳号", "2号"),
    ),
    "other-code": (
        "do OUT-2026-0002 number copies=5 doc_number=江税函〔2026〕1号 @zhengyan",
        2,
        ("江税发",),
    ),
    "number-before-signing": (
        "do OUT-2026-0001 number copies=5 @zhengyan",
        3,
        ("sign",),
    ),
    "number-at-another-step": (
        "do OUT-2026-0001 sign doc_number=江税发〔2026〕2号 @qianmin",
        2,
        ("登记编号（number）",),
    ),
    "written-on-not-signing-date": (
        "do OUT-2026-0002 number copies=5 written_on=2026-03-01 @zhengyan",
        2,
        ("成文日期应为签发日期 2026年3月3日",),
    ),
    "doc-type": (
        f"new outgoing {DRAFT} doc_type=通知书 direction=下行文 @zhengyan",
        2,
        ("通知书", "15 种"),
    ),
    "upward-by-leader-in-charge": (
        "do OUT-2026-0004 sign @qianmin",
        3,
        ("上行文由机关主要负责人签发",),
    ),
    "second-dispatch": (
        "do OUT-2026-0003 dispatch distribution=各处室 dispatched_copies=1 @fenglei",
        3,
        ("已封发",),
    ),
}


@pytest.mark.parametrize("case", OUTGOING_REFUSALS)
def test_outgoing_refusals(docs, do, untouched, one_line_error, case):
    command, code, words = OUTGOING_REFUSALS[case]
    refused(do, untouched, one_line_error, code, command, *words)


def test_only_the_drafter_proofreads(docs, ok, do, untouched, one_line_error):
    ok(
        "do OUT-2026-0002 number copies=5 @zhengyan",
        "do OUT-2026-0002 typeset @fenglei",
    )
    refused(
        do,
        untouched,
        one_line_error,
        3,
        "do OUT-2026-0002 proofread @zhengyan",
        "拟稿人杨帆",
    )


def test_classified_outgoing_keeps_no_text(docs, do, untouched, one_line_error, ok):
    secret = (
        f"new outgoing {DRAFT} direction=下行文 secrecy=秘密 secrecy_term=5 @zhengyan"
    )
    refused(do, untouched, one_line_error, 2, secret, "正文不在 officectl 中保存")
    ok(secret.replace("@zhengyan", "body= @zhengyan"))
    assert "body" not in record(docs, "OUT-2026-0005")


# --- 三密文件 -----------------------------------------------------------------------


CLASSIFIED_REFUSALS = {
    "no-copy-number": (
        "new classified issuer=省局 title=某件 secrecy=机密 secrecy_term=20 @chenjing",
        2,
        ("copy_numbers",),
    ),
    "no-term": (
        "new classified issuer=省局 title=某件 secrecy=机密 copy_numbers=000001"
        " @chenjing",
        2,
        ("secrecy_term",),
    ),
    "term-too-long": (
        "new classified issuer=省局 title=某件 secrecy=秘密 secrecy_term=15"
        " copy_numbers=000001 @chenjing",
        2,
        ("不超过 10 年",),
    ),
    "bad-copy-number": (
        "new classified issuer=省局 title=某件 secrecy=秘密 secrecy_term=5"
        " copy_numbers=12 @chenjing",
        2,
        ("6 位数字",),
    ),
    "content": (
        "new classified issuer=省局 title=某件 secrecy=秘密 secrecy_term=5"
        " copy_numbers=000001 content=会议决定…… @chenjing",
        2,
        ("不保存涉密文件的内容",),
    ),
    "content-later": (
        "do CLS-2026-0001 propose proposal=呈阅 summary=主要内容是…… @lijun",
        2,
        ("summary",),
    ),
    "return-before-lent": (
        "do CLS-2026-0001 return copy=000003 @chenjing",
        3,
        ("份号 000003", "lend"),
    ),
    "lend-twice": (
        "do CLS-2026-0001 lend copy=000001 holder=zhoufang @chenjing",
        3,
        ("借出",),
    ),
    "unknown-copy": (
        "do CLS-2026-0001 lend copy=000009 holder=zhoufang @chenjing",
        2,
        ("000009",),
    ),
    "ledger-by-hand": (
        "do CLS-2026-0001 propose proposal=呈阅 copies=000001 @lijun",
        2,
        ("copies",),
    ),
}


@pytest.mark.parametrize("case", CLASSIFIED_REFUSALS)
def test_classified_refusals(docs, do, untouched, one_line_error, case):
    command, code, words = CLASSIFIED_REFUSALS[case]
    refused(do, untouched, one_line_error, code, command, *words)


ARCHIVED = [
    "do CLS-2026-0001 propose proposal=呈赵局长阅 @lijun ~2026-03-02T10:00",
    "do CLS-2026-0001 present @chenjing ~2026-03-02T10:30",
    "do CLS-2026-0001 instruct instruction=请征管处阅办 @zhaoguoqiang"
    " ~2026-03-02T11:00",
    "do CLS-2026-0001 pass-on unit=collection @chenjing ~2026-03-02T14:00",
    "do CLS-2026-0001 lend copy=000002,000003 holder=hanbing @chenjing"
    " ~2026-03-02T14:05",
    "do CLS-2026-0001 return copy=000001,000002,000003 @chenjing ~2026-03-02T17:00",
    "do CLS-2026-0001 finish result=已传达落实 @hanbing ~2026-03-03T09:00",
    "do CLS-2026-0001 archive @chenjing ~2026-03-03T09:30",
]


def test_classified_copies_from_sign_in_to_destruction(docs, ok):
    ok(
        *ARCHIVED,
        "do CLS-2026-0001 consult copy=000001 reader=xuming purpose=核对政策依据"
        " @chenjing ~2026-04-01T10:00",
        "do CLS-2026-0001 recall copy=000001 @chenjing ~2026-06-01T10:00",
        "do CLS-2026-0001 approve-destroy copy=000002,000003 @lijun ~2026-06-02T10:00",
        "do CLS-2026-0001 destroy copy=000002,000003 destroyed_by=chenjing,zhoufang"
        " destroy_method=碎纸机粉碎 @chenjing ~2026-06-03T10:00",
    )

    data = record(docs, "CLS-2026-0001")
    assert [(c["number"], c["status"]) for c in data["copies"]] == [
        ("000001", "已清退"),
        ("000002", "已销毁"),
        ("000003", "已销毁"),
    ]
    events = [
        (m["event"], m.get("person", ""), len(m["copies"])) for m in data["movements"]
    ]
    assert events == [
        ("签收", "", 3),
        ("分送签收", "lijun", 1),
        ("分送签收", "hanbing", 2),
        ("交还", "lijun", 1),
        ("交还", "hanbing", 2),
        ("查阅", "xuming", 1),
        ("清退", "", 1),
        ("批准销毁", "", 2),
        ("销毁", "", 2),
    ]
    assert data["movements"][-1]["people"] == ["chenjing", "zhoufang"]
    assert data["movements"][-1]["note"] == "清点 2 份，碎纸机粉碎"
    assert not {"copy", "holder", "reader", "destroyed_by"} & set(data)


@pytest.mark.parametrize(
    ("steps", "command", "words"),
    [
        (
            [],
            "do CLS-2026-0001 destroy copy=000003 destroyed_by=chenjing,zhoufang"
            " @chenjing",
            ("approve-destroy",),
        ),
        (
            ["do CLS-2026-0001 approve-destroy copy=000003 @lijun"],
            "do CLS-2026-0001 destroy copy=000003 destroyed_by=chenjing @chenjing",
            ("两人以上",),
        ),
    ],
    ids=["destroy-without-approval", "top-secret-by-one"],
)
def test_destruction_refusals(
    docs, ok, do, untouched, one_line_error, steps, command, words
):
    ok(*ARCHIVED, *steps)
    refused(do, untouched, one_line_error, 3, command, *words)


def test_copies_out_keep_the_document_from_the_archive(
    docs, ok, do, untouched, one_line_error
):
    ok(*ARCHIVED[:4], "do CLS-2026-0001 finish result=已办 @hanbing")
    refused(
        do,
        untouched,
        one_line_error,
        3,
        "do CLS-2026-0001 archive @chenjing",
        "000001（李军）",
    )


# --- 综合文稿 -----------------------------------------------------------------------

OUTLINED = [
    "new manuscript title=2026年全市税务工作报告 genre=工作报告"
    " requested_by=zhaoguoqiang outline=一、2025年工作回顾；二、2026年工作安排"
    " due_on=2026-04-30 @chuhong ~2026-03-02",
]
CONSULTING = [
    *OUTLINED,
    "do MSC-2026-0001 approve-outline @zhaoguoqiang --note 同意，突出重点 ~2026-03-03",
    "do MSC-2026-0001 research research_note=召开处室负责人座谈会 @chuhong ~2026-03-05",
    "do MSC-2026-0001 log-research research_note=赴东湖区局调研 @chuhong ~2026-03-10",
    "do MSC-2026-0001 draft words=9000 @chuhong ~2026-03-20",
    "do MSC-2026-0001 consult consulted=局内各处室,各区县局 consult_until=2026-03-31"
    " @chuhong ~2026-03-23",
    "do MSC-2026-0001 comment comment=建议补充减税降费数据 comment_from=policy1"
    " @chuhong ~2026-03-25",
    "do MSC-2026-0001 comment comment=第二部分再精炼 @xuming ~2026-03-26",
]


@pytest.mark.parametrize(
    "final",
    [
        "approve-final @zhaoguoqiang",
        "adopt-final meeting=2026年第6次局长办公会 @lijun",
    ],
    ids=["by-a-leader", "by-the-office-meeting"],
)
def test_manuscript_from_outline_to_final(docs, ok, final):
    ok(
        *CONSULTING,
        "do MSC-2026-0001 revise revision_note=已吸收全部意见 @chuhong ~2026-04-01",
        "do MSC-2026-0001 send-back send_back_reason=数据口径再核实 @zhaoguoqiang"
        " ~2026-04-02",
        "do MSC-2026-0001 revise revision_note=已核实口径 @chuhong ~2026-04-03",
        f"do MSC-2026-0001 {final} ~2026-04-08",
    )

    data = record(docs, "MSC-2026-0001")
    assert (data["state"], data["version"]) == ("final", 3)
    assert [(c["from"], c["by"], c["version"]) for c in data["comments"]] == [
        ("policy1", "chuhong", 1),
        ("xuming", "xuming", 1),
    ]
    assert [r["note"] for r in data["research"]] == [
        "召开处室负责人座谈会",
        "赴东湖区局调研",
    ]
    limits = {e["limit"]: (str(e["due"]), str(e["done"])) for e in data["deadlines"]}
    assert limits == {
        "finish": ("2026-04-30", "2026-04-08"),
        "consultation": ("2026-03-31", "2026-04-01"),
    }


def test_returned_outline_is_resubmitted(docs, ok):
    ok(
        *OUTLINED,
        "do MSC-2026-0001 return-outline outline_return_reason=结构再调整 @qianmin"
        " ~2026-03-03",
        "do MSC-2026-0001 resubmit-outline outline=一、成绩；二、问题；三、安排"
        " @chuhong ~2026-03-04",
        "do MSC-2026-0001 approve-outline @qianmin ~2026-03-05",
    )
    assert record(docs, "MSC-2026-0001")["state"] == "outline-approved"


def test_comments_are_recorded_only_through_the_step(
    docs, ok, do, untouched, one_line_error
):
    ok(*CONSULTING)
    refused(
        do,
        untouched,
        one_line_error,
        2,
        "do MSC-2026-0001 revise revision_note=改 version=7 @chuhong",
        "version",
    )


# --- 简报 ---------------------------------------------------------------------------


def test_bulletin_issue_numbers_run_per_series_and_year(docs, numbers_from, ok):
    ok(
        "do BUL-2026-0001 add-piece piece_title=一季度税收收入完成情况"
        " piece_source=collection piece_signed_by=qianmin"
        " piece_text=一季度全市税收收入稳步增长。 @chuhong ~2026-03-04",
        "do BUL-2026-0001 edit @chuhong ~2026-03-04",
        "do BUL-2026-0001 submit @chuhong ~2026-03-04",
        "do BUL-2026-0001 send-back send_back_reason=补充分区县数据 @lijun ~2026-03-05",
        "do BUL-2026-0001 add-piece piece_title=各区县局收入情况"
        " piece_source=collection piece_signed_by=qianmin @chuhong ~2026-03-05",
        "do BUL-2026-0001 edit @chuhong ~2026-03-05",
        "do BUL-2026-0001 submit @chuhong ~2026-03-05",
        "do BUL-2026-0001 approve @lijun ~2026-03-06",
        "do BUL-2026-0001 number @zhengyan ~2026-03-06",
        "do BUL-2026-0001 dispatch distribution=局领导,各处室,各区县局 @zhengyan"
        " ~2026-03-06",
        "do BUL-2026-0002 proof @zhengyan ~2026-03-06",
        "do BUL-2026-0002 dispatch distribution=局领导,各处室 @zhengyan ~2026-03-06",
    )

    issues = [
        (
            record(docs, f"BUL-2026-000{n}")["series"],
            record(docs, f"BUL-2026-000{n}")["issue_number"],
        )
        for n in (1, 2)
    ]
    assert issues == [("qktb", 1), ("xxjb", 1)]
    assert len(record(docs, "BUL-2026-0001")["pieces"]) == 2


BULLETIN_REFUSALS = {
    "unsigned-piece": (
        "do BUL-2026-0001 add-piece piece_title=某稿 piece_source=service @chuhong",
        2,
        ("局领导签发",),
    ),
    "signed-by-non-leader": (
        "do BUL-2026-0001 add-piece piece_title=某稿 piece_source=service"
        " piece_signed_by=lijun @chuhong",
        2,
        ("李军不是局领导",),
    ),
    "empty-issue": ("do BUL-2026-0001 edit @chuhong", 3, ("add-piece",)),
    "brief-without-check": (
        "do BUL-2026-0002 dispatch distribution=局领导 @zhengyan",
        3,
        ("核对",),
    ),
}


@pytest.mark.parametrize("case", BULLETIN_REFUSALS)
def test_bulletin_refusals(docs, do, untouched, one_line_error, case):
    command, code, words = BULLETIN_REFUSALS[case]
    refused(do, untouched, one_line_error, code, command, *words)


# --- the register as a whole --------------------------------------------------------


def test_documents_register_validates_clean(docs, cli):
    result = cli("validate")
    assert (result.exit_code, result.output) == (0, "")


def test_validate_names_a_duplicate_number_made_by_hand(
    docs, numbers_from, cli, hand_commit
):
    path = docs / "registers/outgoing/2026/OUT-2026-0003.yaml"
    copy = docs / "registers/outgoing/2026/OUT-2026-0009.yaml"
    text = path.read_text(encoding="utf-8").replace("OUT-2026-0003", "OUT-2026-0009")
    hand_commit(copy, text)

    result = cli("validate", str(docs / "registers/outgoing"))
    assert result.exit_code == 1
    assert "江税发〔2026〕1号 与 OUT-2026-0003 重复" in result.output


def test_validate_names_a_ledger_edited_by_hand(docs, cli, hand_commit):
    path = docs / "registers/classified/2026/CLS-2026-0001.yaml"
    text = path.read_text(encoding="utf-8").replace("status: 借出", "status: 在库", 1)
    hand_commit(path, text.replace("    holder: lijun\n", "", 1))

    result = cli("validate", str(docs / "registers/classified"))
    assert result.exit_code == 1
    assert "份号 000001 的现状与登记簿不符" in result.output


@pytest.mark.parametrize(
    "kind", ["incoming", "outgoing", "classified", "manuscript", "bulletin"]
)
def test_every_document_kind_prints_its_flow(cli, kind):
    result = cli("flow", kind)
    assert result.exit_code == 0, result.output
    assert "stateDiagram" in result.output


FORMS = [
    (
        "INC-2026-0003",
        "slip",
        [
            "收文处理笺",
            "2026年第3号",
            "拟请办公室牵头",
            "李军",
            "赵国强",
            "周芳",
            "（未收回）",
        ],
    ),
    ("OUT-2026-0003", "draft-sheet", ["发文稿纸", "钱敏", "江税发〔2026〕1号", "杨帆"]),
    (
        "OUT-2026-0003",
        "document",
        ["江税发〔2026〕1号", "2026年3月3日", "2026年3月4日印发"],
    ),
    ("CLS-2026-0001", "ledger", ["三密文件登记簿", "000001", "李军", "分送签收"]),
    ("BUL-2026-0002", "issue", ["信息简报", "2026年第1期", "东湖区局推行预约办税"]),
]


@pytest.mark.parametrize(
    ("record_id", "form", "words"), FORMS, ids=[f"{i}-{f}" for i, f, _ in FORMS]
)
@pytest.mark.parametrize("fmt", ["html", "md"])
def test_forms_fill_from_the_record_and_its_history(
    docs, cli, record_id, form, words, fmt
):
    reader = ["--by", "chenjing"] if record_id.startswith("CLS") else []
    result = cli("render", record_id, form, "--format", fmt, *reader)
    assert result.exit_code == 0, result.output
    for word in words:
        assert word in result.output


@pytest.mark.parametrize("command", ["render", "show", "history"])
def test_a_classified_record_is_shown_only_to_its_posts(docs, cli, command):
    refused = cli(command, "CLS-2026-0001", "--by", "wangli")
    allowed = cli(command, "CLS-2026-0001", "--by", "chenjing")

    assert refused.exit_code == 3
    assert "涉密" in refused.stderr and refused.stdout == ""
    assert allowed.exit_code == 0, allowed.output


def test_manuscript_forms(docs, ok):
    ok(*CONSULTING)
    cover = ok("render MSC-2026-0001 cover")
    comments = ok("render MSC-2026-0001 comments --format md")
    assert "同意，突出重点" in cover and "赵国强" in cover
    assert "| 1 | 货物和劳务税处 | 建议补充减税降费数据 |" in comments
    assert "| 2 | 许明 | 第二部分再精炼 |" in comments


def test_the_document_names_its_standard_fonts(docs, cli):
    html = cli("render", "OUT-2026-0003", "document").output
    assert '<meta name="officectl-fonts"' in html
    assert '"仿宋_GB2312"' in html and '"Noto Serif CJK SC"' in html
    assert html.index('"仿宋_GB2312"') < html.index('"Noto Serif CJK SC"')


def test_standard_fonts_are_known_by_family_name():
    installed = [
        "仿宋_GB2312",
        "方正小标宋_GBK",
        "楷体_GB2312",
        "SimHei",
        "SimSun",
        "DejaVu Sans",
    ]
    assert standard_fonts_present(installed)
    assert not standard_fonts_present(["Noto Serif CJK SC", "黑体"])
    assert missing_standard_fonts(["黑体", "SimSun"]) == [
        "仿宋_GB2312",
        "方正小标宋_GBK",
        "楷体_GB2312",
    ]


def test_classified_document_prints_its_copy_number_and_marking(docs, ok):
    ok(
        f"new outgoing {DRAFT} direction=下行文 secrecy=机密 secrecy_term=10 body="
        " @zhengyan ~2026-03-02",
        "do OUT-2026-0005 first-check @zhengyan ~2026-03-02",
        "do OUT-2026-0005 review @lijun ~2026-03-02",
        "do OUT-2026-0005 sign @qianmin ~2026-03-03",
        "do OUT-2026-0005 number copies=5 @zhengyan ~2026-03-03",
    )
    html = ok("render OUT-2026-0005 document")
    assert '<p class="copy-number">000001</p>' in html
    assert "机密★10年" in html
    assert "为深入开展税收宣传" not in html


# --- the demo -----------------------------------------------------------------------


def test_the_demo_plans_only_steps_the_workflows_allow(tmp_path):
    from officectl import demo, demo_documents
    from officectl.engine import check_text
    from officectl.register import Register
    from officectl.setup import create_register

    register = Register(create_register(tmp_path / "demo", example=True))
    planner = demo.Planner(register, seed=demo.YEAR)
    demo_documents.plan_documents(planner, 0, incoming=40, outgoing=12, classified=4)
    demo.run(register, planner, demo.CUTOFF)

    kinds = {path.parent.parent.name for path in register.record_files()}
    assert kinds == {"incoming", "outgoing", "classified", "bulletin", "manuscript"}
    for path in register.record_files():
        text = path.read_text(encoding="utf-8")
        assert check_text(register, text, register.relative(path)) == []


# --- the schema gate ----------------------------------------------------------------


@pytest.fixture(scope="module")
def samples(
    documents: Path, built_registers: dict[str, Path]
) -> list[tuple[str, dict[str, Any]]]:
    """Every record of the documents register and the first letter, as JSON data."""
    files = [
        *sorted((documents / "registers").rglob("*.yaml")),
        *sorted((built_registers["letter"] / "registers").rglob("*.yaml")),
    ]
    records = [to_json(load_file(path)[0]) for path in files]
    return [(record["kind"], record) for record in records]


@pytest.fixture(scope="module")
def shipped_schemas() -> SchemaSet:
    return SchemaSet([default_dir("schemas")])


def test_every_record_the_tool_writes_passes_the_gate(samples, shipped_schemas):
    kinds = {kind for kind, _ in samples}
    assert kinds >= {"letter", "incoming", "outgoing", "classified", "bulletin"}
    for kind, record in samples:
        gate = shipped_schemas.gate(kind)
        assert gate is not None, kind
        assert gate(record), record["id"]


def _places(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path into a record: mapping keys and list positions, nested."""
    places = [path]
    if isinstance(node, dict):
        for key, value in node.items():
            places += _places(value, (*path, key))
    elif isinstance(node, list):
        for position, value in enumerate(node):
            places += _places(value, (*path, position))
    return places


ODD_VALUES = [
    None, True, False, 0, -1, 2, 1.5, [], {}, [1], {"x": 1},
    "", "2026-02-30", "2026-2-3", "2026-03-02", "2026-03-02\n", "2026-03-02T09:00:00+08:00",
    "2026-03-02 09:00", "2026-13-01T09:00:00Z", "2026-03-02T25:00:00+08:00", "li@x",
    "lijun", "绝密", "江税发〔2026〕1号", "LTR-2026-0001", "000001", "1", "x" * 600,
]  # fmt: skip


def _agrees(schemas: SchemaSet, kind: str, record: dict[str, Any]) -> None:
    """The gate may refuse more than jsonschema, never less."""
    if schemas.gate(kind)(record):  # type: ignore[misc]
        found = [error.message for error in schemas.validator(kind).iter_errors(record)]
        assert found == [], (record.get("id"), found)


def _at(record: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        record = record[step]
    return record


def test_the_gate_never_passes_a_value_jsonschema_rejects(samples, shipped_schemas):
    biggest: dict[str, dict[str, Any]] = {}
    for kind, record in samples:
        if len(_places(record)) > len(_places(biggest.get(kind, {}))):
            biggest[kind] = record
    for kind, record in biggest.items():
        for *parent_path, last in _places(record)[1:]:
            for value in ODD_VALUES:
                changed = copy.deepcopy(record)
                _at(changed, tuple(parent_path))[last] = copy.deepcopy(value)
                _agrees(shipped_schemas, kind, changed)


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_the_gate_never_passes_a_record_jsonschema_rejects(
    samples, shipped_schemas, data
):
    kind, record = data.draw(st.sampled_from(samples))
    changed = copy.deepcopy(record)
    for _ in range(data.draw(st.integers(1, 4))):
        places = _places(changed)[1:]
        if not places:
            break
        *parent_path, last = data.draw(st.sampled_from(places))
        parent = _at(changed, tuple(parent_path))
        how = data.draw(st.sampled_from(["set", "drop", "add"]))
        if how == "set":
            parent[last] = copy.deepcopy(data.draw(st.sampled_from(ODD_VALUES)))
        elif how == "drop":
            parent.pop(last)
        elif isinstance(parent, dict):
            parent[data.draw(st.sampled_from(["extra", "note", "备注"]))] = 1
        else:
            parent.append(copy.deepcopy(parent[last]))

    _agrees(shipped_schemas, kind, changed)


@pytest.mark.parametrize(
    "field",
    [
        {"type": "array", "prefixItems": [{"type": "string"}]},
        {"type": "array", "items": [{"type": "string"}]},
        {"type": "string", "format": "uri"},
        {"type": "object", "unevaluatedProperties": False},
    ],
    ids=["prefixItems", "items as a list", "other format", "unevaluated"],
)
def test_a_schema_the_gate_cannot_match_is_left_to_jsonschema(tmp_path, field):
    schemas = _with_odd_field(tmp_path, field)

    assert schemas.gate("odd") is None
    assert schemas.problems("odd", {"id": 1}) != []  # jsonschema still judges it


def _with_odd_field(folder: Path, field: dict[str, Any]) -> SchemaSet:
    """The schemas of a kind "odd" whose records have an id and the field ``odd``."""
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": {"id": {"type": "string"}, "odd": field},
    }
    (folder / "odd.schema.json").write_text(json.dumps(schema), encoding="utf-8")
    return SchemaSet([folder])


# Where fastjsonschema's stricter reading of a keyword would make it the more lenient:
# a "$" that matches only at the very end, under not/if/oneOf; Decimal division; key
# patterns compiled apart from value patterns. Each pair is a field's schema and a value
# jsonschema rejects.
LENIENT_IF_GATED = [
    ({"not": {"pattern": "^secret$"}}, "secret\n"),
    ({"oneOf": [{"pattern": "^a$"}, {"pattern": "a"}]}, "a\n"),
    ({"if": {"pattern": "^a$"}, "then": {"maxLength": 1}}, "a\n"),
    ({"type": "number", "multipleOf": 0.1}, 0.3),
    ({"type": "number", "multipleOf": 0.01}, 19.99),
    (
        {
            "type": "object",
            "patternProperties": {"^a$": {"type": "integer"}},
            "additionalProperties": {"pattern": "^a$"},
        },
        {"a\n": "a"},
    ),
]  # fmt: skip


@pytest.mark.parametrize(("field", "value"), LENIENT_IF_GATED)
def test_the_gate_never_passes_what_its_stricter_reading_would_let_through(
    tmp_path, field, value
):
    schemas = _with_odd_field(tmp_path, field)
    record = {"id": "X-1", "odd": value}

    assert list(schemas.validator("odd").iter_errors(record)) != []
    assert schemas.problems("odd", record) != []


def test_a_pattern_fastjsonschema_cannot_compile_is_left_to_jsonschema(tmp_path):
    schemas = _with_odd_field(tmp_path, {"type": "string", "pattern": "^[^$]*$"})

    assert schemas.problems("odd", {"odd": "a$b"}) != []
    assert schemas.problems("odd", {"odd": "ab"}) == []


def test_references_follow_json_pointer_and_a_missing_one_is_named(tmp_path):
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$defs": {"a/b": {"type": "string"}, "x y": {"type": "integer"}},
        "type": "object",
        "properties": {
            "p": {"$ref": "#/$defs/a~1b"},
            "q": {"$ref": "#/$defs/x%20y"},
        },
    }
    (tmp_path / "odd.schema.json").write_text(json.dumps(schema), encoding="utf-8")
    broken = {**schema, "properties": {"r": {"$ref": "missing.schema.json#/x"}}}
    (tmp_path / "broken.schema.json").write_text(json.dumps(broken), encoding="utf-8")
    schemas = SchemaSet([tmp_path])

    assert schemas.problems("odd", {"p": "text", "q": 3}) == []
    assert len(schemas.problems("odd", {"p": 1, "q": "text"})) == 2
    with pytest.raises(
        BadInput, match=r"broken\.schema\.json: .*missing\.schema\.json#/x"
    ):
        schemas.problems("broken", {"r": 1})


def test_validate_follows_a_number_clash_as_the_records_change(cli, docs, hand_commit):
    """A document's judgement depends on the others' numbers: kept judgements must not
    keep a clash that is gone, nor miss the first holder of a number taken again."""
    assert cli("validate").exit_code == 0
    folder = docs / "registers" / "outgoing" / "2026"
    numbered = [
        p
        for p in sorted(folder.glob("*.yaml"))
        if "doc_number:" in p.read_text("utf-8")
    ]
    first = numbered[0]
    text = first.read_text(encoding="utf-8")
    copy = folder / "OUT-2026-0099.yaml"
    hand_commit(copy, text.replace(first.stem, "OUT-2026-0099"))

    clash = cli("validate")

    assert clash.exit_code == 1
    flagged = {
        line.split(":")[0] for line in clash.stdout.splitlines() if "重复" in line
    }
    assert flagged == {docs_path(first), docs_path(copy)}  # as a cold run finds
    subprocess.run(["git", "rm", "-q", str(first)], cwd=docs, check=True)
    subprocess.run(
        ["git", "-c", "user.name=手工", "-c", "user.email=hand@example.invalid",
         "commit", "-q", "-m", "删除"], cwd=docs, check=True,
    )  # fmt: skip
    assert cli("validate").exit_code == 0  # the clash went with the record


def docs_path(path: Path) -> str:
    return "/".join(path.parts[path.parts.index("registers") :])


def test_index_keeps_the_number_of_every_document(docs):
    register = Register(docs)
    expected = set()
    for path in sorted((docs / "registers").rglob("*.yaml")):
        data = load_file(path)[0]
        rules = rules_named(register.kinds[data["kind"]].rules)
        found = getattr(rules, "number_of", lambda data: None)(data)
        if found is not None:
            expected.add((data["kind"], data["id"], *found))

    with open_index(register) as index:
        kept = {(kind, *row) for kind in register.kinds for row in index.numbers(kind)}

    assert kept == expected
    assert {kind for kind, *_ in kept} == {"incoming", "outgoing", "bulletin"}
