"""Taking steps: create a record, move it through its workflow, keep its time limits.

A step is all or nothing. The new text of the record is built in memory, validated
against its schema and its workflow, written, and committed as one commit by the acting
person; if anything fails on the way, the file and git's index are put back as they were.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, NamedTuple

from officectl import gitstore, yamlio
from officectl.errors import BadInput, Refused
from officectl.history import added_places, check_chain
from officectl.kinds import rules_of
from officectl.register import (
    ID_PATTERN,
    POSTS,
    RECORDS,
    RULES,
    UNIT_POSTS,
    Person,
    Register,
    Settings,
)
from officectl.schemas import Finding, SchemaSet, first_refused
from officectl.workdays import OfficeCalendar
from officectl.workflow import Action, Kind, Limit

RESERVED = {"id", "kind", "state", "history", "deadlines"}
BOOKKEEPING = ("deadlines", "history")  # kept at the end of every record


class Outcome(NamedTuple):
    record_id: str
    path: Path
    commit: str  # "" when nothing was committed (a dry run, a batch)
    state: str
    text: str = ""  # the record as written, or as it would be
    findings: tuple[Finding, ...] = ()  # what a dry run found wrong (else it raises)


class StepInput(NamedTuple):
    """What a person asks for: an action, field values, a date, a note."""

    person: Person
    when: dt.datetime
    fields: Mapping[str, Any]
    note: str = ""
    on_behalf_of: str = ""
    source: Source | None = None  # the file the fields were read from, if any


class Source(NamedTuple):
    """Fields given as a YAML file (``new --file``), to point at their lines."""

    name: str
    data: Any
    lines: Any  # yamlio.Lines


def schemas(register: Register) -> SchemaSet:
    cache = register.__dict__
    if "_schemas" not in cache:
        kept = register.root / ".git" / "officectl"
        cache["_schemas"] = SchemaSet(register.folder("schemas"), kept)
    return cache["_schemas"]


# --- the two ways a record changes ------------------------------------------------------


def create(
    register: Register,
    kind_name: str,
    step: StepInput,
    batch: gitstore.BatchCommits | None = None,
    dry_run: bool = False,
    allocate: Callable[[Kind, int], str] | None = None,
) -> Outcome:
    """Register a new record of ``kind_name`` by its workflow's creating action.

    ``dry_run`` builds and checks the record without writing; ``allocate`` gives the
    id instead of the register's next one (an import numbering many records at once).
    """
    kind = register.kind(kind_name)
    action = kind.creating_action
    _check_person(register, action, step.person)

    tree = yamlio.new_map()
    _apply_fields(register, kind, tree, step.fields)
    _check_person(register, action, step.person, tree)
    year = _year_of(tree.get(kind.year_field), step.when)
    record_id = (allocate or register.next_id)(kind, year)
    tree.insert(0, "id", record_id)
    tree.insert(1, "kind", kind.name)
    tree.insert(2, "state", "")
    return _finish(register, kind, action, tree, step, None, batch, dry_run)


def take(
    register: Register,
    record_id: str,
    action_name: str,
    step: StepInput,
    batch: gitstore.BatchCommits | None = None,
    dry_run: bool = False,
    text: str | None = None,
) -> Outcome:
    """Take one workflow step on an existing record.

    ``dry_run`` checks the step without writing; ``text`` is the record to start from
    instead of its file (a record an import has built but not yet written).
    """
    if text is None:
        path = register.existing_path(record_id)
        text = yamlio.read_text(path, register.relative(path))
    else:
        path = register.record_path(record_id)
    tree = yamlio.load_for_edit(text, register.relative(path))
    kind = register.kind(str(tree.get("kind")))
    action = kind.actions.get(action_name)
    state = str(tree.get("state"))

    if state not in kind.states:
        known = "、".join(kind.states)
        raise BadInput(
            f"{register.relative(path)}: state: 未知状态 {state!r}（应为：{known}）；"
            "请先改正文件再办理"
        )
    if action is None:
        raise BadInput(_not_allowed(kind, state, action_name, record_id))
    if action.create or state not in action.sources:
        raise Refused(_not_allowed(kind, state, action_name, record_id))
    _check_person(register, action, step.person, tree)
    _apply_fields(register, kind, tree, step.fields)
    return _finish(register, kind, action, tree, step, text, batch, dry_run)


def _finish(
    register: Register,
    kind: Kind,
    action: Action,
    tree: Any,
    step: StepInput,
    previous: str | None,
    batch: gitstore.BatchCommits | None,
    dry_run: bool = False,
) -> Outcome:
    """Apply the action's own effects, validate, write and commit."""
    record_id = str(tree["id"])
    before = str(tree.get("state") or "")
    after = action.target or before
    _check_dates(register, kind, tree, step)
    _check_characters(register, kind, "history.note", step.note)
    _check_characters(register, kind, "history.on_behalf_of", step.on_behalf_of)
    _require(kind, action, tree)
    for key, value in action.sets.items():
        yamlio.set_field(tree, key, value, before="deadlines")
    if action.sets_person:
        yamlio.set_field(tree, action.sets_person, step.person.id, before="deadlines")
    tree["state"] = after
    update_limits(register.calendar, kind, action, tree, step.when, after)
    _append_history(tree, action, before, after, step)
    rules = rules_of(kind)
    if rules is not None and hasattr(rules, "before_step"):
        rules.before_step(register, kind, action, tree, step)

    text = yamlio.dumps(tree)
    path = register.record_path(record_id)
    findings = _step_findings(register, text, register.relative(path), previous, step)
    if dry_run:
        return Outcome(record_id, path, "", after, text, tuple(findings))
    if findings:
        # A new record's file was never written: name the fields, not its lines
        # (but the line of a --file the value came from).
        unwritten = register.relative(path) if previous is None else None
        said = [f.message if f.file == unwritten else str(f) for f in findings]
        raise BadInput("；".join(said))
    message = _message(register, kind, action, tree, step)
    if batch is not None:
        _atomic_write(path, text, durable=False)
        batch.add(
            {register.relative(path): text},
            message,
            _identity(register, step, True),
            _trailers(action, step, record_id),
        )
        return Outcome(record_id, path, "", after, text)
    commit = write_and_commit(register, path, text, previous, message, step, action)
    return Outcome(record_id, path, commit, after, text)


# --- checks -------------------------------------------------------------------------


def _step_findings(
    register: Register, text: str, name: str, previous: str | None, step: StepInput
) -> list[Finding]:
    """The problems of the record a step would write, each where a clerk finds it:
    in the ``--file`` its value came from, else in the record file as it stands,
    else (a part the step adds) in the record as it would be written."""
    data, lines = yamlio.loads(text, name)
    problems = record_problems(register, data, name)
    if not problems:
        return []
    places = [(name, data, lines)]
    if previous is not None:
        with contextlib.suppress(yamlio.YamlError):
            places.insert(0, (name, *yamlio.loads(previous, name)))
    if step.source is not None:
        places.insert(0, step.source)
    found = []
    for path, message in problems:
        where, _, at = next(p for p in places if _has(p[1], path) or p[1] is data)
        found.append(Finding(where, at.of(path), message, str(data["id"])))
    return found


def _has(data: Any, path: tuple[Any, ...]) -> bool:
    node = data
    for part in path:
        listed = isinstance(node, list) and isinstance(part, int) and part < len(node)
        if not (listed or (isinstance(node, Mapping) and part in node)):
            return False
        node = node[part]
    return bool(path)


def _not_allowed(kind: Kind, state: str, name: str, record_id: str) -> str:
    allowed = kind.allowed(state)
    listed = "、".join(f"{a.name}（{a.label}）" for a in allowed) or "无（已办结）"
    if name not in kind.actions:
        return f"{kind.label}没有动作 {name}；{record_id} 当前可做：{listed}"
    label = kind.actions[name].label
    return (
        f"{record_id} 当前状态为“{kind.state_label(state)}”，不能{label}（{name}）；"
        f"当前可做：{listed}"
    )


def _check_person(
    register: Register, action: Action, person: Person, record: Any = None
) -> None:
    refusal = post_refusal(register.settings, action, person, record)
    if refusal:
        raise Refused(refusal)


def post_refusal(
    settings: Settings,
    action: Action,
    person: Person,
    record: Mapping[str, Any] | None = None,
) -> str:
    """Why ``person`` may not take ``action`` under ``settings``' roster; "" if they may.

    With ``record`` (as it stands before the step), a unit-bound post counts only for
    the unit the record's ``action.unit_field`` names.
    """
    unit = None
    if record is not None and action.unit_field:
        unit = str(_get(record, action.unit_field) or "")
    held = settings.posts_of(person)
    usable = held if unit is None else settings.posts_in(person, unit)
    if usable & set(action.posts):
        return ""
    holders = [_post_in(settings, post, unit) for post in action.posts]
    wanted = "、".join(filter(None, holders)) or "、".join(
        POSTS[p] for p in action.posts
    )
    other = sorted((held - usable) & set(action.posts))
    if other:
        units = dict.fromkeys(u for p in other for u in settings.units_of(person, p))
        where = "、".join(_unit_name(settings, u) for u in units)
        return (
            f"{person.label()}是{where}的{'、'.join(POSTS[p] for p in other)}，"
            f"不能为{_unit_name(settings, unit)}承办的记录办理“{action.label}”；"
            f"须由{wanted}办理"
        )
    mine = "、".join(POSTS.get(post, post) for post in sorted(held)) or "无岗位"
    return f"{person.label()}的岗位（{mine}）不能{action.label}；须由{wanted}办理"


def _post_in(settings: Settings, post: str, unit: str | None) -> str:
    """A post as who holds it for this record: 法制处的处室负责人; "" where nobody
    can (a lower bureau has no head or staff in the roster)."""
    name = POSTS.get(post, post)
    if unit is None or post not in UNIT_POSTS:
        return name
    if unit in settings.units and settings.units[unit].lower:
        return ""
    return f"{_unit_name(settings, unit)}的{name}"


def _unit_name(settings: Settings, unit: str | None) -> str:
    if not unit:
        return "承办单位（尚未指定）"
    return settings.units[unit].name if unit in settings.units else unit


def _check_dates(register: Register, kind: Kind, tree: Any, step: StepInput) -> None:
    """A step happens today or before, never before the record's last step; what it
    records as already happened (来信日期) happened by the day of the step."""
    day = _local(register, step.when).date()
    _not_in_future(register, "办理日期（--date）", day)
    history = tree.get("history") or []
    last = history[-1] if history and isinstance(history[-1], Mapping) else {}
    try:
        previous = _local(register, dt.datetime.fromisoformat(str(last.get("at"))))
    except ValueError:
        previous = None  # a hand-edited history: validation says what is wrong
    if previous is not None and _local(register, step.when) < previous:
        raise BadInput(
            f"办理日期（--date）{_local(register, step.when).isoformat()} 早于 "
            f"{tree['id']} 上一步（{last.get('action')}）的 {previous.isoformat()}："
            "办理记录须按时间先后；同一天请写明时刻，如 --date YYYY-MM-DDTHH:MM"
        )
    first = register.calendar.first_official_year
    for field in kind.event_dates:
        value = _get(tree, field)
        if isinstance(value, dt.datetime):
            value = _local(register, value).date()
        if not isinstance(value, dt.date):
            continue
        _not_in_future(register, field, value)
        if value > day:
            raise BadInput(f"{field}: {value} 晚于办理日期 {day}；应为当天或之前的日期")
        if value.year < first:
            raise BadInput(
                f"{field}: {value} 早于工作日历所及的 {first} 年，时限无从计算；"
                "请核对日期"
            )


def _not_in_future(register: Register, name: str, day: dt.date) -> None:
    today = register.today()
    if day > today:
        raise BadInput(f"{name}: {day} 晚于今天（{today}）；不能登记尚未发生的事")


def _local(register: Register, moment: dt.datetime) -> dt.datetime:
    """``moment`` in the office's time zone (a time without a zone is taken as one)."""
    zone = register.now().tzinfo
    if moment.tzinfo is None:
        return moment.replace(tzinfo=zone)
    return moment.astimezone(zone)


def _require(kind: Kind, action: Action, tree: Any) -> None:
    missing = [path for path in action.requires if _get(tree, path) in (None, "", [])]
    if missing:
        sets = " ".join(f"--set {path}=…" for path in missing)
        raise BadInput(
            f"{action.label}（{action.name}）需要填写 {'、'.join(missing)}：{sets}"
        )


def _apply_fields(
    register: Register, kind: Kind, tree: Any, fields: Mapping[str, Any]
) -> None:
    for path, value in fields.items():
        top = path.split(".")[0]
        if top in RESERVED:
            raise BadInput(f"字段 {top} 由 officectl 维护，不能直接设置")
        _check_reference(register, kind, path, value)
        _check_characters(register, kind, path, value)
        _set(tree, path, value)


def _check_characters(register: Register, kind: Kind, path: str, value: Any) -> None:
    """A text value with characters its field refuses (a line break in a title, a
    control character anywhere) is named by its field before it reaches the file,
    where YAML would escape or fold it."""
    spec = schemas(register).text_rule(kind.name, path)
    pattern, described = (spec or {}).get("pattern"), (spec or {}).get("description")
    if not (spec and pattern and described):
        return  # an unknown field, or one without such a rule: the schema check judges
    title = f"（{spec['title']}）" if spec.get("title") else ""
    for text in value if isinstance(value, list) else [value]:
        if isinstance(text, str) and not re.search(pattern, text):
            where = first_refused(text, pattern)
            raise BadInput(f"{path}{title}: {described}{where}")


def _check_reference(register: Register, kind: Kind, path: str, value: Any) -> None:
    target = kind.references.get(path)
    if value in (None, "") or target not in {"person", "unit"}:
        return
    known = register.settings.people if target == "person" else register.settings.units
    if value not in known:
        noun = "人员" if target == "person" else "单位"
        raise BadInput(f"{path}: 名册中没有{noun} {value!r}（officectl.yaml）")


def get_ready(register: Register) -> None:
    """Read what judging records needs: the roster, the workflows, the schemas and
    what their fast gates run with (validate calls it while git works)."""
    register.settings, register.kinds  # noqa: B018
    schemas(register).get_ready()


def check_text(
    register: Register, text: str, name: str, since: Any = None
) -> list[Finding]:
    """Every problem with one record file's text: YAML, then :func:`record_problems`."""
    try:
        data, lines = yamlio.loads(text, name)
    except yamlio.YamlError as err:
        where = re.match(r"^[^:]*:(\d+)(?::(\d+))?: (.*)$", str(err))
        if where is None:
            return [Finding(name, 1, str(err).split(": ", 1)[-1])]
        line, column, message = where.groups()
        return [Finding(name, int(line), message, column=int(column or 0))]
    return check_data(register, data, lines.of, name, since)


def check_data(
    register: Register, data: Any, line_of: Any, name: str, since: Any = None
) -> list[Finding]:
    """:func:`record_problems`, each at its line of the file."""
    record_id = str(data.get("id", "")) if isinstance(data, dict) else ""
    return [
        Finding(name, line_of(path), message, record_id)
        for path, message in record_problems(register, data, name, since)
    ]


Problem = tuple[tuple[Any, ...], str]
CLOCK_SKEW = dt.timedelta(hours=1)  # clerks' clocks disagree; sync orders by workflow


def record_problems(
    register: Register, data: Any, name: str, since: Any = None
) -> list[Problem]:
    """Every problem with one record, as (path in the record, message).

    The one judgement of a record that ``validate`` (every mode), the pre-commit hook,
    ``sync`` and every step make: the schema, the kind's own rules, the state, the
    file's place, and the history as a walk through the workflow, each step an action
    allowed from the state before it, taken by a roster person, not dated before the
    step before it (beyond clerks' clocks disagreeing), ending in the record's state.

    ``since`` is the record as last committed (``{}`` for a new one): the steps it
    lacks are new, and the roster must let their takers' posts take them. Committed
    steps were judged by the roster of their day, which ``audit`` replays; a person
    who leaves stays in the roster with no posts.
    """
    if not isinstance(data, dict):
        return [((), "记录应为键值映射")]
    kind_name = str(data.get("kind", ""))
    if kind_name not in register.kinds:
        known = "、".join(register.kinds)
        return [(("kind",), f"kind: 未知类型 {kind_name!r}；应为：{known}")]
    kind = register.kinds[kind_name]
    found = schemas(register).problems(kind_name, yamlio.to_json(data))
    rules = rules_of(kind)
    if rules is not None and hasattr(rules, "check"):
        found += rules.check(register, kind, data)
    state = data.get("state")
    if state not in kind.states:
        known = "、".join(kind.states)
        found.append((("state",), f"state: 未知状态 {state!r}；应为：{known}"))
    found += _place_problems(kind, str(data.get("id", "")), name)
    found += _history_problems(register, kind, data, since)
    return found


def expected_place(kind: Kind, record_id: str) -> str:
    """Where the record ``record_id`` of ``kind`` belongs; "" for an id of no form."""
    match = ID_PATTERN.match(record_id)
    if match is None:
        return ""
    return f"{RECORDS}/{kind.name}/{match['year']}/{record_id}.yaml"


def _place_problems(kind: Kind, record_id: str, name: str) -> list[Problem]:
    match = ID_PATTERN.match(record_id)
    if match is None:
        return [
            (
                ("id",),
                f"id: {record_id!r} 不是记录编号（应形如 {kind.prefix}-2026-0007）",
            )
        ]
    if match["prefix"] != kind.prefix:
        return [(("id",), f"id: {kind.label}的编号应以 {kind.prefix}- 开头")]
    expected = expected_place(kind, record_id)
    if name != expected and not name.endswith(f"/{expected}"):
        return [(("id",), f"id: {record_id} 与文件位置不符，应在 {expected}")]
    return []


def _history_problems(
    register: Register, kind: Kind, data: Any, since: Any
) -> list[Problem]:
    """The walk through the workflow, then who took each step and when."""
    found = check_chain(kind, data)
    history = data.get("history")
    if not isinstance(history, list):
        return found
    settings = register.settings
    zone = register.now().tzinfo
    fresh = set(added_places(since, data)[0]) if since is not None else set()
    before: dt.datetime | None = None
    for index, entry in enumerate(history):
        if not isinstance(entry, dict):
            continue
        by = entry.get("by")
        person = settings.people.get(by) if isinstance(by, str) else None
        action = kind.actions.get(str(entry.get("action")))
        if person is None:
            found.append(
                (
                    ("history", index, "by"),
                    f"history[{index}].by: 名册中没有人员 {by!r}（officectl.yaml）",
                )
            )
        elif index in fresh and action is not None:
            refusal = post_refusal(settings, action, person)
            if refusal:
                found.append((("history", index, "by"), f"history[{index}]: {refusal}"))
        moment = _moment(entry.get("at"), zone)
        if moment is None:
            continue
        if before is not None and moment < before - CLOCK_SKEW:
            found.append(
                (
                    ("history", index, "at"),
                    f"history[{index}].at: 办理时间 {moment.isoformat()} "
                    f"早于上一步的 {before.isoformat()}",
                )
            )
        before = moment if before is None else max(before, moment)
    return found


def _moment(value: Any, zone: dt.tzinfo | None) -> dt.datetime | None:
    """A history entry's moment; one written without a zone is in the office's."""
    if not isinstance(value, dt.datetime):
        try:
            value = dt.datetime.fromisoformat(str(value))
        except ValueError:
            return None  # the schema says what is wanted
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone)
    return value


# --- time limits --------------------------------------------------------------------


def update_limits(
    calendar: OfficeCalendar,
    kind: Kind,
    action: Action,
    tree: Any,
    when: dt.datetime,
    state: str,
) -> None:
    """What a step ending in ``state`` does to ``tree``'s time limits, counted by
    ``calendar``: stop those it stops, open those it starts, extend where it extends.
    The audit replays past steps through here with the calendar of their day."""
    deadlines = tree.get("deadlines")
    if deadlines is None:
        deadlines = []
        yamlio.set_field(tree, "deadlines", deadlines, before="history")
    final = not kind.is_open(state)
    for entry in deadlines:
        limit = kind.limits.get(str(entry.get("limit")))
        if "done" in entry or limit is None:
            continue
        if final or action.name in limit.stop_actions or state in limit.stop_states:
            _close(calendar, limit, entry, when)
    for limit in kind.limits.values():
        if action.name in limit.start_actions:
            entry = _open(calendar, limit, tree, when)
            if entry is None:
                continue
            if final or action.name in limit.stop_actions:
                _close(calendar, limit, entry, when)
            deadlines.append(entry)
    if action.extends:
        _extend(calendar, kind, action, tree, deadlines)


def _open(calendar: OfficeCalendar, limit: Limit, tree: Any, when: dt.datetime) -> Any:
    """A new running limit, or None for a limit whose date nobody has set."""
    start: Any = when if limit.unit == "hours" else when.date()
    if limit.date_field and isinstance(_get(tree, limit.date_field), dt.date):
        start = _get(tree, limit.date_field)
    if limit.due_field:
        due, provisional = _get(tree, limit.due_field), False
        if due in (None, ""):
            return None
    else:
        due, provisional = due_date(calendar, limit, start)
    entry = yamlio.new_map({"limit": limit.name, "label": limit.label})
    entry["start"] = _plain(start)
    entry["due"] = _plain(due)
    if provisional:
        entry["provisional"] = True
    return entry


def _close(
    calendar: OfficeCalendar, limit: Limit, entry: Any, when: dt.datetime
) -> None:
    """Stop a running limit; a stop after its due date keeps the working days late."""
    entry["done"] = _stamp(limit, when)
    due = entry["due"]
    if limit.unit == "hours":
        late = when > _as_datetime(due)
        days = 1 if late else 0
    else:
        days = calendar.workdays_late(due, when.date())
        late = when.date() > due
    if late:
        entry["late"] = max(days, 1)


def due_date(calendar: OfficeCalendar, limit: Limit, start: Any, extra: int = 0) -> Any:
    """When a limit falls due, and whether that rests on a year not yet published."""
    if limit.unit == "hours":
        return calendar.add_hours(_as_datetime(start), limit.length + extra), False
    start_day = start.date() if isinstance(start, dt.datetime) else start
    due = calendar.add(start_day, limit.length + extra, limit.unit)
    return due.date, due.provisional


def _extend(
    calendar: OfficeCalendar, kind: Kind, action: Action, tree: Any, deadlines: Any
) -> None:
    rule = action.extends
    assert rule is not None
    days = int(_get(tree, rule.field))
    if days > rule.max:
        raise Refused(f"{action.label}最多 {rule.max} 日，申请了 {days} 日")
    entries = [e for e in deadlines if e.get("limit") == rule.limit]
    if sum(1 for e in entries if "extended" in e) >= rule.times:
        raise Refused(
            f"{kind.limits[rule.limit].label}时限只能延长 {rule.times} 次，已经延长过"
        )
    open_entries = [e for e in entries if "done" not in e]
    if not open_entries:
        raise Refused(f"没有未到期的{kind.limits[rule.limit].label}时限可以延长")
    entry = open_entries[-1]
    limit = kind.limits[rule.limit]
    start = entry["start"]
    due, provisional = due_date(calendar, limit, start, extra=days)
    yamlio.set_field(entry, "original_due", entry["due"], before="due")
    entry["due"] = _plain(due)
    entry["extended"] = days
    if provisional:
        entry["provisional"] = True


def _stamp(limit: Limit, when: dt.datetime) -> Any:
    return when.isoformat() if limit.unit == "hours" else when.date()


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.datetime) else value


def _as_datetime(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, str):
        return dt.datetime.fromisoformat(value)
    return dt.datetime.combine(value, dt.time())


# --- history, message, writing ------------------------------------------------------


def _append_history(
    tree: Any, action: Action, before: str, after: str, step: StepInput
) -> None:
    entry = yamlio.new_map({"action": action.name})
    if before:
        entry["from"] = before
    entry["to"] = after
    entry["by"] = step.person.id
    if step.on_behalf_of:
        entry["on_behalf_of"] = step.on_behalf_of
    entry["at"] = step.when.isoformat()
    if step.note:
        entry["note"] = step.note
    history = tree.get("history")
    if history is None:
        history = []
        yamlio.set_field(tree, "history", history)
    history.append(entry)


def _message(
    register: Register, kind: Kind, action: Action, tree: Any, step: StepInput
) -> str:
    detail = action.label
    if action.summary:
        values = {
            name: display(register, kind, name, _get(tree, name))
            for name in re.findall(r"{([\w.]+)}", action.summary)
        }
        detail += " " + re.sub(
            r"{([\w.]+)}", lambda m: str(values[m[1]]), action.summary
        )
    return f"{tree['id']} {action.name}: {detail} ({step.person.name})"


def display(register: Register, kind: Kind, path: str, value: Any) -> str:
    """A field value as a person reads it: unit and person ids become names."""
    target = kind.references.get(path)
    settings = register.settings
    if target == "unit" and value in settings.units:
        return settings.units[value].name
    if target == "person" and value in settings.people:
        return settings.people[value].name
    return "" if value is None else str(value)


class Change(NamedTuple):
    """One file a command writes: its new text, and its text before (None if new)."""

    path: Path
    text: str
    previous: str | None


def write_and_commit(
    register: Register,
    path: Path,
    text: str,
    previous: str | None,
    message: str,
    step: StepInput,
    action: Action,
) -> str:
    """Write one record and commit it; on any failure put file and index back."""
    trailers = _trailers(action, step, path.stem)
    return commit_changes(
        register, [Change(path, text, previous)], message, step, trailers
    )


def commit_changes(
    register: Register,
    changes: list[Change],
    message: str,
    step: StepInput,
    trailers: dict[str, str],
) -> str:
    """Write every change and make them one commit, or put everything back."""
    relatives = [register.relative(change.path) for change in changes]
    gitstore.check_writable(register.root, relatives, RULES)
    for change, relative in zip(changes, relatives, strict=True):
        if change.previous is None and change.path.exists():
            raise BadInput(f"{relative} 已存在，编号冲突：请重试")
    who = _identity(register, step, batch=False)
    try:
        for change in changes:
            _atomic_write(change.path, change.text)
        return gitstore.commit(register.root, relatives, message, who, trailers)
    except BaseException:
        for change in changes:
            if change.previous is None:
                change.path.unlink(missing_ok=True)
            else:
                _atomic_write(change.path, change.previous)
        gitstore.unstage(register.root, relatives)
        raise


def _identity(register: Register, step: StepInput, batch: bool) -> gitstore.Identity:
    """The acting person as git author and committer.

    A commit is dated when it is made; only a bulk build of a past year dates each
    commit at its step, so that the history reads like the year it describes.
    """
    person = step.person
    when = step.when if batch else register.now()
    return gitstore.Identity(
        person.name, person.email or f"{person.id}@officectl.invalid", when.isoformat()
    )


def _trailers(action: Action | str, step: StepInput, record_id: str) -> dict[str, str]:
    return {
        gitstore.TRAILER_RECORD: record_id,
        gitstore.TRAILER_ACTION: action if isinstance(action, str) else action.name,
        gitstore.TRAILER_PERSON: step.person.id,
        gitstore.TRAILER_BEHALF: step.on_behalf_of,
    }


def _atomic_write(path: Path, text: str, durable: bool = True) -> None:
    """Replace ``path`` in one rename, so a reader never sees half a record."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    with open(temporary, "w", encoding="utf-8", newline="\n") as stream:
        stream.write(text)
        if durable:
            stream.flush()
            os.fsync(stream.fileno())
    os.replace(temporary, path)


# --- small helpers ------------------------------------------------------------------


def _year_of(value: Any, when: dt.datetime) -> int:
    return value.year if isinstance(value, dt.date) else when.year


def _get(tree: Any, path: str) -> Any:
    node = tree
    for part in path.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def _set(tree: Any, path: str, value: Any) -> None:
    parts = path.split(".")
    node = tree
    for part in parts[:-1]:
        if part not in node or not isinstance(node[part], Mapping):
            yamlio.set_field(node, part, yamlio.new_map(), before=_tail(node))
        node = node[part]
    if value is None:
        yamlio.remove_field(node, parts[-1])
    else:
        yamlio.set_field(node, parts[-1], value, before=_tail(node))


def _tail(node: Any) -> str | None:
    return next((key for key in BOOKKEEPING if key in node), None)


# --- chasing ------------------------------------------------------------------------

CHASE_ACTION = "chase"  # the Officectl-Action of a chase commit
CHASERS = {
    "director",
    "deputy-director",
    "clerk",
    "petition-officer",
    "confidential-clerk",
}


def record_chase(
    register: Register, overdue: Mapping[str, set[str]], step: StepInput
) -> str:
    """Note on each record that its overdue limits were chased today; one commit.

    ``overdue`` maps record ids to the names of their overdue limits. Chasing is the
    office's own step on another unit's late work, so it is open to the office posts
    that chase (催办), whatever the record's state.
    """
    held = register.settings.posts_of(step.person)
    if not held & CHASERS:
        wanted = "、".join(POSTS[post] for post in sorted(CHASERS))
        raise Refused(f"{step.person.label()} 不能催办；须由{wanted}办理")
    _not_in_future(register, "催办日期（--as-of）", _local(register, step.when).date())
    changes = [
        _chased(register, record_id, limits, step)
        for record_id, limits in sorted(overdue.items())
    ]
    ids = "、".join(sorted(overdue)) if len(overdue) <= 3 else f"{len(overdue)} 件"
    message = f"催办 {ids} ({step.person.name})"
    trailers = {
        gitstore.TRAILER_RECORD: ",".join(sorted(overdue)),
        gitstore.TRAILER_ACTION: CHASE_ACTION,
        gitstore.TRAILER_PERSON: step.person.id,
    }
    return commit_changes(register, changes, message, step, trailers)


def _chased(
    register: Register, record_id: str, limits: set[str], step: StepInput
) -> Change:
    path = register.existing_path(record_id)
    previous = yamlio.read_text(path, register.relative(path))
    tree = yamlio.load_for_edit(previous, register.relative(path))
    day = step.when.date()
    for entry in tree.get("deadlines") or []:
        if entry.get("limit") in limits and "done" not in entry:
            chased = entry.get("chased")
            if chased is None:
                chased = []
                yamlio.set_field(entry, "chased", chased)
            if day not in chased:
                chased.append(day)
    text = yamlio.dumps(tree)
    findings = check_text(register, text, register.relative(path))
    if findings:
        raise BadInput("；".join(str(f) for f in findings))
    return Change(path, text, previous)
