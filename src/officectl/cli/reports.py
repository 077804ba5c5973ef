"""Reports: the overdue list for cron, and rendered paper forms."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from officectl import reports
from officectl.cli.common import (
    as_of,
    check_may_read,
    format_option,
    open_for_writing,
    open_register,
    table,
    viewer,
)
from officectl.errors import BadInput
from officectl.outfile import write_text
from officectl.register import Register

_HEADERS = reports.OVERDUE_HEADERS


@click.command()
@click.option("--as-of", "as_of_text", metavar="DATE", help="Report as of this day.")
@click.option(
    "--soon",
    type=click.IntRange(min=0),
    default=3,
    show_default=True,
    help="Also list limits due within N working days.",
)
@format_option(["table", "md", "html", "json"])
@click.option("--check", is_flag=True, help="Exit 1 when anything is overdue.")
@click.option(
    "--by", metavar="PERSON", help="Who reads it (confidential titles need the post)."
)
@click.option("--mail", is_flag=True, help="Also mail each unit its own list (SMTP).")
@click.option("--dry-run", is_flag=True, help="With --mail: say who would get what.")
@click.pass_context
def overdue(
    ctx: click.Context,
    as_of_text: str | None,
    soon: int,
    fmt: str,
    check: bool,
    by: str | None,
    mail: bool,
    dry_run: bool,
) -> None:
    """Report what is overdue and what falls due soon, by department and person.

    Days late are counted in working days on the office calendar; --check makes it
    exit 1 when anything is overdue, for cron; --mail sends each unit its own list
    by the SMTP server in officectl.yaml.
    Example: officectl -C /srv/register overdue --format md --check
    """
    from officectl import reports

    if dry_run and not mail:
        raise click.UsageError("--dry-run 只与 --mail 一起使用")
    register = open_register(ctx)
    day = as_of(as_of_text, register)
    if mail:
        from officectl import mail as mailer

        mailer.mail_settings(register)  # a bad setting stops before anything is printed
    entries, skipped = reports.running(register, day, soon)
    items = reports.due_items(register, entries, day, soon, viewer(register, by))
    late = [item for item in items if item.overdue]
    coming = [item for item in items if not item.overdue]
    click.echo(_render(register, day, late, coming, fmt, soon))
    for message in skipped:
        click.echo(f"officectl: 跳过无法读取的文件 {message}", err=True)
    _warn_provisional(register)
    if mail:
        # Units get their own lists; nobody there is assumed to hold a secrecy post.
        mailed = reports.due_items(register, entries, day, soon, None)
        for line in mailer.send_overdue(register, mailed, day, dry_run, soon):
            click.echo(line, err=True)
    if check and late:
        ctx.exit(1)


def _rows(items: list[Any]) -> list[dict[str, Any]]:
    return reports.overdue_rows(items)


def _render(
    register: Register,
    day: Any,
    late: list[Any],
    coming: list[Any],
    fmt: str,
    soon: int,
) -> str:
    office = register.settings.office
    if fmt == "json":
        payload = {
            "office": office,
            "as_of": day.isoformat(),
            "overdue": reports.overdue_rows(late, plain=True),
            "due_soon": reports.overdue_rows(coming, plain=True),
        }
        return json.dumps(payload, ensure_ascii=False, indent=2, default=str)
    if fmt == "html":
        from officectl.forms import render_report

        return render_report(
            register,
            "overdue",
            {
                "as_of": day,
                "overdue": _rows(late),
                "due_soon": _rows(coming),
                "headers": _HEADERS,
                "soon": soon,
            },
        )
    markdown = fmt == "md"
    title = f"{office} 逾期事项报告（截至 {day.isoformat()}）"
    parts = [f"# {title}" if markdown else title, ""]
    parts.append(f"{'## ' if markdown else ''}已逾期：{len(late)} 项")
    parts += ["", table(_rows(late), _HEADERS, markdown) if late else "（无）", ""]
    parts.append(f"{'## ' if markdown else ''}{soon} 个工作日内到期：{len(coming)} 项")
    parts += ["", table(_rows(coming), _HEADERS, markdown) if coming else "（无）"]
    return "\n".join(parts)


def _warn_provisional(register: Register) -> None:
    note = register.calendar.provisional_note()
    if note:
        click.echo(f"officectl: 注意：{note}", err=True)


@click.command()
@click.argument("record_id", metavar="ID")
@click.argument("form", required=False)
@format_option(["md", "html"], default="html")
@click.option(
    "-o",
    "output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file instead of stdout.",
)
@click.option(
    "--by", metavar="PERSON", help="Who prints it (classified forms need the post)."
)
@click.pass_context
def render(
    ctx: click.Context,
    record_id: str,
    form: str | None,
    fmt: str,
    output: Path | None,
    by: str | None,
) -> None:
    """Render FORM of record ID (default: its registration form).

    Example: officectl render LTR-2026-0007 transfer-slip --format html -o slip.html
    """
    from officectl import forms, yamlio

    register = open_register(ctx)
    path = register.existing_path(record_id)
    check_may_read(register, record_id, by)
    data, _ = yamlio.load_file(path, register.relative(path))
    text = forms.render(register, data, form, fmt)
    _warn_fonts(text)
    if output is None:
        click.echo(text, nl=False)
    else:
        write_text(output, text)
        click.echo(str(output), err=True)


@click.command()
@click.option(
    "--as-of", "as_of_text", metavar="DATE", help="Chase what is overdue on this day."
)
@format_option(["html", "md"], default="html")
@click.option(
    "-o",
    "output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the slips to this file instead of stdout.",
)
@click.option(
    "--dry-run", is_flag=True, help="Print the slips without recording the chase."
)
@click.option("--by", metavar="PERSON", help="Who chases (an office post).")
@click.pass_context
def chase(
    ctx: click.Context,
    as_of_text: str | None,
    fmt: str,
    output: Path | None,
    dry_run: bool,
    by: str | None,
) -> None:
    """Print a chase slip (催办单) per department for everything overdue, and record it.

    Each overdue limit gets the day it was chased; all of them are one commit. Only
    kinds the person's post may chase are listed (a kind's own chase action names
    its posts); a limit already chased that day is not recorded again. --as-of may
    look ahead only with --dry-run.
    Example: officectl chase --by wangli -o 催办单.html
    """
    from officectl import forms, reports
    from officectl.cli.common import acting_person, parse_date
    from officectl.engine import StepInput, record_chase

    register = open_for_writing(ctx, writes=not dry_run)
    day = as_of(as_of_text, register)
    if not dry_run and day > register.today():
        raise BadInput(
            f"--as-of {day.isoformat()} 在今天（{register.today().isoformat()}）之后："
            "催办只能记在今天或以前；预看以后的逾期事项请加 --dry-run"
        )
    person = acting_person(register, by) if by or not dry_run else None
    entries, skipped = reports.running(register, day, -1)
    reader = person if person is not None else viewer(register, by)
    # As of a past day, what was overdue then and has been done since needs no chase.
    late = [
        item
        for item in reports.due_items(register, entries, day, -1, reader)
        if item.overdue and item.done is None
    ]
    if person is not None:
        late = _only_chasable(register, late, person)
    departments: dict[str, list[dict[str, Any]]] = {}
    for item, row in zip(late, _rows(late), strict=True):
        departments.setdefault(item.department, []).append(row)
    text = (
        forms.render_report(
            register,
            f"chase.{fmt}",
            {
                "as_of": day,
                "departments": departments,
                "headers": _HEADERS,
            },
        )
        if fmt == "html"
        else _chase_markdown(register, day, departments)
    )
    if output is None:
        click.echo(text, nl=False)
    else:
        write_text(output, text)
    for message in skipped:
        click.echo(f"officectl: 跳过无法读取的文件 {message}", err=True)
    if dry_run or not late:
        click.echo(f"officectl: 逾期 {len(late)} 项，未记录催办", err=True)
        return
    chased = reports.not_chased_on(register, late, day)
    if not chased:
        click.echo(
            f"officectl: 逾期 {len(late)} 项 {day.isoformat()} 都已催办过，"
            "没有新的催办可记录",
            err=True,
        )
        return
    when = parse_date(day.isoformat(), register) if as_of_text else register.now()
    record_chase(register, chased, StepInput(person, when, {}))  # type: ignore[arg-type]
    limits = sum(len(names) for names in chased.values())
    click.echo(f"officectl: 已催办 {len(chased)} 件（{limits} 项时限）", err=True)


def _only_chasable(register: Register, late: list[Any], person: Any) -> list[Any]:
    """The items ``person`` may chase; the others are named, by kind, on stderr."""
    from officectl.errors import Refused
    from officectl.register import POSTS

    split = reports.split_by_chaser(register, late, person)
    notes = []
    for name, items in split.others.items():
        kind = register.kind(name)
        posts = "、".join(POSTS[p] for p in sorted(reports.chase_posts(kind)))
        records = len({item.record for item in items})
        notes.append(f"{kind.label} {records} 件须由{posts}催办")
    if notes and not split.mine:
        raise Refused(f"{person.label()} 不能催办这些逾期事项：{'；'.join(notes)}")
    for note in notes:
        click.echo(f"officectl: {person.label()} 不能催办，未列入：{note}", err=True)
    return split.mine


def _chase_markdown(register: Register, day: Any, departments: dict[str, Any]) -> str:
    parts = []
    for department, rows in departments.items():
        parts += [
            f"# 催办单 — {department}",
            "",
            f"{register.settings.office}　{day.isoformat()}",
            "",
            table(rows, _HEADERS, markdown=True),
            "",
            "以上事项已超过办理时限，请抓紧办理，并于 2 个工作日内将办理情况反馈办公室。",
            "",
        ]
    return "\n".join(parts) if parts else "（无逾期事项）\n"


def _warn_fonts(text: str) -> None:
    """Say so when a printed 公文 can only use fallback fonts on this machine."""
    if 'name="officectl-fonts"' not in text:
        return
    from officectl.kinds.documents import missing_standard_fonts

    missing = missing_standard_fonts()
    if missing:
        click.echo(
            f"officectl: 本机未安装 GB/T 9704 标准字体（缺：{'、'.join(missing)}），"
            "将以开源字体替代打印，每行字数、每面行数可能不符",
            err=True,
        )
