"""What several commands share: the register, the acting person, options, output."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import click

from officectl.errors import BadInput
from officectl.register import Person, Register


def open_register(ctx: click.Context) -> Register:
    directory = (ctx.find_root().obj or {}).get("directory")
    return Register.find(Path(directory) if directory else None)


def open_for_writing(ctx: click.Context, writes: bool = True) -> Register:
    """The register a command will commit to (unless ``writes`` is False: a dry run).

    Refused (exit 4) while a rule file (the roster, calendar, workflows, schemas,
    templates) differs from what is committed, before anything is judged by it.
    """
    from officectl import gitstore
    from officectl.register import RULES

    register = open_register(ctx)
    if writes:
        gitstore.check_writable(register.root, [], RULES)
    return register


def acting_person(register: Register, by: str | None) -> Person:
    """``--by``, else the roster person whose email is git's ``user.email``."""
    if by:
        return register.settings.person(by)
    from officectl import gitstore

    email = gitstore.config_email(register.root)
    person = register.settings.by_email(email) if email else None
    if person is None:
        known = (
            f"git 的 user.email 是 {email}，不在名册中"
            if email
            else "git 未设置 user.email"
        )
        raise BadInput(f"不知道是谁在办理：请用 --by 人员编号（{known}）")
    return person


def viewer(register: Register, by: str | None) -> Person | None:
    """Who is reading: ``--by``, else git's ``user.email`` in the roster, else nobody.

    Reading needs no identity; only what confidential kinds show depends on it.
    """
    if by:
        return register.settings.person(by)
    from officectl import gitstore

    email = gitstore.config_email(register.root)
    return register.settings.by_email(email) if email else None


def check_may_read(register: Register, record_id: str, by: str | None) -> None:
    """Refuse a confidential record to a reader without the post to see it."""
    from officectl.errors import Refused
    from officectl.reports import PRIVILEGED

    kind = register.kind_of_id(record_id)
    if not kind.confidential:
        viewer(register, by)  # an unknown --by is an error whatever the kind
        return
    # Posts as committed: an uncommitted edit of the roster opens no classified record.
    settings = register.committed_settings()
    if by:
        reader: Person | None = settings.person(by)
    else:
        from officectl import gitstore

        email = gitstore.config_email(register.root)
        reader = settings.by_email(email) if email else None
    if reader is None or not settings.posts_of(reader) & PRIVILEGED:
        posts = "、".join(sorted(PRIVILEGED))
        raise Refused(
            f"{record_id} 是涉密记录，只有 {posts} 岗位可以查看：请用 --by 说明身份"
        )


def parse_date(text: str | None, register: Register) -> dt.datetime:
    """``--date``: a day (the office's current time of day) or a day and a time."""
    now = register.now()
    if not text:
        return now
    try:
        if "T" in text or " " in text:
            moment = dt.datetime.fromisoformat(text)
            return moment if moment.tzinfo else moment.replace(tzinfo=now.tzinfo)
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise BadInput(f"--date {text!r} 应为 YYYY-MM-DD 或 YYYY-MM-DDTHH:MM") from None
    return dt.datetime.combine(day, now.timetz())


def as_of(text: str | None, register: Register) -> dt.date:
    if not text:
        return register.today()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise BadInput(f"--as-of {text!r} 应为 YYYY-MM-DD") from None


def set_option(function: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--set",
        "assignments",
        multiple=True,
        metavar="FIELD=VALUE",
        help="Set a field (dotted for nested: petitioner.name=张三). Repeatable.",
    )(function)


def format_option(choices: Sequence[str], default: str = "table") -> Callable[..., Any]:
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(list(choices)),
        default=default,
        show_default=True,
        help="Output format.",
    )


def split_assignments(assignments: Sequence[str]) -> list[tuple[str, str]]:
    pairs = []
    for item in assignments:
        field, sep, value = item.partition("=")
        if not sep or not field.strip():
            raise BadInput(f"--set {item!r} 应写成 字段=值")
        pairs.append((field.strip(), value))
    return pairs


def emit(rows: list[dict[str, Any]], headers: dict[str, str], fmt: str) -> None:
    """Print rows as an aligned table, JSON, CSV or a Markdown table."""
    if fmt == "json":
        import json

        data = [{key: _jsonable(row.get(key)) for key in headers} for row in rows]
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    if fmt == "csv":
        import csv
        import io

        stream = io.StringIO()
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(headers.values())
        writer.writerows([[_cell(row.get(key)) for key in headers] for row in rows])
        click.echo(stream.getvalue(), nl=False)
        return
    click.echo(table(rows, headers, markdown=fmt == "md"))


def table(
    rows: list[dict[str, Any]], headers: dict[str, str], markdown: bool = False
) -> str:
    body = [[_cell(row.get(key), markdown) for key in headers] for row in rows]
    if not markdown:
        from officectl.tables import text_table

        return text_table(list(headers.values()), body)
    from tabulate import tabulate

    # Every cell is shown as text: number parsing only costs time and would right-align
    # ids and codes.
    return str(
        tabulate(
            body,
            headers=list(headers.values()),
            tablefmt="github",
            disable_numparse=True,
        )
    )


def _cell(value: Any, markdown: bool = False) -> str:
    if value is None:
        return ""
    text = value.isoformat() if isinstance(value, dt.date) else str(value)
    if markdown:
        text = text.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")
    return text


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value
