"""Commands about the register itself: init, flow, calendar."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

import click

from officectl.cli.common import format_option, open_register, table
from officectl.errors import BadInput

if TYPE_CHECKING:
    from officectl.workdays import OfficeCalendar
    from officectl.workflow import Kind


@click.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--example", is_flag=True, help="Fill it with the fictional office of the demo."
)
@click.option("--office", default="", help="The office's name (办公室全称).")
def init(directory: Path, example: bool, office: str) -> None:
    """Create a register in DIRECTORY: a git repository with officectl.yaml.

    Example: officectl init /srv/register --office 某市税务局办公室
    """
    from officectl.setup import create_register

    root = create_register(directory, example=example, office=office)
    click.echo(f"已创建登记簿 {root}")


@click.command()
@click.argument("kind")
@format_option(["table", "mermaid", "md"])
@click.pass_context
def flow(ctx: click.Context, kind: str, fmt: str) -> None:
    """Print KIND's workflow: actions, who takes them, time limits, and a state diagram.

    Example: officectl flow letter --format mermaid
    """
    from officectl.flowchart import limit_rows, mermaid, step_rows

    spec = _kind(ctx, kind)
    if fmt == "mermaid":
        click.echo(mermaid(spec))
        return
    markdown = fmt == "md"
    steps, step_headers = step_rows(spec)
    limits, limit_headers = limit_rows(spec)
    click.echo(f"{spec.label}（{spec.name}）办理流程\n")
    click.echo(table(steps, step_headers, markdown))
    click.echo(f"\n时限\n\n{table(limits, limit_headers, markdown)}\n")
    fence = "```" if markdown else ""
    click.echo(
        f"{fence}mermaid\n{mermaid(spec)}\n{fence}" if markdown else mermaid(spec)
    )


def _kind(ctx: click.Context, name: str) -> Kind:
    """A kind of the register; outside a register, of the workflows shipped with
    officectl."""
    from officectl.errors import NotFound, RegisterError
    from officectl.resources import default_dir
    from officectl.workflow import load_kinds

    try:
        register = open_register(ctx)
    except RegisterError:
        kinds = load_kinds([default_dir("workflows")])
        if name not in kinds:
            known = "、".join(sorted(kinds))
            raise NotFound(f"没有记录类型 {name}；可用：{known}") from None
        return kinds[name]
    return register.kind(name)


@click.group()
def calendar() -> None:
    """Working-day arithmetic on the office calendar (holidays and make-up days).

    Example: officectl calendar due 2026-02-13 --workdays 2
    """


@calendar.command()
@click.argument("start", metavar="DATE")
@click.option(
    "--workdays", type=click.IntRange(min=0), help="N working days after DATE."
)
@click.option(
    "--days",
    type=click.IntRange(min=0),
    help="N calendar days after DATE (rolls past days off).",
)
@click.pass_context
def due(ctx: click.Context, start: str, workdays: int | None, days: int | None) -> None:
    """Print the due date N working days or N calendar days after DATE.

    The start day is not counted. Example: officectl calendar due 2026-09-21 --days 10
    """
    if (workdays is None) == (days is None):
        raise click.UsageError("--workdays N 与 --days N 须给且只给一个")
    office = _calendar(ctx)
    day = _date(start)
    result = (
        office.add_workdays(day, workdays)
        if workdays is not None
        else office.add_days(day, days or 0)
    )
    note = "（暂定）" if result.provisional else ""
    click.echo(f"{result.date.isoformat()}{note}")
    if result.provisional:
        _warn(office)


@calendar.command(name="show")
@click.argument("month", metavar="YYYY-MM")
@click.pass_context
def show_month(ctx: click.Context, month: str) -> None:
    """Print a month, day by day: working day or not, and why.

    Example: officectl calendar show 2026-10
    """
    office = _calendar(ctx)
    try:
        year, number = (int(part) for part in month.split("-"))
        days = office.month(year, number)
    except ValueError:
        raise BadInput(f"{month!r} 应为 YYYY-MM") from None
    weekdays = "一二三四五六日"
    rows = [
        {
            "date": info.date.isoformat(),
            "weekday": f"周{weekdays[info.date.weekday()]}",
            "work": "上班" if info.workday else "休息",
            "name": info.name + ("（暂定）" if info.provisional else ""),
        }
        for info in days
    ]
    click.echo(
        table(
            rows,
            {"date": "日期", "weekday": "星期", "work": "上班/休息", "name": "说明"},
        )
    )
    if any(info.provisional for info in days):
        _warn(office)


def _calendar(ctx: click.Context) -> OfficeCalendar:
    """The register's calendar; outside a register, the national one alone."""
    from officectl.errors import RegisterError
    from officectl.workdays import OfficeCalendar

    try:
        return open_register(ctx).calendar
    except RegisterError:
        return OfficeCalendar()


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise BadInput(f"{text!r} 应为日期 YYYY-MM-DD") from None


def _warn(office: OfficeCalendar) -> None:
    click.echo(f"officectl: 注意：{office.provisional_note()}", err=True)
