"""What the document kinds share: numbers, logs, owned fields, dates and fonts.

The five document kinds (incoming, outgoing, classified, manuscript, bulletin) each have
a rules module beside this one; the pieces here are the ones more than one of them
needs. Nothing here knows a kind by name: each module passes in its own fields.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from collections.abc import Callable, Hashable, Iterable, Mapping
from functools import lru_cache
from typing import Any

from officectl import reports, yamlio
from officectl.errors import BadInput, OfficeError
from officectl.register import Register
from officectl.workflow import Action, Kind

# What ``check`` returns: (path of the field in the record, message) pairs.
FieldPath = tuple[Any, ...]
Problems = list[tuple[FieldPath, str]]

# 《党政机关公文处理工作条例》第九条: 紧急公文标注“特急”“加急”, 电报另有“特提”; these
# must carry a handling deadline (第二十四条: 紧急公文应当明确办理时限).
URGENT = ("特提", "特急", "加急")

# 《保守国家秘密法》第二十条: 除另有规定外，绝密 ≤ 30 年，机密 ≤ 20 年，秘密 ≤ 10 年.
SECRECY_YEARS = {"绝密": 30, "机密": 20, "秘密": 10}


# --- steps --------------------------------------------------------------------------


def given(step: Any, name: str) -> bool:
    """Whether this step's own input (``--set``) names the field."""
    return name in step.fields


def refuse_given(
    step: Any, owned: Mapping[str, str | tuple[str, ...]], action: Action, kind: Kind
) -> None:
    """Refuse a field that only some actions (or only officectl) may write.

    ``owned`` maps a field to the action or actions that write it, or to ``""`` when
    officectl keeps it itself (a log or a ledger). A clerk who sets such a field on
    another step would bypass the checks those actions make (a number out of
    sequence, a ledger line nobody took).
    """
    for name, owners in owned.items():
        allowed = (owners,) if isinstance(owners, str) else owners
        if not given(step, name) or action.name in allowed:
            continue
        if allowed == ("",):
            raise BadInput(f"{name} 由 officectl 记录，不能直接设置")
        labels = "或".join(f"{kind.actions[a].label}（{a}）" for a in allowed)
        raise BadInput(f"{name} 只能在{labels}时填写")


def take_inputs(tree: Any, names: Iterable[str]) -> dict[str, Any]:
    """Remove step-only fields from the record and return their values.

    Fields such as the copy lent or the comment received are the input of one step;
    the rules module writes them into a log, so they are not kept at the top level.
    """
    values = {}
    for name in names:
        if name in tree:
            values[name] = tree[name]
            yamlio.remove_field(tree, name)
    return values


def step_inputs(register: Register, kind: Kind) -> list[str]:
    """Fields the kind's schema marks ``writeOnly``: one step's input, never stored."""
    from officectl.engine import schemas

    properties = schemas(register).schema(kind.name).get("properties", {})
    return [name for name, spec in properties.items() if spec.get("writeOnly")]


def stray_inputs(register: Register, kind: Kind, data: Mapping[str, Any]) -> Problems:
    """Step inputs found in a stored record: a hand edit, or a step that lost them."""
    return [
        ((name,), f"{name}: 只在办理时填写，由 officectl 记入日志，不应留在记录中")
        for name in step_inputs(register, kind)
        if name in data
    ]


def append(tree: Any, field: str, entry: Mapping[str, Any]) -> Any:
    """Append an entry to a list field, creating it before the bookkeeping fields."""
    items = tree.get(field)
    if items is None:
        items = []
        yamlio.set_field(tree, field, items, before="deadlines")
    item = yamlio.new_map(dict(entry))
    items.append(item)
    return item


def put(tree: Any, field: str, value: Any, after: str | None = None) -> None:
    """Set a field; a new one goes after ``after`` when that exists, else before the
    bookkeeping at the end, so records read in the same order whoever wrote them."""
    keys = list(tree.keys())
    if field not in tree and after in keys:
        index = keys.index(after) + 1
        before = keys[index] if index < len(keys) else None
    else:
        before = "deadlines" if "deadlines" in keys else "history"
    yamlio.set_field(tree, field, value, before=before)


def stamp(step: Any) -> str:
    """The step's moment as the history writes it."""
    return str(step.when.isoformat())


def take_step(
    steps: Mapping[str, Callable[..., None]],
    owned: Mapping[str, str | tuple[str, ...]],
    register: Register,
    kind: Kind,
    action: Action,
    tree: Any,
    step: Any,
) -> None:
    """A kind's ``before_step``: refuse fields another action owns, then its rule."""
    refuse_given(step, owned, action, kind)
    rule = steps.get(action.name)
    if rule is not None:
        rule(register, tree, step)


def took(data: Mapping[str, Any], action: str) -> bool:
    """Whether the record's history has a step of ``action``."""
    return any(entry.get("action") == action for entry in data.get("history") or [])


def default_received(tree: Any, step: Any, day_field: str, time_field: str) -> None:
    """Sign-in date and time: the step's own unless given; a past date needs its time.

    A clerk who registers a document as it arrives need not type the time; one who
    enters a document signed for on an earlier day must say when, since the time of
    signing for is what the record is kept for (《条例》第二十四条：注明签收时间).
    """
    today = step.when.date()
    if tree.get(day_field) is None:
        put(tree, day_field, today, after="state")
    if tree.get(time_field) is not None:
        return
    if tree[day_field] != today:
        raise BadInput(
            f"补登 {tree[day_field]} 签收的文件须写明签收时间：--set {time_field}=HH:MM"
        )
    put(tree, time_field, step.when.strftime("%H:%M"), after=day_field)


# --- people -------------------------------------------------------------------------


def posts(register: Register, person_id: Any) -> set[str]:
    """The posts a roster person holds; empty for an id not in the roster."""
    person = register.settings.people.get(str(person_id))
    return register.settings.posts_of(person) if person else set()


def name(register: Register, person_id: Any) -> str:
    person = register.settings.people.get(str(person_id))
    return person.name if person else str(person_id)


def known_person(register: Register, field: str, value: Any) -> str:
    if value not in register.settings.people:
        raise BadInput(f"{field}: 名册中没有人员 {value!r}（officectl.yaml）")
    return str(value)


def known_unit(register: Register, field: str, value: Any) -> str:
    if value not in register.settings.units:
        raise BadInput(f"{field}: 名册中没有单位 {value!r}（officectl.yaml）")
    return str(value)


# --- time limits with a date a person sets ------------------------------------------


def not_before(field: str, value: Any, day: dt.date) -> None:
    if isinstance(value, dt.date) and value < day:
        raise BadInput(f"{field}: {value} 早于今天 {day}，时限应在今后")


# --- sequence numbers ---------------------------------------------------------------

# A number read from a record: the sequence it belongs to (代字 and year, a year, a
# series and year) and its place in it.
Numbered = tuple[Any, int]
Reader = Callable[[Mapping[str, Any]], Numbered | None]


class Numbers:
    """The numbers already given in one kind's records, per sequence.

    Read once per :class:`Register` object from the index (officectl.index keeps each
    record's ``number_of``) and kept up to date as steps give numbers. Where the index
    has never been built, as in the first validate of a fresh clone, which reads every
    record anyway, the kind's records are read instead. A number given by a step that
    then failed would leave a phantom; the highest number of a sequence is re-read from
    its record before it is trusted.
    """

    def __init__(self, register: Register, kind_name: str, read: Reader) -> None:
        self.register = register
        self.read = read
        self.holders: dict[Hashable, dict[int, set[str]]] = {}
        self.of_record: dict[str, Numbered] = {}
        for record_id, sequence, number in _given(register, kind_name, read):
            self.give(record_id, sequence, number)

    @classmethod
    def of(cls, register: Register, kind_name: str, read: Reader) -> Numbers:
        cache = register.__dict__.setdefault("_document_numbers", {})
        if kind_name not in cache:
            cache[kind_name] = cls(register, kind_name, read)
        numbers: Numbers = cache[kind_name]
        return numbers

    def holder(self, key: Hashable, number: int, but: str = "") -> str:
        """Another record holding ``number`` in sequence ``key``, or ``""``."""
        others = self.holders.get(key, {}).get(number, set()) - {but}
        return min(others, default="")

    def highest(self, key: Hashable, but: str = "") -> int:
        numbers = self.holders.get(key, {})
        for number in sorted(numbers, reverse=True):
            for record in sorted(numbers[number] - {but}):
                if self._still_there(record, (key, number)):
                    return number
                self.forget(record)
        return 0

    def give(self, record_id: str, key: Hashable, number: int) -> None:
        self.forget(record_id)
        self.holders.setdefault(key, {}).setdefault(number, set()).add(record_id)
        self.of_record[record_id] = (key, number)

    def forget(self, record_id: str) -> None:
        if record_id not in self.of_record:
            return
        key, number = self.of_record.pop(record_id)
        holders = self.holders[key][number]
        holders.discard(record_id)
        if not holders:
            del self.holders[key][number]

    def claim(
        self,
        record_id: str,
        key: Hashable,
        wanted: int | None,
        show: Callable[[int], str],
    ) -> int:
        """The record's number: the next free one, or ``wanted`` if it fits.

        A number given by hand (an import, a number reserved on paper) is taken only
        when no other record holds it and it leaves no gap behind it.
        """
        highest = self.highest(key, but=record_id)
        if wanted is None:
            number = highest + 1
        elif other := self.holder(key, wanted, but=record_id):
            raise BadInput(f"{show(wanted)} 已由 {other} 使用，不能重复编号")
        elif wanted > highest + 1:
            raise BadInput(f"{show(wanted)} 会跳号：下一个应为 {show(highest + 1)}")
        else:
            number = wanted
        self.give(record_id, key, number)
        return number

    def _still_there(self, record_id: str, expected: Numbered) -> bool:
        try:
            data, _ = yamlio.load_file(self.register.existing_path(record_id))
        except (OfficeError, OSError):  # a record gone or unreadable holds no number
            return False
        return isinstance(data, dict) and self.read(data) == expected


def _given(
    register: Register, kind_name: str, read: Reader
) -> list[tuple[str, Hashable, int]]:
    """(record, sequence, number) of every number given in the kind's records."""
    from officectl.index import Index

    with Index(register) as index:
        if index.is_built():
            index.refresh()  # reads only what changed since it was last brought up
            return index.numbers(kind_name)
    given = []
    for summary in reports.read_all(register, kind_name).records:
        found = read(summary.data)
        if found is not None:
            given.append((summary.id, *found))
    return given


def record_year(data: Mapping[str, Any]) -> int | None:
    match = re.match(r"^[A-Z]{2,5}-(\d{4})-", str(data.get("id", "")))
    return int(match[1]) if match else None


# --- fonts --------------------------------------------------------------------------

# The fonts GB/T 9704-2012 names, as installed from the usual Windows and 方正 files.
STANDARD_FONTS = ("仿宋_GB2312", "方正小标宋_GBK", "楷体_GB2312", "黑体", "宋体")
STANDARD_ALIASES = {
    "仿宋_GB2312": ("仿宋_GB2312", "FangSong_GB2312", "仿宋", "FangSong"),
    "方正小标宋_GBK": ("方正小标宋_GBK", "方正小标宋简体", "FZXiaoBiaoSong-B05S"),
    "楷体_GB2312": ("楷体_GB2312", "KaiTi_GB2312", "楷体", "KaiTi"),
    "黑体": ("黑体", "SimHei"),
    "宋体": ("宋体", "SimSun"),
}


def standard_fonts_present(families: Iterable[str] | None = None) -> bool:
    """Whether the fonts GB/T 9704 names are installed, by ``fc-list``.

    Printed documents fall back to free fonts (Noto, Source Han, WenQuanYi) when they
    are not; the command line warns, since a fallback changes line breaks and the
    document no longer fits 28 characters by 22 lines. Without ``fc-list`` (no
    fontconfig) nothing can be known, and the answer is False.
    """
    return not missing_standard_fonts(families)


def missing_standard_fonts(families: Iterable[str] | None = None) -> list[str]:
    """The standard fonts not installed, by the names GB/T 9704 gives them."""
    names = set(families) if families is not None else _installed_families()
    return [
        font
        for font in STANDARD_FONTS
        if not any(alias in names for alias in STANDARD_ALIASES[font])
    ]


@lru_cache(maxsize=1)
def _installed_families() -> frozenset[str]:
    program = shutil.which("fc-list")
    if program is None:
        return frozenset()
    done = subprocess.run(
        [program, ":", "family"],
        capture_output=True,
        text=True,
        check=False,
        timeout=20,
    )
    families: set[str] = set()
    for line in done.stdout.splitlines():
        families.update(part.strip() for part in line.split(",") if part.strip())
    return frozenset(families)
