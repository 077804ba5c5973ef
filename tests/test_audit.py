"""The audit trail: replaying history finds every change made outside officectl's rules."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from officectl import audit, demo, engine, ids, sync
from officectl.cli import COMMANDS, main
from officectl.register import Register
from officectl.setup import create_register

TEAM = {
    "audit": ("team", "audit", "Report commits that broke officectl's rules."),
    "hooks": ("team", "hooks", "Install git hooks that keep bad records out."),
}

ID = "LTR-2026-0001"
RELATIVE = "registers/letter/2026/LTR-2026-0001.yaml"
ASSIGN = ["do", ID, "assign", "--set", "unit=donghu", "--by", "wangli"]
WANGLI = ["-c", "user.name=王丽", "-c", "user.email=wangli@jiangcheng-tax.example"]


@pytest.fixture(autouse=True)
def team_commands(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, entry in TEAM.items():
        monkeypatch.setitem(COMMANDS, name, entry)


def sha_of(git, rev: str = "HEAD") -> str:
    return git("rev-parse", rev).strip()[:10]


def findings(result) -> list[str]:
    assert result.exit_code == (1 if result.stdout else 0), result.output
    return result.stdout.splitlines()


# --- clean history ------------------------------------------------------------------


def small_demo(root: Path, letters: int, visits: int) -> Register:
    """The demo's year of letters and visits, every step through the engine."""
    register = Register(create_register(root, example=True))
    planner = demo.plan_year(register, letters, visits, demo.YEAR, documents=False)
    demo.run(register, planner, demo.CUTOFF)
    return register


def test_a_register_kept_by_officectl_audits_clean(tmp_path, runner):
    register = small_demo(tmp_path / "demo", letters=30, visits=8)

    result = runner.invoke(main, ["-C", str(register.root), "audit"])

    assert result.exit_code == 0, result.output
    assert result.stdout == "" and result.stderr == ""


def test_audit_reads_history_with_a_fixed_number_of_git_processes(
    tmp_path, runner, monkeypatch
):
    register = small_demo(tmp_path / "demo", letters=12, visits=3)
    started: list[list[str]] = []
    real = subprocess.Popen.__init__

    def counting(self, args, *rest, **options):
        started.append(list(args))
        real(self, args, *rest, **options)

    monkeypatch.setattr(subprocess.Popen, "__init__", counting)
    commits = int(
        subprocess.run(["git", "rev-list", "--count", "HEAD"], cwd=register.root,
                       capture_output=True, text=True, check=True).stdout
    )  # fmt: skip

    result = runner.invoke(main, ["-C", str(register.root), "audit"])

    assert result.exit_code == 0, result.output
    assert commits > 50
    assert len(started) <= 4, started


def test_judging_on_several_cores_finds_the_same_as_on_one(
    tmp_path, runner, monkeypatch
):
    register = small_demo(tmp_path / "demo", letters=12, visits=3)
    record = next(register.record_files())
    text = record.read_text(encoding="utf-8")
    record.write_text(text.replace("kind: ", "note: 手工\nkind: ", 1), encoding="utf-8")
    subprocess.run(
        ["git", *WANGLI, "commit", "-qam", "手工"], cwd=register.root, check=True
    )
    one = runner.invoke(main, ["-C", str(register.root), "audit"])
    monkeypatch.setattr(audit, "PARALLEL_FROM", 1)
    monkeypatch.setattr(audit, "BATCH", 20)

    several = runner.invoke(main, ["-C", str(register.root), "audit"])

    assert one.exit_code == several.exit_code == 1
    assert several.stdout == one.stdout
    assert "手工修改" in one.stdout and "note" in one.stdout


# --- what the audit finds ------------------------------------------------------------


def test_a_hand_edit_that_bypasses_the_workflow_is_found(cli, git, letter, hand_commit):
    text = letter.read_text(encoding="utf-8")
    hand_commit(letter, text.replace("state: registered", "state: closed"))

    lines = findings(cli("audit"))

    sha = sha_of(git)
    assert lines == [
        f"{sha}: 提交作者 手工 <hand@example.invalid> 不在名册中",
        f"{sha} {RELATIVE}: 手工修改：提交不是 officectl 办理产生的（没有 Officectl-Action），"
        "绕过了流程",
        f"{sha} {RELATIVE}:3: state: 状态为“已办结”，按办理记录应为“已登记”："
        "没有流程动作能解释这一状态",
    ]


def test_a_step_by_a_person_whose_post_does_not_allow_it_is_found(
    cli, git, letter, monkeypatch
):
    monkeypatch.setattr(engine, "_check_person", lambda *args: None)
    assert (
        cli("do", ID, "assign", "--set", "unit=donghu", "--by", "zhengyan").exit_code
        == 0
    )

    lines = findings(cli("audit"))

    assert lines == [
        f"{sha_of(git)} {RELATIVE}: 郑燕（zhengyan）的岗位（书记岗（文书））不能交办；"
        "须由信访管理岗办理"
    ]


def test_an_author_who_is_not_the_acting_person_is_found(cli, git, letter):
    assert cli(*ASSIGN).exit_code == 0
    git("-c", "user.name=外人", "-c", "user.email=x@example.invalid", "commit", "-q",
        "--amend", "--no-edit", "--reset-author")  # fmt: skip

    lines = findings(cli("audit"))

    assert lines == [f"{sha_of(git)}: 提交作者 外人 <x@example.invalid> 不在名册中"]


def test_a_history_entry_that_disagrees_with_its_commit_is_found(cli, git, letter):
    assert cli(*ASSIGN).exit_code == 0
    message = git("log", "-1", "--format=%B").replace(
        "Action: assign", "Action: inform"
    )
    git(*WANGLI, "commit", "-q", "--amend", "-m", message)

    lines = findings(cli("audit"))

    assert (
        f"{sha_of(git)} {RELATIVE}: 办理记录的 action 为 assign，提交记的却是 inform"
        in lines
    )


def test_a_record_that_fails_validation_is_found(cli, git, letter, hand_commit):
    text = letter.read_text(encoding="utf-8")
    hand_commit(letter, text.replace("received: 2026-03-02", "received: 2026-02-30"))

    lines = findings(cli("audit"))

    assert any(
        line.startswith(f"{sha_of(git)} {RELATIVE}:4: received") for line in lines
    )


def test_a_record_deleted_by_hand_is_found(cli, git, letter):
    git("rm", "-q", RELATIVE)
    git(*WANGLI, "commit", "-q", "-m", "删除")

    lines = findings(cli("audit"))

    assert f"{sha_of(git)} {RELATIVE}: 记录被删除：officectl 从不删除记录" in lines


def test_since_audits_only_the_commits_after_it(cli, git, letter, hand_commit):
    hand_commit(letter, letter.read_text(encoding="utf-8") + "# 手工补充\n")
    assert cli(*ASSIGN).exit_code == 0

    since_hand_edit = cli("audit", "--since", "HEAD~1")
    with_it = cli("audit", "--since", "HEAD~2")
    bad = cli("audit", "--since", "no-such-rev")

    assert since_hand_edit.exit_code == 0 and since_hand_edit.stdout == ""
    assert with_it.exit_code == 1 and "手工修改" in with_it.stdout
    assert bad.exit_code == 2 and "no-such-rev" in bad.stderr


def test_require_signed_finds_every_unsigned_commit(
    cli, git, register, letter, tmp_path
):
    key = tmp_path / "key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)],
                   check=True)  # fmt: skip
    public = key.with_suffix(".pub").read_text().split()
    (tmp_path / "allowed").write_text(f"* {public[0]} {public[1]}\n")
    for name, value in [
        ("gpg.format", "ssh"),
        ("user.signingkey", str(key)),
        ("gpg.ssh.allowedSignersFile", str(tmp_path / "allowed")),
        ("commit.gpgsign", "true"),
    ]:
        git("config", name, value)
    unsigned = sha_of(git)
    assert cli(*ASSIGN).exit_code == 0

    everything = findings(cli("audit", "--require-signed"))
    signed_since = cli("audit", "--require-signed", "--since", unsigned)

    assert everything == [
        f"{sha_of(git, 'HEAD~2')}: 提交没有签名",
        f"{unsigned}: 提交没有签名",
    ]
    assert signed_since.exit_code == 0 and signed_since.stdout == ""


def test_a_merge_that_drops_a_colleagues_step_is_found(cli, git, letter):
    git("switch", "-q", "-c", "side")
    assert (
        cli("do", ID, "inform", "--set", "informed=甲", "--by", "wangli").exit_code == 0
    )
    git("switch", "-q", "main")
    assert cli(*ASSIGN).exit_code == 0
    git(*WANGLI, "merge", "-q", "-s", "ours", "--no-edit", "side")

    lines = findings(cli("audit"))

    assert lines == [f"{sha_of(git)} {RELATIVE}: 合并丢失了一方的办理记录"]


def test_a_merge_made_by_the_officectl_merge_driver_audits_clean(
    cli, git, register, letter
):
    sync._configure(register)
    git("switch", "-q", "-c", "side")
    assert (
        cli("do", ID, "inform", "--set", "informed=甲", "--by", "wangli").exit_code == 0
    )
    git("switch", "-q", "main")
    assert cli(*ASSIGN).exit_code == 0
    git(*WANGLI, "merge", "-q", "--no-edit", "side")

    result = cli("audit")

    assert result.exit_code == 0, result.output
    text = (register / RELATIVE).read_text(encoding="utf-8")
    assert "informed: 甲" in text and "unit: donghu" in text


def test_number_blocks_changed_by_hand_are_found(cli, git, register):
    lease = ids.Lease("LTR", 2026, 1, 500, "aaaaaaaaaaaa", "wangli")
    leases = ids.Leases(500, (lease,))
    (register / ids.LEASES).write_text(ids.dumps(leases), encoding="utf-8")
    git("add", ids.LEASES)
    git(*WANGLI, "commit", "-q", "-m", "领取编号段")
    overlapping = ids.Lease("LTR", 2026, 400, 900, "bbbbbbbbbbbb", "wuqiang")
    text = ids.dumps(ids.Leases(500, (lease, overlapping)))
    (register / ids.LEASES).write_text(text, encoding="utf-8")
    git(*WANGLI, "commit", "-q", "-am", "领取编号段")

    lines = findings(cli("audit"))

    assert lines == [
        f"{sha_of(git)} ids.yaml: 编号段 LTR-2026 400–900 与已领取的 LTR-2026 1–500 重叠"
    ]


# --- the pre-commit hook -------------------------------------------------------------


def _hand_commit(register: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", *WANGLI, "commit", "-m", "hand", *extra], cwd=register,
        capture_output=True, text=True, env={**os.environ, "LC_ALL": "C.UTF-8"},
        check=False,
    )  # fmt: skip


def test_the_hook_refuses_a_commit_that_breaks_a_record(cli, git, register, letter):
    assert cli("hooks", "install").exit_code == 0
    text = letter.read_text(encoding="utf-8")
    letter.write_text(
        text.replace("state: registered", "state: closed"), encoding="utf-8"
    )
    git("add", RELATIVE)

    refused = _hand_commit(register)

    assert refused.returncode == 1
    assert f"{RELATIVE}:3: state: 状态为“已办结”" in refused.stderr
    assert git("rev-list", "--count", "HEAD") == "2\n"


def test_the_hook_checks_what_is_staged_not_the_working_file(
    cli, git, register, letter
):
    assert cli("hooks", "install").exit_code == 0
    text = letter.read_text(encoding="utf-8")
    letter.write_text(text.replace("title: 反映", "title: 再次反映"), encoding="utf-8")
    git("add", RELATIVE)
    letter.write_text(
        text.replace("state: registered", "state: closed"), encoding="utf-8"
    )

    accepted = _hand_commit(register)

    assert accepted.returncode == 0, accepted.stderr
    assert "state: registered" in git("show", f"HEAD:{RELATIVE}")


def test_officectl_steps_pass_the_hook(cli, git, register, letter):
    assert cli("hooks", "install").exit_code == 0

    result = cli(*ASSIGN)

    assert result.exit_code == 0, result.output
    assert git("rev-list", "--count", "HEAD") == "3\n"


def test_hooks_install_keeps_someone_elses_hook(cli, register, one_line_error):
    hook = register / ".git" / "hooks" / "pre-commit"
    hook.write_text("#!/bin/sh\nexit 0\n", encoding="utf-8")

    refused = cli("hooks", "install")
    again = cli("hooks", "install", "--force")
    twice = cli("hooks", "install")

    one_line_error(refused, 4, "--force")
    assert again.exit_code == 0 and twice.exit_code == 0
    assert "officectl.cli.team hooks pre-commit" in hook.read_text(encoding="utf-8")
    assert os.access(hook, os.X_OK)


# --- commits officectl makes for many records at once --------------------------------

LEDGER_MAP = """\
sheet: 来信台账
header_row: 1
date: 登记日期
columns:
  来信日期: received
  姓名: petitioner.name
  来信事由: title
  主要内容: content
status:
  column: 办理状态
  then:
    已登记: []
    已交办:
      - action: assign
        columns: {承办单位: unit}
    已审批:
      - action: assign
        columns: {承办单位: unit}
      - accept
      - action: submit-opinion
        constants: {opinion: 经核查，已整改。}
      - check
      - action: approve
        by: qianmin
    已转送:
      - action: forward
        constants: {forward_to: 市信访局, forward_by: 附转送单转送}
"""
LEDGER = """\
来信日期,登记日期,姓名,来信事由,主要内容,办理状态,承办单位
2026/3/2,2026/3/4,甲,反映问题一,内容一,,
2026/3/3,2026/3/5,乙,反映问题二,内容二,已交办,donghu
2026/3/4,2026/3/6,丙,反映问题三,内容三,已审批,collection
2026/9/21,2026/9/22,丁,反映问题四,内容四,已转送,
"""


@pytest.fixture
def imported(cli, git, register, tmp_path) -> str:
    """Four letters imported from a ledger in one commit by 王丽; the commit's id."""
    (tmp_path / "map.yaml").write_text(LEDGER_MAP, encoding="utf-8")
    (tmp_path / "台账.csv").write_text(LEDGER, encoding="utf-8")
    result = cli("import", "letter", str(tmp_path / "台账.csv"), "-m",
                 str(tmp_path / "map.yaml"), "--by", "wangli")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert len(git("show", "--name-only", "--format=", "HEAD").split()) == 4
    return sha_of(git)


def amend(git, path: Path, old: str, new: str, *identity: str) -> str:
    """Change a record in the last commit by hand, keeping its message and author."""
    text = path.read_text(encoding="utf-8")
    assert old in text, text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    git(*(identity or WANGLI), "commit", "-q", "-a", "--amend", "-C", "HEAD")
    return sha_of(git)


def test_an_import_of_many_records_with_their_steps_audits_clean(cli, imported):
    result = cli("audit")

    assert result.exit_code == 0, result.output
    assert result.stdout == ""


def test_an_import_that_creates_a_record_in_a_later_state_is_found(
    cli, git, register, imported
):
    path = register / "registers/letter/2026/LTR-2026-0001.yaml"
    sha = amend(git, path, "state: registered", "state: closed")

    lines = findings(cli("audit"))

    assert lines == [
        f"{sha} registers/letter/2026/LTR-2026-0001.yaml:3: state: 状态为“已办结”，"
        "按办理记录应为“已登记”：没有流程动作能解释这一状态"
    ]


def test_an_import_with_its_limits_moved_is_found(cli, git, register, imported):
    path = register / "registers/letter/2026/LTR-2026-0003.yaml"
    sha = amend(git, path, "due: 2026-04-07", "due: 2026-05-07")

    lines = findings(cli("audit"))

    assert lines == [
        f"{sha} registers/letter/2026/LTR-2026-0003.yaml: "
        "deadlines[4].due 改为 2026-05-07，按流程应为 2026-04-07"
    ]


def test_an_import_that_changes_a_record_already_there_is_found(
    cli, git, letter, imported
):
    sha = amend(git, letter, "title: 反映物业收费问题", "title: 已改")

    lines = findings(cli("audit"))

    assert f"{sha} {RELATIVE}: 导入只能新建记录，这次却改动了已有的记录" in lines


def test_an_import_by_someone_whose_post_may_not_register_is_found(
    cli, git, register, tmp_path, monkeypatch
):
    monkeypatch.setattr(engine, "_check_person", lambda *args: None)
    (tmp_path / "map.yaml").write_text(LEDGER_MAP, encoding="utf-8")
    (tmp_path / "台账.csv").write_text(LEDGER.split("2026/3/3")[0], encoding="utf-8")
    result = cli("import", "letter", str(tmp_path / "台账.csv"), "-m",
                 str(tmp_path / "map.yaml"), "--by", "qianmin")  # fmt: skip
    assert result.exit_code == 0, result.output

    lines = findings(cli("audit"))

    assert lines == [
        f"{sha_of(git)} registers/letter/2026/LTR-2026-0001.yaml: "
        "history[0]: 来信登记（register）: 钱敏（qianmin）的岗位（分管局领导）不能来信登记；"
        "须由信访管理岗、书记岗（文书）办理"
    ]


def test_a_step_passed_off_as_an_import_is_found(cli, git, letter):
    assert cli(*ASSIGN).exit_code == 0
    message = git("log", "-1", "--format=%B").replace(
        "Action: assign", "Action: import"
    )
    git(*WANGLI, "commit", "-q", "--amend", "-m", message)

    lines = findings(cli("audit"))

    sha = sha_of(git)
    assert f"{sha}: 导入提交没有写明台账（Officectl-Source）" in lines
    assert f"{sha} {RELATIVE}: 导入只能新建记录，这次却改动了已有的记录" in lines


QIANMIN = ["-c", "user.name=钱敏", "-c", "user.email=qianmin@jiangcheng-tax.example"]
SECOND_LETTER = ["new", "letter", "--set", "received=2026-03-09", "--set",
                 "petitioner.name=李四", "--set", "title=反映问题", "--set",
                 "content=内容", "--by", "wangli", "--date", "2026-03-10"]  # fmt: skip


@pytest.fixture
def chased(cli, git, letter, tmp_path) -> str:
    """Two letters whose handling limits ran out in March, chased on 1 April."""
    assert cli(*SECOND_LETTER).exit_code == 0
    slips = str(tmp_path / "催办单.html")
    result = cli("chase", "--as-of", "2026-04-01", "--by", "wangli", "-o", slips)
    assert result.exit_code == 0, result.output
    assert len(git("show", "--name-only", "--format=", "HEAD").split()) == 2
    return sha_of(git)


def test_chases_of_many_records_audit_clean(cli, git, chased, tmp_path):
    slips = str(tmp_path / "催办单.html")
    assert (
        cli("chase", "--as-of", "2026-04-08", "--by", "wangli", "-o", slips).exit_code
        == 0
    )
    assert "2026-04-08" in git("show", "HEAD")

    result = cli("audit")

    assert result.exit_code == 0, result.output
    assert result.stdout == ""


def test_a_chase_that_also_moves_a_due_date_or_the_state_is_found(
    cli, git, letter, chased
):
    text = letter.read_text(encoding="utf-8")
    moved = text.replace("due: 2026-05-06", "due: 2027-05-06")
    letter.write_text(moved.replace("state: registered", "state: closed"), "utf-8")
    git(*WANGLI, "commit", "-q", "-a", "--amend", "-C", "HEAD")

    lines = findings(cli("audit"))

    sha = sha_of(git)
    assert lines == [
        f"{sha} {RELATIVE}: deadlines[2].due 改为 2027-05-06，按流程应为 2026-05-06",
        f"{sha} {RELATIVE}:3: state: 状态为“已办结”，按办理记录应为“已登记”："
        "没有流程动作能解释这一状态",
    ]


def test_a_chase_of_a_limit_not_yet_overdue_is_found(cli, git, letter, chased):
    text = letter.read_text(encoding="utf-8")
    noted = text.replace("due: 2026-05-06\n", "due: 2026-05-06\n    chased:\n"
                         "      - 2026-04-01\n")  # fmt: skip
    letter.write_text(noted, "utf-8")
    git(*WANGLI, "commit", "-q", "-a", "--amend", "-C", "HEAD")

    lines = findings(cli("audit"))

    assert lines == [
        f"{sha_of(git)} {RELATIVE}: deadlines[2]: 时限 2026-05-06 在 2026-04-01 "
        "尚未逾期，不能催办"
    ]


def test_a_chase_by_someone_whose_post_does_not_chase_is_found(cli, git, chased):
    message = git("log", "-1", "--format=%B").replace("wangli", "qianmin")
    git(*QIANMIN, "commit", "-q", "--amend", "--reset-author", "-m", message)

    lines = findings(cli("audit"))

    assert lines == [
        f"{sha_of(git)}: 钱敏（qianmin） 不能催办；"
        "须由书记岗（文书）、机要保密岗、办公室副主任、办公室主任、信访管理岗办理"
    ]


# --- a step that changes what the step would not --------------------------------------


def test_a_step_that_also_moves_the_due_dates_is_found(cli, git, letter):
    """A real step, committed by hand in officectl's own words, that also moves the
    limits a year on: validate and the hook pass it; the replay does not."""
    inform = ["do", ID, "inform", "--set", "informed=甲", "--by", "wangli"]
    assert cli(*inform, "--date", "2026-03-20").exit_code == 0
    text = letter.read_text(encoding="utf-8")
    moved = text.replace("due: 2026-03-23", "due: 2027-03-23")
    letter.write_text(moved.replace("due: 2026-05-06", "due: 2027-05-06"), "utf-8")
    git(*WANGLI, "commit", "-q", "-a", "--amend", "-C", "HEAD")
    assert cli("validate").exit_code == 0

    lines = findings(cli("audit"))

    sha = sha_of(git)
    assert lines == [
        f"{sha} {RELATIVE}: deadlines[1].due 改为 2027-03-23，按流程应为 2026-03-23",
        f"{sha} {RELATIVE}: deadlines[2].due 改为 2027-05-06，按流程应为 2026-05-06",
    ]


def test_a_step_that_leaves_what_its_action_sets_is_found(cli, git, letter):
    store = ["do", ID, "store", "--set", "store_reason=重复来信", "--by", "wangli"]
    assert cli(*store, "--date", "2026-03-20").exit_code == 0
    sha = amend(git, letter, "disposition: 存信", "disposition: 答复")

    lines = findings(cli("audit"))

    assert lines == [f"{sha} {RELATIVE}: disposition 改为 答复，按流程应为 存信"]


def test_a_step_that_closes_a_limit_it_does_not_stop_is_found(cli, git, letter):
    assert cli(*ASSIGN, "--date", "2026-03-20").exit_code == 0
    sha = amend(
        git, letter, "due: 2026-05-06\n", "due: 2026-05-06\n    done: 2026-03-20\n"
    )

    lines = findings(cli("audit"))

    assert lines == [
        f"{sha} {RELATIVE}: deadlines[2].done 为 2026-03-20，按流程不应有此项"
    ]


# --- dates counted before a year's notice came out -----------------------------------

# Received on 30 November 2026: its 60-day limit ends on 29 January 2027, counted
# before 2027's notice (weekends only, provisional).
LATE_LETTER = [
    "new", "letter", "--set", "received=2026-11-30", "--set", "petitioner.name=李四",
    "--set", "title=反映问题", "--set", "content=内容", "--by", "wangli",
    "--date", "2026-11-30",
]  # fmt: skip
CALENDAR_2027 = """\
years:
  2027:
    complete: true
    holidays: [2027-01-01, 2027-01-29, 2027-02-19]
    workdays: []
"""


def test_dates_counted_before_the_office_entered_the_year_audit_clean(
    cli, git, register
):
    assert cli(*LATE_LETTER).exit_code == 0
    path = register / "registers/letter/2026/LTR-2026-0001.yaml"
    assert "due: 2027-01-29\n    provisional: true" in path.read_text("utf-8")
    (register / "calendar.yaml").write_text(CALENDAR_2027, encoding="utf-8")
    git(*WANGLI, "commit", "-q", "-am", "录入 2027 年放假安排")
    inform = ["do", "LTR-2026-0001", "inform", "--set", "informed=甲"]
    result = cli(*inform, "--by", "wangli", "--date", "2026-12-01")
    assert result.exit_code == 0, result.output

    result = cli("audit")

    assert result.exit_code == 0, result.output
    assert result.stdout == ""


@pytest.mark.parametrize("due, clean", [("2026-10-12", True), ("2026-10-13", False)])
def test_a_provisional_date_is_checked_by_weekends_alone(cli, git, letter, due, clean):
    """2026's notice moved 国庆 into the handling limit of a letter received on 21
    September; counted before the notice, 15 working days ended on 12 October."""
    late = ["new", "letter", "--set", "received=2026-09-21", "--set",
            "petitioner.name=李四", "--set", "title=反映问题", "--set", "content=内容",
            "--by", "wangli", "--date", "2026-09-22"]  # fmt: skip
    assert cli(*late).exit_code == 0
    path = letter.parent / "LTR-2026-0002.yaml"
    text = path.read_text(encoding="utf-8")
    for old in ("due: 2026-09-24\n", "due: 2026-11-20\n"):
        text = text.replace(old, f"{old}    provisional: true\n")
    path.write_text(text, encoding="utf-8")
    sha = amend(git, path, "due: 2026-10-19\n", f"due: {due}\n    provisional: true\n")

    result = cli("audit")

    if clean:
        assert result.exit_code == 0, result.output
        assert result.stdout == ""
    else:
        assert (
            f"{sha} registers/letter/2026/LTR-2026-0002.yaml: "
            f"deadlines[1].due 改为 {due}，按流程应为 2026-10-19"
        ) in findings(result)


def test_an_extension_longer_than_the_workflow_allows_is_found(cli, git, letter):
    extend = ["do", ID, "extend", "--set", "extension_days=30", "--set",
              "extension_reason=情况复杂", "--by", "qianmin", "--date", "2026-04-01"]  # fmt: skip
    assert cli(*extend).exit_code == 0
    sha = amend(git, letter, "extension_days: 30", "extension_days: 40", *QIANMIN)

    lines = findings(cli("audit"))

    assert (
        f"{sha} {RELATIVE}: 按流程不能这样办理：延期办理最多 30 日，申请了 40 日"
        in lines
    )
