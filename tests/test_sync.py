"""Several clerks: three clones of one register, a bare remote, and officectl sync."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from officectl import ids
from officectl.cli import COMMANDS, main
from officectl.engine import StepInput, create
from officectl.gitstore import BatchCommits
from officectl.register import Register
from officectl.sync import merge_data, merge_text

# The command table entries officectl.cli lists for these commands.
TEAM = {
    "sync": ("team", "sync", "Merge colleagues' steps with yours; push."),
    "audit": ("team", "audit", "Report commits that broke officectl's rules."),
    "hooks": ("team", "hooks", "Install git hooks that keep bad records out."),
    "repair": ("team", "repair", "Explain and clear what a killed command left."),
}

ID = "LTR-2026-0001"
RELATIVE = "registers/letter/2026/LTR-2026-0001.yaml"
LETTER = [
    "new", "letter", "--set", "received=2026-03-02", "--set", "petitioner.name=张三",
    "--set", "title=反映物业收费问题", "--set", "content=小区物业费上涨未公示",
]  # fmt: skip


@pytest.fixture(autouse=True)
def team_commands(monkeypatch: pytest.MonkeyPatch) -> None:
    """The commands as the command table lists them; numbers from ``ids.next_id``."""
    for name, entry in TEAM.items():
        monkeypatch.setitem(COMMANDS, name, entry)
    monkeypatch.setattr(Register, "next_id", lambda self, k, y: ids.next_id(self, k, y))


def git(root: Path, *args: str, check: bool = True) -> str:
    done = subprocess.run(
        ["git", *args], cwd=root, capture_output=True, text=True, check=False,
        env={**os.environ, "LC_ALL": "C.UTF-8"},
    )  # fmt: skip
    assert done.returncode == 0 or not check, f"git {args}: {done.stderr}"
    return done.stdout


CLERKS = {"a": "wangli", "b": "wuqiang", "c": "zhengyan"}  # each clone's clerk


class Office:
    """A register's bare remote and the clones of three clerks: a, b and c."""

    def __init__(self, folder: Path, runner: CliRunner) -> None:
        self.folder = folder
        self.runner = runner
        first = folder / "first"
        assert runner.invoke(main, ["init", str(first), "--example"]).exit_code == 0
        self.remote = folder / "remote.git"
        git(folder, "clone", "-q", "--bare", str(first), str(self.remote))
        for name in CLERKS:
            git(folder, "clone", "-q", str(self.remote), str(folder / name))

    def path(self, clone: str) -> Path:
        return self.folder / clone

    def run(self, clone: str, *args: str) -> Result:
        return self.runner.invoke(main, ["-C", str(self.path(clone)), *args])

    def sync(self, clone: str, *args: str) -> Result:
        return self.run(clone, "sync", "--by", CLERKS[clone], *args)

    def git(self, clone: str, *args: str) -> str:
        return git(self.path(clone), *args)

    def head(self, clone: str) -> str:
        return self.git(clone, "rev-parse", "HEAD").strip()

    def remote_head(self) -> str:
        return git(self.remote, "rev-parse", "main").strip()

    def record(self, clone: str, relative: str = RELATIVE) -> str:
        return (self.path(clone) / relative).read_text(encoding="utf-8")


@pytest.fixture
def office(tmp_path: Path, runner: CliRunner) -> Office:
    return Office(tmp_path, runner)


@pytest.fixture
def shared_letter(office: Office) -> Office:
    """LTR-2026-0001 registered on a and synced to every clone."""
    ok(office.sync("a"))
    result = office.run("a", *LETTER, "--by", "wangli")
    assert result.stdout.strip() == ID, result.output
    for clone in "abc":
        ok(office.sync(clone))
    return office


def ok(result: Result) -> Result:
    assert result.exit_code == 0, (result.stdout, result.stderr)
    return result


# --- numbers ----------------------------------------------------------------------


def test_a_clone_numbers_only_from_blocks_leased_at_sync(office, one_line_error):
    before = office.head("a")

    result = office.run("a", *LETTER, "--by", "wangli")

    one_line_error(result, 4, "编号段", "officectl sync")
    assert office.head("a") == before
    assert office.git("a", "status", "--porcelain", "--untracked-files=all") == ""


def test_sync_leases_blocks_in_one_commit_by_the_clerk(office):
    ok(office.sync("a"))
    ok(office.sync("b"))

    log = git(office.remote, "log", "--format=%an|%ae|%cn%n%(trailers:only)", "main")
    assert log.count("王丽|wangli@jiangcheng-tax.example|王丽") == 1
    assert log.count("吴强|wuqiang@jiangcheng-tax.example|吴强") == 1
    assert "Officectl-Action: lease-ids" in log
    leases = ids.parse(office.record("b", ids.LEASES)).of("LTR", 2026)
    assert [(x.first, x.last, x.by) for x in leases] == [
        (1, 500, "wangli"),
        (501, 1000, "wuqiang"),
    ]
    assert office.head("a") != office.head("b") == office.remote_head()


def test_a_hundred_records_offline_on_each_of_three_clones(office, tmp_path):
    for clone in "abc":
        ok(office.sync(clone))
    offline = tmp_path / "remote-unreachable.git"
    office.remote.rename(offline)
    made: dict[str, list[str]] = {}
    for index, clone in enumerate("abc"):
        made[clone] = _register_letters(office.path(clone), CLERKS[clone], 100, index)
    assert office.sync("a").exit_code == 4  # no network: nothing happens
    offline.rename(office.remote)

    for clone in "abcab":
        ok(office.sync(clone))

    every = made["a"] + made["b"] + made["c"]
    assert len(set(every)) == 300
    assert made["a"][0] == "LTR-2026-0001" and made["a"][-1] == "LTR-2026-0100"
    assert made["b"][0] == "LTR-2026-0501" and made["c"][0] == "LTR-2026-1001"
    assert office.head("a") == office.head("b") == office.remote_head()
    ok(office.sync("c"))
    files = sorted(
        p.stem for p in (office.path("c") / "registers/letter/2026").glob("*.yaml")
    )
    assert files == sorted(every)
    assert office.run("c", "validate").exit_code == 0
    ok(office.run("c", "audit"))


def _register_letters(root: Path, person_id: str, count: int, seed: int) -> list[str]:
    """``count`` letters registered through the engine, committed in one batch."""
    register = Register(root)
    person = register.settings.person(person_id)
    batch = BatchCommits(root)
    moment = register.now()  # the commits' dates: git counts on them being in order
    made = []
    for number in range(count):
        fields = {
            "received": dt.date(2026, 3, 2),
            "petitioner.name": f"来信人{seed}-{number}",
            "title": f"反映问题 {number}",
            "content": "内容",
        }
        step = StepInput(person, moment + dt.timedelta(seconds=number), fields)
        made.append(create(register, "letter", step, batch).record_id)
    batch.flush()
    return made


def test_running_out_of_numbers_offline_says_to_sync(office, one_line_error):
    a = office.path("a")
    _commit_by_hand(a, ids.LEASES, "block: 2\nleases: []\n")
    git(a, "push", "-q", "origin", "main")
    ok(office.sync("a"))
    made = [office.run("a", *LETTER, "--by", "wangli").stdout.strip() for _ in range(2)]

    result = office.run("a", *LETTER, "--by", "wangli")
    ok(office.sync("a"))
    again = office.run("a", *LETTER, "--by", "wangli")

    assert made == ["LTR-2026-0001", "LTR-2026-0002"]
    one_line_error(result, 4, "已用完", "officectl sync")
    assert ok(again).stdout.strip() == "LTR-2026-0003"


def test_a_year_without_a_block_is_leased_at_the_next_sync(office, one_line_error):
    ok(office.sync("a"))
    old_letter = [*LETTER, "--by", "wangli"]
    old_letter[3] = "received=2024-12-30"

    refused = office.run("a", *old_letter)
    ok(office.sync("a"))
    again = office.run("a", *old_letter)

    one_line_error(refused, 4, "LTR-2024", "officectl sync")
    assert ok(again).stdout.strip() == "LTR-2024-0001"


def _commit_by_hand(root: Path, name: str, text: str) -> None:
    (root / name).write_text(text, encoding="utf-8")
    git(root, "add", "--", name)
    git(root, "-c", "user.name=管理员", "-c", "user.email=admin@example.invalid",
        "commit", "-q", "-m", "hand edit")  # fmt: skip


# --- two clerks, one record -------------------------------------------------------


def test_steps_on_different_fields_of_one_record_merge(shared_letter):
    office = shared_letter
    ok(office.run("a", "do", ID, "assign", "--set", "unit=donghu", "--by", "wangli"))
    ok(office.run("b", "do", ID, "extend", "--set", "extension_days=10",
                  "--set", "extension_reason=需实地核查", "--by", "qianmin"))  # fmt: skip
    ok(office.sync("a"))

    result = ok(office.sync("b"))

    assert "推送 1 个提交" in result.stderr
    text = office.record("b")
    assert "unit: donghu" in text and "state: assigned" in text
    assert "extended: 10" in text and "extension_reason: 需实地核查" in text
    actions = [line.split(": ")[1] for line in text.splitlines() if "- action:" in line]
    assert actions == ["register", "assign", "extend"] or actions == [
        "register",
        "extend",
        "assign",
    ]
    ok(office.sync("c"))
    assert office.record("c") == text
    assert office.run("c", "validate").exit_code == 0
    assert ok(office.run("c", "audit")).stdout == ""


def test_the_same_field_changed_on_both_sides_stops_and_shows_both(shared_letter):
    office = shared_letter
    inform = ["do", ID, "inform", "--by"]
    ok(office.run("a", *inform, "wangli", "--set", "informed=东湖区信访局"))
    ok(office.run("b", *inform, "wuqiang", "--set", "informed=西山区信访局"))
    ok(office.sync("a"))
    pushed = office.remote_head()

    result = office.sync("b")

    assert result.exit_code == 1
    assert (
        f"{RELATIVE}: informed: 远端 东湖区信访局 ≠ 本地 西山区信访局" in result.stdout
    )
    assert "--continue" in result.stderr and "--abort" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert office.remote_head() == pushed
    text = office.record("b")
    assert (
        "<<<<<<< 远端\ninformed: 东湖区信访局\n=======\ninformed: 西山区信访局\n"
        in text
    )
    assert office.run("b", *LETTER, "--by", "wuqiang").exit_code == 4


def test_abort_puts_the_clone_back_as_before_the_sync(shared_letter):
    office = shared_letter
    ok(office.run("a", "do", ID, "inform", "--set", "informed=甲", "--by", "wangli"))
    ok(office.run("b", "do", ID, "inform", "--set", "informed=乙", "--by", "wuqiang"))
    ok(office.sync("a"))
    before, text = office.head("b"), office.record("b")
    assert office.sync("b").exit_code == 1

    ok(office.sync("b", "--abort"))

    assert office.head("b") == before and office.record("b") == text
    assert office.git("b", "status", "--porcelain") == ""
    assert office.sync("b").exit_code == 1  # the conflict is still there to resolve


def test_continue_after_resolving_pushes_the_resolution(shared_letter):
    office = shared_letter
    ok(office.run("a", "do", ID, "inform", "--set", "informed=甲", "--by", "wangli"))
    ok(office.run("b", "do", ID, "inform", "--set", "informed=乙", "--by", "wuqiang"))
    ok(office.sync("a"))
    assert office.sync("b").exit_code == 1
    path = office.path("b") / RELATIVE
    marked = path.read_text(encoding="utf-8")

    refused = office.sync("b", "--continue")
    path.write_text(
        marked.replace("<<<<<<< 远端\ninformed: 甲\n=======\ninformed: 乙\n>>>>>>> 本地\n",
                       "informed: 甲、乙\n"),
        encoding="utf-8",
    )  # fmt: skip
    result = office.sync("b", "--continue")

    assert refused.exit_code == 1 and "冲突标记" in refused.stdout
    ok(result)
    assert office.head("b") == office.remote_head()
    assert "informed: 甲、乙" in office.record("b")
    assert office.record("b").count("- action: inform") == 2
    assert ok(office.run("b", "audit")).stdout == ""
    authors = office.git("b", "log", "-2", "--format=%an|%cn")
    assert authors == "吴强|吴强\n王丽|王丽\n"


def test_a_state_changed_on_both_sides_is_a_conflict_and_skip_drops_mine(shared_letter):
    office = shared_letter
    ok(office.run("a", "do", ID, "assign", "--set", "unit=donghu", "--by", "wangli"))
    ok(office.run("b", "do", ID, "assign", "--set", "unit=donghu", "--by", "wuqiang"))
    ok(office.sync("a"))

    result = office.sync("b")
    skipped = office.sync("b", "--skip")

    assert result.exit_code == 1 and "state: " in result.stdout
    ok(skipped)
    assert office.head("b") == office.remote_head()
    assert office.record("b") == office.record("a")
    assert office.record("b").count("- action: assign") == 1


def test_steps_are_ordered_so_the_history_follows_the_workflow(shared_letter):
    office = shared_letter
    ok(office.run("b", "do", ID, "inform", "--set", "informed=甲", "--by", "wuqiang"))
    ok(office.run("a", "do", ID, "store", "--set", "store_reason=重复来信", "--by",
                  "wangli"))  # fmt: skip
    ok(office.sync("a"))

    ok(office.sync("b"))

    text = office.record("b")
    assert "state: closed" in text and "informed: 甲" in text
    actions = [line.split(": ")[1] for line in text.splitlines() if "- action:" in line]
    assert actions == ["register", "inform", "store"]  # inform came later, from 已登记
    assert ok(office.run("b", "audit")).stdout == ""


# --- pushing ----------------------------------------------------------------------


def _pre_push(root: Path, script: str) -> None:
    hook = root / ".git" / "hooks" / "pre-push"
    hook.write_text("#!/bin/sh\n" + script, encoding="utf-8")
    hook.chmod(0o755)


def test_a_push_rejected_because_someone_pushed_first_is_retried(shared_letter):
    office = shared_letter
    ok(office.run("c", *LETTER, "--by", "zhengyan"))
    ok(office.run("b", "do", ID, "assign", "--set", "unit=donghu", "--by", "wuqiang"))
    flag = office.folder / "pushed-once"
    c = office.path("c")
    _pre_push(office.path("b"), f"[ -e {flag} ] && exit 0\ntouch {flag}\n"
              f"cd {c} && unset GIT_DIR GIT_INDEX_FILE && git push -q origin main\n")  # fmt: skip

    result = office.sync("b")

    ok(result)
    assert "推送 1 个提交" in result.stderr
    assert office.head("b") == office.remote_head()
    log = office.git("b", "log", "--format=%s", "-3")
    assert "LTR-2026-1001 register" in log and "LTR-2026-0001 assign" in log


def test_a_push_rejected_every_time_fails_with_exit_4_and_forces_nothing(
    shared_letter, one_line_error
):
    office = shared_letter
    ok(office.run("b", "do", ID, "assign", "--set", "unit=donghu", "--by", "wuqiang"))
    c = office.path("c")
    _pre_push(office.path("b"), f"cd {c} && unset GIT_DIR GIT_INDEX_FILE && "
              "git -c user.name=x -c user.email=x@x commit -q --allow-empty -m x && "
              "git push -q origin main\n")  # fmt: skip

    result = office.sync("b")

    one_line_error(result, 4, "推送被远端拒绝", "officectl sync")
    assert office.remote_head() == office.head("c")
    assert office.git("b", "log", "-1", "--format=%s").startswith(f"{ID} assign")


def test_a_remote_that_refuses_the_push_is_an_error(shared_letter, one_line_error):
    office = shared_letter
    ok(office.run("b", "do", ID, "assign", "--set", "unit=donghu", "--by", "wuqiang"))
    hook = office.remote / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 只读 >&2\nexit 1\n", encoding="utf-8")
    hook.chmod(0o755)
    before = office.remote_head()

    result = office.sync("b")

    one_line_error(result, 4, "推送到 origin 失败")
    assert office.remote_head() == before


def test_a_rewritten_remote_history_is_refused(shared_letter, one_line_error):
    office = shared_letter
    first = office.git("c", "rev-list", "--max-parents=0", "HEAD").strip()
    office.git("c", "reset", "-q", "--hard", first)
    office.git("c", "push", "-q", "--force", "origin", "main")

    result = office.sync("a")

    one_line_error(result, 4, "历史被改写")


def test_sync_commits_as_the_clerk_never_the_machine(shared_letter, one_line_error):
    office = shared_letter
    ok(office.run("a", "do", ID, "assign", "--set", "unit=donghu", "--by", "wangli"))
    ok(office.run("b", *LETTER, "--by", "wuqiang"))
    ok(office.sync("a"))

    nobody = office.run("b", "sync")
    office.git("b", "config", "user.email", "wuqiang@jiangcheng-tax.example")
    result = office.run("b", "sync")

    one_line_error(nobody, 2, "--by")
    ok(result)
    assert office.git("b", "log", "-1", "--format=%an|%cn|%ce") == (
        "吴强|吴强|wuqiang@jiangcheng-tax.example\n"
    )


def test_uncommitted_changes_stop_sync_before_it_starts(shared_letter, one_line_error):
    office = shared_letter
    path = office.path("a") / RELATIVE
    path.write_text(path.read_text(encoding="utf-8") + "note: x\n", encoding="utf-8")
    before = office.head("a")

    result = office.sync("a")

    one_line_error(result, 4, RELATIVE)
    assert office.head("a") == before


def test_a_bad_record_is_not_pushed(shared_letter):
    office = shared_letter
    path = office.path("a") / RELATIVE
    _commit_by_hand(office.path("a"), RELATIVE,
                    path.read_text(encoding="utf-8").replace("state: registered",
                                                             "state: closed"))  # fmt: skip
    before = office.remote_head()

    result = office.sync("a")

    assert result.exit_code == 1
    assert f"{RELATIVE}:" in result.stdout and "没有推送" in result.stderr
    assert office.remote_head() == before


# --- merging one record field by field ---------------------------------------------

BASE = {"id": "X", "state": "registered", "title": "t", "tags": ["a"], "history": []}


def _entry(action: str, at: str) -> dict[str, str]:
    return {"action": action, "at": f"2026-03-02T{at}:00+08:00"}


@pytest.mark.parametrize(
    ("ours", "theirs", "merged"),
    [
        pytest.param({"title": "甲"}, {"unit": "donghu"},
                     {"title": "甲", "unit": "donghu"}, id="different fields"),
        pytest.param({"title": "甲"}, {"title": "甲"}, {"title": "甲"}, id="same change"),
        pytest.param({"tags": ["a", "b"]}, {"tags": ["a", "c"]},
                     {"tags": ["a", "b", "c"]}, id="both append to a list"),
        pytest.param({"history": [_entry("inform", "10:05")]},
                     {"history": [_entry("report-up", "10:01")]},
                     {"history": [_entry("report-up", "10:01"), _entry("inform", "10:05")]},
                     id="history in time order"),
        pytest.param({"p": {"name": "张三"}}, {"p": {"phone": "1"}},
                     {"p": {"name": "张三", "phone": "1"}}, id="nested fields"),
    ],
)  # fmt: skip
def test_changes_that_do_not_touch_each_other_merge(ours, theirs, merged):
    result, conflicts = merge_data(BASE, {**BASE, **ours}, {**BASE, **theirs})

    assert conflicts == []
    assert result == {**BASE, **merged}


@pytest.mark.parametrize(
    ("ours", "theirs", "path"),
    [
        pytest.param({"title": "甲"}, {"title": "乙"}, ("title",), id="same field"),
        pytest.param({"state": "assigned"}, {"state": "assigned"}, ("state",),
                     id="state on both sides, even to the same"),
        pytest.param({"title": "甲"}, {"title": None}, ("title",), id="changed and emptied"),
        pytest.param({"tags": []}, {"tags": ["a", "b"]}, ("tags",), id="removed and added"),
    ],
)  # fmt: skip
def test_changes_that_collide_are_conflicts_never_a_choice(ours, theirs, path):
    base = {**BASE, "p": {"name": "x"}}
    _, conflicts = merge_data(base, {**base, **ours}, {**base, **theirs})

    assert [c[0] for c in conflicts] == [path]


def test_a_field_deleted_on_one_side_and_changed_on_the_other_conflicts():
    ours = {k: v for k, v in BASE.items() if k != "title"}

    _, conflicts = merge_data(BASE, ours, {**BASE, "title": "乙"})

    assert [c[0] for c in conflicts] == [("title",)]


def test_conflict_markers_show_both_sides_and_keep_what_merged():
    base = "id: X\ntitle: t\nunit: a\nnote: 备注\n"
    ours = "id: X\ntitle: 甲\nunit: a\nnote: 备注\n"
    theirs = "id: X\ntitle: 乙\nunit: b\nnote: 备注\n"

    text, clashes = merge_text(None, base, ours, theirs, "r.yaml")

    assert text == (
        "id: X\n<<<<<<< 远端\ntitle: 甲\n=======\ntitle: 乙\n>>>>>>> 本地\n"
        "unit: b\nnote: 备注\n"
    )
    assert [str(c) for c in clashes] == ["r.yaml: title: 远端 甲 ≠ 本地 乙"]


def test_a_comment_in_the_record_survives_a_merge():
    base = "id: X\n# 来信人要求保密\ntitle: t\nunit: a\n"
    ours = "id: X\n# 来信人要求保密\ntitle: 甲\nunit: a\n"
    theirs = "id: X\n# 来信人要求保密\ntitle: t\nunit: b\n"

    text, clashes = merge_text(None, base, ours, theirs, "r.yaml")

    assert clashes == []
    assert text == "id: X\n# 来信人要求保密\ntitle: 甲\nunit: b\n"


def test_a_failed_fetch_says_what_git_said_first(office, one_line_error, tmp_path):
    office.git("a", "remote", "set-url", "origin", str(tmp_path / "gone.git"))

    result = office.sync("a")

    line = one_line_error(result, 4, "origin", "does not appear to be a git repository")
    assert "and the repository exists" not in line
