"""The derived state kept under .git/officectl: the SQLite index and the parsed snapshot.

Both are caches. Each test here changes the register the way a clerk or git would and
checks that the next command sees the change, and that the overdue report's shortcut
(only limits due before its horizon are read) leaves nothing out.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

import officectl
from officectl import snapshot
from officectl.register import Register
from officectl.reports import day_of
from officectl.yamlio import load_file

AN_HOUR_AGO = time.time() - 3600


def _age(*paths: Path) -> None:
    """Make files look an hour old, so the snapshot trusts their stamps."""
    for path in paths:
        os.utime(path, (AN_HOUR_AGO, AN_HOUR_AGO))


def _letter(cli, received: str, title: str) -> str:
    result = cli(
        "new", "letter", "--set", f"received={received}", "--set", "petitioner.name=赵六",
        "--set", f"title={title}", "--set", "content=c", "--by", "wangli",
        "--date", received,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return result.stdout.strip()


def _listed(cli, *args: str) -> dict[str, dict[str, str]]:
    result = cli("list", *args, "--format", "json")
    assert result.exit_code == 0, result.output
    return {row["id"]: row for row in json.loads(result.stdout)}


# --- the overdue report reads only what can be due ---------------------------------


@pytest.fixture
def autumn(cli, register) -> Path:
    """Twenty-two letters received every third day from 1 September to 3 November 2026,
    each with its 15-working-day handling limit running across 国庆节."""
    day = dt.date(2026, 9, 1)
    while day <= dt.date(2026, 11, 3):
        _letter(cli, day.isoformat(), f"来信 {day:%m-%d}")
        day += dt.timedelta(days=3)
    return register


def _expected(register: Path, as_of: dt.date, soon: int) -> set[tuple[str, str]]:
    """Every limit running on ``as_of`` (started by then, not done by then) that was
    overdue then or due within ``soon`` working days, judged from the record files."""
    calendar = Register(register).calendar
    wanted = set()
    for path in sorted((register / "registers").rglob("*.yaml")):
        data, _ = load_file(path)
        for limit in data.get("deadlines") or []:
            due = day_of(limit.get("due"))
            done = day_of(limit.get("done"))
            if due is None or day_of(limit["start"]) > as_of:
                continue
            if "done" in limit and (done is None or done <= as_of):
                continue
            late = calendar.workdays_late(due, as_of)
            left = -1 if due < as_of else calendar.workdays_late(as_of, due)
            if late > 0 or left <= soon:
                wanted.add((data["id"], limit["label"]))
    return wanted


@pytest.mark.parametrize("as_of", ["2026-09-28", "2026-10-09", "2026-11-13"])
@pytest.mark.parametrize("soon", [0, 1, 3, 12])
def test_overdue_report_leaves_no_limit_out(cli, autumn, as_of, soon):
    result = cli("overdue", "--as-of", as_of, "--soon", str(soon), "--format", "json")

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    shown = {
        (row["record"], row["limit"]) for row in report["overdue"] + report["due_soon"]
    }
    assert shown == _expected(autumn, dt.date.fromisoformat(as_of), soon)
    assert shown  # the dates are chosen so that every case shows something


@pytest.fixture
def autumn_closed(cli, autumn) -> Path:
    """The autumn letters, every third one stored (closed) late: one every five days
    from 10-20 to 11-24."""
    day = dt.date(2026, 10, 20)
    for number in range(1, 23, 3):
        result = cli(
            "do", f"LTR-2026-{number:04d}", "store", "--set", "store_reason=重复来信",
            "--by", "wangli", "--date", day.isoformat(),
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        day += dt.timedelta(days=5)
    return autumn


@pytest.mark.parametrize(
    "as_of", ["2026-09-28", "2026-10-09", "2026-10-20", "2026-11-13"]
)
@pytest.mark.parametrize("soon", [0, 3])
def test_past_overdue_report_counts_cases_closed_since(cli, autumn_closed, as_of, soon):
    result = cli("overdue", "--as-of", as_of, "--soon", str(soon), "--format", "json")

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    shown = {
        (row["record"], row["limit"]) for row in report["overdue"] + report["due_soon"]
    }
    assert shown == _expected(autumn_closed, dt.date.fromisoformat(as_of), soon)
    assert shown


def test_a_past_day_and_today_read_the_same_limits_today(autumn_closed):
    """The report as of a past day reads all limits done since; as of today it reads
    the running ones. On the same day both ways must agree."""
    from officectl import reports
    from officectl.index import open_index

    register = Register(autumn_closed)
    today = register.today()
    finished = reports.final_states(register)
    before = reports.horizon(register, today, 30)
    with open_index(register) as index:
        running = index.entries(None, finished, True, before)
        history = index.history(None, finished, today, before)

    def judged(entries):
        items = reports.due_items(register, entries, today, 30, None)
        return {(item.record, item.limit, item.days_late) for item in items}

    assert judged(history) == judged(running)
    assert judged(running)


def test_list_overdue_is_the_overdue_report_without_due_soon(cli, autumn):
    report = json.loads(
        cli("overdue", "--as-of", "2026-10-09", "--format", "json").stdout
    )

    listed = _listed(cli, "--overdue", "--as-of", "2026-10-09")

    assert set(listed) == {row["record"] for row in report["overdue"]}
    assert len(listed) > 1


# --- the index follows git ----------------------------------------------------------


def test_index_follows_a_reset_to_an_older_commit(cli, letter, git):
    second = _letter(cli, "2026-03-10", "反映办税厅排队时间长")
    assert set(_listed(cli)) == {"LTR-2026-0001", second}

    git("reset", "-q", "--hard", "HEAD~1")

    assert set(_listed(cli)) == {"LTR-2026-0001"}


def test_index_follows_a_staged_hand_edit(cli, letter, git):
    assert _listed(cli)["LTR-2026-0001"]["title"] == "反映物业收费问题"
    text = letter.read_text(encoding="utf-8")
    letter.write_text(
        text.replace("反映物业收费问题", "反映停车收费问题"), encoding="utf-8"
    )

    git("add", str(letter))

    assert _listed(cli)["LTR-2026-0001"]["title"] == "反映停车收费问题"


def test_index_and_validate_follow_an_edit_staged_then_put_back(cli, letter, git):
    text = letter.read_text(encoding="utf-8")
    letter.write_text(
        text.replace("state: registered", "state: lost"), encoding="utf-8"
    )
    git("add", str(letter))
    staged = (_listed(cli)["LTR-2026-0001"]["state"], cli("validate").exit_code)

    git("reset", "-q", "--", str(letter))  # unstaged again; the file keeps the edit

    assert staged == ("lost", 1)
    assert _listed(cli)["LTR-2026-0001"]["state"] == "已登记"
    assert cli("validate").exit_code == 0
    assert cli("validate", "--working").exit_code == 1


def test_index_and_validate_follow_a_rewritten_history(cli, letter, git, hand_commit):
    """The commit both last looked from is dropped and pruned: they compare
    everything git holds instead, and miss nothing."""
    second = _letter(cli, "2026-03-10", "反映办税厅排队时间长")
    assert second in _listed(cli) and cli("validate").exit_code == 0
    git("reset", "-q", "--hard", "HEAD~1")
    text = letter.read_text(encoding="utf-8")
    hand_commit(letter, text.replace("state: registered", "state: lost"))
    git("reflog", "expire", "--expire=now", "--all")
    git("gc", "-q", "--prune=now")

    assert _listed(cli)["LTR-2026-0001"]["state"] == "lost"
    assert second not in _listed(cli)
    result = cli("validate")
    assert result.exit_code == 1
    assert "LTR-2026-0001.yaml" in result.stdout and "lost" in result.stdout


def test_many_commits_since_the_last_look_start_a_newer_basis(
    cli, letter, register, git, monkeypatch
):
    """Past REBASE_AFTER paths differing from the commit last looked from, the next
    look starts from HEAD, and still sees every change."""
    from officectl import index

    monkeypatch.setattr(index, "REBASE_AFTER", 2)
    assert cli("validate").exit_code == 0
    made = {_letter(cli, f"2026-03-{day}", f"来信{day}") for day in (10, 11, 12)}

    assert made < set(_listed(cli))
    assert cli("validate").exit_code == 0
    database = sqlite3.connect(register / ".git" / "officectl" / "index.sqlite")
    seen = dict(database.execute("SELECT key, value FROM meta").fetchall())
    database.close()
    head = git("rev-parse", "HEAD").strip()
    assert json.loads(seen["seen"])["basis"] == head
    assert json.loads(seen["judged-seen"])["basis"] == head


def test_a_record_in_conflict_stays_in_the_reports(cli, letter, git, register):
    """During a merge conflict (a stuck sync), git's index holds both sides of the
    record: reports keep showing it, as this clone had it."""
    assert "LTR-2026-0001" in _listed(cli)
    text = letter.read_text(encoding="utf-8")
    me = ["-c", "user.name=手工", "-c", "user.email=hand@example.invalid"]
    git("checkout", "-q", "-b", "theirs")
    letter.write_text(text.replace("反映物业收费问题", "他们的事由"), encoding="utf-8")
    git(*me, "commit", "-q", "-am", "theirs")
    git("checkout", "-q", "-")
    letter.write_text(text.replace("反映物业收费问题", "我们的事由"), encoding="utf-8")
    git(*me, "commit", "-q", "-am", "ours")
    assert _listed(cli)["LTR-2026-0001"]["title"] == "我们的事由"

    merged = subprocess.run(
        ["git", *me, "merge", "-q", "theirs"], cwd=register, capture_output=True
    )

    assert merged.returncode != 0  # the conflict
    assert _listed(cli)["LTR-2026-0001"]["title"] == "我们的事由"
    shutil.rmtree(register / ".git" / "officectl")
    assert _listed(cli)["LTR-2026-0001"]["title"] == "我们的事由"  # cold: the same


def test_two_refreshes_at_once_cannot_store_an_older_look(cli, letter, register, git):
    """A refresh looks and stores under the index's write lock. Without it, a refresh
    that looked before another one stored could store its older look over the newer
    one, and an edit staged and unstaged in between would stay in the index."""
    from officectl.index import Index

    other = _letter(cli, "2026-03-10", "反映办税厅排队时间长")
    other_file = next(register.rglob(f"{other}.yaml"))
    assert set(_listed(cli)) == {"LTR-2026-0001", other}

    def edit(path: Path, old: str, new: str) -> None:
        path.write_text(path.read_text(encoding="utf-8").replace(old, new), "utf-8")
        git("add", str(path))

    slow, quick = Index(Register(register)), Index(Register(register))
    quick.db.execute("PRAGMA busy_timeout = 50")
    waited = []
    looked = slow.look

    def look_while_another_runs(seen, meanwhile=None):
        found = looked(seen, meanwhile)
        edit(letter, "反映物业收费问题", "暂存又撤回的事由")
        try:
            quick.refresh()  # another command, now
        except sqlite3.OperationalError:
            waited.append(True)  # it waits for the lock (here: gives up at once)
        return found

    edit(other_file, "反映办税厅排队时间长", "暂存的事由")
    slow.look = look_while_another_runs  # type: ignore[method-assign]
    try:
        slow.refresh()
    finally:
        slow.close()
        quick.close()
    git("reset", "-q", "--", str(letter))

    assert waited == [True]
    titles = {key: row["title"] for key, row in _listed(cli).items()}
    assert titles == {"LTR-2026-0001": "反映物业收费问题", other: "暂存的事由"}


def test_a_record_no_reader_foresaw_is_named_and_the_rest_listed(
    cli, letter, register, hand_commit
):
    """A document number too large for SQLite stops no report: the record is named."""
    hand_commit(
        register / "registers" / "incoming" / "2026" / "INC-2026-0001.yaml",
        "id: INC-2026-0001\nkind: incoming\nstate: registered\ntitle: 关于开展检查的通知\n"
        "incoming_number: 99999999999999999999\nreceived_on: 2026-03-02\n",
    )

    result = cli("list", "--format", "json")

    assert result.exit_code == 0, result.output
    assert "LTR-2026-0001" in result.stdout
    assert "Traceback" not in result.output


def test_a_workflow_naming_a_rules_module_that_is_not_there_is_one_line(
    cli, letter, register, one_line_error
):
    shipped = Path(officectl.__file__).parent / "_data" / "workflows" / "letter.yaml"
    if not shipped.exists():
        shipped = Path(__file__).parents[1] / "workflows" / "letter.yaml"
    (register / "workflows").mkdir(exist_ok=True)
    (register / "workflows" / "letter.yaml").write_text(
        shipped.read_text(encoding="utf-8") + "rules: letterrules\n", encoding="utf-8"
    )

    line = one_line_error(cli("list"), 2, "letterrules")

    assert "letter.yaml" in line


def test_index_written_by_another_version_is_built_again(cli, letter, register):
    before = cli("overdue", "--as-of", "2026-04-01", "--format", "json").stdout
    database = sqlite3.connect(register / ".git" / "officectl" / "index.sqlite")
    with database:
        database.execute("UPDATE meta SET value = '2' WHERE key = 'version'")
        database.execute("DELETE FROM running_limits")
        # Another version's table of the same name may have other columns.
        database.execute("DROP TABLE limits")
        database.execute("CREATE TABLE limits (path TEXT, due TEXT)")
    database.close()

    after = cli("overdue", "--as-of", "2026-04-01", "--format", "json").stdout

    assert after == before
    assert "LTR-2026-0001" in after


def test_deleted_index_loses_nothing(cli, letter, register):
    before = _listed(cli, "--open")
    (register / ".git" / "officectl" / "index.sqlite").unlink()

    assert _listed(cli, "--open") == before


# --- the parsed snapshot -------------------------------------------------------------


class Reads:
    """A reader of one file that counts how often it was really read."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.count = 0

    def __call__(self) -> str:
        self.count += 1
        return self.path.read_text(encoding="utf-8")


def _next_run(root: Path, part: str, source: Path, reads: Reads) -> str:
    """What ``cached`` answers in a new process: nothing held in memory."""
    snapshot._loaded.clear()
    return snapshot.cached(root, part, [source], reads)


@pytest.fixture
def settled(register: Path) -> tuple[Path, Reads]:
    source = register / "officectl.yaml"
    _age(source)
    return source, Reads(source)


def test_snapshot_is_read_instead_of_the_file(register, settled):
    source, reads = settled

    first = _next_run(register, "test", source, reads)
    second = _next_run(register, "test", source, reads)

    assert first == second == source.read_text(encoding="utf-8")
    assert reads.count == 1
    assert (register / ".git" / "officectl" / snapshot.FILE).is_file()


def test_snapshot_sees_an_edit_of_the_same_size(register, settled):
    source, reads = settled
    _next_run(register, "test", source, reads)
    text = source.read_text(encoding="utf-8")
    source.write_text(text.replace("江城市", "江州市", 1), encoding="utf-8")
    _age(source)

    assert _next_run(register, "test", source, reads) == source.read_text("utf-8")
    assert reads.count == 2


def test_snapshot_does_not_keep_a_file_changed_just_now(register):
    source = register / "officectl.yaml"
    source.write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    reads = Reads(source)

    _next_run(register, "test", source, reads)
    _next_run(register, "test", source, reads)

    assert reads.count == 2


def test_damaged_snapshot_is_read_again(register, settled):
    source, reads = settled
    _next_run(register, "test", source, reads)
    (register / ".git" / "officectl" / snapshot.FILE).write_bytes(b"\x80\x05garbage")

    assert _next_run(register, "test", source, reads) == source.read_text("utf-8")
    assert reads.count == 2


def _age_register(register: Path) -> None:
    _age(*(path for path in register.iterdir() if path.name != ".git"))


def test_office_renamed_in_settings_shows_next_run(cli, letter, register):
    _age_register(register)
    assert "江城市税务局" in cli("overdue", "--as-of", "2026-04-01").stdout
    settings = register / "officectl.yaml"
    text = settings.read_text(encoding="utf-8")
    assert "国家税务总局江城市税务局办公室" in text

    settings.write_text(
        text.replace("江城市税务局办公室", "江城市税务局综合科"), "utf-8"
    )

    assert "江城市税务局综合科" in cli("overdue", "--as-of", "2026-04-01").stdout


def test_workflow_added_to_the_register_shows_next_run(cli, letter, register):
    _age_register(register)
    assert _listed(cli)["LTR-2026-0001"]["kind"] == "来信"
    shipped = Register(register).kinds["letter"].source
    own = register / "workflows" / "letter.yaml"
    own.parent.mkdir()
    text = shipped.read_text(encoding="utf-8")
    own.write_text(text.replace("label: 来信", "label: 群众来信", 1), encoding="utf-8")

    assert _listed(cli)["LTR-2026-0001"]["kind"] == "群众来信"


def test_calendar_entry_shows_next_run(cli, register):
    _age_register(register)
    assert cli("calendar", "due", "2026-03-06", "--workdays", "1").stdout == (
        "2026-03-09\n"
    )

    (register / "calendar.yaml").write_text(
        "years:\n  2026:\n    holidays: [2026-03-09]\n", encoding="utf-8"
    )

    assert cli("calendar", "due", "2026-03-06", "--workdays", "1").stdout == (
        "2026-03-10\n"
    )


def test_each_register_gets_its_own_calendar_from_the_snapshot(register):
    _age_register(register)
    assert Register(register).calendar.provisional_years == set()  # read, and kept
    first, second = Register(register), Register(register)

    first.calendar.add_workdays(dt.date(2026, 12, 28), 5)  # runs into 2027

    assert first.calendar.provisional_years == {2027}
    assert second.calendar.provisional_years == set()
    assert (register / ".git" / "officectl" / snapshot.FILE).is_file()
