"""The Chinese working-day calendar: holidays, make-up days and deadline arithmetic.

A day is a working day (工作日) when it is Monday to Friday and not a holiday, or
when it is a listed make-up working day (补班, a Saturday or Sunday worked to pay for a
longer holiday). The dates come from the yearly notice of the General Office of the
State Council (国务院办公厅关于部分节假日安排的通知), as carried by the
``chinesecalendar`` package, with the office's own calendar file laid over it: an
office entry wins over the package in both directions, because the package can be
wrong for old years and late for a new one.

Counting follows 民法典 第二百零一条 and 第二百零三条: the start day is not counted,
and a period in calendar days whose last day is not a working day ends on the next
working day. A deadline in working days (行政许可法 第八十二条) skips every day off
and counts make-up days.

A year with no official data (the package does not cover it and the office has not
marked it complete) is never an error: weekends are off, Monday to Friday are working,
plus whatever the office file lists. From 2025 on, the holidays whose dates the law
itself fixes are off as well: 元旦 1 January, 劳动节 1-2 May and 国庆节 1-3 October
(《全国年节及纪念日放假办法》 2024 年修订 第二条). The yearly notice only adds the lunar
holidays, the 调休 and the days given in lieu, which nobody can know before it is out.
Any answer that depends on such a year is *provisional*, and the year is added to
``OfficeCalendar.provisional_years`` so the command line can warn once and say how to
enter the year's arrangement. The package starts in 2004: for earlier years officectl
has no official data at all, and counts weekends only.

The office calendar file is ``calendar.yaml`` in a register::

    # 本单位工作日历：国务院办公厅放假通知发布后补录；本地临时闭馆等也写在这里
    years:
      2027:
        source: https://www.gov.cn/...   # the notice
        complete: true                  # the whole year's arrangement is entered
        holidays: [2027-01-01, ...]     # 放假 days
        workdays: [2027-02-20, ...]     # 补班 make-up working days

Every key under a year is optional. ``holidays`` may include the weekends inside a
holiday block. Dates are written YYYY-MM-DD, quoted or not, and belong to the year they
are filed under or to the year before it (a New Year block can start on 30 December).
A date may not be both a holiday and a make-up day. A missing file means no overrides.
"""

from __future__ import annotations

import bisect
import datetime
import functools
import pathlib
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, NamedTuple

from officectl.errors import BadInput, OfficeError

if TYPE_CHECKING:
    import yaml


class _Package(NamedTuple):
    """The ``chinesecalendar`` tables: date -> English holiday name, and its years.

    A make-up day carries the name of the holiday it pays for. The package's flag for
    swapped rest days ("in lieu") is deliberately unused: it marks days off, not 补班
    (field case C3).
    """

    holidays: dict[datetime.date, str]
    workdays: dict[datetime.date, str]
    years: range


@functools.cache
def _package() -> _Package:
    """The package's tables, imported on first use (a calendar read back from the
    register's snapshot never needs them for the years it has counted already)."""
    import chinese_calendar

    days = (*chinese_calendar.holidays, *chinese_calendar.workdays)
    years = range(min(day.year for day in days), max(day.year for day in days) + 1)
    return _Package(chinese_calendar.holidays, chinese_calendar.workdays, years)


@functools.cache
def _yaml() -> tuple[Any, Any, Any]:
    """PyYAML, its safe loader, and a loader that leaves dates as text.

    Without the last, PyYAML turns 2027-02-30 into a ValueError with no hint of which
    entry; with it, a bad date is named precisely.
    """
    import yaml

    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when built with it

    class DateAsTextLoader(base):  # type: ignore[valid-type, misc]
        pass

    DateAsTextLoader.yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != _TIMESTAMP_TAG]
        for first, resolvers in base.yaml_implicit_resolvers.items()
    }
    return yaml, base, DateAsTextLoader


_CHINESE_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利纪念日",
}
# 《全国年节及纪念日放假办法》(2024-11-10) 第二条: the holidays on fixed dates, in force
# from 2025. Only these are assumed for a year whose notice is not out.
STATUTORY_FROM = 2025
STATUTORY_DAYS = {
    (1, 1): "元旦",
    (5, 1): "劳动节",
    (5, 2): "劳动节",
    (10, 1): "国庆节",
    (10, 2): "国庆节",
    (10, 3): "国庆节",
}
OFFICE_HOLIDAY_NAME = "本单位休息"
MAKE_UP_DAY_NAME = "补班"
WEEKEND_NAME = "周末"

_YEAR_KEYS = ("source", "complete", "holidays", "workdays")
_DATE_TEXT = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"


class CalendarFileError(OfficeError):
    """The office calendar file cannot be read: names the file, the line and the fix."""

    def __init__(self, path: str | pathlib.Path, message: str, line: int | None = None):
        self.path = str(path)
        self.line = line
        self.message = message
        where = f"{self.path}:{line}" if line else self.path
        super().__init__(f"{where}: {message}")


class OutOfRange(BadInput):
    """A date the calendar cannot reach: before 0001-01-01 or after 9999-12-31."""

    def __init__(self, start: object, what: str) -> None:
        super().__init__(
            f"{start} {what}超出日历范围（0001-01-01 至 9999-12-31）：请核对日期"
        )


class Due(NamedTuple):
    """A computed deadline; ``provisional`` when it rests on a year with no notice."""

    date: datetime.date
    provisional: bool


class DayInfo(NamedTuple):
    """One day of a month view.

    ``name`` is the holiday's Chinese name, ``补班`` for a make-up working day,
    ``本单位休息`` for a day the office closed, ``周末`` for an ordinary weekend day and
    ``""`` for an ordinary working day.
    """

    date: datetime.date
    workday: bool
    name: str
    provisional: bool


class OfficeCalendar:
    """The national working-day calendar with the office's overrides laid over it."""

    def __init__(
        self,
        holidays: Iterable[datetime.date] = (),
        workdays: Iterable[datetime.date] = (),
        complete_years: Iterable[int] = (),
        source: str = "",
    ) -> None:
        """Build a calendar from the office's own entries.

        ``holidays`` and ``workdays`` are the dates the office declares off and working;
        they win over the package. ``complete_years`` are the years whose whole official
        arrangement the office has entered, so answers in them are not provisional.
        ``source`` says where the entries came from (the calendar file's path).
        """
        self._holidays = frozenset(holidays)
        self._workdays = frozenset(workdays)
        self._complete_years = frozenset(complete_years)
        self._package_years = _package().years
        self.source = source
        self.provisional_years: set[int] = set()
        self._workdays_by_year: dict[int, list[int]] = {}

        both = sorted(self._holidays & self._workdays)
        if both:
            raise CalendarFileError(source or "office calendar", _both_lists(both[0]))

    @classmethod
    def load(cls, path: pathlib.Path) -> OfficeCalendar:
        """Read a register's ``calendar.yaml``; a missing file means no overrides."""
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return cls(source=str(path))
        except (OSError, UnicodeDecodeError) as exc:
            wanted = f"无法读取为 UTF-8 文本（{exc}）"
            raise CalendarFileError(path, wanted) from exc

        return cls.from_text(text, path)

    @classmethod
    def from_text(cls, text: str, path: pathlib.Path) -> OfficeCalendar:
        """A calendar from a ``calendar.yaml``'s text (as git holds it at a commit)."""
        holidays, workdays, complete = _parse_calendar_file(path, text)
        return cls(holidays, workdays, complete, source=str(path))

    def unpublished_from(self, year: int) -> OfficeCalendar:
        """This calendar as it stood before ``year``'s notice: from ``year`` on only
        weekends and the office's own entries are days off, and every answer there is
        provisional. How officectl counted a date that a later notice has changed."""
        return _Unpublished(self, year)

    def is_workday(self, day: datetime.date) -> bool:
        """Whether ``day`` is a working day; every year gets an answer."""
        self._touch(day.year, day.year)
        return self._is_workday(day)

    def is_official(self, year: int) -> bool:
        """Whether ``year`` has official data, from the package or the office file."""
        return year in self._package_years or year in self._complete_years

    @property
    def first_official_year(self) -> int:
        """The earliest year with official data, from the package or the office file."""
        return min([self._package_years.start, *self._complete_years])

    @property
    def last_official_year(self) -> int:
        """The latest year with official data, from the package or the office file."""
        return max([self._package_years[-1], *self._complete_years])

    @property
    def first_package_year(self) -> int:
        """The first year the package has data for (2004): none exists before it."""
        return self._package_years.start

    def provisional_note(self) -> str:
        """One line saying why answers in :attr:`provisional_years` are 暂定, and what
        to do about it; "" when no answer was provisional."""
        first = self.first_package_year
        early = sorted(y for y in self.provisional_years if y < first)
        later = sorted(y for y in self.provisional_years if y >= first)
        parts = []
        if early:
            years = "、".join(str(y) for y in early)
            parts.append(
                f"officectl 没有 {first} 年以前的官方放假数据，{years} 年按周末推算、"
                "标为暂定；如有该年的放假安排，可在登记簿的 calendar.yaml 中录入并标 "
                "complete: true"
            )
        if later:
            years = "、".join(str(y) for y in later)
            parts.append(
                f"{years} 年的放假安排尚未公布或尚未录入（官方数据至 "
                f"{self.last_official_year} 年），相关日期按周末和元旦、劳动节、国庆节的"
                "法定日期推算、标为暂定；国务院办公厅通知发布后，请在登记簿的 "
                "calendar.yaml 中录入该年的 holidays 和 workdays 并标 complete: true"
            )
        return "；".join(parts)

    def add_workdays(self, start: datetime.date, n: int) -> Due:
        """The ``n``-th working day after ``start``; ``start`` itself is never counted.

        Starting on a day off changes nothing: counting begins the next day.
        ``n == 0`` gives ``start`` back.
        """
        _check_not_negative(n)
        if n == 0:
            return Due(start, provisional=False)

        year = start.year
        after = start.toordinal()
        remaining = n
        while True:
            ordinals = self._workday_ordinals(year)
            first = bisect.bisect_right(ordinals, after)
            available = len(ordinals) - first
            if remaining <= available:
                due = datetime.date.fromordinal(ordinals[first + remaining - 1])
                break
            remaining -= available
            year += 1
            if year > datetime.MAXYEAR:
                raise OutOfRange(start, f"之后 {n} 个工作日")

        # The days judged run from the day after the start to the due date.
        starts_on_new_years_eve = (start.month, start.day) == (12, 31)
        first_judged = start.year + 1 if starts_on_new_years_eve else start.year
        return Due(due, self._touch(first_judged, due.year))

    def add_days(self, start: datetime.date, n: int) -> Due:
        """``start`` plus ``n`` calendar days, moved on to the next working day if off.

        民法典 第二百零三条: when the last day is a day off, the period ends on the day
        after the days off. A make-up working day is a working day, so it does not move.
        """
        _check_not_negative(n)
        try:
            last = start + datetime.timedelta(days=n)
        except OverflowError:
            raise OutOfRange(start, f"之后 {n} 天") from None
        due = self._workday_on_or_after(last)
        return Due(due, self._touch(last.year, due.year))

    def add(self, start: datetime.date, n: int, unit: str) -> Due:
        """``start`` plus ``n`` of a day-counted limit's ``unit``: working days
        ("workdays") or calendar days ("days")."""
        if unit == "workdays":
            return self.add_workdays(start, n)
        return self.add_days(start, n)

    def add_hours(self, start: datetime.datetime, n: int | float) -> datetime.datetime:
        """``start`` plus ``n`` clock hours; hours run through nights and holidays."""
        try:
            return start + datetime.timedelta(hours=n)
        except OverflowError:
            raise OutOfRange(start, f"之后 {n} 小时") from None

    def workdays_late(self, due: datetime.date, today: datetime.date) -> int:
        """Working days in (``due``, ``today``]: 0 until the due date has passed."""
        if today <= due:
            return 0

        after, upto = due.toordinal(), today.toordinal()
        late = 0
        for year in range(due.year, today.year + 1):
            ordinals = self._workday_ordinals(year)
            late += bisect.bisect_right(ordinals, upto)
            late -= bisect.bisect_right(ordinals, after)

        self._touch(datetime.date.fromordinal(after + 1).year, today.year)
        return late

    def month(self, year: int, month: int) -> list[DayInfo]:
        """Every day of a month with whether it is worked and why."""
        provisional = self._touch(year, year)
        day = datetime.date(year, month, 1)
        days = []
        while day.month == month:
            info = DayInfo(day, self._is_workday(day), self._day_name(day), provisional)
            days.append(info)
            if day == datetime.date.max:
                break
            day += datetime.timedelta(days=1)
        return days

    def _is_workday(self, day: datetime.date) -> bool:
        """Office entries first, then the package, then the weekday rule."""
        if day in self._workdays:
            return True
        if day in self._holidays:
            return False
        package = _package()
        if day in package.workdays:
            return True
        if day in package.holidays:
            return False
        if self._statutory(day):
            return False
        return day.weekday() < 5

    def _statutory(self, day: datetime.date) -> str:
        """The fixed-date holiday the law puts on ``day`` in a year with no official
        data (see the module's docstring); "" for any other day."""
        if day.year < STATUTORY_FROM or self.is_official(day.year):
            return ""
        return STATUTORY_DAYS.get((day.month, day.day), "")

    def _day_name(self, day: datetime.date) -> str:
        """Why a day is what it is, in the words of a Chinese wall calendar."""
        if day in self._holidays:
            return OFFICE_HOLIDAY_NAME
        package = _package()
        if day in self._workdays or day in package.workdays:
            return MAKE_UP_DAY_NAME
        if day in package.holidays:
            english = package.holidays[day]
            return _CHINESE_NAMES.get(english, english)
        if self._statutory(day):
            return self._statutory(day)
        return WEEKEND_NAME if day.weekday() >= 5 else ""

    def prepare(self, last_year: int) -> None:
        """Count the working days of every year from the first official one through
        ``last_year`` now, so a copy of this calendar kept between runs
        (officectl.snapshot) answers for them without the package's tables."""
        for year in range(self._package_years.start, last_year + 1):
            self._workday_ordinals(year)

    def _workday_ordinals(self, year: int) -> list[int]:
        """The sorted ordinals of a year's working days, built once per year."""
        ordinals = self._workdays_by_year.get(year)
        if ordinals is None:
            first = datetime.date(year, 1, 1).toordinal()
            last = datetime.date(year, 12, 31).toordinal()
            ordinals = [
                ordinal
                for ordinal in range(first, last + 1)
                if self._is_workday(datetime.date.fromordinal(ordinal))
            ]
            self._workdays_by_year[year] = ordinals
        return ordinals

    def _workday_on_or_after(self, day: datetime.date) -> datetime.date:
        """``day`` if it is a working day, else the next one."""
        ordinal = day.toordinal()
        year = day.year
        while True:
            ordinals = self._workday_ordinals(year)
            index = bisect.bisect_left(ordinals, ordinal)
            if index < len(ordinals):
                return datetime.date.fromordinal(ordinals[index])
            year += 1
            if year > datetime.MAXYEAR:
                raise OutOfRange(day, "之后的第一个工作日")

    def _touch(self, first_year: int, last_year: int) -> bool:
        """Record the years without official data in a span; True if there were any."""
        official = self._package_years
        if first_year in official and last_year in official:
            return False  # the common case, kept cheap for bulk counting

        provisional = False
        for year in range(first_year, last_year + 1):
            if not self.is_official(year):
                self.provisional_years.add(year)
                provisional = True
        return provisional


class _Unpublished(OfficeCalendar):
    """A calendar that knows no notice from a given year on (see ``unpublished_from``)."""

    def __init__(self, calendar: OfficeCalendar, year: int) -> None:
        super().__init__(
            calendar._holidays,
            calendar._workdays,
            [y for y in calendar._complete_years if y < year],
            calendar.source,
        )
        self._package_years = range(
            self._package_years.start, max(self._package_years.start, year)
        )
        self._year = year

    def _is_workday(self, day: datetime.date) -> bool:
        if day.year < self._year or day in self._workdays or day in self._holidays:
            return super()._is_workday(day)
        return day.weekday() < 5


def _check_not_negative(n: int) -> None:
    """Deadlines run forward; a negative count is a bug in the caller."""
    if n < 0:
        raise ValueError(f"a deadline cannot count back ({n} days)")


# --- reading calendar.yaml ---------------------------------------------------------


_Where = tuple[object, ...]


def _parse_calendar_file(
    path: pathlib.Path, text: str
) -> tuple[set[datetime.date], set[datetime.date], set[int]]:
    """The holidays, make-up days and complete years a calendar file declares."""
    yaml, _, date_as_text = _yaml()
    try:
        data = yaml.load(text, Loader=date_as_text)
    except yaml.YAMLError as exc:
        # PyYAML's own message spans several lines; a clerk needs one.
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or "无法解析"
        raise CalendarFileError(path, f"不是有效的 YAML：{problem}", line) from exc

    holidays: set[datetime.date] = set()
    workdays: set[datetime.date] = set()
    complete: set[int] = set()
    for key, value in _years_section(path, text, data).items():
        year = _year_of(path, text, key)
        entry = _year_entry(path, text, year, value)
        if entry.get("complete"):
            complete.add(year)
        holidays |= _dates(path, text, year, "holidays", entry.get("holidays"))
        workdays |= _dates(path, text, year, "workdays", entry.get("workdays"))

    _check_disjoint(path, text, holidays, workdays)
    return holidays, workdays, complete


def _years_section(path: pathlib.Path, text: str, data: object) -> dict:
    """The ``years:`` mapping, or an empty one for an empty file."""
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise CalendarFileError(path, "应为含 years: 的映射", 1)

    unknown = sorted(str(key) for key in data if key != "years")
    if unknown:
        wanted = f"未知的键 {unknown[0]!r}：此文件只有 years:"
        raise _entry_error(path, text, (unknown[0],), wanted)

    years = data.get("years")
    if years is None:
        return {}
    if not isinstance(years, dict):
        wanted = "years: 下应按年份（如 2027:）写各年的安排"
        raise _entry_error(path, text, ("years",), wanted)
    return years


def _year_of(path: pathlib.Path, text: str, key: object) -> int:
    """A year key as an int; years are written as four digits."""
    if isinstance(key, int) and not isinstance(key, bool) and 1000 <= key <= 9999:
        return key
    if isinstance(key, str) and key.isdigit() and len(key) == 4:
        return int(key)
    wanted = f"years: 下的 {key!r} 应为年份，如 2027"
    raise _entry_error(path, text, ("years", key), wanted)


def _year_entry(path: pathlib.Path, text: str, year: int, value: object) -> dict:
    """One year's mapping, with only the keys the format knows."""
    where = ("years", year)
    if value is None:
        return {}
    if not isinstance(value, dict):
        wanted = f"{year} 年应为映射，键为 {'、'.join(_YEAR_KEYS)}"
        raise _entry_error(path, text, where, wanted)

    for name in value:
        if name not in _YEAR_KEYS:
            wanted = f"{year} 年：未知的键 {name!r}；可用 {'、'.join(_YEAR_KEYS)}"
            raise _entry_error(path, text, (*where, name), wanted)
    if not isinstance(value.get("complete", False), bool):
        wanted = f"{year} 年：complete 应为 true 或 false"
        raise _entry_error(path, text, (*where, "complete"), wanted)
    if not isinstance(value.get("source") or "", str):
        wanted = f"{year} 年：source 应为放假通知的网址"
        raise _entry_error(path, text, (*where, "source"), wanted)
    return value


def _dates(
    path: pathlib.Path, text: str, year: int, name: str, values: object
) -> set[datetime.date]:
    """A list of dates filed under ``year``; each must fall in it or the year before."""
    where = ("years", year, name)
    if values is None:
        return set()
    if not isinstance(values, list):
        wanted = f"{year} 年：{name} 应为日期列表 [YYYY-MM-DD, ...]"
        raise _entry_error(path, text, where, wanted)

    dates = set()
    for index, value in enumerate(values):
        day = _date_of(value)
        label = f"{year} 年：{name} 第 {index + 1} 项（{value!r}）"
        if day is None:
            wanted = f"{label}不是有效日期，应写成 YYYY-MM-DD"
            raise _entry_error(path, text, (*where, index), wanted)
        if day.year not in (year, year - 1):
            wanted = f"{label}不在 {year} 年（或 {year - 1} 年）内，请核对年份"
            raise _entry_error(path, text, (*where, index), wanted)
        dates.add(day)
    return dates


def _date_of(value: object) -> datetime.date | None:
    """A date from YAML text like 2027-01-01, or None if it is not one."""
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        return value
    match = _DATE_TEXT.fullmatch(value.strip()) if isinstance(value, str) else None
    if match is None:
        return None
    try:
        return datetime.date(*(int(part) for part in match.groups()))
    except ValueError:
        return None


def _check_disjoint(
    path: pathlib.Path,
    text: str,
    holidays: set[datetime.date],
    workdays: set[datetime.date],
) -> None:
    """A date cannot be both off and worked; name the first such date."""
    both = sorted(holidays & workdays)
    if both:
        line = _line_of_text(text, both[0])
        raise CalendarFileError(path, _both_lists(both[0]), line)


def _both_lists(day: datetime.date) -> str:
    """The message for a date entered both as a holiday and as a make-up day."""
    return f"{day} 既列为放假日又列为补班日，只能保留一处"


def _entry_error(
    path: pathlib.Path, text: str, where: _Where, message: str
) -> CalendarFileError:
    """An error pointing at the line of the entry ``where`` when it can be found."""
    return CalendarFileError(path, message, _line_of_node(text, where))


def _line_of_node(text: str, where: _Where) -> int | None:
    """The 1-based line of the entry reached by mapping keys and list indexes.

    Only the error path calls this, so composing the file a second time costs nothing
    that matters; the loaded data itself carries no line numbers.
    """
    pyyaml, base, _ = _yaml()
    node: yaml.Node | None = pyyaml.compose(text, Loader=base)
    line = None
    for step in where:
        node, mark = _child(node, step)
        if node is None:
            break
        line = mark.line + 1
    return line


def _child(node: yaml.Node | None, step: object) -> tuple[yaml.Node | None, Any]:
    """The child of a mapping (by key text) or a list (by index), and where it starts.

    For a mapping the key's position is given, since the value of a block mapping
    starts on the line after its key.
    """
    pyyaml, _, _ = _yaml()
    if isinstance(node, pyyaml.MappingNode):
        for key, value in node.value:
            if key.value == str(step):
                return value, key.start_mark
    if isinstance(node, pyyaml.SequenceNode) and isinstance(step, int):
        item = node.value[step] if step < len(node.value) else None
        return item, getattr(item, "start_mark", None)
    return None, None


def _line_of_text(text: str, day: datetime.date) -> int | None:
    """The first line that mentions ``day``, for an error about a date, not a place."""
    for number, line in enumerate(text.splitlines(), start=1):
        if day.isoformat() in line:
            return number
    return None
