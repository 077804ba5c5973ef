"""Reading many records at once: listings and the overdue report.

Records are read through the fast loader and never validated here; ``validate`` is the
command that judges files. A file that cannot be read is skipped and named, so one bad
file never stops the nightly report.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from officectl import yamlio
from officectl.register import Register
from officectl.workflow import Kind


@dataclass(frozen=True)
class Summary:
    """One record as reports see it: the plain data and where it came from."""

    id: str
    kind: str
    state: str
    path: str
    data: dict[str, Any] = field(repr=False)


@dataclass(frozen=True)
class DueItem:
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

    @property
    def overdue(self) -> bool:
        return self.days_late > 0 or self.days_left < 0


@dataclass
class Reading:
    """The records read, and the files that could not be read (named, not fatal)."""

    records: list[Summary]
    skipped: list[str]


def read_all(register: Register, kind: str | None = None) -> Reading:
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
            Summary(str(data["id"]), str(data.get("kind")), str(data.get("state")), name, data)
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
    if text.replace("-", "").replace(" ", "").isalnum() and any(c.isdigit() for c in text):
        keep = 3 if len(text) >= 7 else 1
        return text[:keep] + "*" * (len(text) - keep - 2) + text[-2:]
    return text[: min(6, len(text) // 2)] + "****"


# --- the overdue report -------------------------------------------------------------


def due_items(
    register: Register, records: list[Summary], as_of: dt.date, soon: int
) -> list[DueItem]:
    """Open limits overdue on ``as_of``, and those due within ``soon`` working days."""
    items = []
    for summary in records:
        kind = register.kinds.get(summary.kind)
        if kind is None or not kind.is_open(summary.state):
            continue
        for entry in summary.data.get("deadlines") or []:
            if not isinstance(entry, dict) or "done" in entry:
                continue
            item = _item(register, kind, summary, entry, as_of)
            if item is not None and (item.overdue or item.days_left <= soon):
                items.append(item)
    return sorted(items, key=lambda i: (i.department, i.person, str(i.due), i.record))


def _item(
    register: Register, kind: Kind, summary: Summary, entry: dict[str, Any], as_of: dt.date
) -> DueItem | None:
    due = entry.get("due")
    due_day = _day(due)
    if due_day is None:
        return None
    calendar = register.calendar
    late = calendar.workdays_late(due_day, as_of)
    left = -1 if due_day < as_of else calendar.workdays_late(as_of, due_day)
    limit = kind.limits.get(str(entry.get("limit")))
    department, person = _owner(register, summary.data, limit.owner if limit else "handler")
    return DueItem(
        record=summary.id,
        kind=kind.label,
        title=str(field_value(summary.data, kind.title_field) or ""),
        state=kind.state_label(summary.state),
        limit=str(entry.get("label") or entry.get("limit")),
        start=entry.get("start"),
        due=due,
        days_late=late,
        days_left=left,
        department=department,
        person=person,
        provisional=bool(entry.get("provisional")),
    )


def _owner(register: Register, data: dict[str, Any], owner: str) -> tuple[str, str]:
    """Which department and person answer for a limit."""
    settings = register.settings
    if owner == "unit" and data.get("unit") in settings.units:
        unit = settings.units[data["unit"]]
        head = settings.people.get(unit.head)
        return unit.name, head.name if head else ""
    person = settings.people.get(str(data.get("handler")))
    if person is None:
        return "（未指定）", str(data.get("handler") or "")
    department = settings.units.get(person.department)
    return (department.name if department else person.department), person.name


def _day(value: Any) -> dt.date | None:
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


def iter_open(reading: Reading, register: Register) -> Iterator[Summary]:
    for summary in reading.records:
        kind = register.kinds.get(summary.kind)
        if kind is not None and kind.is_open(summary.state):
            yield summary
