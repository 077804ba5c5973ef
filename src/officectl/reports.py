"""Reading many records at once: listings, exports and the overdue report.

Listings and reports read the index (officectl.index), never every file. A record that
cannot be read is skipped and named, so one bad file never stops the nightly report.
Titles and holders of confidential kinds show as 涉密 unless the person asking holds the
confidential-clerk or director post. ``read_all`` parses every file of a kind, for the
few jobs that need whole records (forms, numbering, the demo).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, NamedTuple

from officectl.index import Entry
from officectl.register import Person, Register
from officectl.workflow import Kind


class Summary(NamedTuple):
    """One record as reports see it: the plain data and where it came from."""

    id: str
    kind: str
    state: str
    path: str
    data: dict[str, Any]


class DueItem(NamedTuple):
    """One open time limit that is overdue or falls due soon."""

    record: str
    kind: str
    title: str
    state: str
    limit: str
    start: Any
    due: Any
    days_late: int
    days_left: int
    department: str
    person: str
    provisional: bool
    limit_name: str = ""
    done: Any = None  # when it was done, for a report as of a day before that

    @property
    def overdue(self) -> bool:
        return self.days_late > 0 or self.days_left < 0


class Reading(NamedTuple):
    """The records read, and the files that could not be read (named, not fatal)."""

    records: list[Summary]
    skipped: list[str]


def read_all(register: Register, kind: str | None = None) -> Reading:
    from officectl import yamlio

    records, skipped = [], []
    if kind is not None:
        register.kind(kind)
    for path in register.record_files(kind):
        name = register.relative(path)
        try:
            data, _ = yamlio.load_file(path, name)
        except yamlio.YamlError as err:
            skipped.append(str(err))
            continue
        if not isinstance(data, dict) or "id" not in data:
            skipped.append(f"{name}: 不是记录文件")
            continue
        records.append(
            Summary(
                str(data["id"]),
                str(data.get("kind")),
                str(data.get("state")),
                name,
                data,
            )
        )
    return Reading(records, skipped)


def field_value(data: dict[str, Any], path: str) -> Any:
    node: Any = data
    for part in path.split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node


# --- masking personal data ----------------------------------------------------------


def masked(kind: Kind, data: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``data`` with the kind's personal fields masked (``*`` = every item)."""
    result = _copy(data)
    for path in kind.masked:
        _mask_path(result, path.split("."))
    return result


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copy(item) for item in value]
    return value


def _mask_path(node: Any, parts: list[str]) -> None:
    head, rest = parts[0], parts[1:]
    if head == "*" and isinstance(node, list):
        for item in node:
            _mask_path(item, rest) if rest else None
        return
    if not isinstance(node, dict) or head not in node:
        return
    if rest:
        _mask_path(node[head], rest)
    elif node[head] not in (None, ""):
        node[head] = mask(str(node[head]))


def mask(text: str) -> str:
    """Keep just enough to tell two people apart: 138****5678, 湖北省武汉****."""
    if len(text) <= 2:
        return "*" * len(text)
    if text.replace("-", "").replace(" ", "").isalnum() and any(
        c.isdigit() for c in text
    ):
        keep = 3 if len(text) >= 7 else 1
        return text[:keep] + "*" * (len(text) - keep - 2) + text[-2:]
    return text[: min(6, len(text) // 2)] + "****"


# --- selecting records (list, export) and the overdue report -----------------------

PRIVILEGED = {"confidential-clerk", "director"}
HIDDEN = "涉密"


def may_see_classified(register: Register, viewer: Person | None) -> bool:
    """Whether ``viewer`` may see titles and holders of confidential kinds."""
    return viewer is not None and bool(register.settings.posts_of(viewer) & PRIVILEGED)


class Selection(NamedTuple):
    """Records chosen from the index, and the files that could not be read."""

    entries: list[Entry]
    skipped: list[str]
    late: dict[str, int]


def select(
    register: Register,
    kind: str | None = None,
    state: str | None = None,
    open_only: bool = False,
    overdue_on: dt.date | None = None,
) -> Selection:
    """The records ``list`` and ``export`` show, from the index."""
    from officectl.index import open_index

    if kind is not None:
        register.kind(kind)
    finished = final_states(register) if open_only or overdue_on else None
    with open_index(register) as index:
        if overdue_on is not None and overdue_on < register.today():
            entries = index.history(kind, finished or {}, overdue_on, overdue_on)
        else:
            entries = index.entries(
                kind,
                finished,
                running_limits_only=overdue_on is not None,
                due_before=overdue_on,
            )
    skipped = [e.problem for e in entries if e.problem]
    entries = [e for e in entries if not e.problem]
    if open_only and finished:  # a past day's report also holds cases closed since
        entries = [e for e in entries if e.state not in finished.get(e.kind, ())]
    if state:
        wanted = states_named(register, kind, state)
        entries = [e for e in entries if e.state in wanted.get(e.kind, ())]
    late: dict[str, int] = {}
    if overdue_on is not None:
        for item in due_items(register, entries, overdue_on, soon=-1, viewer=None):
            late[item.record] = max(late.get(item.record, 0), item.days_late)
        entries = [e for e in entries if e.id in late]
    return Selection(entries, skipped, late)


def states_named(
    register: Register, kind: str | None, state: str
) -> dict[str, set[str]]:
    """The states ``--state`` means in each kind: a state's name (registered) or its
    label (已登记); one no kind in question knows is :class:`BadInput`."""
    from officectl.errors import BadInput

    kinds = [register.kind(kind)] if kind else list(register.kinds.values())
    wanted = {
        k.name: {s.name for s in k.states.values() if state in (s.name, s.label)}
        for k in kinds
    }
    found = {name: names for name, names in wanted.items() if names}
    if found:
        return found
    known = dict.fromkeys(
        f"{s.name}（{s.label}）" for k in kinds for s in k.states.values()
    )
    where = f"{kinds[0].label}没有" if kind else "没有哪类记录有"
    raise BadInput(f"--state {state!r}：{where}这个状态；可用：{'、'.join(known)}")


def title_for(register: Register, entry: Entry, viewer: Person | None) -> str:
    kind = register.kinds.get(entry.kind)
    if (
        kind is not None
        and kind.confidential
        and not may_see_classified(register, viewer)
    ):
        return HIDDEN
    return entry.title


OVERDUE_HEADERS = {
    "department": "责任单位",
    "person": "责任人",
    "record": "编号",
    "kind": "类型",
    "title": "事由",
    "limit": "时限",
    "due": "到期",
    "late": "逾期工作日",
}
LIST_HEADERS = {
    "id": "编号",
    "kind": "类型",
    "state": "状态",
    "title": "事由",
    "due": "最近时限",
}
PROVISIONAL_HEADER = {"provisional": "暂定"}  # JSON and CSV carry it as its own field


PROVISIONAL = "（暂定）"  # after a due date that rests on a year not yet published


def shown_due(due: Any, provisional: bool) -> str:
    """A due date as people read it: ISO, marked 暂定 while it is provisional."""
    if due in (None, ""):
        return ""
    text = due.isoformat() if isinstance(due, dt.date) else str(due)
    return f"{text}{PROVISIONAL if provisional else ''}"


def overdue_rows(items: list[DueItem], plain: bool = False) -> list[dict[str, Any]]:
    """Due items as the overdue report's rows (table, mail, HTML, chase slips).

    People read the due date marked 暂定 while it is provisional; ``plain`` rows (JSON)
    carry the bare ISO date and a separate ``provisional`` true or false instead.
    """
    return [
        {
            "department": item.department,
            "person": item.person,
            "record": item.record,
            "kind": item.kind,
            "title": item.title,
            "limit": item.limit,
            **(
                {"due": shown_due(item.due, False), "provisional": item.provisional}
                if plain
                else {"due": shown_due(item.due, item.provisional)}
            ),
            "late": item.days_late if item.overdue else f"剩 {item.days_left}",
        }
        for item in items
    ]


def list_row(
    register: Register, entry: Entry, late: dict[str, int], viewer: Person | None
) -> dict[str, Any]:
    """One record as ``list`` and ``export`` show it: ``due`` is the nearest due date
    of a running limit as ISO text, and ``provisional`` whether it is 暂定 (a table
    shows it marked: :func:`marked`)."""
    kind = register.kinds.get(entry.kind)
    running = [d for d in entry.deadlines if "done" not in d]
    if kind is not None:
        running = [settled(register, kind, d) for d in running]
    dues = sorted(
        (shown_due(d.get("due"), False), bool(d.get("provisional"))) for d in running
    )
    due, provisional = dues[0] if dues else ("", False)
    return {
        "id": entry.id,
        "kind": kind.label if kind else entry.kind,
        "state": kind.state_label(entry.state) if kind else entry.state,
        "title": title_for(register, entry, viewer),
        "due": due,
        "provisional": provisional,
        "late": late.get(entry.id, ""),
    }


def marked(row: dict[str, Any]) -> dict[str, Any]:
    """A list row for people to read: the due date marked 暂定, no separate field."""
    shown = {key: value for key, value in row.items() if key != "provisional"}
    shown["due"] = shown_due(row.get("due"), bool(row.get("provisional")))
    return shown


def final_states(register: Register) -> dict[str, set[str]]:
    return {
        name: {state.name for state in kind.states.values() if state.final}
        for name, kind in register.kinds.items()
    }


def running(
    register: Register, as_of: dt.date, soon: int
) -> tuple[list[Entry], list[str]]:
    """Records with a limit that may be overdue on ``as_of`` or due within ``soon``
    working days (-1: overdue only), for the overdue report and chasing.

    As of today or later these are the open records and their running limits. As of
    a past day they are the records whose limits ran that day, closed since or not.
    """
    from officectl.index import open_index

    finished = final_states(register)
    before = horizon(register, as_of, soon)
    with open_index(register) as index:
        if as_of < register.today():
            # The running limits are today's; a past day needs those done since too.
            entries = index.history(None, finished, as_of, before)
        else:
            entries = index.entries(
                None, finished, running_limits_only=True, due_before=before
            )
        return entries, index.problems()


def horizon(register: Register, as_of: dt.date, soon: int) -> dt.date:
    """The first day a report as of ``as_of`` looking ``soon`` working days ahead
    leaves out: a limit due on it or later is neither overdue nor due soon."""
    if soon < 0:
        return as_of  # overdue only: due before today (and a working day late)
    return register.calendar.add_workdays(as_of, soon + 1).date


def due_items(
    register: Register,
    entries: list[Entry],
    as_of: dt.date,
    soon: int,
    viewer: Person | None,
) -> list[DueItem]:
    """Limits running on ``as_of`` that were overdue then, and those due within
    ``soon`` working days of it.

    A limit runs on a day when it has started by then and is not done by then; the
    entries come from :func:`running` (or the list's selection), which keeps only
    records open now unless ``as_of`` is past. Provisional due dates are judged as
    they count on today's calendar (:func:`settled`).
    """
    calendar = register.calendar
    counted: dict[dt.date, tuple[int, int]] = {}  # limits share few due dates
    items = []
    for entry in entries:
        kind = register.kinds.get(entry.kind)
        if kind is None:
            continue
        hidden = kind.confidential and not may_see_classified(register, viewer)
        for deadline in entry.deadlines:
            if not _runs_on(deadline, as_of):
                continue
            deadline = settled(register, kind, deadline)
            due_day = day_of(deadline.get("due"))
            if due_day is None:
                continue
            if due_day not in counted:
                late = calendar.workdays_late(due_day, as_of)
                left = -1 if due_day < as_of else calendar.workdays_late(as_of, due_day)
                counted[due_day] = late, left
            late, left = counted[due_day]
            if late > 0 or left <= soon:  # overdue (left < 0 too), or due soon
                items.append(_item(register, kind, entry, deadline, late, left, hidden))
    return sorted(items, key=lambda i: (i.department, i.person, str(i.due), i.record))


def _item(
    register: Register,
    kind: Kind,
    entry: Entry,
    deadline: dict[str, Any],
    late: int,
    left: int,
    hidden: bool,
) -> DueItem:
    limit = kind.limits.get(str(deadline.get("limit")))
    owner = limit.owner if limit else "handler"
    department, person = _owner(register, entry.unit, entry.handler, owner)
    if hidden:
        person = ""
    return DueItem(
        record=entry.id,
        kind=kind.label,
        title=HIDDEN if hidden else entry.title,
        state=kind.state_label(entry.state),
        limit=str(deadline.get("label") or deadline.get("limit")),
        start=deadline.get("start"),
        due=deadline.get("due"),
        days_late=late,
        days_left=left,
        department=department,
        person=person,
        provisional=bool(deadline.get("provisional")),
        limit_name=str(deadline.get("limit")),
        done=deadline.get("done"),
    )


def _runs_on(deadline: dict[str, Any], day: dt.date) -> bool:
    """Whether a limit had started by ``day`` and was not yet done then."""
    start = day_of(deadline.get("start"))
    if start is not None and start > day:
        return False
    done = day_of(deadline.get("done")) if "done" in deadline else None
    return "done" not in deadline or (done is not None and done > day)


def settled(register: Register, kind: Kind, deadline: dict[str, Any]) -> dict[str, Any]:
    """``deadline`` with a provisional due date counted again on today's calendar.

    A due date that rested on a year with no published holidays was written 暂定
    (engine.due_date). The record keeps that date until its next step, but once the
    year's arrangement is in the calendar (calendar.yaml, or a newer chinesecalendar),
    what is shown and judged is the date counted again from the limit's start and
    length, extension included; it stays provisional only while the year is still
    unpublished. The extension's original due date (``original_provisional`` while
    it is still 暂定) and the working days late of a limit done since are counted
    again alike. Other limits come back as they are.
    """
    limit = kind.limits.get(str(deadline.get("limit")))
    start = day_of(deadline.get("start"))
    if not deadline.get("provisional") or limit is None or start is None:
        return deadline
    if limit.due_field or limit.unit == "hours":
        return deadline  # a date a person set, or clock hours: never provisional

    calendar = register.calendar
    extended = deadline.get("extended")
    extra = extended if isinstance(extended, int) else 0
    due = calendar.add(start, limit.length + extra, limit.unit)
    result = dict(deadline, due=due.date, provisional=due.provisional)
    if not due.provisional:
        del result["provisional"]
    if "original_due" in deadline:
        original = calendar.add(start, limit.length, limit.unit)
        result["original_due"] = original.date
        if original.provisional:
            result["original_provisional"] = True
    done = day_of(deadline.get("done"))
    if done is not None:
        result.pop("late", None)
        if done > due.date:  # as engine._close counts it
            result["late"] = max(calendar.workdays_late(due.date, done), 1)
    return result


def _owner(
    register: Register, unit_id: str, handler: str, owner: str
) -> tuple[str, str]:
    """Which department and person answer for a limit."""
    settings = register.settings
    if owner == "unit" and unit_id in settings.units:
        unit = settings.units[unit_id]
        head = settings.people.get(unit.head)
        return unit.name, head.name if head else ""
    person = settings.people.get(handler)
    if person is None:
        return "（未指定）", handler
    department = settings.units.get(person.department)
    return (department.name if department else person.department), person.name


def day_of(value: Any) -> dt.date | None:
    """A date from a date, a datetime or ISO text; None for anything else."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.datetime.fromisoformat(value).date()
        except ValueError:
            return None
    return None


# --- chasing (催办) ---------------------------------------------------------------------


def chase_posts(kind: Kind) -> set[str]:
    """The posts that may chase a kind: those of its workflow's own ``chase`` action
    (a document's 督办), else the office posts that chase anything late."""
    from officectl.engine import CHASERS

    action = kind.actions.get("chase")
    return set(action.posts) if action is not None else set(CHASERS)


class ChaseSplit(NamedTuple):
    """Overdue items a person may chase, and by kind those they may not."""

    mine: list[DueItem]
    others: dict[str, list[DueItem]]


def split_by_chaser(
    register: Register, items: list[DueItem], person: Person
) -> ChaseSplit:
    held = register.settings.posts_of(person)
    mine: list[DueItem] = []
    others: dict[str, list[DueItem]] = {}
    for item in items:
        kind = register.kind_of_id(item.record)
        if held & chase_posts(kind):
            mine.append(item)
        else:
            others.setdefault(kind.name, []).append(item)
    return ChaseSplit(mine, others)


def not_chased_on(
    register: Register, items: list[DueItem], day: dt.date
) -> dict[str, set[str]]:
    """Record id → limits of ``items`` not yet chased on ``day`` (read from the files,
    since the index does not keep chase dates)."""
    from officectl import yamlio

    wanted: dict[str, set[str]] = {}
    for item in items:
        wanted.setdefault(item.record, set()).add(item.limit_name)
    fresh: dict[str, set[str]] = {}
    for record_id, limits in wanted.items():
        path = register.existing_path(record_id)
        data, _ = yamlio.load_file(path, register.relative(path))
        done = {
            str(entry.get("limit"))
            for entry in (data.get("deadlines") or [])
            if isinstance(entry, dict) and day in (entry.get("chased") or [])
        }
        if limits - done:
            fresh[record_id] = limits - done
    return fresh
