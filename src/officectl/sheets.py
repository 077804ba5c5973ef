"""Ledgers in and out: import a 台账 kept in Excel or CSV, export any list of records.

An import reads a ledger through a column mapping (a small YAML file, see
``examples/import-letter.yaml``). Each row becomes a record made by the kind's creating
action, taken by the importing person on the row's date, and, when a status column
says so, by further actions. Every row is built and checked in memory first; problems
are reported as ``FILE:ROW: field: message`` with the row number the clerk sees in Excel.
Only when every row passes (or the bad ones are skipped on request) are the records
written, all of them in one commit by the importing person.

An export writes the records ``list`` selects to xlsx, csv or json, with the personal
data masked as ``list`` masks it.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from officectl import engine, gitstore, ids, reports, yamlio
from officectl.errors import BadInput, OfficeError, RegisterError
from officectl.register import Person, Register
from officectl.workflow import Kind

IMPORT_ACTION = "import"
TRAILER_SOURCE = "Officectl-Source"
EXCEL_DIGITS = 15  # Excel keeps 15 significant digits of a number, and drops the rest
DAY_START = dt.time(9, 0)  # a step dated by a day alone is taken at 9:00 office time

_SCIENTIFIC = re.compile(r"^[+-]?\d+(?:\.\d*)?[eE][+-]?\d+$")
_DAY = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_MAPPING_KEYS = {
    "kind",
    "sheet",
    "header_row",
    "columns",
    "constants",
    "date",
    "status",
}
_STEP_KEYS = {"action", "columns", "constants", "date", "by"}
_EXCEL = {".xlsx", ".xlsm"}
_TEXT = {".csv", ".txt"}


class CellError(Exception):
    """A cell whose value cannot be taken as it stands."""


# --- the column mapping ---------------------------------------------------------------


@dataclass(frozen=True)
class FollowUp:
    """An action taken after the creating one, when the status column asks for it."""

    action: str
    columns: dict[str, str]  # column heading -> field path
    constants: dict[str, Any]
    date_column: str = ""
    by: str = ""  # roster id; default the importing person


@dataclass(frozen=True)
class LedgerMap:
    """How a ledger's columns become a kind's fields."""

    name: str  # the mapping file, for messages
    kind: str
    sheet: str
    header_row: int
    columns: dict[str, str]
    constants: dict[str, Any]
    date_column: str = ""
    status_column: str = ""
    then: dict[str, tuple[FollowUp, ...]] = field(default_factory=dict)

    def headings(self) -> list[str]:
        """Every column the ledger must have."""
        wanted = [*self.columns, self.date_column, self.status_column]
        for steps in self.then.values():
            for step in steps:
                wanted += [*step.columns, step.date_column]
        return list(dict.fromkeys(name for name in wanted if name))


def load_mapping(register: Register, path: Path, kind_name: str) -> LedgerMap:
    """Read and check a mapping file; every problem names the key and the file."""
    name = path.name
    try:
        data, _ = yamlio.load_file(path, name)
    except OSError as err:
        raise BadInput(f"{path}: 无法读取列对照文件：{err.strerror}") from None
    if not isinstance(data, dict):
        raise BadInput(
            f"{name}: 列对照文件应为键值映射（sheet、header_row、columns …）"
        )
    _known_keys(name, "", data, _MAPPING_KEYS)
    kind = register.kind(kind_name)
    if data.get("kind") not in (None, kind.name):
        raise BadInput(f"{name}: kind 是 {data['kind']}，而导入的是 {kind.name}")
    header_row = data.get("header_row", 1)
    if type(header_row) is not int or header_row < 1:
        raise BadInput(
            f"{name}: header_row 应为表头所在的行号（从 1 起），而不是 {header_row!r}"
        )
    columns = _columns(register, kind, name, "columns", data.get("columns"))
    if not columns:
        raise BadInput(
            f"{name}: columns 不能为空：写明“表头: 字段”，如 来信日期: received"
        )
    constants = _constants(register, kind, name, "constants", data.get("constants"))
    _no_overlap(name, "", columns, constants)
    status, then = _status(register, kind, name, data.get("status"))
    mapping = LedgerMap(
        name=name,
        kind=kind.name,
        sheet=_text_key(name, "sheet", data.get("sheet")),
        header_row=header_row,
        columns=columns,
        constants=constants,
        date_column=_heading(_text_key(name, "date", data.get("date"))),
        status_column=status,
        then=then,
    )
    given = set(columns.values()) | set(constants)
    missing = [p for p in kind.creating_action.requires if p not in given]
    if missing:
        raise BadInput(
            f"{name}: 没有为必填字段 {'、'.join(missing)} 指定列（columns）或常量（constants）"
        )
    return mapping


def _known_keys(name: str, where: str, data: dict[str, Any], known: set[str]) -> None:
    unknown = sorted(set(map(str, data)) - known)
    if unknown:
        raise BadInput(
            f"{name}: {where}未知的键 {'、'.join(unknown)}；可用：{'、'.join(sorted(known))}"
        )


def _text_key(name: str, key: str, value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise BadInput(f"{name}: {key} 应为文字，而不是 {value!r}")
    return str(value)


def _heading(text: Any) -> str:
    """A column heading as compared: no spaces or line breaks (表头常有换行)."""
    return re.sub(r"\s+", "", str(text)) if text is not None else ""


def _columns(
    register: Register, kind: Kind, name: str, key: str, data: Any
) -> dict[str, str]:
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise BadInput(f"{name}: {key} 应为“表头: 字段”的映射")
    columns: dict[str, str] = {}
    for heading, path in data.items():
        path = str(path)
        _field_path(register, kind, name, key, path)
        if path in columns.values():
            raise BadInput(f"{name}: {key} 中字段 {path} 对应了两列")
        columns[_heading(heading)] = path
    return columns


def _field_path(register: Register, kind: Kind, name: str, key: str, path: str) -> None:
    if path.split(".")[0] in engine.RESERVED:
        raise BadInput(f"{name}: {key}: 字段 {path} 由 officectl 维护，不能导入")
    try:
        engine.schemas(register).field_schema(kind.name, path)
    except BadInput as err:
        raise BadInput(f"{name}: {key}: {err}") from None


def _constants(
    register: Register, kind: Kind, name: str, key: str, data: Any
) -> dict[str, Any]:
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise BadInput(f"{name}: {key} 应为“字段: 值”的映射")
    typed = {}
    for path, value in data.items():
        _field_path(register, kind, name, key, str(path))
        try:
            typed[str(path)] = _typed(register, kind, str(path), value)
        except (CellError, BadInput) as err:
            raise BadInput(f"{name}: {key}.{path}: {err}") from None
    return typed


def _no_overlap(
    name: str, where: str, columns: dict[str, str], constants: dict[str, Any]
) -> None:
    both = sorted(set(columns.values()) & set(constants))
    if both:
        raise BadInput(
            f"{name}: {where}字段 {'、'.join(both)} 既有列又有常量，只能取其一"
        )


def _status(
    register: Register, kind: Kind, name: str, data: Any
) -> tuple[str, dict[str, tuple[FollowUp, ...]]]:
    if data is None:
        return "", {}
    if not isinstance(data, dict) or not isinstance(data.get("then"), dict):
        raise BadInput(
            f"{name}: status 应写成 column: 状态列 和 then: {{状态值: [动作, …]}}"
        )
    _known_keys(name, "status 中", data, {"column", "then"})
    column = _heading(_text_key(name, "status.column", data.get("column")))
    if not column:
        raise BadInput(f"{name}: status.column 应为状态列的表头")
    then = {}
    for value, steps in data["then"].items():
        where = f"status.then.{value}"
        if not isinstance(steps, list):
            raise BadInput(f"{name}: {where} 应为动作列表（可以为空：[]）")
        then[str(value).strip()] = tuple(
            _follow_up(register, kind, name, f"{where}[{n}]", step)
            for n, step in enumerate(steps)
        )
    return column, then


def _follow_up(
    register: Register, kind: Kind, name: str, where: str, data: Any
) -> FollowUp:
    if isinstance(data, str):
        data = {"action": data}
    if not isinstance(data, dict):
        raise BadInput(f"{name}: {where} 应为动作名，或含 action 的映射")
    _known_keys(name, f"{where} 中", data, _STEP_KEYS)
    action = kind.actions.get(str(data.get("action")))
    if action is None or action.create:
        known = "、".join(a for a, spec in kind.actions.items() if not spec.create)
        raise BadInput(
            f"{name}: {where}: {kind.label}没有动作 {data.get('action')!r}；可用：{known}"
        )
    by = _text_key(name, f"{where}.by", data.get("by"))
    if by:
        register.settings.person(by)
    columns = _columns(register, kind, name, f"{where}.columns", data.get("columns"))
    constants = _constants(
        register, kind, name, f"{where}.constants", data.get("constants")
    )
    _no_overlap(name, f"{where} 中", columns, constants)
    date = _heading(_text_key(name, f"{where}.date", data.get("date")))
    return FollowUp(action.name, columns, constants, date, by)


# --- reading a ledger -----------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One row of a ledger: its number as Excel shows it, and its cells by heading."""

    number: int
    cells: dict[str, Any]


def read_rows(path: Path, mapping: LedgerMap) -> list[Row]:
    """The non-blank rows below the header, keyed by the mapped headings."""
    suffix = path.suffix.lower()
    if suffix in _EXCEL:
        table = _excel_rows(path, mapping.sheet)
    elif suffix in _TEXT:
        table = _csv_rows(path)
    else:
        raise BadInput(
            f"{path.name}: 只能导入 .xlsx 或 .csv 文件；.xls、.et 等请先在 Excel 或 WPS 中"
            "另存为 .xlsx"
        )
    return _keyed(path.name, table, mapping)


def _excel_rows(path: Path, sheet: str) -> Iterator[tuple[int, Sequence[Any]]]:
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except OSError as err:
        raise BadInput(
            f"{path.name}: 无法读取（{err.strerror}）：文件正在 Excel 中打开？"
        ) from None
    except Exception as err:  # openpyxl raises zipfile, XML and key errors alike
        raise BadInput(
            f"{path.name}: 不是可读取的 Excel 文件（{type(err).__name__}）"
        ) from None
    try:
        if sheet and sheet not in book.sheetnames:
            names = "、".join(book.sheetnames)
            raise BadInput(f"{path.name}: 没有工作表“{sheet}”；有：{names}")
        worksheet = book[sheet] if sheet else book.worksheets[0]
        rows = list(worksheet.iter_rows(values_only=True))
    finally:
        book.close()
    return iter(enumerate(rows, start=1))


def _csv_rows(path: Path) -> Iterator[tuple[int, Sequence[Any]]]:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Excel on a Chinese Windows saves "CSV (逗号分隔)" in GBK.
        try:
            text = raw.decode("gb18030")
        except UnicodeDecodeError:
            raise BadInput(f"{path.name}: 既不是 UTF-8 也不是 GBK 编码的文本") from None
    # Excel shows a cell with line breaks as one row: count records, not lines.
    return enumerate(csv.reader(io.StringIO(text, newline="")), start=1)


def _keyed(
    name: str, table: Iterator[tuple[int, Sequence[Any]]], mapping: LedgerMap
) -> list[Row]:
    header: list[str] | None = None
    rows = []
    for number, values in table:
        if number < mapping.header_row:
            continue
        if header is None:
            header = [_heading(value) for value in values]
            _check_header(name, mapping, header)
            continue
        if all(value is None or str(value).strip() == "" for value in values):
            continue
        cells = {
            h: values[i] if i < len(values) else None for i, h in enumerate(header) if h
        }
        rows.append(Row(number, cells))
    if header is None:
        raise BadInput(
            f"{name}: 没有第 {mapping.header_row} 行（表头行，见 {mapping.name} 的 header_row）"
        )
    return rows


def _check_header(name: str, mapping: LedgerMap, header: list[str]) -> None:
    missing = [h for h in mapping.headings() if h not in header]
    if missing:
        present = "、".join(h for h in header if h) or "（空行）"
        raise BadInput(
            f"{name}: 第 {mapping.header_row} 行表头中没有列 {'、'.join(missing)}；"
            f"表头是：{present}（表头不在第 {mapping.header_row} 行？改 {mapping.name} 的 header_row）"
        )
    twice = sorted({h for h in mapping.headings() if header.count(h) > 1})
    if twice:
        raise BadInput(
            f"{name}: 表头中 {'、'.join(twice)} 出现了不止一次，不知该取哪一列"
        )


# --- typing cells ---------------------------------------------------------------------


def _typed(register: Register, kind: Kind, path: str, value: Any) -> Any:
    """A cell (or a constant) as the value of field ``path``; text goes through coerce."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    spec = engine.schemas(register).field_schema(kind.name, path)
    if spec.get("format") == "date":
        return _date(register, kind, path, value)
    wanted = spec.get("type")
    if wanted in {"integer", "number", "boolean"} and isinstance(value, int | float):
        return _number(wanted, value)
    text = _text(value, plain=wanted in {"string", None, "array"})
    typed = engine.schemas(register).coerce(kind.name, path, text)
    return _reference(register, kind, path, typed)


def _date(register: Register, kind: Kind, path: str, value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float):
        raise CellError(
            f"应为日期，单元格却是数字 {value:g}：请把该列设为日期格式，或写成 2026-03-02"
        )
    text = str(value).strip()
    match = _DAY.match(text)
    iso = f"{match[1]}-{int(match[2]):02d}-{int(match[3]):02d}" if match else text
    try:
        day: dt.date = engine.schemas(register).coerce(kind.name, path, iso)
    except BadInput:
        raise CellError(
            f"{text!r} 不是有效的日期（应形如 2026-03-02、2026/3/2 或 2026年3月2日）"
        ) from None
    return day


def _number(wanted: str, value: int | float) -> Any:
    if wanted == "boolean":
        if value in (0, 1):
            return bool(value)
        raise CellError(f"应为 是/否，而不是 {value:g}")
    if wanted == "integer":
        if float(value).is_integer():
            return int(value)
        raise CellError(f"应为整数，而不是 {value:g}")
    return value


def _text(value: Any, plain: bool) -> str:
    """A cell as text; numbers Excel made of codes are checked for lost digits."""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    if isinstance(value, int | float) and plain:
        return _digits(value)
    text = str(value).strip()
    if plain and _SCIENTIFIC.match(text):
        raise CellError(
            f"{text!r} 是科学计数法，原来的号码已经丢失：请在 Excel 中把该列设为文本，"
            "按原件重新录入后再导入"
        )
    return text


def _digits(value: int | float) -> str:
    """A number in a text field (a phone, a code) back as the digits it was typed as."""
    if isinstance(value, float) and not value.is_integer():
        return repr(value)
    digits = str(int(value))
    if len(digits.lstrip("-")) > EXCEL_DIGITS:
        raise CellError(
            f"单元格是数字 {value:.15g}，超过 Excel 能保存的 {EXCEL_DIGITS} 位有效数字，"
            "末尾几位已经丢失：请在 Excel 中把该列设为文本，按原件重新录入后再导入"
        )
    return digits


def _reference(register: Register, kind: Kind, path: str, value: Any) -> Any:
    """A unit or person given by name, as ledgers write them, turned into its roster id."""
    target = kind.references.get(path)
    if target not in {"person", "unit"} or not isinstance(value, str):
        return value
    settings = register.settings
    known: dict[str, Any] = settings.people if target == "person" else settings.units
    if value in known:
        return value
    matches = [key for key, item in known.items() if item.name == value]
    noun = "人员" if target == "person" else "单位"
    if len(matches) > 1:
        raise CellError(
            f"名册中有 {len(matches)} 个{noun}叫“{value}”（{'、'.join(matches)}）：请填编号"
        )
    if not matches:
        raise CellError(
            f"名册中没有{noun}“{value}”：请填 officectl.yaml 中的{noun}编号或名称"
        )
    return matches[0]


def _moment(register: Register, value: Any) -> dt.datetime:
    """When a step was taken, from a date or a date-and-time cell, in office time."""
    zone = register.now().tzinfo
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=zone)
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, DAY_START, zone)
    text = str(value).strip()
    match = _DAY.match(text)
    try:
        if match:
            day = dt.date(int(match[1]), int(match[2]), int(match[3]))
            return dt.datetime.combine(day, DAY_START, zone)
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise CellError(
            f"{text!r} 不是有效的日期（应形如 2026-03-02 或 2026-03-02 09:30）"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=zone)


# --- building the records ---------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """What is wrong with one row: ``FILE:ROW: field: message``."""

    file: str
    row: int
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.row}"
        return (
            f"{where}: {self.field}: {self.message}"
            if self.field
            else f"{where}: {self.message}"
        )


@dataclass(frozen=True)
class Built:
    """A row built into a record, checked, not yet written."""

    row: int
    record_id: str
    path: Path
    text: str


@dataclass
class Plan:
    """What an import would write, and what stops it."""

    kind: str
    source: str
    rows: int
    built: list[Built]
    problems: list[Problem]
    notes: list[str]

    @property
    def bad_rows(self) -> list[int]:
        return sorted({problem.row for problem in self.problems})


class _Ids:
    """Ids handed out in row order, counting those not on disk yet.

    ``peek`` gives the next free id of a kind and year (from this clone's leased
    blocks, when the register leases them); only a row that passes ``claim``s it, so a
    bad row leaves no gap in the numbering. The folder is read once per kind and year.
    """

    def __init__(self, register: Register) -> None:
        self.register = register
        self.used: dict[tuple[str, int], set[int]] = {}

    def peek(self, kind: Kind, year: int) -> str:
        key = (kind.prefix, year)
        if key not in self.used:
            self.used[key] = ids.numbers_on_file(self.register.root, kind, year)
        return ids.next_id(self.register, kind, year, used=self.used[key])

    def claim(self, record_id: str) -> None:
        prefix, year, number = record_id.rsplit("-", 2)
        self.used[(prefix, int(year))].add(int(number))


class _RowProblems(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems


def plan_import(
    register: Register, mapping: LedgerMap, path: Path, person: Person
) -> Plan:
    """Build every row into a record in memory and check it; write nothing."""
    rows = read_rows(path, mapping)
    builder = _Builder(register, mapping, path.name, person)
    built, problems = [], []
    for row in rows:
        try:
            built.append(builder.build(row))
        except _RowProblems as found:
            problems += found.problems
    return Plan(mapping.kind, path.name, len(rows), built, problems, builder.notes())


def write_import(register: Register, plan: Plan, person: Person) -> str:
    """Write the built records and commit them as one commit; return its id."""
    if not plan.built:
        raise BadInput(f"{plan.source}: 没有可导入的行")
    lines = [f"第 {b.row} 行 → {b.record_id}" for b in plan.built]
    message = f"导入 {plan.kind} {len(plan.built)} 件（{plan.source}）\n\n" + "\n".join(
        lines
    )
    trailers = {
        gitstore.TRAILER_ACTION: IMPORT_ACTION,
        gitstore.TRAILER_PERSON: person.id,
        TRAILER_SOURCE: plan.source,
    }
    changes = [engine.Change(b.path, b.text, None) for b in plan.built]
    step = engine.StepInput(person, register.now(), {})
    return engine.commit_changes(register, changes, message, step, trailers)


class _Builder:
    """Turns rows into records through the engine's creating path, without writing."""

    def __init__(
        self, register: Register, mapping: LedgerMap, source: str, person: Person
    ):
        self.register = register
        self.mapping = mapping
        self.kind = register.kind(mapping.kind)
        self.source = source
        self.person = person
        self.ids = _Ids(register)
        self.numbers: dict[str, list[tuple[int, Any]]] = {}  # heading -> (row, cell)

    def build(self, row: Row) -> Built:
        """The row's record, or :class:`_RowProblems` with everything wrong in it."""
        mapping, found = self.mapping, list[Problem]()
        fields = self._fields(row, mapping.columns, mapping.constants, found)
        when = self._when(row, mapping.date_column, None, fields, found)
        requires = self.kind.creating_action.requires
        self._require(row, requires, {}, fields, mapping.columns, found)
        steps, last = [], when
        for then in self._follow_ups(row, found):
            then_fields = self._fields(row, then.columns, then.constants, found)
            last = self._when(row, then.date_column, last, {}, found)
            steps.append((then, then_fields, last))
        if found:
            raise _RowProblems(found)

        step = self._step(row, when, fields, self.person)
        with self._reported(row):
            outcome = engine.create(
                self.register,
                self.kind.name,
                step,
                dry_run=True,
                allocate=self.ids.peek,
            )
        self._check(row, mapping.columns, outcome)
        for then, then_fields, then_when in steps:
            outcome = self._then(row, then, then_fields, then_when, outcome)
        self.ids.claim(outcome.record_id)
        return Built(row.number, outcome.record_id, outcome.path, outcome.text)

    def _then(
        self,
        row: Row,
        then: FollowUp,
        fields: dict[str, Any],
        when: dt.datetime,
        before: engine.Outcome,
    ) -> engine.Outcome:
        """Take a follow-up action on the record built so far."""
        person = self.register.settings.person(then.by) if then.by else self.person
        data, _ = yamlio.loads(before.text, before.record_id)
        found: list[Problem] = []
        requires = self.kind.actions[then.action].requires
        self._require(row, requires, data, fields, then.columns, found)
        if found:
            raise _RowProblems(found)
        step = self._step(row, when, fields, person)
        with self._reported(row):
            outcome = engine.take(
                self.register,
                before.record_id,
                then.action,
                step,
                dry_run=True,
                text=before.text,
            )
        self._check(row, then.columns, outcome)
        return outcome

    def _fields(
        self,
        row: Row,
        columns: dict[str, str],
        constants: dict[str, Any],
        found: list[Problem],
    ) -> dict[str, Any]:
        fields: dict[str, Any] = dict(constants)
        for heading, path in columns.items():
            value = row.cells.get(heading)
            try:
                typed = _typed(self.register, self.kind, path, value)
            except (CellError, BadInput) as err:
                found.append(self._problem(row, heading, path, str(err)))
                continue
            if typed is None:
                continue
            fields[path] = typed
            if isinstance(value, int | float) and isinstance(typed, str):
                self.numbers.setdefault(heading, []).append((row.number, value))
        return fields

    def _when(
        self,
        row: Row,
        heading: str,
        previous: dt.datetime | None,
        fields: dict[str, Any],
        found: list[Problem],
    ) -> dt.datetime:
        """When the row's step was taken: its date column, else the step before's
        date, else the record's own date (来信日期), else now."""
        value = row.cells.get(heading) if heading else None
        if value is None or str(value).strip() == "":
            if previous is not None:
                return previous
            value = fields.get(self.kind.year_field)
            if not isinstance(value, dt.date):
                return self.register.now()
        try:
            return _moment(self.register, value)
        except CellError as err:
            found.append(self._problem(row, heading, "", str(err)))
            return previous or self.register.now()

    def _follow_ups(self, row: Row, found: list[Problem]) -> tuple[FollowUp, ...]:
        mapping = self.mapping
        status = str(row.cells.get(mapping.status_column) or "").strip()
        if not mapping.status_column or not status:
            return ()
        if status not in mapping.then:
            known = "、".join(mapping.then) or "（无）"
            message = f"{status!r} 不在 {mapping.name} 的 status.then 中；应为：{known}"
            found.append(self._problem(row, mapping.status_column, "", message))
            return ()
        return mapping.then[status]

    def _require(
        self,
        row: Row,
        requires: Sequence[str],
        data: dict[str, Any],
        fields: dict[str, Any],
        columns: dict[str, str],
        found: list[Problem],
    ) -> None:
        """Required fields left empty, named by their column (the engine says --set)."""
        headings = {path: heading for heading, path in columns.items()}
        for path in requires:
            if fields.get(path) not in (None, "", []):
                continue
            if reports.field_value(data, path) not in (None, "", []):
                continue
            if path in headings and row.cells.get(headings[path]) not in (None, ""):
                continue  # the cell is there but bad: reported already
            heading = headings.get(path, "")
            message = (
                "必填，但这一格是空的" if heading else "必填，但列对照中没有这一列"
            )
            found.append(self._problem(row, heading, path, message))

    @contextmanager
    def _reported(self, row: Row) -> Iterator[None]:
        """An error the engine raises for a row (a post, a state) as the row's problem.

        A :class:`RegisterError` (no numbers left in this clone's block, say) is not
        the row's fault: it stops the import.
        """
        try:
            yield
        except RegisterError:
            raise
        except OfficeError as err:
            raise _RowProblems([self._problem(row, "", "", str(err))]) from None

    def _check(
        self, row: Row, columns: dict[str, str], outcome: engine.Outcome
    ) -> None:
        if outcome.findings:
            raise _RowProblems(
                [
                    self._finding(row, columns, finding.message)
                    for finding in outcome.findings
                ]
            )

    def _step(
        self, row: Row, when: dt.datetime, fields: dict[str, Any], person: Person
    ) -> engine.StepInput:
        note = f"导入自 {self.source} 第 {row.number} 行"
        return engine.StepInput(person=person, when=when, fields=fields, note=note)

    def _finding(self, row: Row, columns: dict[str, str], message: str) -> Problem:
        """An engine finding (``path（title）: message``) named by its column."""
        head, _, rest = message.partition(": ")
        match = re.match(r"[\w.-]+", head)
        path = match[0] if match else ""
        if rest.startswith("缺少必填字段 "):
            missing = rest.split(" ", 1)[1]
            path = f"{path}.{missing}" if path else missing
        headings = {p: h for h, p in {**self.mapping.columns, **columns}.items()}
        if path in headings:
            return self._problem(row, headings[path], path, rest or message)
        return Problem(self.source, row.number, head if rest else "", rest or message)

    def _problem(self, row: Row, heading: str, path: str, message: str) -> Problem:
        label = f"{heading}（{path}）" if heading and path else heading or path
        return Problem(self.source, row.number, label, message)

    def notes(self) -> list[str]:
        """Columns of numbers taken as text: the clerk should check them."""
        notes = []
        for heading, cells in self.numbers.items():
            number, value = cells[0]
            notes.append(
                f"{self.source}: {heading} 列有 {len(cells)} 格是数字，已按文本导入"
                f"（如第 {number} 行 {_digits(value)}）；"
                "Excel 会去掉开头的 0，请核对，并把该列设为文本格式"
            )
        return notes


# --- export ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    key: str
    heading: str
    date: bool = False


COMMON = [
    Column("id", "编号"),
    Column("kind", "类型"),
    Column("state", "状态"),
    Column("title", "事由"),
    Column("due", "最近时限", date=True),
    Column("provisional", "暂定"),  # the due date rests on a year not yet published
]
LATE = Column("late", "逾期工作日")
SKIPPED_FIELDS = {"id", "kind", "state", "deadlines", "history"}
WIDEST = 60  # characters; longer text wraps in its cell
# Text that Excel would run as a formula when the file is opened (CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def export_table(
    register: Register,
    chosen: reports.Selection,
    kind_name: str | None,
    overdue: bool,
    viewer: Person | None,
) -> tuple[list[Column], list[dict[str, Any]], list[str]]:
    """Columns, rows and unreadable files for the records ``list`` would show.

    With a kind, every field of its schema follows the list's columns, masked as
    ``list`` masks them; a confidential kind shows its fields only to those who may.
    """
    kind = register.kind(kind_name) if kind_name else None
    fields = _field_columns(register, kind, viewer) if kind else []
    columns = [*COMMON, *([LATE] if overdue else []), *fields]
    rows, skipped = [], []
    for entry in chosen.entries:
        row = reports.list_row(register, entry, chosen.late, viewer)
        if fields and kind is not None:
            try:
                data, _ = yamlio.load_file(register.root / entry.path, entry.path)
            except (yamlio.YamlError, OSError) as err:
                skipped.append(str(err))
                continue
            row.update(
                _field_values(register, kind, reports.masked(kind, data), fields)
            )
        rows.append(row)
    return columns, rows, skipped


def _field_columns(
    register: Register, kind: Kind, viewer: Person | None
) -> list[Column]:
    if kind.confidential and not reports.may_see_classified(register, viewer):
        return []
    schemas = engine.schemas(register)
    columns = []
    for name in schemas.schema(kind.name).get("properties", {}):
        if name in SKIPPED_FIELDS or name == kind.title_field:
            continue
        spec = schemas.field_schema(kind.name, name)
        if spec.get("writeOnly") or spec.get("deprecated"):
            # Never stored: one step's input, or what a record may not hold (the
            # content of a classified document).
            continue
        if spec.get("type") == "object" and "properties" in spec:
            for part in spec["properties"]:
                path = f"{name}.{part}"
                inner = schemas.field_schema(kind.name, path)
                heading = _title(spec, name) + _title(inner, part)
                columns.append(Column(path, heading, inner.get("format") == "date"))
        else:
            columns.append(
                Column(name, _title(spec, name), spec.get("format") == "date")
            )
    return _distinct(columns)


def _distinct(columns: list[Column]) -> list[Column]:
    """Columns whose headings are all different: a repeated one names its field."""
    counts: dict[str, int] = {}
    for column in columns:
        counts[column.heading] = counts.get(column.heading, 0) + 1
    return [
        Column(column.key, f"{column.heading}（{column.key}）", column.date)
        if counts[column.heading] > 1
        else column
        for column in columns
    ]


def _title(spec: dict[str, Any], name: str) -> str:
    """A schema title as a column heading: 电话（数字，加引号写成文本） → 电话."""
    title = str(spec.get("title") or name)
    return re.sub(r"（.*$", "", title) or title


def _field_values(
    register: Register, kind: Kind, data: dict[str, Any], columns: list[Column]
) -> dict[str, Any]:
    values = {}
    for column in columns:
        value = reports.field_value(data, column.key)
        if isinstance(value, list):
            value = _flat(value)
        elif column.key in kind.references and value is not None:
            value = engine.display(register, kind, column.key, value)
        values[column.key] = value
    return values


def _flat(value: Any) -> str:
    """A list as one cell: items of a list of mappings (a copy, a ledger line) apart
    by "；", each its values in order; plain items apart by "、".
    Example: ``000001 在库；000002 已清退``."""
    if isinstance(value, list):
        parts = [_flat(item) for item in value]
        joiner = "；" if any(isinstance(item, dict) for item in value) else "、"
        return joiner.join(part for part in parts if part)
    if isinstance(value, dict):
        return " ".join(
            part for part in (_flat(item) for item in value.values()) if part
        )
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def write_export(
    path: Path, fmt: str, columns: list[Column], rows: list[dict[str, Any]], sheet: str
) -> None:
    """Write the table to ``path`` in one rename, so no half-written file is left."""
    from officectl.outfile import write_with

    if fmt == "xlsx":
        write_with(path, lambda temporary: _write_xlsx(temporary, columns, rows, sheet))
    elif fmt == "csv":
        write_with(path, lambda temporary: _write_csv(temporary, columns, rows))
    else:
        write_with(path, lambda temporary: _write_json(temporary, columns, rows))


def _write_csv(path: Path, columns: list[Column], rows: list[dict[str, Any]]) -> None:
    # With a byte-order mark, Excel on a Chinese Windows opens the file as UTF-8.
    with open(path, "w", encoding="utf-8-sig", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow([c.heading for c in columns])
        writer.writerows([[_plain(row.get(c.key)) for c in columns] for row in rows])


def _write_json(path: Path, columns: list[Column], rows: list[dict[str, Any]]) -> None:
    data = [{c.key: yamlio.to_json(row.get(c.key)) for c in columns} for row in rows]
    path.write_text(
        json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )


def _plain(value: Any) -> str:
    """A CSV cell; text Excel would take for a formula keeps a leading quote."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dt.date | int | float):
        return value.isoformat() if isinstance(value, dt.date) else str(value)
    text = str(value)
    return f"'{text}" if text.startswith(FORMULA_START) else text


def _write_xlsx(
    path: Path, columns: list[Column], rows: list[dict[str, Any]], sheet: str
) -> None:
    import openpyxl
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    book = openpyxl.Workbook(write_only=True)
    worksheet = book.create_sheet(sheet[:31])  # Excel's limit on sheet names
    table = [[_excel(row.get(c.key), c.date) for c in columns] for row in rows]
    for number, column in enumerate(columns, start=1):
        width = max([_width(column.heading), *(_width(r[number - 1]) for r in table)])
        worksheet.column_dimensions[get_column_letter(number)].width = min(
            width + 2, WIDEST
        )
    worksheet.freeze_panes = "A2"
    last = get_column_letter(len(columns))
    worksheet.auto_filter.ref = f"A1:{last}{len(rows) + 1}"

    bold = Font(bold=True)
    heading_cells = []
    for column in columns:
        cell = WriteOnlyCell(worksheet, value=column.heading)
        cell.font = bold
        heading_cells.append(cell)
    worksheet.append(heading_cells)
    wrap = Alignment(wrap_text=True, vertical="top")
    for values in table:
        cells = []
        for value in values:
            cell = WriteOnlyCell(worksheet, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # never a formula, whatever the text starts with
            if isinstance(value, dt.datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"
            elif isinstance(value, dt.date):
                cell.number_format = "yyyy-mm-dd"
            elif isinstance(value, str) and _width(value) > WIDEST:
                cell.alignment = wrap
            cells.append(cell)
        worksheet.append(cells)
    book.save(path)


def _excel(value: Any, date_column: bool) -> Any:
    """A value as an Excel cell: dates as real dates, times in office time, no zone."""
    if isinstance(value, str) and date_column and value:
        try:
            value = (
                dt.datetime.fromisoformat(value)
                if "T" in value
                else dt.date.fromisoformat(value)
            )
        except ValueError:
            return value
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)
    if value is None or isinstance(value, dt.date | int | float | bool):
        return value
    return str(value)


def _width(value: Any) -> int:
    """Columns an Excel cell needs: a Chinese character takes two."""
    from wcwidth import wcwidth

    if isinstance(value, dt.datetime):
        return 16
    if isinstance(value, dt.date):
        return 10
    text = "" if value is None else str(value)
    return max(
        (sum(max(wcwidth(ch), 0) for ch in line) for line in text.splitlines()),
        default=0,
    )
