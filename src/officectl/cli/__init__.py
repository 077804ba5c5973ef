"""The officectl command line: a thin click layer over the library.

Commands are imported only when run, so ``officectl --help`` and the read-only reports
do not pay for YAML, jsonschema or jinja2. Every :class:`OfficeError` becomes one
line on stderr and the exit code its class names; click's usage errors exit 2.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import click

from officectl.errors import OfficeError

# name -> (module under officectl.cli, function, one-line help shown by --help)
# fmt: off
COMMANDS: dict[str, tuple[str, str, str]] = {
    "init":     ("admin", "init", "Create a register (a git repository with officectl.yaml)."),
    "new":      ("records", "new", "Register a new record of a kind and commit it."),
    "do":       ("records", "do", "Take one workflow step on a record and commit it."),
    "show":     ("records", "show", "Print one record in full."),
    "list":     ("records", "list_", "List records, filtered by kind, state or deadline."),
    "history":  ("records", "history", "Who did what to a record and when, from git."),
    "validate": ("records", "validate", "Check record files against schema and workflow."),
    "overdue":  ("reports", "overdue", "Report overdue and soon-due time limits (for cron)."),
    "chase":    ("reports", "chase", "Print chase slips for overdue items; record the chase."),
    "render":   ("reports", "render", "Render a record's paper form as Markdown or HTML."),
    "flow":     ("admin", "flow", "Print a kind's workflow as a table and a state diagram."),
    "calendar": ("admin", "calendar", "Working-day arithmetic on the office calendar."),
    "import":   ("sheets", "import_", "Import records from a spreadsheet ledger (台账)."),
    "export":   ("sheets", "export", "Export a list of records to xlsx, csv or json."),
    "sync":     ("team", "sync", "Merge colleagues' steps with yours; push."),
    "audit":    ("team", "audit", "Report commits that broke officectl's rules."),
    "hooks":    ("team", "hooks", "Install git hooks that keep bad records out."),
    "repair":   ("team", "repair", "Explain and clear what a killed command left."),
}
# fmt: on

EXIT_CODES = """\b
Exit codes:
  0  done; for reports: nothing to report
  1  something for a person to look at: validate found problems, overdue --check
     found overdue items, sync stopped on a conflict, audit found a commit outside
     the rules, repair left something it would not touch, import --skip-bad
     left rows out
  2  bad command line or bad input (unknown id or action, invalid value, no --by)
  3  refused by the workflow (wrong state, or a post that may not take the step)
  4  the register cannot be written now (not found, locked, uncommitted edits, git)
"""


class LazyGroup(click.Group):
    """A group whose commands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        module, attribute, _ = COMMANDS[name]
        command: click.Command = getattr(
            importlib.import_module(f"officectl.cli.{module}"), attribute
        )
        return command

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name = args[0] if args else ""
        if name not in COMMANDS and not name.startswith("-"):
            from officectl.cli.usage import no_such_command

            ctx.fail(no_such_command(name, list(COMMANDS)))
        return super().resolve_command(ctx, args)

    def format_commands(
        self, ctx: click.Context, formatter: click.HelpFormatter
    ) -> None:
        rows = [(name, short) for name, (_, _, short) in COMMANDS.items()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def main(
        self,
        args: Any = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        """Run; a usage error is one line on stderr naming what is wrong, exit 2."""
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, **extra)
        try:
            code = super().main(args, prog_name, complete_var, False, **extra)
        except click.UsageError as err:
            # One line, as for every other bad input: which command, and what is wrong.
            path = err.ctx.command_path.partition(" ")[2] if err.ctx else ""
            where = f"officectl {path}" if path else "officectl"
            from officectl.cli.usage import in_chinese

            click.echo(f"{where}: {in_chinese(err)}", err=True)
            sys.exit(err.exit_code)
        except click.ClickException as err:
            click.echo(f"officectl: {err.format_message()}", err=True)
            sys.exit(err.exit_code)
        except click.Abort:
            click.echo("officectl: 已中止", err=True)
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except OfficeError as err:
            click.echo(f"officectl: {err}", err=True)
            ctx.exit(err.exit_code)
        except BrokenPipeError:
            sys.stderr.close()
            ctx.exit(0)


@click.group(cls=LazyGroup, epilog=EXIT_CODES)
@click.option(
    "-C",
    "directory",
    type=click.Path(file_okay=False),  # text: pathlib is left to the commands
    help="Run as if started in this register folder.",
)
@click.version_option(package_name="officectl")
@click.pass_context
def main(ctx: click.Context, directory: str | None) -> None:
    """Run the general office's paper flows from a register kept in git.

    Each letter, visit, document or request is one YAML record; each step is one git
    commit by the person who took it. Example: officectl list letter --open
    """
    ctx.obj = {"directory": directory}
