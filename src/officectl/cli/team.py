"""Commands for a register kept by several clerks: sync, audit, hooks, repair.

git runs two of them itself, the merge driver (``merge-file``) and the pre-commit hook
(``hooks pre-commit``), as ``python -m officectl.cli.team …``: that entry does not
depend on the command table and starts without loading the rest of the command line.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from officectl.cli.common import acting_person, open_register
from officectl.errors import BadInput, OfficeError

if TYPE_CHECKING:
    from officectl.sync import Report

_by = click.option("--by", metavar="PERSON", help="Acting person's roster id.")


@click.command()
@_by
@click.option(
    "--remote", default="origin", show_default=True, help="The shared remote."
)
@click.option("--continue", "go_on", is_flag=True, help="Go on after fixing conflicts.")
@click.option("--skip", is_flag=True, help="Drop your conflicting step; theirs stands.")
@click.option(
    "--abort", is_flag=True, help="Give up a stopped sync; back to before it."
)
@click.pass_context
def sync(
    ctx: click.Context,
    by: str | None,
    remote: str,
    go_on: bool,
    skip: bool,
    abort: bool,
) -> None:
    """Fetch colleagues' steps, merge them with yours, validate, and push.

    Steps on different fields of one record merge; the same field changed on both
    sides stops the sync with the conflict shown, never choosing a side. Number
    blocks for registering offline are leased here. A rejected push is retried, then
    reported (exit 4); nothing is ever forced.

    Example: officectl sync --by wangli
    """
    from officectl import sync as syncing

    register = open_register(ctx)
    if sum((go_on, skip, abort)) > 1:
        raise BadInput("--continue、--skip、--abort 只能选一个")
    if abort:
        syncing.abort(register)
        click.echo("已放弃这次同步，登记簿回到同步前的状态", err=True)
        return
    person = acting_person(register, by)
    if go_on or skip:
        how = "continue" if go_on else "skip"
        report = syncing.resume(register, person, how, remote)
    else:
        report = syncing.sync(register, person, remote)
    _print_report(ctx, report)


def _print_report(ctx: click.Context, report: Report) -> None:
    from officectl.sync import HOW_TO_RESOLVE

    if report.clashes:
        for clash in report.clashes:
            click.echo(str(clash))
        where = f"（本地的“{report.stopped_at}”）" if report.stopped_at else ""
        click.echo(
            f"officectl: 同步停在冲突处{where}，什么都没有推送；{HOW_TO_RESOLVE}",
            err=True,
        )
        ctx.exit(1)
    if report.problems:
        for finding in report.problems:
            click.echo(str(finding))
        click.echo(
            "officectl: 以上记录校验不通过，没有推送：改正后再运行 officectl sync",
            err=True,
        )
        ctx.exit(1)
    parts = [f"收到 {report.fetched} 个提交", f"推送 {report.pushed} 个提交"]
    if report.leases:
        first, count = report.leases[0].label(), len(report.leases)
        parts.append(f"领取编号段 {first}" + (f" 等 {count} 段" if count > 1 else ""))
    click.echo("已同步：" + "，".join(parts), err=True)


@click.command()
@click.option(
    "--since", metavar="REV", help="Only commits after this one (a sha, tag)."
)
@click.option("--require-signed", is_flag=True, help="Also demand a good signature.")
@click.pass_context
def audit(ctx: click.Context, since: str | None, require_signed: bool) -> None:
    """Replay history; report each commit that changed a record outside the rules.

    One line per problem, "commit path: message": hand edits that bypass the
    workflow, state changes no action explains, steps by a person whose post does
    not allow them, authors not in the roster, records that fail validation, history
    entries that disagree with their commit. Silent, exit 0, when all is well.

    Example: officectl audit --since v2026-03
    """
    from officectl.audit import audit as replay

    register = open_register(ctx)
    found = 0
    for finding in replay(register, since, require_signed):
        click.echo(str(finding))
        found += 1
    if found:
        ctx.exit(1)


@click.group()
def hooks() -> None:
    """Install git hooks that keep bad records out of the register.

    Example: officectl hooks install
    """


@hooks.command()
@click.option(
    "--force",
    is_flag=True,
    help="Replace a pre-commit hook that is not ours (it is kept as a backup).",
)
@click.pass_context
def install(ctx: click.Context, force: bool) -> None:
    """Install a pre-commit hook that validates the records a commit changes.

    It checks the staged text of each record file, so a hand edit that breaks a
    record, its workflow or its history cannot be committed (git commit --no-verify
    skips it; audit still finds it). Example: officectl hooks install
    """
    from officectl.audit import install_hook

    path, backup = install_hook(open_register(ctx), force)
    if backup is not None:
        click.echo(f"原有的 pre-commit 钩子已保存为 {backup}", err=True)
    click.echo(f"已安装 {path}", err=True)


@hooks.command(name="pre-commit", hidden=True)
@click.pass_context
def pre_commit(ctx: click.Context) -> None:
    """Validate the staged record files (what the pre-commit hook runs).

    Example: python -m officectl.cli.team hooks pre-commit
    """
    from officectl.checks import staged_problems

    problems = staged_problems(open_register(ctx))
    for finding in problems:
        click.echo(str(finding), err=True)
    if problems:
        click.echo("officectl: 提交被拒绝：以上记录有问题（改正后再提交）", err=True)
        ctx.exit(1)


@click.command()
@click.option(
    "--yes", is_flag=True, help="Also undo interrupted steps (restore files)."
)
@click.pass_context
def repair(ctx: click.Context, yes: bool) -> None:
    """Explain and clear what a killed command left behind.

    Removes a stale .git/index.lock (only when no git or officectl process works in
    the register) and half-written temporary files. A record written by an
    interrupted step but never committed is put back to its committed version (or,
    if it was being registered, removed) only with --yes. Exit 1 if anything is left.

    Example: officectl repair --yes
    """
    from officectl.repair import repair as fix

    done, left = fix(open_register(ctx), yes)
    for problem in done:
        click.echo(f"{problem.what}：已{problem.fix}")
    for problem in left:
        hint = (
            f"（运行 officectl repair --yes 以{problem.fix}）"
            if problem.needs_yes
            else ""
        )
        click.echo(f"{problem.what}{hint}")
    if left:
        ctx.exit(1)
    if not done:
        click.echo("无需修复", err=True)


@click.command(name="merge-file", hidden=True)
@click.argument("base", type=click.Path(path_type=Path))
@click.argument("current", type=click.Path(path_type=Path))
@click.argument("other", type=click.Path(path_type=Path))
@click.argument("name", default="record.yaml")
@click.pass_context
def merge_file(
    ctx: click.Context, base: Path, current: Path, other: Path, name: str
) -> None:
    """Merge two versions of a record field by field (git's merge driver).

    Writes the result into CURRENT; exit 1 if anything conflicts.
    Example: python -m officectl.cli.team merge-file %O %A %B %P
    """
    from officectl.sync import merge_driver

    clashes = merge_driver(base, current, other, name)
    for clash in clashes:
        click.echo(f"officectl: 冲突 {clash}", err=True)
    if clashes:
        ctx.exit(1)


class _Entry(click.Group):
    """The commands git runs, with officectl's one-line errors and exit codes."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except OfficeError as err:
            click.echo(f"officectl: {err}", err=True)
            ctx.exit(err.exit_code)


@click.group(cls=_Entry)
def entry() -> None:
    """What git runs in a register: the merge driver and the pre-commit hook.

    Example: python -m officectl.cli.team hooks pre-commit
    """


entry.add_command(merge_file)
entry.add_command(hooks)

if __name__ == "__main__":
    entry(prog_name="officectl")
