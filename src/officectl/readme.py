"""The README's command reference, generated from the commands' own ``--help``.

``make readme`` rewrites the part of README.md between the two markers; a test fails
when the README and the help have drifted apart.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from click.testing import CliRunner

from officectl.cli import COMMANDS, main

START = "<!-- commands:start (make readme) -->"
END = "<!-- commands:end -->"


def _help(args: list[str]) -> str:
    result = CliRunner().invoke(
        main, [*args, "--help"], prog_name="officectl", terminal_width=88
    )
    return result.output.rstrip()


def reference() -> str:
    """Every command's help, top level first, each in a fenced block."""
    parts = ["```text", _help([]), "```"]
    for name in COMMANDS:
        parts += ["", f"### officectl {name}", "", "```text", _help([name]), "```"]
        command = main.get_command(click.Context(main), name)
        if isinstance(command, click.Group):
            for sub in command.list_commands(click.Context(command)):
                parts += [
                    "",
                    f"#### officectl {name} {sub}",
                    "",
                    "```text",
                    _help([name, sub]),
                    "```",
                ]
    return "\n".join(parts)


def update(text: str) -> str:
    if START not in text or END not in text:
        raise SystemExit(f"README.md needs the markers {START} and {END}")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{reference()}\n{END}{tail}"


def main_(argv: list[str]) -> int:
    path = Path(argv[0] if argv else "README.md")
    path.write_text(update(path.read_text(encoding="utf-8")), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main_(sys.argv[1:]))
