"""The register: a git repository holding ``officectl.yaml`` and one file per record.

Layout of a register::

    officectl.yaml                       office, time zone, roster, departments, bureaus
    calendar.yaml                        the office's own working-day calendar (optional)
    registers/<kind>/<year>/<ID>.yaml    one record per file, named by its id
    schemas/ workflows/ templates/       overrides of the shipped defaults (optional)

The register is found the way git finds a repository: walk up from the working
directory until a folder holds ``officectl.yaml``.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Callable, Iterator
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from officectl.errors import BadInput, NotFound, RegisterError
from officectl.resources import default_dir

if TYPE_CHECKING:
    from officectl.workdays import OfficeCalendar
    from officectl.workflow import Kind

SETTINGS = "officectl.yaml"
RECORDS = "registers"
# The files that make the register's rules: a step is judged by them as committed.
RULES = (SETTINGS, "calendar.yaml", "workflows", "schemas", "templates")
ENV_VAR = "OFFICECTL_REGISTER"

ID_PATTERN = re.compile(r"^(?P<prefix>[A-Z]{2,5})-(?P<year>\d{4})-(?P<number>\d{4,6})$")

POSTS = {
    "director": "办公室主任",
    "deputy-director": "办公室副主任",
    "clerk": "书记岗（文书）",
    "confidential-clerk": "机要保密岗",
    "writer": "文秘写作岗",
    "web-manager": "网站管理岗",
    "petition-officer": "信访管理岗",
    "finance-officer": "财务管理岗",
    "leader": "局领导",
    "leader-in-charge": "分管局领导",
    "department-head": "处室负责人",
    "staff": "处室工作人员",
}

# Posts held within one unit: they count only on a record that unit is responsible for
# (see ``unit_field`` in a workflow), never on another unit's case.
UNIT_POSTS = frozenset({"department-head", "staff"})


class Person(NamedTuple):
    id: str
    name: str
    posts: tuple[str, ...]
    department: str
    email: str

    def label(self) -> str:
        return f"{self.name}（{self.id}）"


class Unit(NamedTuple):
    """A department of the bureau, or a lower bureau cases are transferred to."""

    id: str
    name: str
    head: str = ""
    lower: bool = False


class Settings(NamedTuple):
    office: str
    bureau: str
    fonds: str
    timezone: str
    people: dict[str, Person]
    units: dict[str, Unit]
    raw: dict[str, Any]

    def person(self, person_id: str) -> Person:
        try:
            return self.people[person_id]
        except KeyError:
            raise NotFound(f"名册中没有人员 {person_id}") from None

    def unit(self, unit_id: str) -> Unit:
        try:
            return self.units[unit_id]
        except KeyError:
            raise NotFound(f"名册中没有单位 {unit_id}") from None

    def by_email(self, email: str) -> Person | None:
        wanted = email.strip().lower()
        for person in self.people.values():
            if person.email.lower() == wanted:
                return person
        return None

    def posts_of(self, person: Person) -> set[str]:
        """A person's posts, with ``department-head`` for anyone who heads a unit."""
        posts = set(person.posts)
        if any(unit.head == person.id for unit in self.units.values()):
            posts.add("department-head")
        return posts

    def posts_in(self, person: Person, unit: str) -> set[str]:
        """A person's posts on a record ``unit`` is responsible for: a unit-bound post
        counts only for the unit the person heads or works in; "" is no unit yet."""
        return {
            post
            for post in self.posts_of(person)
            if post not in UNIT_POSTS or unit in self.units_of(person, post)
        }

    def units_of(self, person: Person, post: str) -> list[str]:
        """The units in which ``person`` holds the unit-bound ``post``."""
        if post == "department-head":
            headed = [u.id for u in self.units.values() if u.head == person.id]
            if headed or "department-head" not in person.posts:
                return headed
        return [person.department] if person.department else []


def parse_settings(data: Any, name: str, lines: Any = None) -> Settings:
    """Turn ``officectl.yaml`` into :class:`Settings`; every problem names the field.

    ``lines`` (a :class:`officectl.yamlio.Lines`) adds the line of the field.
    """

    def bad(path: tuple[Any, ...], message: str) -> BadInput:
        where = f"{name}:{lines.of(path)}" if lines is not None else name
        field = ".".join(str(part) for part in path)
        return BadInput(
            f"{where}: {field}: {message}" if field else f"{where}: {message}"
        )

    if not isinstance(data, dict):
        raise bad((), "应为键值映射（office、people、departments …）")
    _refuse_twice(data, name, lines.of if lines is not None else None)
    people = {person.id: person for person in _entries(data, "people", bad, _person)}
    units = {unit.id: unit for unit in _entries(data, "departments", bad, _unit)}
    units.update(
        {
            unit.id: unit._replace(head="", lower=True)
            for unit in _entries(data, "bureaus", bad, _unit)
        }
    )
    timezone = data.get("timezone", "Asia/Shanghai")
    if not _is_timezone(timezone):
        raise bad(
            ("timezone",),
            f"没有时区 {timezone!r}：应为 IANA 时区名，如 Asia/Shanghai",
        )
    return Settings(
        office=str(data.get("office", "")),
        bureau=str(data.get("bureau", "")),
        fonds=str(data.get("fonds", "")),
        timezone=str(timezone),
        people=people,
        units=units,
        raw=data,
    )


def _entries(data: dict[str, Any], section: str, bad: Any, build: Any) -> list[Any]:
    """The entries of a roster list (people, departments, bureaus), each checked."""
    items = data.get(section) or []
    if not isinstance(items, list):
        raise bad((section,), "应为列表，每项以 - 开头")
    built: list[Any] = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise bad((section, index), "应为映射（id: …、name: …）")
        for key in ("id", "name"):
            if item.get(key) in (None, ""):
                raise bad((section, index), f"缺少 {key}（每项都要有 id 和 name）")
        built.append(
            build(item, lambda key, message, i=index: bad((section, i, key), message))
        )
    return built  # an id given twice was refused before (_refuse_twice)


def _person(item: dict[str, Any], bad: Any) -> Person:
    posts = item.get("posts") or []
    if not isinstance(posts, list):
        raise bad("posts", "应为岗位列表（[clerk]）")
    unknown = {str(post) for post in posts} - set(POSTS)
    if unknown:
        raise bad(
            "posts",
            f"{item['id']} 含未知岗位 {'、'.join(sorted(unknown))}；可用：{'、'.join(POSTS)}",
        )
    return Person(
        id=str(item["id"]),
        name=str(item["name"]),
        posts=tuple(str(post) for post in posts),
        department=str(item.get("department", "")),
        email=str(item.get("email") or ""),
    )


def _unit(item: dict[str, Any], bad: Any) -> Unit:
    return Unit(
        id=str(item["id"]), name=str(item["name"]), head=str(item.get("head") or "")
    )


def _is_timezone(name: Any) -> bool:
    from zoneinfo import ZoneInfo

    if not isinstance(name, str) or not name:
        return False
    try:
        ZoneInfo(name)
    except (ValueError, OSError, KeyError):  # ZoneInfoNotFoundError is a KeyError
        return False
    return True


def _refuse_twice(
    data: dict[str, Any], name: str, line_of: Callable[[tuple[Any, ...]], int] | None
) -> None:
    """A roster id names one person, or one unit: a second entry with it is refused."""
    groups = {"people": ("people",), "units": ("departments", "bureaus")}
    for noun, sections in zip(("人员", "单位"), groups.values(), strict=True):
        seen: dict[str, tuple[Any, ...]] = {}
        for section in sections:
            entries = data.get(section)
            for index, entry in enumerate(entries if isinstance(entries, list) else []):
                if not isinstance(entry, dict) or "id" not in entry:
                    continue
                path = (section, index, "id")
                first = seen.setdefault(str(entry["id"]), path)
                if first == path:
                    continue
                where = f"{name}:{line_of(path)}" if line_of else name
                earlier = f"第 {line_of(first)} 行" if line_of else _dotted(first)
                raise BadInput(
                    f"{where}: {section}[{index}].id: {noun}编号 {entry['id']} 重复"
                    f"（{earlier}已有）；每个编号只能用一次"
                )


def _dotted(path: tuple[Any, ...]) -> str:
    return f"{path[0]}[{path[1]}].id"


def find_root(start: Path | None = None) -> Path:
    """The register folder: ``$OFFICECTL_REGISTER``, else walk up from ``start``."""
    if start is None and os.environ.get(ENV_VAR):
        start = Path(os.environ[ENV_VAR])
        if not (start / SETTINGS).is_file():
            raise RegisterError(f"{ENV_VAR}={start} 不是登记簿（没有 {SETTINGS}）")
        return _whole_clone(start.resolve())
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / SETTINGS).is_file():
            return _whole_clone(folder)
    raise RegisterError(
        f"{here} 及其上级目录中都没有 {SETTINGS}：请在登记簿目录中运行，"
        f"或用 -C 目录 / {ENV_VAR} 指定，或先运行 officectl init"
    )


def _whole_clone(folder: Path) -> Path:
    """``folder``, unless its ``.git`` is a file (a worktree or a submodule), whose
    git data lives elsewhere: officectl keeps its index, locks and leases in .git/."""
    if (folder / ".git").is_file():
        raise RegisterError(
            f"{folder} 是 git worktree 或子模块（.git 是文件）：officectl 只在"
            "完整的克隆中工作，请用 git clone 取得登记簿"
        )
    return folder


class Register:
    """One register on disk. Cheap to open; each part is read when first needed."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    @classmethod
    def find(cls, start: Path | None = None) -> Register:
        return cls(find_root(start))

    # The roster, the workflows and the calendar are kept parsed between runs
    # (officectl.snapshot), each keyed by the files it is read from.

    @cached_property
    def settings(self) -> Settings:
        from officectl.snapshot import cached

        return cached(self.root, "settings", [self.root / SETTINGS], self._settings)

    def committed_settings(self) -> Settings:
        """The roster as committed at HEAD, for judging posts where an uncommitted edit
        of ``officectl.yaml`` must grant none (who may read a classified record)."""
        from officectl import gitstore, yamlio

        text = gitstore.output(self.root, "show", f"HEAD:{SETTINGS}")
        data, _ = yamlio.loads(text, SETTINGS)
        return parse_settings(data, SETTINGS)

    def _settings(self) -> Settings:
        from officectl import yamlio

        data, lines = yamlio.load_file(self.root / SETTINGS, SETTINGS)
        return parse_settings(data, SETTINGS, lines)

    @cached_property
    def calendar(self) -> OfficeCalendar:
        from importlib.util import find_spec

        from officectl.snapshot import cached

        package = find_spec("chinese_calendar")
        origin = package.origin if package else None
        tables = [Path(origin).with_name("constants.py")] if origin else []
        sources = [self.root / "calendar.yaml", *tables]
        return cached(self.root, "calendar", sources, self._calendar)

    def _calendar(self) -> OfficeCalendar:
        from officectl.workdays import OfficeCalendar

        calendar = OfficeCalendar.load(self.root / "calendar.yaml")
        # Count every official year and the next two now, so the kept copy answers
        # without importing the package's tables again.
        calendar.prepare(max(calendar.last_official_year, dt.date.today().year) + 2)
        return calendar

    def today(self) -> dt.date:
        return self.now().date()

    def now(self) -> dt.datetime:
        """The office's wall-clock time, whatever time zone the machine runs in."""
        from zoneinfo import ZoneInfo

        return dt.datetime.now(ZoneInfo(self.settings.timezone)).replace(microsecond=0)

    def folder(self, name: str) -> list[Path]:
        """Where to look for ``schemas``, ``workflows`` or ``templates``: own, then shipped."""
        own = self.root / name
        return [own, default_dir(name)] if own.is_dir() else [default_dir(name)]

    # --- kinds ---------------------------------------------------------------------

    @cached_property
    def kinds(self) -> dict[str, Kind]:
        from officectl.snapshot import cached
        from officectl.workflow import load_kinds

        folders = self.folder("workflows")
        files = [path for folder in folders for path in sorted(folder.glob("*.yaml"))]
        sources = [self.root / "workflows", *folders, *files]
        return cached(self.root, "kinds", sources, lambda: load_kinds(folders))

    def kind(self, name: str) -> Kind:
        try:
            return self.kinds[name]
        except KeyError:
            known = "、".join(sorted(self.kinds))
            raise NotFound(f"没有记录类型 {name}；可用：{known}") from None

    def kind_of_id(self, record_id: str) -> Kind:
        match = ID_PATTERN.match(record_id)
        if not match:
            raise BadInput(f"{record_id!r} 不是记录编号（应形如 LTR-2026-0007）")
        for kind in self.kinds.values():
            if kind.prefix == match["prefix"]:
                return kind
        raise NotFound(f"没有以 {match['prefix']} 为前缀的记录类型")

    # --- records -------------------------------------------------------------------

    def record_path(self, record_id: str) -> Path:
        """The file of a record; the id is checked, so no path leads out of the register."""
        kind = self.kind_of_id(record_id)
        year = record_id.split("-")[1]
        return self.root / RECORDS / kind.name / year / f"{record_id}.yaml"

    def existing_path(self, record_id: str) -> Path:
        path = self.record_path(record_id)
        if not path.is_file():
            raise NotFound(f"没有记录 {record_id}")
        return path

    def relative(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()

    def record_files(self, kind: str | None = None) -> Iterator[Path]:
        """Every record file, in id order within each kind and year."""
        base = self.root / RECORDS
        kinds = [kind] if kind else sorted(p.name for p in base.iterdir() if p.is_dir())
        for name in kinds:
            for year in sorted((base / name).glob("[0-9][0-9][0-9][0-9]")):
                yield from sorted(year.glob("*.yaml"))

    def next_id(self, kind: Kind, year: int) -> str:
        """The id the next new record of ``kind`` in ``year`` gets (see officectl.ids)."""
        from officectl import ids

        return ids.next_id(self, kind, year)
