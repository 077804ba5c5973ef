"""The working-day calendar against the real package data and real calendar files."""

from __future__ import annotations

import datetime
import textwrap
from pathlib import Path

import pytest

from officectl.errors import OfficeError
from officectl.workdays import CalendarFileError, Due, OfficeCalendar

D = datetime.date


@pytest.fixture
def calendar() -> OfficeCalendar:
    """The national calendar with no office overrides."""
    return OfficeCalendar()


def write_calendar(tmp_path: Path, text: str) -> Path:
    """Write ``text`` as a register's calendar.yaml and return its path."""
    path = tmp_path / "calendar.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


# --- counting working days ---------------------------------------------------------


def test_spring_festival_2026_is_skipped(calendar):
    # 2/14 (Sat) is a make-up working day; 2/15–2/23 are off.
    assert calendar.add_workdays(D(2026, 2, 13), 2) == Due(D(2026, 2, 24), False)


def test_make_up_sunday_counts(calendar):
    """C4: one working day after Friday 2026-09-18 is make-up Sunday 2026-09-20."""
    assert calendar.add_workdays(D(2026, 9, 18), 1) == Due(D(2026, 9, 20), False)


def test_start_on_a_holiday_is_not_counted(calendar):
    # National Day 2026: 10/1–10/7 off, 10/10 (Sat) worked.
    assert calendar.add_workdays(D(2026, 10, 1), 1).date == D(2026, 10, 8)
    assert calendar.add_workdays(D(2026, 10, 3), 3).date == D(2026, 10, 10)


def test_zero_workdays_is_the_start(calendar):
    assert calendar.add_workdays(D(2026, 10, 1), 0) == Due(D(2026, 10, 1), False)


def test_counting_back_is_refused(calendar):
    with pytest.raises(ValueError):
        calendar.add_workdays(D(2026, 10, 1), -1)
    with pytest.raises(ValueError):
        calendar.add_days(D(2026, 10, 1), -1)


def test_counting_across_a_year_end(calendar):
    # 2025-12-31 (Wed); 2026-01-01 to 01-03 off; Sunday 01-04 worked.
    assert calendar.add_workdays(D(2025, 12, 30), 2).date == D(2026, 1, 4)


# --- working days: C3 -------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "worked"),
    [
        (D(2025, 1, 26), True),  # Sunday, 补班
        (D(2025, 2, 8), True),  # Saturday, 补班
        (D(2025, 2, 3), False),  # Monday inside Spring Festival
        (D(2025, 2, 4), False),
        (D(2025, 2, 9), False),  # an ordinary Sunday
        (D(2025, 2, 10), True),  # an ordinary Monday
    ],
)
def test_make_up_days_are_not_in_lieu_days(calendar, day, worked):
    """C3: the package's "in lieu" flag must not be read as 补班."""
    assert calendar.is_workday(day) is worked


# --- calendar days -----------------------------------------------------------------


def test_calendar_days_ending_on_a_holiday_roll_forward(calendar):
    # 2026-09-21 + 10 days is 10-01, National Day; 10-08 is the next working day.
    assert calendar.add_days(D(2026, 9, 21), 10) == Due(D(2026, 10, 8), False)


def test_calendar_days_ending_on_a_make_up_day_stay(calendar):
    assert calendar.add_days(D(2026, 10, 3), 7).date == D(2026, 10, 10)


def test_calendar_days_ending_on_a_working_day_stay(calendar):
    assert calendar.add_days(D(2026, 3, 2), 15).date == D(2026, 3, 17)


# --- hours and lateness ------------------------------------------------------------


def test_hours_run_through_midnight_and_holidays(calendar):
    start = datetime.datetime(2026, 9, 30, 20, 30)
    assert calendar.add_hours(start, 6) == datetime.datetime(2026, 10, 1, 2, 30)
    assert calendar.add_hours(start, 1.5) == datetime.datetime(2026, 9, 30, 22, 0)


@pytest.mark.parametrize(
    ("today", "late"),
    [
        (D(2026, 9, 29), 0),  # before the due date
        (D(2026, 9, 30), 0),  # on it
        (D(2026, 10, 7), 0),  # the holiday week is not counted
        (D(2026, 10, 8), 1),
        (D(2026, 10, 9), 2),
        (D(2026, 10, 10), 3),  # make-up Saturday
        (D(2026, 10, 11), 3),  # ordinary Sunday
    ],
)
def test_workdays_late_across_national_day(calendar, today, late):
    assert calendar.workdays_late(D(2026, 9, 30), today) == late


# --- month view --------------------------------------------------------------------


def test_month_names_holidays_and_make_up_days(calendar):
    days = {info.date.day: info for info in calendar.month(2026, 10)}

    assert len(days) == 31
    assert (days[1].name, days[1].workday) == ("国庆节", False)
    assert (days[4].name, days[4].workday) == ("国庆节", False)
    assert (days[10].name, days[10].workday) == ("补班", True)
    assert (days[11].name, days[11].workday) == ("周末", False)
    assert (days[12].name, days[12].workday) == ("", True)
    assert not any(info.provisional for info in days.values())


def test_month_names_the_2015_victory_day(calendar):
    assert calendar.month(2015, 9)[2].name == "抗战胜利纪念日"


# --- a year with no official data: C1 -----------------------------------------------


def test_unpublished_year_is_provisional_weekends_and_fixed_holidays(calendar):
    due = calendar.add_workdays(D(2026, 12, 28), 5)

    # 12-29, 12-30, 12-31, then 2027-01-04 (Mon) and 01-05: 元旦 (Fri) is off by law.
    assert due == Due(D(2027, 1, 5), True)
    assert 2027 in calendar.provisional_years
    assert calendar.last_official_year == 2026
    assert not calendar.is_official(2027)


@pytest.mark.parametrize(
    ("start", "n", "due"),
    [
        (D(2026, 12, 30), 1, Due(D(2026, 12, 31), False)),
        (D(2026, 12, 31), 1, Due(D(2027, 1, 4), True)),
        (D(2026, 12, 30), 2, Due(D(2027, 1, 4), True)),
    ],
)
def test_provisional_only_once_a_counted_day_is_unpublished(calendar, start, n, due):
    assert calendar.add_workdays(start, n) == due
    assert calendar.provisional_years == ({2027} if due.provisional else set())


def test_official_answers_leave_no_provisional_years(calendar):
    calendar.add_workdays(D(2026, 3, 2), 15)
    calendar.workdays_late(D(2026, 1, 5), D(2026, 12, 31))

    assert calendar.provisional_years == set()


def test_month_of_an_unpublished_year_is_provisional(calendar):
    days = calendar.month(2027, 1)

    assert all(info.provisional for info in days)
    # 2027-01-01 is a Friday, and 元旦 whatever the notice will say.
    assert (days[0].workday, days[0].name) == (False, "元旦")
    assert days[3].workday  # Monday 01-04: no notice says otherwise yet
    assert 2027 in calendar.provisional_years


@pytest.mark.parametrize(
    ("day", "name"),
    [
        (D(2028, 1, 1), "元旦"),  # a Saturday: off anyway, 补假 not guessed
        (D(2028, 5, 1), "劳动节"),  # Monday
        (D(2028, 5, 2), "劳动节"),  # Tuesday
        (D(2028, 10, 2), "国庆节"),  # Monday
        (D(2028, 10, 3), "国庆节"),  # Tuesday
    ],
)
def test_unpublished_year_keeps_the_fixed_date_holidays(calendar, day, name):
    """《全国年节及纪念日放假办法》(2024) 第二条 fixes these dates; the notice only adds
    the lunar holidays and the 调休."""
    [info] = [info for info in calendar.month(day.year, day.month) if info.date == day]

    assert (info.workday, info.name, info.provisional) == (False, name, True)
    assert calendar.is_workday(D(2028, 5, 3))  # the 2024 rules give 劳动节 two days
    assert calendar.is_workday(D(2028, 10, 4))  # and 国庆节 three: the rest is 调休


def test_fixed_date_holidays_give_way_to_the_office_file(tmp_path):
    path = write_calendar(
        tmp_path,
        """\
        years:
          2027:
            workdays: [2027-01-01]
          2028:
            complete: true
            holidays: [2028-01-03]
        """,
    )
    office = OfficeCalendar.load(path)

    assert office.is_workday(D(2027, 1, 1))  # listed as worked
    assert office.is_workday(D(2028, 5, 1))  # a complete year is as entered
    assert not office.is_workday(D(2027, 10, 1))  # 2027 is not complete: 国庆节 holds


def test_years_before_the_package_are_weekends_only(calendar):
    # 2003-01-01 was a holiday, but officectl has no data for that year at all.
    assert calendar.is_workday(D(2003, 1, 1))
    assert calendar.provisional_years == {2003}
    note = calendar.provisional_note()
    assert "没有 2004 年以前的官方放假数据" in note
    assert "2003" in note and "2026" not in note and "通知" not in note


def test_provisional_note_names_the_last_official_year(calendar):
    calendar.add_workdays(D(2026, 12, 28), 5)

    note = calendar.provisional_note()
    assert "2027 年" in note and "官方数据至 2026 年" in note
    assert "calendar.yaml" in note and "2004" not in note


@pytest.mark.parametrize("year", [1900, 1999, 2003, 2027, 2050, 2100])
def test_every_year_gets_an_answer(calendar, year):
    calendar.is_workday(D(year, 1, 1))
    calendar.month(year, 2)
    calendar.workdays_late(D(year, 1, 1), D(year, 12, 31))

    assert calendar.add_workdays(D(year, 12, 30), 3).provisional
    assert calendar.add_days(D(year, 6, 1), 200).provisional


# --- the office calendar file: C2 ---------------------------------------------------


def test_office_file_wins_over_the_package(calendar, tmp_path):
    path = write_calendar(
        tmp_path,
        """\
        # 本单位工作日历
        years:
          2026:
            holidays: [2026-03-02, 2026-10-10]  # closed on a package make-up day
            workdays: ['2026-03-07', 2026-10-07]  # open on a package holiday
        """,
    )
    office = OfficeCalendar.load(path)

    assert calendar.add_workdays(D(2026, 3, 1), 5).date == D(2026, 3, 6)
    assert office.add_workdays(D(2026, 3, 1), 5) == Due(D(2026, 3, 7), False)
    assert not office.is_workday(D(2026, 10, 10))
    assert office.is_workday(D(2026, 10, 7))
    assert office.source == str(path)


def test_office_names_in_the_month_view(tmp_path):
    path = write_calendar(
        tmp_path,
        """\
        years:
          2026:
            holidays: [2026-03-02]
            workdays: [2026-03-07]
        """,
    )
    days = OfficeCalendar.load(path).month(2026, 3)

    assert (days[1].name, days[1].workday) == ("本单位休息", False)
    assert (days[6].name, days[6].workday) == ("补班", True)


def test_a_complete_office_year_is_official(tmp_path):
    path = write_calendar(
        tmp_path,
        """\
        years:
          2027:
            source: https://www.gov.cn/zhengce/content/example.htm
            complete: true
            holidays: [2027-01-01]
        """,
    )
    office = OfficeCalendar.load(path)

    assert office.add_workdays(D(2026, 12, 28), 5) == Due(D(2027, 1, 5), False)
    assert office.provisional_years == set()
    assert office.is_official(2027)
    assert office.last_official_year == 2027


def test_an_incomplete_office_year_stays_provisional(tmp_path):
    path = write_calendar(tmp_path, "years:\n  2027:\n    holidays: [2027-01-01]\n")
    office = OfficeCalendar.load(path)

    assert office.add_workdays(D(2026, 12, 28), 5) == Due(D(2027, 1, 5), True)
    assert office.last_official_year == 2026


def test_a_missing_file_means_no_overrides(tmp_path):
    office = OfficeCalendar.load(tmp_path / "calendar.yaml")

    assert office.add_workdays(D(2026, 2, 13), 2).date == D(2026, 2, 24)


def test_an_empty_file_means_no_overrides(tmp_path):
    office = OfficeCalendar.load(write_calendar(tmp_path, "# 还没有补录\n"))

    assert office.is_workday(D(2026, 2, 14))


# --- bad calendar files ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "wanted"),
    [
        ("years:\n  2027:\n    holidays: [2027-02-30]\n", 3, "不是有效日期"),
        ("years:\n  2027:\n    holidays: ['2027-1-x']\n", 3, "不是有效日期"),
        ("years:\n  2027:\n    holidays: 2027-01-01\n", 3, "应为日期列表"),
        ("years:\n  2027:\n    workdays: [2072-02-20]\n", 3, "核对年份"),
        ("years:\n  2027:\n    complete: yes please\n", 3, "true 或 false"),
        ("years:\n  2027:\n    holiday: [2027-01-01]\n", 3, "未知的键"),
        ("years:\n  next:\n    holidays: []\n", 2, "应为年份"),
        ("years:\n  2027: [2027-01-01]\n", 2, "应为映射"),
        ("years: [2027]\n", 1, "各年的安排"),
        ("- 2027-01-01\n", 1, "years:"),
        ("year:\n  2027: {}\n", 1, "未知的键 'year'"),
        ("years:\n  2027: {holidays: [2027-01-01\n", 3, "不是有效的 YAML"),
    ],
)
def test_bad_file_names_file_line_and_fix(tmp_path, text, line, wanted):
    path = write_calendar(tmp_path, text)

    with pytest.raises(CalendarFileError) as caught:
        OfficeCalendar.load(path)

    assert str(caught.value).startswith(f"{path}:{line}: ")
    assert wanted in str(caught.value)
    assert caught.value.line == line


def test_bad_date_error_names_the_entry(tmp_path):
    path = write_calendar(
        tmp_path,
        """\
        years:
          2027:
            holidays:
              - 2027-01-01
              - 2027-02-30
        """,
    )

    with pytest.raises(OfficeError, match=r"calendar\.yaml:5: .*holidays 第 2 项"):
        OfficeCalendar.load(path)


def test_a_date_both_off_and_worked_is_refused(tmp_path):
    path = write_calendar(
        tmp_path,
        """\
        years:
          2027:
            holidays: [2027-01-01]
          2028:
            workdays: [2027-01-01]
        """,
    )

    with pytest.raises(CalendarFileError, match=r"calendar\.yaml:3: 2027-01-01"):
        OfficeCalendar.load(path)
    with pytest.raises(CalendarFileError, match="既列为放假日"):
        OfficeCalendar(holidays=[D(2027, 1, 1)], workdays=[D(2027, 1, 1)])
