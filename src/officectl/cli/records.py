"""Commands on records: new, do, show, list, history, validate."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from officectl.cli.common import (
    acting_person,
    as_of,
    check_may_read,
    emit,
    format_option,
    open_for_writing,
    open_register,
    parse_date,
    set_option,
    split_assignments,
    viewer,
)
from officectl.errors import BadInput
from officectl.register import Register


def _fields(
    register: Register, kind: str, assignments: Any, file: Any
) -> tuple[dict[str, Any], Any]:
    """Field values from ``--file`` (a YAML mapping) and ``--set`` (typed by schema),
    and the file as the engine's ``Source`` (None without one)."""
    from officectl import yamlio
    from officectl.engine import Source, schemas

    fields: dict[str, Any] = {}
    source = None
    if file is not None:
        name = getattr(file, "name", "-")
        name = "<stdin>" if name in ("<stdin>", "-") else name
        data, lines = yamlio.loads(yamlio.decode(file.read(), name), name)
        if not isinstance(data, dict):
            raise BadInput(f"{name}: 应为字段映射（字段: 值）")
        fields.update(_flatten(data))
        source = Source(name, data, lines)
    for path, text in split_assignments(assignments):
        fields[path] = schemas(register).coerce(kind, path, text)
    return fields, source


def _flatten(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict) and value:
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _step(
    register: Register,
    by: str | None,
    date: str | None,
    note: str,
    behalf: str,
    fields: dict[str, Any],
    source: Any = None,
) -> Any:
    from officectl.engine import StepInput

    return StepInput(
        person=acting_person(register, by),
        when=parse_date(date, register),
        fields=fields,
        note=note or "",
        on_behalf_of=behalf or "",
        source=source,
    )


_by = click.option("--by", metavar="PERSON", help="Acting person's roster id.")
_date = click.option(
    "--date", metavar="DATE", help="When it happened (YYYY-MM-DD[THH:MM])."
)
_note = click.option("--note", default="", help="A note kept in the record's history.")


@click.command()
@click.argument("kind")
@set_option
@click.option(
    "--file", type=click.File("rb"), help="Fields as YAML (UTF-8); - is stdin."
)
@_by
@_date
@_note
@click.pass_context
def new(
    ctx: click.Context,
    kind: str,
    assignments: Any,
    file: Any,
    by: str | None,
    date: str | None,
    note: str,
) -> None:
    """Register a new record of KIND and commit it; print its id.

    Example: officectl new letter --set received=2026-03-02 --set petitioner.name=张三
    --set title=反映物业收费问题 --set content=… --by wangli
    """
    from officectl.engine import create

    register = open_for_writing(ctx)
    fields, source = _fields(register, kind, assignments, file)
    step = _step(register, by, date, note, "", fields, source)
    outcome = create(register, kind, step)
    click.echo(outcome.record_id)


@click.command(name="do")
@click.argument("record_id", metavar="ID")
@click.argument("action")
@set_option
@_by
@_date
@_note
@click.option("--on-behalf-of", "behalf", default="", help="Unit or person acted for.")
@click.pass_context
def do(
    ctx: click.Context,
    record_id: str,
    action: str,
    assignments: Any,
    by: str | None,
    date: str | None,
    note: str,
    behalf: str,
) -> None:
    """Take ACTION on record ID and commit it.

    Example: officectl do LTR-2026-0007 assign --set unit=donghu --by wangli
    """
    from officectl.engine import take

    register = open_for_writing(ctx)
    kind = register.kind_of_id(record_id)
    register.existing_path(record_id)
    fields, _ = _fields(register, kind.name, assignments, None)
    outcome = take(
        register, record_id, action, _step(register, by, date, note, behalf, fields)
    )
    click.echo(f"{outcome.record_id}: {kind.state_label(outcome.state)}")


@click.command()
@click.argument("record_id", metavar="ID")
@_by
@click.pass_context
def show(ctx: click.Context, record_id: str, by: str | None) -> None:
    """Print record ID in full, personal data included.

    Example: officectl show LTR-2026-0007
    """
    register = open_register(ctx)
    path = register.existing_path(record_id)
    check_may_read(register, record_id, by)
    from officectl import yamlio

    click.echo(yamlio.read_text(path, register.relative(path)), nl=False)


@click.command(name="list")
@click.argument("kind", required=False)
@click.option("--state", help="Only records in this state.")
@click.option("--open", "open_only", is_flag=True, help="Only records not yet closed.")
@click.option(
    "--overdue", is_flag=True, help="Only records with an overdue time limit."
)
@click.option(
    "--as-of", "as_of_text", metavar="DATE", help="Judge deadlines on this day."
)
@_by
@format_option(["table", "json", "csv", "md"])
@click.pass_context
def list_(
    ctx: click.Context,
    kind: str | None,
    state: str | None,
    open_only: bool,
    overdue: bool,
    as_of_text: str | None,
    by: str | None,
    fmt: str,
) -> None:
    """List records from the index; confidential titles show as 涉密.

    --format csv is plain UTF-8 for scripts and pipes, with no byte-order mark; for a
    file to open in Excel use export, which writes the mark Excel needs to read
    Chinese.

    Example: officectl list letter --open --format csv
    """
    from officectl import reports

    register = open_register(ctx)
    day = as_of(as_of_text, register)  # checked even when unused: a typo is an error
    chosen = reports.select(register, kind, state, open_only, day if overdue else None)
    reader = viewer(register, by)
    rows = [reports.list_row(register, e, chosen.late, reader) for e in chosen.entries]
    headers = dict(reports.LIST_HEADERS)
    if fmt == "json":  # the plain date, and whether it is 暂定, apart
        headers |= reports.PROVISIONAL_HEADER
    elif fmt == "csv":  # as export writes it for Excel
        headers |= reports.PROVISIONAL_HEADER
        rows = [
            row | {"provisional": "是" if row["provisional"] else "否"} for row in rows
        ]
    else:
        rows = [reports.marked(row) for row in rows]
    if overdue:
        headers["late"] = "逾期工作日"
    emit(rows, headers, fmt)
    _warn_skipped(chosen.skipped)


def _action_label(kind: Any, name: str | None) -> str:
    """An action as a clerk names it; a commit without officectl's trailer is a hand edit."""
    if name is None:
        return "（手工修改）"
    action = kind.actions.get(name)
    return action.label if action else name


def _warn_skipped(skipped: list[str]) -> None:
    for message in skipped:
        click.echo(f"officectl: 跳过无法读取的文件 {message}", err=True)


@click.command()
@click.argument("record_id", metavar="ID")
@format_option(["table", "json", "csv", "md"])
@_by
@click.pass_context
def history(ctx: click.Context, record_id: str, fmt: str, by: str | None) -> None:
    """Who did what to record ID and when, from the git commits.

    Example: officectl history LTR-2026-0007
    """
    from officectl import gitstore

    register = open_register(ctx)
    path = register.existing_path(record_id)
    check_may_read(register, record_id, by)
    kind = register.kind_of_id(record_id)
    rows = [
        {
            "date": commit.date,
            "person": commit.author,
            "action": _action_label(kind, commit.trailers.get(gitstore.TRAILER_ACTION)),
            "subject": commit.subject,
            "commit": commit.sha[:10],
        }
        for commit in gitstore.log(register.root, register.relative(path))
    ]
    headers = {
        "date": "时间",
        "person": "办理人",
        "action": "动作",
        "subject": "说明",
        "commit": "提交",
    }
    emit(rows, headers, fmt)


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--working",
    is_flag=True,
    help="Also check files that differ from git (hand edits not yet added, new files).",
)
@click.pass_context
def validate(ctx: click.Context, paths: tuple[Path, ...], working: bool) -> None:
    """Check every record (or those named) against schema and workflow; silent when clean.

    Without PATHS it checks what git holds, committed and staged, as reports do, and
    reads only what changed since the last run; --working also checks files edited by
    hand and not yet added (this looks at every file). Named PATHS are checked as they
    are on disk. Each problem is printed as path:line: message; the exit code is 1 if
    there is any.
    Example: officectl validate --working
    """
    from officectl import checks

    register = open_register(ctx)
    files = _record_files(register, paths)
    # Records are judged by the settings, the calendar and the workflows: a problem
    # there is reported first, and alone.
    problems = _setup_problems(register)
    if problems:
        for problem in problems:
            click.echo(problem)
        ctx.exit(1)
    if paths:
        findings = checks.validate_files(register, files)
    else:
        findings = checks.validate_register(register, working)
    for finding in findings:
        click.echo(str(finding))
    if findings:
        ctx.exit(1)


def _setup_problems(register: Register) -> list[str]:
    """What is wrong with officectl.yaml, calendar.yaml or the workflows, one line each."""
    from officectl.errors import OfficeError

    problems = []
    for part in ("settings", "calendar", "kinds"):
        try:
            getattr(register, part)
        except OfficeError as err:
            problems.append(str(err))
    return problems


def _record_files(register: Register, paths: tuple[Path, ...]) -> list[Path]:
    """The record files named; the register's own files are checked by
    :func:`_setup_problems`, anything else is not a record."""
    from officectl.register import RECORDS, SETTINGS

    own = {register.root / SETTINGS, register.root / "calendar.yaml"}
    files: list[Path] = []
    for given in paths:
        path = given.resolve()
        if not path.is_relative_to(register.root):
            raise BadInput(f"{given}: 不在登记簿 {register.root} 内")
        if not path.exists():
            raise BadInput(f"{given}: 没有这个文件或目录")
        if path in own:
            continue
        if path.is_dir() and (register.root / RECORDS).is_relative_to(path):
            path = register.root / RECORDS  # the register itself, or a folder above
        if not path.is_relative_to(register.root / RECORDS):
            raise BadInput(
                f"{given}: 不是记录文件（记录在 {RECORDS}/ 下）；"
                f"{SETTINGS} 和 calendar.yaml 可以直接用 validate 检查"
            )
        if path.is_dir():
            files.extend(sorted(path.rglob("*.yaml")))
        else:
            files.append(path)
    return files
