"""Commands on spreadsheets: import a ledger (台账), export a list."""

from __future__ import annotations

from pathlib import Path

import click

from officectl.cli.common import (
    acting_person,
    as_of,
    open_for_writing,
    open_register,
    viewer,
)
from officectl.errors import BadInput

FORMATS = ("xlsx", "csv", "json")


def _rows(numbers: list[int], shown: int = 10) -> str:
    listed = "、".join(map(str, numbers[:shown]))
    return f"第 {listed} 行" + (
        f" 等 {len(numbers)} 行" if len(numbers) > shown else ""
    )


@click.command(name="import")
@click.argument("kind")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "-m",
    "--mapping",
    "mapping_file",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Column mapping (YAML): which column is which field.",
)
@click.option(
    "--dry-run", is_flag=True, help="Check every row and report; write nothing."
)
@click.option(
    "--skip-bad",
    is_flag=True,
    help="Import the rows that pass; name the rest and exit 1.",
)
@click.option("--by", metavar="PERSON", help="Importing person's roster id.")
@click.pass_context
def import_(
    ctx: click.Context,
    kind: str,
    file: Path,
    mapping_file: Path,
    dry_run: bool,
    skip_bad: bool,
    by: str | None,
) -> None:
    """Import a ledger (台账) from Excel or CSV as new records, in one commit.

    Every row is checked first. Problems print as FILE:ROW: field: message, with the
    row numbers Excel shows; nothing is written unless every row passes, or --skip-bad
    is given. Example: officectl import letter 来信台账2026.xlsx -m import-letter.yaml
    --dry-run
    """
    from officectl import sheets

    register = open_for_writing(ctx, writes=not dry_run)
    person = acting_person(register, by)
    mapping = sheets.load_mapping(register, mapping_file, kind)
    plan = sheets.plan_import(register, mapping, file, person)
    for problem in plan.problems:
        click.echo(str(problem))
    for note in plan.notes:
        click.echo(f"officectl: 注意：{note}", err=True)

    bad = plan.bad_rows
    if not plan.rows:
        raise BadInput(f"{plan.source}: 表头以下没有数据行")
    if bad and not skip_bad:
        trial = "试运行：" if dry_run else ""
        raise BadInput(
            f"{trial}{len(bad)} 行有问题（{_rows(bad)}），未导入任何记录；"
            f"改正后重试，或用 --skip-bad 只导入其余 {len(plan.built)} 行"
        )
    skipped = f"；跳过有问题的 {len(bad)} 行（{_rows(bad)}）" if bad else ""
    if dry_run:
        click.echo(
            f"officectl: 试运行：{len(plan.built)} 行可以导入{skipped}；未写入任何记录",
            err=True,
        )
        ctx.exit(1 if bad else 0)
    if not plan.built:
        raise BadInput(f"{plan.source}: 没有可导入的行{skipped}")

    commit = sheets.write_import(register, plan, person)
    for built in plan.built:
        click.echo(f"{plan.source}:{built.row}: {built.record_id}")
    click.echo(
        f"officectl: 已导入 {plan.kind} {len(plan.built)} 件（{plan.source}），"
        f"提交 {commit[:10]}{skipped}",
        err=True,
    )
    if bad:
        ctx.exit(1)  # the skipped rows are for a person to look at


@click.command()
@click.argument("kind", required=False)
@click.option("--state", help="Only records in this state.")
@click.option("--open", "open_only", is_flag=True, help="Only records not yet closed.")
@click.option(
    "--overdue", is_flag=True, help="Only records with an overdue time limit."
)
@click.option(
    "--as-of", "as_of_text", metavar="DATE", help="Judge deadlines on this day."
)
@click.option(
    "--by", metavar="PERSON", help="Who reads it (confidential kinds need the post)."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    help="File format (default: from the file name's suffix).",
)
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="File to write.",
)
@click.pass_context
def export(
    ctx: click.Context,
    kind: str | None,
    state: str | None,
    open_only: bool,
    overdue: bool,
    as_of_text: str | None,
    by: str | None,
    fmt: str | None,
    output: Path,
) -> None:
    """Write the records list shows to an xlsx, csv or json file, masked like list.

    With KIND, every field of the kind follows the list's columns. Example: officectl
    export letter --open -o 在办来信.xlsx
    """
    from officectl import reports, sheets

    fmt = fmt or output.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise BadInput(
            f"{output.name}: 不知道写成什么格式：用 --format {'|'.join(FORMATS)}"
        )
    register = open_register(ctx)
    day = as_of(as_of_text, register) if overdue else None
    chosen = reports.select(register, kind, state, open_only, day)
    reader = viewer(register, by)
    columns, rows, skipped = sheets.export_table(
        register, chosen, kind, overdue, reader
    )
    sheet = register.kind(kind).label if kind else "记录"
    sheets.write_export(output, fmt, columns, rows, sheet)
    for message in [*chosen.skipped, *skipped]:
        click.echo(f"officectl: 跳过无法读取的文件 {message}", err=True)
    click.echo(f"officectl: 已导出 {len(rows)} 件到 {output}", err=True)
